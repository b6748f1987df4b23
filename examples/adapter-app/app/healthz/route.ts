// Liveness for whoever starts the app (walkthrough.yaml's `ready`).
export const dynamic = "force-dynamic";

export function GET() {
  return new Response("ok", { headers: { "content-type": "text/plain; charset=utf-8" } });
}
