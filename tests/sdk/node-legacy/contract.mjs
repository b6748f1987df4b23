// Contract test: the mock against the 0.x lines of Polar's TypeScript SDK: 0.49.0 (the last
// 0.x, which many apps still use) and 0.47.1 and 0.42.5, what Polar's framework adapters
// (@polar-sh/nextjs, @polar-sh/express, …) resolve to. They run on Node 20, send no
// Polar-Version header (so they get Polar's default version, 2026-04) and validate every
// answer and webhook with Zod at run time, so a shape they do not accept fails the call.
//
// One script for every 0.x line: what an older SDK lacks is recorded, never skipped silently:
// - an operation it has no method for: outcome "sdk-missing", detail "no p.<path>";
// - an error class it does not have: the call must still be refused with the expected status
//   (any SDK error), outcome "sdk-missing", detail "no <Name> error class";
// - webhook types its closed WebhookEventType enum lacks: it refuses to send them (and would
//   refuse every endpoint or delivery answer naming them), so creating the endpoint with every
//   type the mock sends is "sdk-defect" (detail "closed WebhookEventType lacks <types>"); the
//   endpoint is then created with the types it can name, and each type it cannot is reported
//   as a webhook with the outcome "sdk-unsubscribable".
// tests/sdk_contract.rs lists, per line, exactly which of these it expects.
//
// Run by tests/sdk_contract.rs with the system Node from a directory whose node_modules holds
// one line's packages (scripts/setup.sh installs tests/sdk/node-legacy, node-0.47 and node-0.42
// in .tools/sdk-node-legacy, sdk-node-0.47 and sdk-node-0.42). Arguments: BASE_URL TOKEN
// PRODUCT_ID. Progress on stderr, one JSON report on stdout (the same shape as the other
// contract scripts'; webhook types the SDK does not know get the outcome "sdk-unknown-type").

import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { Polar } from "@polar-sh/sdk";
import { validateEvent, WebhookVerificationError } from "@polar-sh/sdk/webhooks";
import { SDKValidationError } from "@polar-sh/sdk/models/errors/sdkvalidationerror.js";

const VERSION = "2026-04";
const [BASE, TOKEN, PRODUCT_ID] = process.argv.slice(2);
const SDK_VERSION = JSON.parse(readFileSync(path.resolve("node_modules/@polar-sh/sdk/package.json"), "utf8")).version;
const EVENTS = [
  "checkout.created", "checkout.updated", "customer.created", "customer.updated",
  "customer.deleted", "customer.state_changed", "order.created", "order.updated", "order.paid",
  "subscription.created", "subscription.updated", "subscription.active", "subscription.canceled",
  "subscription.uncanceled", "subscription.cycled", "subscription.revoked", "subscription.past_due",
  "customer_seat.assigned", "customer_seat.claimed", "customer_seat.revoked",
  "benefit_grant.created", "benefit_grant.cycled", "benefit_grant.revoked",
];
const log = (...a) => console.error(...a);
// The SDK's error class `name`, or null when this SDK version has none.
const errorClass = async (name) => {
  try {
    return (await import(`@polar-sh/sdk/models/errors/${name.toLowerCase()}.js`))[name] ?? null;
  } catch (e) {
    if (e.code === "ERR_MODULE_NOT_FOUND") return null;
    throw e;
  }
};
// The webhook event types this SDK version can name.
const sdkEventTypes = async () => new Set(Object.values((await import("@polar-sh/sdk/models/components/webhookeventtype.js")).WebhookEventType));

class Run {
  constructor(hooks) {
    this.hooks = hooks;
    this.polar = new Polar({ accessToken: TOKEN, serverURL: BASE });
    this.results = [];
    this.webhooks = [];
  }

  record(operation, check, outcome, detail = null) {
    this.results.push({ version: VERSION, operation, check, outcome, detail });
    if (outcome !== "pass") log(`  ${VERSION} ${operation} [${check}]: ${outcome}: ${detail}`);
  }

  /** A call that must fail with HTTP `status`, whatever the SDK's error class. */
  async refusesWith(operation, check, status, fn) {
    try {
      await fn();
    } catch (e) {
      const got = e.statusCode ?? e.status;
      return this.record(operation, check, got === status ? "pass" : "fail", got === status ? null : `${e.name}: ${e.message}`.slice(0, 3000));
    }
    return this.record(operation, check, "fail", `expected HTTP ${status}, the call succeeded`);
  }

  /** Customer seats (tests/sdk/seed.json turns seat-based pricing on, as Polar does for every
   * new organization): the buyer's seat claimed at once (customer_seat.claimed and the
   * product's benefit_grant.created), a teammate invited (customer_seat.assigned) and revoked
   * (customer_seat.revoked); an unknown seat is 404. */
  async seats(sub, a) {
    const cs = this.polar.customerSeats;
    const mine = await this.call("customer-seats:assign_seat", "the buyer, claimed at once",
      () => cs.assignSeat({ subscriptionId: sub.id, email: a.email, immediateClaim: true }));
    if (mine && mine.status !== "claimed") this.record("customer-seats:assign_seat", "claimed", "fail", mine.status);
    const invited = await this.call("customer-seats:assign_seat", "a teammate, invited",
      () => cs.assignSeat({ subscriptionId: sub.id, email: "teammate@acme.dev" }));
    if (invited && invited.status !== "pending") this.record("customer-seats:assign_seat", "pending", "fail", invited.status);
    const list = await this.call("customer-seats:list_seats", "both seats", () => cs.listSeats({ subscriptionId: sub.id }));
    if (list && list.seats.length !== 2) this.record("customer-seats:list_seats", "two seats", "fail", String(list.seats.length));
    if (invited) await this.call("customer-seats:revoke_seat", "the teammate's", () => cs.revokeSeat({ seatId: invited.id }));
    await this.refusesWith("customer-seats:revoke_seat", "unknown seat -> 404", 404, () => cs.revokeSeat({ seatId: randomUUID() }));
  }

  async call(operation, check, fn) {
    try {
      const v = await fn();
      this.record(operation, check, "pass");
      return v;
    } catch (e) {
      const cause = e.cause ? ` (${String(e.cause.message ?? e.cause).slice(0, 2000)})` : "";
      this.record(operation, check, "fail", `${e.name}: ${e.message}${cause}`.slice(0, 3000));
      return null;
    }
  }

  async refuses(operation, check, name, status, fn) {
    const cls = await errorClass(name);
    try {
      await fn();
    } catch (e) {
      if (cls && !(e instanceof cls)) return this.record(operation, check, "fail", `expected ${name}, got ${e.name}: ${e.message}`.slice(0, 3000));
      if (e.statusCode !== status) return this.record(operation, check, "fail", `status ${e.statusCode}, expected ${status} (${e.name}: ${e.message})`.slice(0, 3000));
      if (!cls) return this.record(operation, check, "sdk-missing", `no ${name} error class`);
      return this.record(operation, check, "pass");
    }
    this.record(operation, check, "fail", `expected ${name}, the call succeeded`);
  }

  // Calls `obj[method]` through `call`, or records "sdk-missing" when this SDK has no such method.
  async optional(operation, check, obj, where, method, args) {
    if (typeof obj[method] !== "function") return this.record(operation, check, "sdk-missing", `no ${where}.${method}`);
    return this.call(operation, check, () => obj[method](args));
  }

  async control(p, body = {}) {
    const r = await fetch(`${BASE}/__control/${p}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    if (!r.ok) throw new Error(`control ${p}: ${r.status}`);
    return r.json();
  }

  async settle(timeoutMs = 20000) {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if ((await (await fetch(`${BASE}/__control/state`)).json()).webhooks_pending === 0) return true;
      await new Promise((ok) => setTimeout(ok, 50));
    }
    return false;
  }

  async run() {
    log(`== @polar-sh/sdk ${SDK_VERSION} (no Polar-Version header: ${VERSION})`);
    await this.control("reset");
    const p = this.polar;
    const page = await this.call("products:list", "list", () => p.products.list({ isArchived: false }));
    if (page && !page.result.items.some((x) => x.id === PRODUCT_ID)) this.record("products:list", "lists the seeded product", "fail", "missing");
    await this.call("products:get", "get", () => p.products.get({ id: PRODUCT_ID }));
    await this.refuses("products:get", "unknown id -> ResourceNotFound", "ResourceNotFound", 404, () => p.products.get({ id: randomUUID() }));
    const ep = await this.endpoint();
    const [a, b, c] = await this.customers();
    const ch = await this.checkout(a);
    const sub = await this.lifecycle(a, ch);
    await this.portal(a, sub);
    await this.benefits(a);
    await this.orders(a);
    await this.teardown(a, b, c, sub);
    await this.deliveries(ep);
    await this.validateWebhooks();
  }

  async benefits(a) {
    const p = this.polar;
    const page = await this.call("benefits:list", "list", () => p.benefits.list({}));
    const benefit = page?.result?.items?.[0];
    if (!benefit) return this.record("benefits:list", "the seeded benefit", "fail", "none");
    await this.call("benefits:get", "get", () => p.benefits.get({ id: benefit.id }));
    await this.refuses("benefits:get", "unknown id -> ResourceNotFound", "ResourceNotFound", 404, () => p.benefits.get({ id: randomUUID() }));
    await this.call("benefits:grants", "grants", () => p.benefits.grants({ id: benefit.id }));
    await this.call("benefit-grants:list", "list by customer", () => p.benefitGrants.list({ customerId: a.id }));
    const got = await this.call("events:ingest", "ingest", () => p.events.ingest({ events: [
      { name: "message.sent", customerId: a.id, metadata: { tokens: 12 } },
      { name: "message.sent", externalCustomerId: a.externalId },
    ] }));
    if (got && got.inserted !== 2) this.record("events:ingest", "inserted 2", "fail", JSON.stringify(got));
    await this.refuses("events:ingest", "unknown customer -> 422", "HTTPValidationError", 422, () => p.events.ingest({ events: [{ name: "x", customerId: randomUUID() }] }));
  }

  async endpoint() {
    const p = this.polar;
    const create = (events) => () => p.webhooks.createWebhookEndpoint({ url: `${this.hooks.url}/hooks/legacy`, format: "raw", events, name: "contract" });
    const known = await sdkEventTypes();
    const unnamed = EVENTS.filter((t) => !known.has(t));
    let ep;
    if (unnamed.length) {
      // An open enum sends the types it cannot name; a closed one refuses them before sending.
      try {
        ep = await create(EVENTS)();
        this.record("webhooks:create_webhook_endpoint", "create", "pass");
      } catch (e) {
        if (e.name !== "SDKValidationError" || !String(e.message).startsWith("Input validation failed")) {
          this.record("webhooks:create_webhook_endpoint", "create", "fail", `${e.name}: ${e.message}`.slice(0, 3000));
          return null;
        }
        this.record("webhooks:create_webhook_endpoint", "create", "sdk-defect", `closed WebhookEventType lacks ${unnamed.join(", ")}`);
        ep = await this.call("webhooks:create_webhook_endpoint", "create (the event types the SDK can name)", create(EVENTS.filter((t) => known.has(t))));
        this.unsubscribable = unnamed;
      }
    } else {
      ep = await this.call("webhooks:create_webhook_endpoint", "create", create(EVENTS));
    }
    if (!ep) return null;
    const fresh = await this.call("webhooks:reset_webhook_endpoint_secret", "reset secret", () => p.webhooks.resetWebhookEndpointSecret({ id: ep.id }));
    this.secret = (fresh ?? ep).secret;
    await this.call("webhooks:get_webhook_endpoint", "get", () => p.webhooks.getWebhookEndpoint({ id: ep.id }));
    await this.call("webhooks:update_webhook_endpoint", "update name", () => p.webhooks.updateWebhookEndpoint({ id: ep.id, webhookEndpointUpdate: { name: "contract endpoint" } }));
    await this.call("webhooks:list_webhook_endpoints", "list", () => p.webhooks.listWebhookEndpoints({}));
    return ep;
  }

  async customers() {
    const p = this.polar;
    const tag = randomUUID().slice(0, 8);
    const a = await this.call("customers:create", "create", () => p.customers.create({ email: `owner-${tag}@acme.dev`, externalId: `ws-${tag}`, name: "Olga Owner", metadata: { workspace: tag } }));
    const b = await this.call("customers:create", "create (to delete by id)", () => p.customers.create({ email: `b-${tag}@acme.dev` }));
    const c = await this.call("customers:create", "create (to delete by external id)", () => p.customers.create({ email: `c-${tag}@acme.dev`, externalId: `c-${tag}` }));
    if (!a) throw new Error("customers:create failed; nothing else can run");
    await this.refuses("customers:create", "duplicate email -> 422", "HTTPValidationError", 422, () => p.customers.create({ email: a.email }));
    await this.call("customers:get", "get", () => p.customers.get({ id: a.id }));
    await this.call("customers:get_external", "get by external id", () => p.customers.getExternal({ externalId: a.externalId }));
    await this.refuses("customers:get_external", "unknown external id -> ResourceNotFound", "ResourceNotFound", 404, () => p.customers.getExternal({ externalId: "nobody" }));
    await this.call("customers:update", "update name", () => p.customers.update({ id: a.id, customerUpdate: { name: "Olga O." } }));
    await this.call("customers:update_external", "update metadata", () => p.customers.updateExternal({ externalId: a.externalId, customerUpdateExternalID: { metadata: { workspace: tag, plan: "pro" } } }));
    const found = await this.call("customers:list", "list by email", () => p.customers.list({ email: a.email }));
    if (found && (found.result.items.length !== 1 || found.result.items[0].id !== a.id)) this.record("customers:list", "finds exactly the customer", "fail", "wrong items");
    return [a, b, c];
  }

  async checkout(a) {
    const p = this.polar;
    const ch = await this.call("checkouts:create", "create (3 seats, external customer)", () => p.checkouts.create({
      products: [PRODUCT_ID], seats: 3, externalCustomerId: a.externalId,
      successUrl: "https://app.example.com/new?billing=success&checkout_id={CHECKOUT_ID}", metadata: { workspace: a.externalId },
    }));
    if (!ch) throw new Error("checkouts:create failed; nothing else can run");
    if (ch.amount !== 6000 || ch.seats !== 3 || ch.customerId !== a.id) this.record("checkouts:create", "amount, seats, customer", "fail", JSON.stringify([ch.amount, ch.seats, ch.customerId]));
    await this.call("checkouts:get", "get", () => p.checkouts.get({ id: ch.id }));
    await this.call("checkouts:list", "list by customer", () => p.checkouts.list({ customerId: a.id }));
    await this.call("checkouts:client_get", "client get", () => p.checkouts.clientGet({ clientSecret: ch.clientSecret }));
    const up = await this.call("checkouts:client_update", "client update seats", () => p.checkouts.clientUpdate({ clientSecret: ch.clientSecret, checkoutUpdatePublic: { seats: 4 } }));
    if (up && up.amount !== 8000) this.record("checkouts:client_update", "amount follows seats", "fail", String(up.amount));
    const buyer = { customerName: "Olga Owner", customerBillingAddress: { country: "DE" } };
    await this.refuses("checkouts:client_confirm", "declined card -> PaymentError", "PaymentError", 400,
      () => p.checkouts.clientConfirm({ clientSecret: ch.clientSecret, checkoutConfirmStripe: { ...buyer, confirmationTokenId: "pm_card_chargeDeclined" } }));
    const done = await this.call("checkouts:client_confirm", "confirm",
      () => p.checkouts.clientConfirm({ clientSecret: ch.clientSecret, checkoutConfirmStripe: { ...buyer, confirmationTokenId: "pm_card_visa" } }));
    if (done && !done.customerSessionToken.startsWith("polar_cst_")) this.record("checkouts:client_confirm", "session token", "fail", done.customerSessionToken);
    return ch;
  }

  async lifecycle(a) {
    const p = this.polar;
    const subs = await this.call("subscriptions:list", "list by external customer", () => p.subscriptions.list({ externalCustomerId: a.externalId }));
    if (!subs || subs.result.items.length !== 1) throw new Error("no subscription after checkout; nothing else can run");
    const sub = subs.result.items[0];
    await this.call("subscriptions:get", "get", () => p.subscriptions.get({ id: sub.id }));
    await this.seats(sub, a);
    await this.call("customers:get_state", "state (active subscription)", () => p.customers.getState({ id: a.id }));
    await this.call("customers:get_state_external", "state by external id (active subscription)", () => p.customers.getStateExternal({ externalId: a.externalId }));
    await this.optional("customers:list_payment_methods", "payment methods", p.customers, "p.customers", "listPaymentMethods", { id: a.id });
    await this.optional("customers:list_payment_methods_external", "payment methods by external id", p.customers, "p.customers", "listPaymentMethodsExternal", { externalId: a.externalId });
    const up = (body) => () => p.subscriptions.update({ id: sub.id, subscriptionUpdate: body });
    const five = await this.call("subscriptions:update", "seats 4 -> 5", up({ seats: 5 }));
    if (five && five.amount !== 10000) this.record("subscriptions:update", "amount follows seats", "fail", String(five.amount));
    await this.call("subscriptions:update", "cancel at period end", up({ cancelAtPeriodEnd: true, customerCancellationReason: "too_expensive" }));
    await this.call("subscriptions:update", "uncancel", up({ cancelAtPeriodEnd: false }));
    // A paid renewal cycles the seat holder's grant (benefit_grant.cycled), then one that fails.
    await this.control("advance-period", { subscription_id: sub.id });
    await this.control("next-charge", { outcome: "fail" });
    await this.control("advance-period", { subscription_id: sub.id });
    return sub;
  }

  async portal(a, sub) {
    const p = this.polar;
    const session = await this.call("customer-sessions:create", "by customer id", () => p.customerSessions.create({ customerId: a.id, returnUrl: "https://app.example.com/settings" }));
    await this.call("customer-sessions:create", "by external id", () => p.customerSessions.create({ externalCustomerId: a.externalId }));
    if (!session) return;
    const sec = { customerSession: session.token };
    const cp = p.customerPortal;
    await this.call("customer_portal:customer-session:introspect", "introspect", () => cp.customerSession.introspect(sec));
    await this.call("customer_portal:customers:get", "me", () => cp.customers.get(sec));
    await this.call("customer_portal:customers:list_payment_methods", "payment methods", () => cp.customers.listPaymentMethods(sec, {}));
    const back = { setDefault: true, returnUrl: "https://app.example.com/settings" };
    await this.refuses("customer_portal:customers:add_payment_method", "declined -> PaymentMethodSetupFailed", "PaymentMethodSetupFailed", 400,
      () => cp.customers.addPaymentMethod(sec, { ...back, confirmationTokenId: "pm_card_chargeDeclined" }));
    await this.call("customer_portal:customers:add_payment_method", "new card recovers the past-due subscription",
      () => cp.customers.addPaymentMethod(sec, { ...back, confirmationTokenId: "pm_card_visa" }));
    // A second card, saved without becoming the default, made the default, then deleted.
    const spare = await this.call("customer_portal:customers:add_payment_method", "a second card, not the default",
      () => cp.customers.addPaymentMethod(sec, { ...back, setDefault: false, confirmationTokenId: "pm_card_visa" }));
    const spareId = spare?.paymentMethod?.id;
    if (spareId) {
      await this.call("customer_portal:customers:update", "the second card becomes the default",
        () => cp.customers.update(sec, { defaultPaymentMethodId: spareId }));
      await this.call("customer_portal:customers:delete_payment_method", "delete the second card",
        () => cp.customers.deletePaymentMethod(sec, { id: spareId }));
    }
    await this.refuses("customer_portal:customers:delete_payment_method", "unknown card -> ResourceNotFound", "ResourceNotFound", 404,
      () => cp.customers.deletePaymentMethod(sec, { id: randomUUID() }));
    await this.call("customer_portal:subscriptions:list", "list", () => cp.subscriptions.list(sec, {}));
    // Tegy Pro is seat-based: Polar grants its benefit through claimed seats, which the mock does not model.
    const grants = await this.call("customer_portal:benefit-grants:list", "list (none for a seat-based product)", () => cp.benefitGrants.list(sec, {}));
    if (grants && grants.result.items.length !== 0) this.record("customer_portal:benefit-grants:list", "no grants", "fail", "grants listed");
    await this.refuses("customer_portal:benefit-grants:get", "unknown grant -> ResourceNotFound", "ResourceNotFound", 404, () => cp.benefitGrants.get(sec, { id: randomUUID() }));
    await this.call("customer_portal:customer_meters:list", "list (no meters)", () => cp.customerMeters.list(sec, {}));
    // The new default card's retry is a background job, as Polar enqueues it: the
    // subscription turns active a moment after the card was saved.
    await recovered(() => cp.subscriptions.get(sec, { id: sub.id }));
    await this.call("customer_portal:subscriptions:get", "get (recovered)", () => cp.subscriptions.get(sec, { id: sub.id }));
    const upd = (body) => () => cp.subscriptions.update(sec, { id: sub.id, customerSubscriptionUpdate: body });
    await this.call("customer_portal:subscriptions:update", "cancel at period end", upd({ cancelAtPeriodEnd: true }));
    await this.call("customer_portal:subscriptions:update", "uncancel", upd({ cancelAtPeriodEnd: false }));
    await this.call("customer_portal:subscriptions:cancel", "cancel (DELETE, at period end)", () => cp.subscriptions.cancel(sec, { id: sub.id }));
    await this.call("subscriptions:update", "uncancel after the portal's cancel", () => p.subscriptions.update({ id: sub.id, subscriptionUpdate: { cancelAtPeriodEnd: false } }));
    const orders = await this.call("customer_portal:orders:list", "list", () => cp.orders.list(sec, {}));
    const first = orders?.result?.items?.[0];
    if (first) await this.call("customer_portal:orders:get", "get", () => cp.orders.get(sec, { id: first.id }));
    // Every order is paid by now: a retry is refused, as Polar refuses it.
    if (first) await this.refuses("customer_portal:orders:confirm_retry_payment", "a paid order -> OrderNotEligibleForRetry", "OrderNotEligibleForRetry", 422,
      () => cp.orders.confirmRetryPayment(sec, { id: first.id, customerOrderConfirmPayment: { confirmationTokenId: "pm_card_visa", paymentProcessor: "stripe" } }));
  }

  async orders(a) {
    const p = this.polar;
    const orders = await this.call("orders:list", "list by customer", () => p.orders.list({ customerId: a.id }));
    const items = orders?.result?.items ?? [];
    if (!items.length) return this.record("orders:list", "has orders", "fail", "none");
    const paid = items.find((o) => o.status === "paid") ?? items[0];
    await this.call("orders:get", "get", () => p.orders.get({ id: paid.id }));
    await this.call("orders:generate_invoice", "generate invoice", () => p.orders.generateInvoice({ id: paid.id }));
    await this.call("orders:invoice", "invoice URL", () => p.orders.invoice({ id: paid.id }));
  }

  async teardown(a, b, c, sub) {
    const p = this.polar;
    await this.call("subscriptions:revoke", "revoke", () => p.subscriptions.revoke({ id: sub.id }));
    await this.refuses("subscriptions:revoke", "revoke twice -> AlreadyCanceledSubscription", "AlreadyCanceledSubscription", 403, () => p.subscriptions.revoke({ id: sub.id }));
    await this.call("customers:get_state", "state (no active subscription)", () => p.customers.getState({ id: a.id }));
    if (b) await this.call("customers:delete", "delete", () => p.customers.delete({ id: b.id }));
    if (c) await this.call("customers:delete_external", "delete by external id", () => p.customers.deleteExternal({ externalId: c.externalId }));
  }

  async deliveries(ep) {
    const p = this.polar;
    if (!ep) return;
    await this.settle();
    const page = await this.call("webhooks:list_webhook_deliveries", "list", () => p.webhooks.listWebhookDeliveries({ endpointId: ep.id, limit: 100 }));
    const items = page?.result?.items ?? [];
    if (!items.length) return this.record("webhooks:list_webhook_deliveries", "has deliveries", "fail", "none");
    const first = items.find((d) => d.webhookEvent.type === "checkout.created") ?? items[items.length - 1];
    await this.call("webhooks:redeliver_webhook_event", "redeliver", () => p.webhooks.redeliverWebhookEvent({ id: first.webhookEvent.id }));
    await this.settle();
    await this.call("webhooks:delete_webhook_endpoint", "delete", () => p.webhooks.deleteWebhookEndpoint({ id: ep.id }));
  }

  async validateWebhooks() {
    if (!(await this.settle())) this.record("webhooks", "all delivered", "fail", "deliveries still pending");
    const byType = new Map();
    for (const r of this.hooks.requests) {
      const kind = JSON.parse(r.body).type;
      const e = byType.get(kind) ?? { count: 0, unknown: 0, fail: [] };
      byType.set(kind, e);
      e.count++;
      try {
        const event = validateEvent(r.body, r.headers, this.secret);
        if (event.type !== kind) e.fail.push(`type ${event.type}`);
      } catch (err) {
        if (err instanceof WebhookVerificationError) e.fail.push(`signature: ${err.message}`);
        else if (err instanceof SDKValidationError && String(err.cause?.message ?? "").startsWith("Unknown event type")) e.unknown++;
        else e.fail.push(`${err.name}: ${err.message} ${String(err.cause?.message ?? "").slice(0, 2000)}`);
      }
    }
    for (const kind of this.unsubscribable ?? []) {
      this.webhooks.push({ version: VERSION, type: kind, outcome: "sdk-unsubscribable", count: 0, detail: `closed WebhookEventType lacks ${kind}` });
      log(`  ${VERSION} webhook ${kind}: sdk-unsubscribable`);
    }
    for (const [kind, e] of [...byType].sort()) {
      const outcome = e.fail.length ? "fail" : e.unknown ? "sdk-unknown-type" : "pass";
      this.webhooks.push({ version: VERSION, type: kind, outcome, count: e.count, detail: e.fail[0] ?? (e.unknown ? `@polar-sh/sdk ${SDK_VERSION} does not know ${kind}` : null) });
      if (outcome !== "pass") log(`  ${VERSION} webhook ${kind}: ${outcome}: ${e.fail[0] ?? ""}`);
    }
  }
}

async function main() {
  const requests = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(204).end();
    });
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const run = new Run({ url: `http://127.0.0.1:${server.address().port}`, requests });
  try {
    await run.run();
  } finally {
    server.close();
  }
  const failed = [...run.results, ...run.webhooks].filter((x) => x.outcome === "fail").length;
  log(`@polar-sh/sdk ${SDK_VERSION}: ${run.results.length} checks, ${run.webhooks.length} webhook types, ${failed} failed`);
  console.log(JSON.stringify({ sdk: `@polar-sh/sdk ${SDK_VERSION}`, results: run.results, webhooks: run.webhooks, known_sdk_defects: [] }));
  process.exitCode = failed ? 1 : 0;
}

await main();

/** Polls `get` (a subscription) for up to 5 s until it is active. */
async function recovered(get) {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const s = await get().catch(() => null);
    if (s && s.status === "active") return;
    await new Promise((r) => setTimeout(r, 100));
  }
}
