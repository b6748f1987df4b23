// The conversation. A turn needs the workspace's entitlement (Polar's benefit grant) while
// billing is enforced; without it: 402 and the billing status.

import { enforce, status } from "@/lib/billing";
import { noSession, workspaceId } from "@/lib/session";
import { store } from "@/lib/store";

const PROMPT_MAX_CHARS = 4000;

/** The deterministic assistant: the same prompt always gets the same reply. */
function assistantReply(prompt: string) {
  const words = prompt.split(/\s+/).filter(Boolean).length;
  return `You said: \u201c${prompt}\u201d (${words} word${words === 1 ? "" : "s"}). This is Tegy's deterministic reply.`;
}

export async function GET() {
  const ws = await workspaceId();
  return ws ? Response.json({ turns: store().turns(ws) }) : noSession();
}

export async function POST(req: Request) {
  const ws = await workspaceId();
  if (!ws) return noSession();
  const body = await req.json().catch(() => null);
  const prompt = typeof body?.prompt === "string" ? body.prompt.trim() : "";
  if (!prompt || [...prompt].length > PROMPT_MAX_CHARS) {
    return Response.json(
      { error: "invalid_prompt", message: `Send {"prompt": "…"} with 1 to ${PROMPT_MAX_CHARS} characters.` },
      { status: 400 },
    );
  }
  if (enforce() && store().entitlements(ws).length === 0) {
    return Response.json(
      {
        error: "billing_required",
        message: "This workspace has no active subscription. Open Billing to upgrade or fix the payment.",
        billing: await status(ws),
      },
      { status: 402 },
    );
  }
  return Response.json({ turn: store().addTurn(ws, prompt, assistantReply(prompt)) }, { status: 201 });
}
