// POST /api/billing/refresh: the workspace's subscriptions as Polar has them now (after the
// checkout's return and the portal's), and the buyer's seat if an active subscription has
// none yet. The access itself still comes only from Polar's benefit grant (a webhook).

import { status } from "@/lib/billing";
import { assignBuyerSeat, rowOf, subscriptionsOf } from "@/lib/polar";
import { noSession, workspaceId } from "@/lib/session";
import { store } from "@/lib/store";

export async function POST() {
  const ws = await workspaceId();
  if (!ws) return noSession();
  let subs;
  try {
    subs = await subscriptionsOf(ws);
  } catch (e) {
    console.error("tegy: refresh failed:", (e as Error).message);
    return Response.json({ error: "polar_unreachable", message: "Polar could not be reached. Please try again." }, { status: 502 });
  }
  let applied = 0;
  for (const sub of subs) if (store().upsertSubscription(rowOf(sub, ws, "refresh"))) applied += 1;
  const now = await status(ws);
  const active = subs.find((s) => s.id === now.subscription_id && s.status === "active");
  if (active && !now.entitled) {
    try {
      console.error(`tegy: refresh of ${active.id}: ${await assignBuyerSeat(active.id, active.customerId)}`);
    } catch (e) {
      console.error(`tegy: refresh of ${active.id}, seat not assigned:`, (e as Error).message);
    }
  }
  return Response.json({ ...now, reconciled: { applied } });
}
