// GET /api/billing/status: the workspace's billing status object (lib/billing.ts).

import { status } from "@/lib/billing";
import { noSession, workspaceId } from "@/lib/session";

export async function GET() {
  const ws = await workspaceId();
  return ws ? Response.json(await status(ws)) : noSession();
}
