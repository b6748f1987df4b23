// Polar's webhooks, verified and dispatched by the adapter (`Webhooks` checks the signature
// with the endpoint's secret and answers 403 to a bad one). Subscription events keep the
// workspace's billing state; the buyer's access comes from the benefit Polar grants with the
// claimed seat, through the adapter's `Entitlements` (benefit_grant.created / .revoked).

import { EntitlementStrategy, Entitlements, Webhooks } from "@polar-sh/nextjs";
import type { Subscription } from "@polar-sh/sdk/models/components/subscription.js";
import { after } from "next/server";

import { assignBuyerSeat, rowOf } from "@/lib/polar";
import { store } from "@/lib/store";

/** The benefit Tegy Pro carries in Polar (its description is the adapter's slug). */
const BENEFIT = "Tegy Pro workspace";

/** The workspace a Polar customer belongs to: the checkout set its external id to it. */
function workspaceOf(customer: { externalId?: string | null }): string | null {
  const id = customer.externalId;
  return id && store().workspaceExists(id) ? id : null;
}

/** Stores the subscription's new state, for the workspace of its customer. */
async function keep(type: string, sub: Subscription) {
  const ws = workspaceOf(sub.customer);
  if (!ws) return;
  store().upsertSubscription(rowOf(sub, ws, `webhook:${type}`));
}

Entitlements.use(
  BENEFIT,
  new EntitlementStrategy()
    .grant(async ({ customer, payload }) => {
      const ws = workspaceOf(customer);
      if (!ws) return;
      store().grant(ws, {
        benefitId: payload.data.benefitId,
        benefit: payload.data.benefit.description,
        grantId: payload.data.id,
        customerId: customer.id,
        grantedBy: payload.type,
      });
    })
    .revoke(async ({ customer, payload }) => {
      const ws = workspaceOf(customer);
      if (ws) store().revoke(ws, payload.data.benefitId, payload.data.id);
    }),
);

export const POST = Webhooks({
  webhookSecret: process.env.POLAR_WEBHOOK_SECRET!,
  entitlements: Entitlements,
  onSubscriptionCreated: async (p) => keep(p.type, p.data),
  onSubscriptionUpdated: async (p) => keep(p.type, p.data),
  onSubscriptionCanceled: async (p) => keep(p.type, p.data),
  onSubscriptionUncanceled: async (p) => keep(p.type, p.data),
  onSubscriptionRevoked: async (p) => keep(p.type, p.data),
  onSubscriptionActive: async (p) => {
    await keep(p.type, p.data);
    if (!workspaceOf(p.data.customer)) return;
    // Active (bought, or paid again after a failed renewal): the buyer takes a seat, which
    // brings the benefit grant. Done after the answer, so Polar is not kept waiting.
    const { id, customerId } = p.data;
    after(async () => {
      try {
        console.error(`tegy: subscription ${id} active: ${await assignBuyerSeat(id, customerId)}`);
      } catch (e) {
        console.error(`tegy: subscription ${id} active, seat not assigned:`, (e as Error).message);
      }
    });
  },
});
