// What the app asks Polar outside the adapter's three routes, through the SDK the adapter
// bundles (`@polar-sh/sdk`, the version `@polar-sh/nextjs` pins): the product for the price
// shown on the page, a workspace's subscriptions for the refresh, and the buyer's seat.
// The access token lives only inside the SDK client.

import { Polar } from "@polar-sh/sdk";
import type { Subscription as PolarSubscription } from "@polar-sh/sdk/models/components/subscription.js";
import type { Product } from "@polar-sh/sdk/models/components/product.js";

import type { Subscription } from "./store";

export const polar = new Polar({
  accessToken: process.env.POLAR_ACCESS_TOKEN,
  server: "sandbox",
});

export const productId = () => process.env.POLAR_PRODUCT_ID ?? "";

let product: Product | null = null;

/** The product, fetched once from Polar and then kept; null while Polar cannot be reached. */
export async function loadProduct(): Promise<Product | null> {
  if (!product) {
    try {
      product = await polar.products.get({ id: productId() });
    } catch (e) {
      console.error("tegy: cannot load the product from Polar:", (e as Error).message);
    }
  }
  return product;
}

/** The product's seat-based price, as the page shows it. */
export function seatPrice(p: Product | null) {
  const price = p?.prices.find((x) => "amountType" in x && x.amountType === "seat_based" && !x.isArchived);
  if (!price || !("seatTiers" in price)) return null;
  return {
    currency: price.priceCurrency,
    perSeat: price.seatTiers.tiers[0]?.pricePerSeat ?? null,
    minimumSeats: price.seatTiers.minimumSeats ?? null,
    maximumSeats: price.seatTiers.maximumSeats ?? null,
  };
}

/** A Polar subscription as the store keeps it, for `workspaceId`. */
export function rowOf(s: PolarSubscription, workspaceId: string, source: string): Subscription {
  return {
    id: s.id,
    workspaceId,
    customerId: s.customerId,
    productId: s.productId,
    status: s.status,
    seats: s.seats ?? null,
    amount: s.amount,
    currency: s.currency,
    cancelAtPeriodEnd: s.cancelAtPeriodEnd,
    currentPeriodEnd: s.currentPeriodEnd?.toISOString() ?? null,
    endsAt: s.endsAt?.toISOString() ?? null,
    modifiedMs: (s.modifiedAt ?? s.createdAt).getTime(),
    source,
  };
}

/** The workspace's subscriptions, every status, as Polar has them now. */
export async function subscriptionsOf(workspaceId: string): Promise<PolarSubscription[]> {
  const out: PolarSubscription[] = [];
  const pages = await polar.subscriptions.list({ externalCustomerId: workspaceId, limit: 100 });
  for await (const page of pages) out.push(...page.result.items);
  return out;
}

/**
 * Gives the subscription's buyer a claimed seat. A seat-based product's benefits go to seat
 * holders only, and Polar claims no seat for a checkout with its own success URL; it also
 * takes every seat back when the subscription falls past due or is revoked. So the app
 * assigns the buyer's seat when the subscription becomes active, and again when it is
 * active after a recovery. Returns what happened, for the log.
 */
export async function assignBuyerSeat(subscriptionId: string, customerId: string): Promise<string> {
  try {
    const seat = await polar.customerSeats.assignSeat({ subscriptionId, customerId, immediateClaim: true });
    return `seat ${seat.id} ${seat.status}`;
  } catch (e) {
    const body = String((e as { body?: unknown }).body ?? "");
    // Already the buyer's: a webhook and a refresh both assigned it.
    if (body.includes("SeatAlreadyAssigned")) return "seat already assigned";
    throw e;
  }
}
