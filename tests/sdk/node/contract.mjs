// Contract test: the mock against Polar's official TypeScript SDK, @polar-sh/sdk 1.x, in
// every API version it ships (entry points @polar-sh/sdk/2026-04, /2026-10, /2027-01).
//
// The 1.x client does not validate answers at run time: its models are the TypeScript types
// it ships. So every answer (and every error body, and every webhook after
// `webhooks.validateEvent` has verified its signature) is recorded with the SDK type it must
// satisfy — the method's own return type — and the TypeScript compiler then checks all of
// them as object literals (missing fields, wrong types, unknown enum values and fields the SDK
// does not declare are all errors).
//
// Run by tests/sdk_contract.rs with Node >= 22 from a directory whose node_modules holds the
// packages of tests/sdk/node/package.json (scripts/setup.sh installs them in .tools/sdk-node).
// Arguments: BASE_URL TOKEN PRODUCT_ID. Progress on stderr, one JSON report on stdout (the
// same shape as tests/sdk/python/contract.py's).

import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { PolarServerError } from "@polar-sh/sdk";

const VERSIONS = ["2026-04", "2026-10", "2027-01"];
const [BASE, TOKEN, PRODUCT_ID] = process.argv.slice(2);
// The package's exports map hides package.json; read it from the node_modules directory.
const SDK_VERSION = JSON.parse(readFileSync(path.resolve("node_modules/@polar-sh/sdk/package.json"), "utf8")).version;

// @polar-sh/sdk 1.x types CustomerStateSubscription.status as `Status`, the literal
// "granted" | "disabled" of RotatedLicenseKey (two schemas titled "Status" collided in the
// generator). Polar sends "active" | "trialing", as its OpenAPI document and SDK 0.x say.
const STATUS_COLLISION = "CustomerStateSubscription.status typed 'granted' | 'disabled' (Status collision)";

const EVENTS = [
  "checkout.created", "checkout.updated", "customer.created", "customer.updated",
  "customer.deleted", "customer.state_changed", "order.created", "order.updated", "order.paid",
  "subscription.created", "subscription.updated", "subscription.active", "subscription.canceled",
  "subscription.uncanceled", "subscription.cycled", "subscription.revoked", "subscription.past_due",
  "customer_seat.assigned", "customer_seat.claimed", "customer_seat.revoked",
  "benefit_grant.created", "benefit_grant.cycled", "benefit_grant.revoked",
];

const log = (...a) => console.error(...a);

/** Collects webhook requests on 127.0.0.1. */
async function receiver() {
  const requests = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      requests.push({ path: req.url, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(204).end();
    });
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return { url: `http://127.0.0.1:${server.address().port}`, requests, close: () => server.close() };
}

class VersionRun {
  constructor(version, sdk, hooks) {
    this.version = version;
    this.sdk = sdk;
    this.hooks = hooks;
    this.hookPath = `/hooks/${version}`;
    this.polar = sdk.createPolar({ accessToken: TOKEN, baseUrl: BASE });
    this.results = [];
    this.webhooks = [];
    this.typed = []; // {result, type, value, fix?}
  }

  record(operation, check, outcome, detail = null) {
    const r = { version: this.version, operation, check, outcome, detail };
    this.results.push(r);
    if (outcome !== "pass") log(`  ${this.version} ${operation} [${check}]: ${outcome}: ${detail}`);
    return r;
  }

  /** An SDK call that must succeed; its answer must satisfy `type` (a TS type expression). */
  async call(operation, check, type, fn, fix = null) {
    let value;
    try {
      value = await fn();
    } catch (e) {
      this.record(operation, check, "fail", `${e.name}: ${e.message}`.slice(0, 3000));
      return null;
    }
    const r = this.record(operation, check, "pass");
    if (type) this.typed.push({ result: r, type, value, fix });
    return value;
  }

  /** An SDK call that must throw the SDK's `errorClass` with `status`; the error body must
   * satisfy the class's `error` type. */
  async refuses(operation, check, errorName, status, fn) {
    const cls = this.sdk.errors[errorName];
    try {
      await fn();
    } catch (e) {
      if (!(e instanceof cls)) {
        this.record(operation, check, "fail", `expected ${errorName}, got ${e.name}: ${e.message}`.slice(0, 3000));
        return null;
      }
      if (e.statusCode !== status) {
        this.record(operation, check, "fail", `status ${e.statusCode}, expected ${status}`);
        return null;
      }
      const r = this.record(operation, check, "pass");
      this.typed.push({ result: r, type: `InstanceType<typeof errors.${errorName}>["error"]`, value: e.error });
      return e;
    }
    this.record(operation, check, "fail", `expected ${errorName}, the call succeeded`);
    return null;
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
   * (customer_seat.revoked); an unknown seat is 404. The buyer's grant is revoked when the
   * subscription falls past due (benefit_grant.revoked). */
  async seats(sub, a) {
    const cs = this.polar.customerSeats;
    const T = `R<Polar["customerSeats"]["assignSeat"]>`;
    const mine = await this.call("customer-seats:assign_seat", "the buyer, claimed at once", T,
      () => cs.assignSeat({ subscription_id: sub.id, email: a.email, immediate_claim: true }));
    if (mine && mine.status !== "claimed") this.record("customer-seats:assign_seat", "claimed", "fail", mine.status);
    const invited = await this.call("customer-seats:assign_seat", "a teammate, invited", T,
      () => cs.assignSeat({ subscription_id: sub.id, email: "teammate@acme.dev" }));
    if (invited && invited.status !== "pending") this.record("customer-seats:assign_seat", "pending", "fail", invited.status);
    const list = await this.call("customer-seats:list_seats", "both seats", `R<Polar["customerSeats"]["listSeats"]>`,
      () => cs.listSeats({ subscription_id: sub.id }));
    if (list && list.seats.length !== 2) this.record("customer-seats:list_seats", "two seats", "fail", String(list.seats.length));
    if (invited) await this.call("customer-seats:revoke_seat", "the teammate's", `R<Polar["customerSeats"]["revokeSeat"]>`, () => cs.revokeSeat(invited.id));
    await this.refusesWith("customer-seats:revoke_seat", "unknown seat -> 404", 404, () => cs.revokeSeat(randomUUID()));
  }

  async control(p, body = {}) {
    const r = await fetch(`${BASE}/__control/${p}`, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
    });
    if (!r.ok) throw new Error(`control ${p}: ${r.status}`);
    return r.json();
  }

  async settle(timeoutMs = 20000) {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const s = await (await fetch(`${BASE}/__control/state`)).json();
      if (s.webhooks_pending === 0) return true;
      await new Promise((ok) => setTimeout(ok, 50));
    }
    return false;
  }

  async run() {
    log(`== @polar-sh/sdk ${SDK_VERSION}, Polar-Version ${this.version}`);
    await this.control("reset");
    await this.products();
    const ep = await this.webhookEndpoint();
    const [a, b, c] = await this.customers();
    const ch = await this.checkout(a);
    const sub = await this.subscriptionLifecycle(a, ch);
    await this.portal(a, sub);
    await this.benefits(a);
    await this.orders(a);
    await this.teardown(a, b, c, sub);
    await this.deliveries(ep);
    await this.notModelled();
    await this.validateWebhooks();
  }

  async products() {
    const p = this.polar;
    const page = await this.call("products:list", "list", `R<Polar["products"]["list"]>`, () => p.products.list({ is_archived: false }));
    if (page && !page.items.some((x) => x.id === PRODUCT_ID)) this.record("products:list", "lists the seeded product", "fail", "missing");
    const all = [];
    await this.call("products:list", "iterList", `RI<Polar["products"]["iterList"]>[]`, async () => {
      for await (const x of p.products.iterList({ limit: 1 })) all.push(x);
      return all;
    });
    await this.call("products:get", "get", `R<Polar["products"]["get"]>`, () => p.products.get(PRODUCT_ID));
    await this.refuses("products:get", "unknown id -> ResourceNotFound", "ResourceNotFound", 404, () => p.products.get(randomUUID()));
  }

  async benefits(a) {
    const p = this.polar;
    const page = await this.call("benefits:list", "list", `R<Polar["benefits"]["list"]>`, () => p.benefits.list());
    const benefit = page?.items?.[0];
    if (!benefit) return this.record("benefits:list", "the seeded benefit", "fail", "none");
    await this.call("benefits:get", "get", `R<Polar["benefits"]["get"]>`, () => p.benefits.get(benefit.id));
    await this.refuses("benefits:get", "unknown id -> ResourceNotFound", "ResourceNotFound", 404, () => p.benefits.get(randomUUID()));
    await this.call("benefits:grants", "grants", `R<Polar["benefits"]["grants"]>`, () => p.benefits.grants(benefit.id));
    await this.call("benefit-grants:list", "list by customer", `R<Polar["benefitGrants"]["list"]>`, () => p.benefitGrants.list({ customer_id: a.id }));
    const ingested = await this.call("events:ingest", "ingest", `R<Polar["events"]["ingest"]>`, () => p.events.ingest({ events: [
      { name: "message.sent", customer_id: a.id, metadata: { tokens: 12 } },
      { name: "message.sent", external_customer_id: a.external_id },
    ] }));
    if (ingested && ingested.inserted !== 2) this.record("events:ingest", "inserted 2", "fail", JSON.stringify(ingested));
    await this.refuses("events:ingest", "unknown customer -> 422", "HTTPValidationError", 422, () => p.events.ingest({ events: [{ name: "x", customer_id: randomUUID() }] }));
  }

  async webhookEndpoint() {
    const p = this.polar;
    const ep = await this.call("webhooks:create_webhook_endpoint", "create", `R<Polar["webhooks"]["createWebhookEndpoint"]>`,
      () => p.webhooks.createWebhookEndpoint({ url: this.hooks.url + this.hookPath, format: "raw", events: EVENTS, name: "contract" }));
    if (!ep) return null;
    if (ep.api_version !== this.version) this.record("webhooks:create_webhook_endpoint", "api_version is the request's", "fail", ep.api_version);
    const fresh = await this.call("webhooks:reset_webhook_endpoint_secret", "reset secret", `R<Polar["webhooks"]["resetWebhookEndpointSecret"]>`,
      () => p.webhooks.resetWebhookEndpointSecret(ep.id));
    this.secret = (fresh ?? ep).secret;
    await this.call("webhooks:get_webhook_endpoint", "get", `R<Polar["webhooks"]["getWebhookEndpoint"]>`, () => p.webhooks.getWebhookEndpoint(ep.id));
    await this.call("webhooks:update_webhook_endpoint", "update name", `R<Polar["webhooks"]["updateWebhookEndpoint"]>`,
      () => p.webhooks.updateWebhookEndpoint(ep.id, { name: "contract endpoint" }));
    await this.call("webhooks:list_webhook_endpoints", "list", `R<Polar["webhooks"]["listWebhookEndpoints"]>`, () => p.webhooks.listWebhookEndpoints());
    return ep;
  }

  async customers() {
    const p = this.polar;
    const tag = randomUUID().slice(0, 8);
    const T = `R<Polar["customers"]["create"]>`;
    const a = await this.call("customers:create", "create", T,
      () => p.customers.create({ email: `owner-${tag}@acme.dev`, external_id: `ws-${tag}`, name: "Olga Owner", metadata: { workspace: tag } }));
    const b = await this.call("customers:create", "create (to delete by id)", T, () => p.customers.create({ email: `b-${tag}@acme.dev` }));
    const c = await this.call("customers:create", "create (to delete by external id)", T,
      () => p.customers.create({ email: `c-${tag}@acme.dev`, external_id: `c-${tag}` }));
    if (!a) throw new Error("customers:create failed; nothing else can run");
    await this.refuses("customers:create", "duplicate email -> 422", "HTTPValidationError", 422, () => p.customers.create({ email: a.email }));
    await this.call("customers:get", "get", `R<Polar["customers"]["get"]>`, () => p.customers.get(a.id));
    await this.call("customers:get_external", "get by external id", `R<Polar["customers"]["getExternal"]>`, () => p.customers.getExternal(a.external_id));
    await this.refuses("customers:get_external", "unknown external id -> ResourceNotFound", "ResourceNotFound", 404, () => p.customers.getExternal("nobody"));
    await this.call("customers:update", "update name", `R<Polar["customers"]["update"]>`, () => p.customers.update(a.id, { name: "Olga O." }));
    await this.call("customers:update_external", "update metadata", `R<Polar["customers"]["updateExternal"]>`,
      () => p.customers.updateExternal(a.external_id, { metadata: { workspace: tag, plan: "pro" } }));
    const found = await this.call("customers:list", "list by email", `R<Polar["customers"]["list"]>`, () => p.customers.list({ email: a.email }));
    if (found && (found.items.length !== 1 || found.items[0].id !== a.id)) this.record("customers:list", "finds exactly the customer", "fail", JSON.stringify(found.items.map((x) => x.id)));
    return [a, b, c];
  }

  async checkout(a) {
    const p = this.polar;
    const ch = await this.call("checkouts:create", "create (3 seats, external customer)", `R<Polar["checkouts"]["create"]>`, () => p.checkouts.create({
      products: [PRODUCT_ID], seats: 3, external_customer_id: a.external_id,
      success_url: "https://app.example.com/new?billing=success&checkout_id={CHECKOUT_ID}", metadata: { workspace: a.external_id },
    }));
    if (!ch) throw new Error("checkouts:create failed; nothing else can run");
    if (ch.amount !== 6000 || ch.seats !== 3 || ch.customer_id !== a.id) this.record("checkouts:create", "amount, seats, customer", "fail", JSON.stringify([ch.amount, ch.seats, ch.customer_id]));
    await this.call("checkouts:get", "get", `R<Polar["checkouts"]["get"]>`, () => p.checkouts.get(ch.id));
    await this.call("checkouts:list", "list by customer", `R<Polar["checkouts"]["list"]>`, () => p.checkouts.list({ customer_id: a.id }));
    await this.call("checkouts:client_get", "client get", `R<Polar["checkouts"]["clientGet"]>`, () => p.checkouts.clientGet(ch.client_secret));
    const up = await this.call("checkouts:client_update", "client update seats", `R<Polar["checkouts"]["clientUpdate"]>`, () => p.checkouts.clientUpdate(ch.client_secret, { seats: 4 }));
    if (up && up.amount !== 8000) this.record("checkouts:client_update", "amount follows seats", "fail", String(up.amount));
    const buyer = { customer_name: "Olga Owner", customer_billing_address: { country: "DE" } };
    await this.refuses("checkouts:client_confirm", "declined card -> PaymentError", "PaymentError", 400,
      () => p.checkouts.clientConfirm(ch.client_secret, { ...buyer, confirmation_token_id: "pm_card_chargeDeclined" }));
    const done = await this.call("checkouts:client_confirm", "confirm", `R<Polar["checkouts"]["clientConfirm"]>`,
      () => p.checkouts.clientConfirm(ch.client_secret, { ...buyer, confirmation_token_id: "pm_card_visa" }));
    if (done && !done.customer_session_token.startsWith("polar_cst_")) this.record("checkouts:client_confirm", "session token", "fail", done.customer_session_token);
    await this.refuses("checkouts:client_confirm", "confirmed twice -> 403", "CheckoutsClientConfirm403Error", 403,
      () => p.checkouts.clientConfirm(ch.client_secret, { ...buyer, confirmation_token_id: "pm_card_visa" }));
    return ch;
  }

  async subscriptionLifecycle(a) {
    const p = this.polar;
    const subs = await this.call("subscriptions:list", "list by external customer", `R<Polar["subscriptions"]["list"]>`,
      () => p.subscriptions.list({ external_customer_id: a.external_id }));
    if (!subs || subs.items.length !== 1) throw new Error("no subscription after checkout; nothing else can run");
    const sub = subs.items[0];
    if (sub.status !== "active" || sub.seats !== 4 || sub.amount !== 8000) this.record("subscriptions:list", "active, 4 seats, 8000", "fail", JSON.stringify([sub.status, sub.seats, sub.amount]));
    await this.call("subscriptions:get", "get", `R<Polar["subscriptions"]["get"]>`, () => p.subscriptions.get(sub.id));
    await this.seats(sub, a);
    await this.call("customers:get_state", "state (active subscription)", `R<Polar["customers"]["getState"]>`, () => p.customers.getState(a.id), "state");
    await this.call("customers:get_state_external", "state by external id (active subscription)", `R<Polar["customers"]["getStateExternal"]>`,
      () => p.customers.getStateExternal(a.external_id), "state");
    await this.call("customers:list_payment_methods", "payment methods", `R<Polar["customers"]["listPaymentMethods"]>`, () => p.customers.listPaymentMethods(a.id));
    await this.call("customers:list_payment_methods_external", "payment methods by external id", `R<Polar["customers"]["listPaymentMethodsExternal"]>`,
      () => p.customers.listPaymentMethodsExternal(a.external_id));
    const T = `R<Polar["subscriptions"]["update"]>`;
    const five = await this.call("subscriptions:update", "seats 4 -> 5", T, () => p.subscriptions.update(sub.id, { seats: 5 }));
    if (five && five.amount !== 10000) this.record("subscriptions:update", "amount follows seats", "fail", String(five.amount));
    await this.call("subscriptions:update", "cancel at period end", T,
      () => p.subscriptions.update(sub.id, { cancel_at_period_end: true, customer_cancellation_reason: "too_expensive" }));
    await this.refuses("subscriptions:update", "cancel twice -> 403", "SubscriptionsUpdate403Error", 403, () => p.subscriptions.update(sub.id, { cancel_at_period_end: true }));
    await this.call("subscriptions:update", "uncancel", T, () => p.subscriptions.update(sub.id, { cancel_at_period_end: false }));
    // A paid renewal cycles the seat holder's grant (benefit_grant.cycled), then one that fails.
    await this.control("advance-period", { subscription_id: sub.id });
    await this.control("next-charge", { outcome: "fail" });
    const out = await this.control("advance-period", { subscription_id: sub.id });
    if (out.subscriptions[0].status !== "past_due") this.record("subscriptions:update", "renewal fails -> past_due", "fail", JSON.stringify(out));
    return sub;
  }

  async portal(a, sub) {
    const p = this.polar;
    const session = await this.call("customer-sessions:create", "by customer id", `R<Polar["customerSessions"]["create"]>`,
      () => p.customerSessions.create({ customer_id: a.id, return_url: "https://app.example.com/settings" }));
    await this.call("customer-sessions:create", "by external id", `R<Polar["customerSessions"]["create"]>`,
      () => p.customerSessions.create({ external_customer_id: a.external_id }));
    if (!session) return;
    const cp = this.sdk.createPolar({ accessToken: session.token, baseUrl: BASE }).customerPortal;
    const P = (s, m) => `R<Polar["customerPortal"]["${s}"]["${m}"]>`;
    await this.call("customer_portal:customer-session:introspect", "introspect", P("customerSession", "introspect"), () => cp.customerSession.introspect());
    await this.call("customer_portal:customers:get", "me", P("customers", "get"), () => cp.customers.get());
    await this.call("customer_portal:customers:list_payment_methods", "payment methods", P("customers", "listPaymentMethods"), () => cp.customers.listPaymentMethods());
    const back = { set_default: true, return_url: "https://app.example.com/settings" };
    await this.refuses("customer_portal:customers:add_payment_method", "declined -> PaymentMethodSetupFailed", "PaymentMethodSetupFailed", 400,
      () => cp.customers.addPaymentMethod({ ...back, confirmation_token_id: "pm_card_chargeDeclined" }));
    await this.call("customer_portal:customers:add_payment_method", "new card recovers the past-due subscription", P("customers", "addPaymentMethod"),
      () => cp.customers.addPaymentMethod({ ...back, confirmation_token_id: "pm_card_visa" }));
    // A second card, saved without becoming the default, made the default, then deleted.
    const spare = await this.call("customer_portal:customers:add_payment_method", "a second card, not the default", P("customers", "addPaymentMethod"),
      () => cp.customers.addPaymentMethod({ ...back, set_default: false, confirmation_token_id: "pm_card_visa" }));
    const spareId = spare?.payment_method?.id;
    if (spareId) {
      const me = await this.call("customer_portal:customers:update", "the second card becomes the default", P("customers", "update"),
        () => cp.customers.update({ default_payment_method_id: spareId }));
      if (me && me.default_payment_method_id !== spareId) this.record("customer_portal:customers:update", "default is the second card", "fail", String(me.default_payment_method_id));
      await this.call("customer_portal:customers:delete_payment_method", "delete the second card", null, () => cp.customers.deletePaymentMethod(spareId));
    }
    await this.refuses("customer_portal:customers:delete_payment_method", "unknown card -> ResourceNotFound", "ResourceNotFound", 404,
      () => cp.customers.deletePaymentMethod(randomUUID()));
    await this.call("customer_portal:subscriptions:list", "list", P("subscriptions", "list"), () => cp.subscriptions.list());
    // Tegy Pro is seat-based: Polar grants its benefit through claimed seats, which the mock does not model.
    const grants = await this.call("customer_portal:benefit-grants:list", "list (none for a seat-based product)", P("benefitGrants", "list"), () => cp.benefitGrants.list());
    if (grants && grants.items.length !== 0) this.record("customer_portal:benefit-grants:list", "no grants", "fail", JSON.stringify(grants.items));
    await this.refuses("customer_portal:benefit-grants:get", "unknown grant -> ResourceNotFound", "ResourceNotFound", 404, () => cp.benefitGrants.get(randomUUID()));
    await this.call("customer_portal:customer_meters:list", "list (no meters)", P("customerMeters", "list"), () => cp.customerMeters.list());
    // The new default card's retry is a background job, as Polar enqueues it: the
    // subscription turns active a moment after the card was saved.
    await recovered(() => cp.subscriptions.get(sub.id));
    const got = await this.call("customer_portal:subscriptions:get", "get (recovered)", P("subscriptions", "get"), () => cp.subscriptions.get(sub.id));
    if (got && got.status !== "active") this.record("customer_portal:subscriptions:get", "active after recovery", "fail", got.status);
    await this.call("customer_portal:subscriptions:update", "cancel at period end", P("subscriptions", "update"), () => cp.subscriptions.update(sub.id, { cancel_at_period_end: true }));
    await this.call("customer_portal:subscriptions:update", "uncancel", P("subscriptions", "update"), () => cp.subscriptions.update(sub.id, { cancel_at_period_end: false }));
    await this.call("customer_portal:subscriptions:cancel", "cancel (DELETE, at period end)", P("subscriptions", "cancel"), () => cp.subscriptions.cancel(sub.id));
    await this.call("subscriptions:update", "uncancel after the portal's cancel", `R<Polar["subscriptions"]["update"]>`, () => p.subscriptions.update(sub.id, { cancel_at_period_end: false }));
    const orders = await this.call("customer_portal:orders:list", "list", P("orders", "list"), () => cp.orders.list());
    if (orders?.items?.length) await this.call("customer_portal:orders:get", "get", P("orders", "get"), () => cp.orders.get(orders.items[0].id));
    // Every order is paid by now: a retry is refused, as Polar refuses it.
    if (orders?.items?.length) await this.refuses("customer_portal:orders:confirm_retry_payment", "a paid order -> OrderNotEligibleForRetry", "OrderNotEligibleForRetry", 422,
      () => cp.orders.confirmRetryPayment(orders.items[0].id, { confirmation_token_id: "pm_card_visa", payment_processor: "stripe" }));
  }

  async orders(a) {
    const p = this.polar;
    const orders = await this.call("orders:list", "list by customer", `R<Polar["orders"]["list"]>`, () => p.orders.list({ customer_id: a.id }));
    if (!orders?.items?.length) return this.record("orders:list", "has orders", "fail", "none");
    const paid = orders.items.find((o) => o.status === "paid") ?? orders.items[0];
    await this.call("orders:get", "get", `R<Polar["orders"]["get"]>`, () => p.orders.get(paid.id));
    await this.call("orders:generate_invoice", "generate invoice", `R<Polar["orders"]["generateInvoice"]>`, () => p.orders.generateInvoice(paid.id));
    const inv = await this.call("orders:invoice", "invoice URL", `R<Polar["orders"]["invoice"]>`, () => p.orders.invoice(paid.id));
    if (inv) {
      const pdf = await fetch(inv.url);
      const head = Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString();
      if (pdf.status !== 200 || head !== "%PDF-") this.record("orders:invoice", "the URL serves a PDF", "fail", `${pdf.status} ${head}`);
    }
  }

  async teardown(a, b, c, sub) {
    const p = this.polar;
    const gone = await this.call("subscriptions:revoke", "revoke", `R<Polar["subscriptions"]["revoke"]>`, () => p.subscriptions.revoke(sub.id));
    if (gone && gone.status !== "canceled") this.record("subscriptions:revoke", "canceled", "fail", gone.status);
    await this.refuses("subscriptions:revoke", "revoke twice -> AlreadyCanceledSubscription", "AlreadyCanceledSubscription", 403, () => p.subscriptions.revoke(sub.id));
    await this.call("customers:get_state", "state (no active subscription)", `R<Polar["customers"]["getState"]>`, () => p.customers.getState(a.id), "state");
    if (b) {
      await this.call("customers:delete", "delete", null, () => p.customers.delete(b.id));
      await this.refuses("customers:get", "deleted -> ResourceNotFound", "ResourceNotFound", 404, () => p.customers.get(b.id));
    }
    if (c) await this.call("customers:delete_external", "delete by external id", null, () => p.customers.deleteExternal(c.external_id));
  }

  async deliveries(ep) {
    const p = this.polar;
    if (!ep) return;
    await this.settle();
    const page = await this.call("webhooks:list_webhook_deliveries", "list", `R<Polar["webhooks"]["listWebhookDeliveries"]>`,
      () => p.webhooks.listWebhookDeliveries({ endpoint_id: ep.id, limit: 100 }));
    if (!page?.items?.length) return this.record("webhooks:list_webhook_deliveries", "has deliveries", "fail", "none");
    const first = page.items.find((d) => d.webhook_event.type === "checkout.created") ?? page.items[page.items.length - 1];
    await this.call("webhooks:redeliver_webhook_event", "redeliver", `R<Polar["webhooks"]["redeliverWebhookEvent"]>`,
      () => p.webhooks.redeliverWebhookEvent(first.webhook_event.id));
    await this.settle();
    await this.call("webhooks:delete_webhook_endpoint", "delete", null, () => p.webhooks.deleteWebhookEndpoint(ep.id));
  }

  async notModelled() {
    try {
      await this.polar.products.create({ name: "Nope", recurring_interval: "month", prices: [{ amount_type: "fixed", price_amount: 100 }] });
      this.record("products:create", "501 not modelled", "fail", "succeeded");
    } catch (e) {
      const ok = e instanceof PolarServerError && e.message.includes("501") && e.message.includes("products:create") && e.message.includes("not modelled");
      this.record("products:create", "501 not modelled", ok ? "pass" : "fail", ok ? null : `${e.name}: ${e.message}`);
    }
  }

  async validateWebhooks() {
    if (!(await this.settle())) this.record("webhooks", "all delivered", "fail", "deliveries still pending");
    const byType = new Map();
    for (const r of this.hooks.requests.filter((r) => r.path === this.hookPath)) {
      const kind = JSON.parse(r.body).type;
      const entry = byType.get(kind) ?? { count: 0, fail: [], results: [] };
      byType.set(kind, entry);
      entry.count++;
      try {
        const event = await this.sdk.webhooks.validateEvent(r.body, r.headers, this.secret);
        if (event.type !== kind || event.api_version !== this.version) entry.fail.push(`type ${event.type}, api_version ${event.api_version}`);
        else entry.results.push(event);
      } catch (e) {
        entry.fail.push(`${e.name}: ${e.message}`);
      }
    }
    for (const [kind, e] of [...byType].sort()) {
      const w = { version: this.version, type: kind, outcome: e.fail.length ? "fail" : "pass", count: e.count, detail: e.fail[0] ?? null };
      this.webhooks.push(w);
      if (e.fail.length) log(`  ${this.version} webhook ${kind}: ${e.fail[0]}`);
      // Every payload of the type is type-checked (one declaration each).
      for (const event of e.results) this.typed.push({ result: w, type: "W", value: event, fix: kind === "customer.state_changed" ? "event" : null });
    }
  }
}

/** Type-checks every recorded answer with tsc. Each answer is declared three ways: through
 * `is<T>()(…)`, which checks that it is assignable to the SDK type (extra fields allowed, as
 * they are for any client of a JSON API) and decides the outcome; as a plain annotated
 * constant, whose excess-property errors name the fields the SDK's types do not declare (a
 * note, not a failure); and, for customer state, with the Status collision corrected. */
function typeCheck(runs) {
  const dir = mkdtempSync(path.join(tmpdir(), "polar-sdk-types-"));
  try {
    symlinkSync(path.resolve("node_modules"), path.join(dir, "node_modules"), "dir");
    const files = [];
    const lines = new Map(); // "file:line" -> {t, variant}
    for (const run of runs) {
      const file = `check-${run.version}.mts`;
      const src = [
        `import type { Polar, errors, webhooks } from "@polar-sh/sdk/${run.version}";`,
        "type R<F> = F extends (...a: any[]) => Promise<infer T> ? T : never;",
        "type RI<F> = F extends (...a: any[]) => AsyncGenerator<infer T> ? T : never;",
        "type W = Awaited<ReturnType<typeof webhooks.validateEvent>>;",
        "declare function is<T>(): <V extends T>(v: V) => V;",
        // What the SDK's types would be without the Status collision.
        'type FixSub<S> = S extends object ? Omit<S, "status"> & { status: "active" | "trialing" } : S;',
        'type FixState<T> = T extends { active_subscriptions: (infer S)[] } ? Omit<T, "active_subscriptions"> & { active_subscriptions: FixSub<S>[] } : T;',
        'type FixEvent<E> = E extends { type: "customer.state_changed"; data: infer D } ? Omit<E, "data"> & { data: FixState<D> } : E;',
      ];
      const declare = (t, variant, text) => {
        src.push(text);
        lines.set(`${file}:${src.length}`, { t, variant });
      };
      run.typed.forEach((t, i) => {
        const literal = JSON.stringify(t.value);
        declare(t, "check", `export const v${i} = is<${t.type}>()(${literal});`);
        declare(t, "strict", `export const s${i}: ${t.type} = ${literal};`);
        if (t.fix) {
          const fixed = t.fix === "state" ? `FixState<${t.type}>` : `FixEvent<${t.type}>`;
          declare(t, "fixed", `export const f${i} = is<${fixed}>()(${literal});`);
        }
      });
      writeFileSync(path.join(dir, file), src.join("\n") + "\n");
      files.push(file);
    }
    writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, target: "es2022", module: "nodenext", moduleResolution: "nodenext", skipLibCheck: true, types: [] },
      files,
    }));
    const tsc = path.resolve("node_modules/typescript/bin/tsc");
    const out = spawnSync(process.execPath, [tsc, "-p", "tsconfig.json", "--pretty", "false"], { cwd: dir, encoding: "utf8" });
    const diagnostics = new Map(); // t -> {check: [], strict: [], fixed: []}
    let last = null; // the list holding the diagnostic being read (continuation lines append)
    for (const line of (out.stdout + out.stderr).split("\n")) {
      const m = /^(check-[^(]+\.mts)\((\d+),\d+\): error (TS\d+: .*)$/.exec(line.trim());
      if (!m) {
        if (last && /^\s+\S/.test(line)) last[last.length - 1] += ` ${line.trim()}`;
        continue;
      }
      const hit = lines.get(`${m[1]}:${m[2]}`);
      if (!hit) throw new Error(`tsc reported an error outside the checks: ${line}`);
      const d = diagnostics.get(hit.t) ?? { check: [], strict: [], fixed: [] };
      d[hit.variant].push(m[3]);
      diagnostics.set(hit.t, d);
      last = d[hit.variant];
    }
    if (out.status !== 0 && diagnostics.size === 0) throw new Error(`tsc failed: ${out.stdout}${out.stderr}`);
    const undeclared = new Map();
    for (const [t, d] of diagnostics) {
      judge(t, d);
      for (const msg of d.strict) {
        const m = /known properties, and '"?([^'"]+)"?' does not exist in type '([^']+)'/.exec(msg);
        if (m) undeclared.set(`${t.result.version} ${m[2]}.${m[1]}`, { version: t.result.version, type: m[2], field: m[1] });
      }
    }
    return { checked: runs.reduce((n, r) => n + r.typed.length, 0), undeclared: [...undeclared.values()] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function judge(t, d) {
  // An excess-property error (TS2353) names a field the types do not declare, which the strict
  // variant already notes; TypeScript also raises it in `is<T>()` where a literal meets a
  // discriminated union (a webhook event) with nested objects. Extra fields are allowed, so it
  // decides nothing here: Polar sends fields its OpenAPI document, and so the SDK, hides.
  const extra = (m) => m.startsWith("TS2353");
  d = { ...d, check: d.check.filter((m) => !extra(m)), fixed: d.fixed.filter((m) => !extra(m)) };
  if (d.check.length === 0) return;
  const r = t.result;
  const collision = t.fix && d.fixed.length === 0 && d.check.every((m) => m.includes("Status") || m.includes('"active"'));
  if (collision) {
    if (r.outcome === "pass") { r.outcome = "sdk-defect"; r.detail = STATUS_COLLISION; }
    return;
  }
  r.outcome = "fail";
  const strict = d.strict.find((m) => !m.startsWith("TS2353"));
  r.detail = `type: ${d.check[0]}${strict && strict !== d.check[0] ? ` | ${strict}` : ""}`.slice(0, 3000);
  log(`  ${r.version} ${r.operation ?? r.type} [${r.check ?? "webhook"}]: ${r.detail}`);
}

async function main() {
  const hooks = await receiver();
  const runs = [];
  try {
    for (const version of VERSIONS) {
      const sdk = await import(`@polar-sh/sdk/${version}`);
      const run = new VersionRun(version, sdk, hooks);
      await run.run();
      runs.push(run);
    }
  } finally {
    hooks.close();
  }
  const { checked, undeclared } = typeCheck(runs);
  const results = runs.flatMap((r) => r.results);
  const webhooks = runs.flatMap((r) => r.webhooks);
  const failed = [...results, ...webhooks].filter((x) => x.outcome === "fail").length;
  log(`@polar-sh/sdk ${SDK_VERSION}: ${results.length} checks, ${webhooks.length} webhook types, ${checked} answers type-checked, ${failed} failed`);
  if (undeclared.length) log(`  fields the SDK's types do not declare: ${undeclared.map((u) => `${u.version} ${u.type}.${u.field}`).join(", ")}`);
  console.log(JSON.stringify({ sdk: `@polar-sh/sdk ${SDK_VERSION}`, results, webhooks, known_sdk_defects: [STATUS_COLLISION], undeclared_fields: undeclared }));
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
