// The workspace's billing status: the state comes from its subscription (what Polar's
// subscription webhooks and the refresh told us), the access from its entitlements (what
// Polar's benefit grants gave, through the adapter's `Entitlements`). Pure reads of the store.

import { loadProduct, productId, seatPrice } from "./polar";
import { store, type Subscription } from "./store";

/** Billing states, best first. */
const RANK: Record<string, number> = { active: 4, canceling: 3, past_due: 2, inactive: 1, free: 0 };

/** One subscription's state from Polar's status and its cancellation flag. */
export function stateOf(s: Subscription): string {
  if (s.status === "active" || s.status === "trialing") return s.cancelAtPeriodEnd ? "canceling" : "active";
  if (s.status === "past_due") return "past_due";
  return "inactive";
}

/** The subscription that decides the workspace's state: the best state, then the newest. */
export function decide(rows: Subscription[]): { state: string; sub: Subscription | null } {
  let best: { state: string; sub: Subscription | null } = { state: "free", sub: null };
  for (const row of rows) {
    if (row.productId !== productId()) continue;
    const state = stateOf(row);
    if (
      best.sub === null ||
      RANK[state] > RANK[best.state] ||
      (RANK[state] === RANK[best.state] && row.modifiedMs > best.sub.modifiedMs)
    ) {
      best = { state, sub: row };
    }
  }
  return best;
}

export const enforce = () => !["0", "false", "no", "off"].includes((process.env.BILLING_ENFORCE ?? "on").toLowerCase());

/** The status object of `GET /api/billing/status` (the fields of the demo app's, plus `entitlements`). */
export async function status(workspaceId: string) {
  const product = await loadProduct();
  const price = seatPrice(product);
  const s = store();
  const { state, sub } = decide(s.subscriptions(workspaceId));
  const entitlements = s.entitlements(workspaceId);
  const entitled = entitlements.length > 0;
  const paying = state === "active" || state === "canceling";
  return {
    workspace_id: workspaceId,
    status: state,
    entitled,
    enforce: enforce(),
    plan: product?.name ?? null,
    product_id: productId(),
    members: s.memberCount(workspaceId),
    seats: sub?.seats ?? null,
    amount: sub ? sub.amount : null,
    currency: sub?.currency ?? price?.currency ?? null,
    price_per_seat: price?.perSeat ?? null,
    interval: product?.recurringInterval ?? null,
    subscription_id: sub?.id ?? null,
    subscription_status: sub?.status ?? null,
    cancel_at_period_end: sub ? sub.cancelAtPeriodEnd : null,
    renews_at: sub && !sub.cancelAtPeriodEnd && paying ? sub.currentPeriodEnd : null,
    ends_at: sub && (sub.cancelAtPeriodEnd || !paying) ? (sub.endsAt ?? sub.currentPeriodEnd) : null,
    customer_id: sub?.customerId ?? null,
    source: sub?.source ?? null,
    // What the access rests on: each benefit Polar granted (benefit_grant.created).
    entitlements: entitlements.map((e) => ({
      benefit: e.benefit,
      benefit_id: e.benefitId,
      grant_id: e.grantId,
      granted_by: e.grantedBy,
      granted_at: e.grantedAt,
    })),
  };
}
