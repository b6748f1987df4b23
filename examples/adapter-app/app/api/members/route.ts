// The workspace's members: each one is a billed seat.

import { noSession, workspaceId } from "@/lib/session";
import { store } from "@/lib/store";

export async function GET() {
  const ws = await workspaceId();
  if (!ws) return noSession();
  const members = store().members(ws);
  return Response.json({ members, count: members.length });
}

export async function POST(req: Request) {
  const ws = await workspaceId();
  if (!ws) return noSession();
  const body = await req.json().catch(() => null);
  const email = typeof body?.email === "string" ? body.email.trim().toLowerCase() : "";
  if (!email || email.length > 254 || !/^[^@\s]+@[^@\s]+$/.test(email)) {
    return Response.json({ error: "invalid_email", message: 'Send {"email": "name@example.com"}.' }, { status: 400 });
  }
  const added = store().addMember(ws, email);
  const members = store().members(ws);
  return Response.json({ added, members, count: members.length }, { status: added ? 201 : 200 });
}
