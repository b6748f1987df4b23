// Everything the app asks Polar, through the official SDK (`@polar-sh/sdk`, API version
// 2026-04), and how Polar's answers become the workspace's billing status. The access token
// lives only inside the SDK client; nothing here logs or returns it.

import { createPolar } from "@polar-sh/sdk/2026-04";
import {
  PolarClientError,
  PolarNetworkError,
  PolarRateLimitError,
  PolarServerError,
} from "@polar-sh/sdk";

import { decide, entitled, nowMicros, rowOf } from "./projection.mjs";

/** Seconds the app waits for one Polar request. */
const POLAR_TIMEOUT_SECONDS = 10;

/** A Polar failure turned into an HTTP answer for the page: `{ status, body }`. */
export class PolarFailure extends Error {
  constructor(status, body) {
    super(body.message);
    this.status = status;
    this.body = body;
  }
}

/** Maps an SDK error to the answer the page shows; anything else is rethrown. */
export function polarFailure(e) {
  if (e instanceof PolarNetworkError) {
    if (/timeout|timed out|aborted/i.test(e.message)) {
      return new PolarFailure(504, { error: "polar_timeout", message: "Polar did not answer in time. Please try again." });
    }
    return new PolarFailure(502, { error: "polar_unreachable", message: "Polar could not be reached. Please try again." });
  }
  if (e instanceof PolarRateLimitError) {
    return new PolarFailure(502, {
      error: "polar_error",
      message: "Polar is rate limiting requests. Please try again in a moment.",
      polar_status: 429,
      polar_error: null,
    });
  }
  if (e instanceof PolarServerError) {
    const status = Number(/server error: (\d{3})/.exec(e.message)?.[1] ?? 500);
    return new PolarFailure(502, {
      error: "polar_error",
      message: `Polar had an internal error (HTTP ${status}). Please try again.`,
      polar_status: status,
      polar_error: null,
    });
  }
  if (e instanceof PolarClientError) {
    const { code, detail } = errorBody(e.error);
    let message;
    if (e.statusCode === 401) {
      message = "Polar rejected the app's access token (HTTP 401). Check the organization token for this Polar environment.";
    } else if (e.statusCode === 403) {
      message = `Polar refused the request (HTTP 403${code ? ` ${code}` : ""}).`;
    } else {
      message = `Polar rejected the request (HTTP ${e.statusCode})${detail ? `: ${detail}` : "."}`;
    }
    return new PolarFailure(502, { error: "polar_error", message, polar_status: e.statusCode, polar_error: code });
  }
  throw e;
}

/** Polar's error body (`{error, detail}`, or a 422's list of problems), from what the SDK kept. */
function errorBody(error) {
  let body = error;
  if (typeof body === "string") {
    try {
      body = JSON.parse(body);
    } catch {
      return { code: null, detail: null };
    }
  }
  if (!body || typeof body !== "object") return { code: null, detail: null };
  const code = typeof body.error === "string" ? body.error : null;
  let detail = null;
  if (typeof body.detail === "string") detail = body.detail;
  else if (Array.isArray(body.detail)) detail = body.detail.map((d) => d?.msg).filter(Boolean).join(" ");
  return { code, detail };
}

const statusCode = (e) => (e instanceof PolarClientError ? e.statusCode : null);

export class Billing {
  /** `config` is the app's configuration; `store` its Store. */
  constructor(config, store) {
    this.store = store;
    this.productId = config.productId;
    this.enforce = config.enforce;
    this.polar = createPolar({
      accessToken: config.polarAccessToken,
      baseUrl: config.polarApiUrl,
      timeout: POLAR_TIMEOUT_SECONDS,
    });
    this.product = null;
  }

  /** The product, fetched once from Polar and then kept. */
  async loadProduct() {
    if (!this.product) this.product = await this.polar.products.get(this.productId);
    return this.product;
  }

  /** The product's seat-based price, if it has one. */
  seatPrice() {
    return this.product?.prices?.find((p) => p.amount_type === "seat_based" && !p.is_archived) ?? null;
  }

  /** `GET /api/billing/plans`: the product as the page needs it. */
  async plans() {
    const p = await this.loadProduct();
    const price = this.seatPrice();
    const tiers = price?.seat_tiers ?? null;
    return {
      plans: [
        {
          product_id: p.id,
          name: p.name,
          description: p.description ?? null,
          visibility: p.visibility ?? null,
          interval: p.recurring_interval ?? null,
          interval_count: p.recurring_interval_count ?? null,
          seat_based: price !== null,
          currency: price?.price_currency ?? null,
          seat_tier_type: tiers?.seat_tier_type ?? null,
          price_per_seat: tiers?.tiers?.[0]?.price_per_seat ?? null,
          minimum_seats: tiers?.minimum_seats ?? null,
          maximum_seats: tiers?.maximum_seats ?? null,
        },
      ],
    };
  }

  /** The status object of `GET /api/billing/status` (the same fields as the demo app's). */
  status(workspaceId) {
    const rows = this.store.subscriptions(workspaceId);
    const { state, sub } = decide(rows, this.productId);
    const price = this.seatPrice();
    const isEntitled = entitled(state);
    return {
      workspace_id: workspaceId,
      status: state,
      entitled: isEntitled,
      enforce: this.enforce,
      plan: this.product?.name ?? null,
      product_id: this.productId,
      members: this.store.memberCount(workspaceId),
      seats: sub?.seats ?? null,
      amount: sub ? sub.amount : null,
      currency: sub?.currency ?? price?.price_currency ?? null,
      price_per_seat: price?.seat_tiers?.tiers?.[0]?.price_per_seat ?? null,
      interval: this.product?.recurring_interval ?? null,
      subscription_id: sub?.id ?? null,
      subscription_status: sub?.status ?? null,
      cancel_at_period_end: sub ? sub.cancel_at_period_end : null,
      renews_at: sub && !sub.cancel_at_period_end && isEntitled ? sub.current_period_end : null,
      ends_at: sub && (sub.cancel_at_period_end || !isEntitled) ? (sub.ends_at ?? sub.current_period_end) : null,
      customer_id: this.store.billingCustomer(workspaceId),
      source: sub?.source ?? null,
    };
  }

  /** Best effort: the plan name needs the product; a Polar failure leaves it null. */
  async statusWithPlan(workspaceId) {
    try {
      await this.loadProduct();
    } catch {
      // shown as "Tegy" until Polar answers
    }
    return this.status(workspaceId);
  }

  /**
   * A Polar checkout for the workspace, one seat per member, fixed on the hosted page.
   * Returns `{ checkout_id, url, seats, amount, currency }`.
   */
  async checkout(workspaceId, appUrl) {
    const seats = Math.max(1, this.store.memberCount(workspaceId));
    const c = await this.polar.checkouts.create({
      products: [this.productId],
      seats,
      min_seats: seats,
      max_seats: seats,
      external_customer_id: workspaceId,
      metadata: { workspace_id: workspaceId },
      success_url: `${appUrl}/new?billing=success&checkout_id={CHECKOUT_ID}`,
      return_url: `${appUrl}/new`,
    });
    return { checkout_id: c.id, url: c.url, seats: c.seats ?? seats, amount: c.amount, currency: c.currency };
  }

  /**
   * A customer-portal session for the workspace's Polar customer: `{ url, expires_at }`, or
   * null when Polar has no customer for it yet.
   */
  async portal(workspaceId, appUrl) {
    try {
      const s = await this.polar.customerSessions.create({
        external_customer_id: workspaceId,
        return_url: `${appUrl}/new?billing=portal`,
      });
      return { url: s.customer_portal_url, expires_at: s.expires_at };
    } catch (e) {
      if (statusCode(e) === 422) return null;
      throw e;
    }
  }

  /**
   * Reconciles the workspace's projection from Polar, the source of truth: the customer
   * state (by external id) and every subscription of that customer, in any status.
   */
  async refresh(workspaceId) {
    const started = nowMicros();
    let state = null;
    try {
      state = await this.polar.customers.getStateExternal(workspaceId);
    } catch (e) {
      if (statusCode(e) !== 404) throw e;
    }
    let rows = [];
    if (state) {
      const subs = [];
      for await (const s of this.polar.subscriptions.iterList({ external_customer_id: workspaceId, limit: 100 })) {
        subs.push(s);
      }
      // The customer state lists active subscriptions; fetch any the list missed.
      for (const active of state.active_subscriptions ?? []) {
        if (!subs.some((s) => s.id === active.id)) subs.push(await this.polar.subscriptions.get(active.id));
      }
      const observed = nowMicros();
      rows = subs.map((s) => rowOf(s, workspaceId, observed, "refresh"));
    }
    return this.store.reconcile(workspaceId, state?.id ?? null, rows, started);
  }
}
