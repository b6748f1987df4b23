// The app over real HTTP on loopback, with a real SQLite file and webhooks signed the way
// Polar signs them (HMAC-SHA256 keyed with the raw bytes of the whole secret string).
// Polar itself is a closed loopback port here: the lifecycle against a Polar is what the
// walkthrough scenarios prove.

import assert from "node:assert/strict";
import { createHmac, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { createApp } from "../lib/app.mjs";
import { loadConfig } from "../lib/config.mjs";
import { Store } from "../lib/store.mjs";

const SECRET = "whsec_test_" + randomUUID().replaceAll("-", "");
const PRODUCT = "9f1c2b3a-4d5e-4f60-8a7b-0c1d2e3f4a5b";
let dir, store, server, base;

async function closedPort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "tegy-node-test-"));
  const config = loadConfig({
    PORT: "0",
    POLAR_API_URL: `http://127.0.0.1:${await closedPort()}`,
    POLAR_ACCESS_TOKEN: "polar_oat_test",
    POLAR_PRODUCT_ID: PRODUCT,
    POLAR_WEBHOOK_SECRET: SECRET,
    DATABASE_PATH: join(dir, "app.sqlite"),
  });
  store = new Store(config.databasePath);
  server = createServer(createApp(config, store, () => base, { log: () => {} }));
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${server.address().port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A browser-like client that keeps the session cookie. */
function client() {
  let cookie = null;
  return async (method, path, body) => {
    const res = await fetch(base + path, {
      method,
      headers: { ...(cookie ? { cookie } : {}), ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      redirect: "manual",
    });
    const set = res.headers.get("set-cookie");
    if (set) cookie = set.split(";")[0];
    const text = await res.text();
    let data = text;
    try {
      data = JSON.parse(text);
    } catch {}
    return { status: res.status, data, headers: res.headers };
  };
}

function sign(id, body, secret = SECRET, timestamp = Math.floor(Date.now() / 1000)) {
  const mac = createHmac("sha256", Buffer.from(secret, "utf8")).update(`${id}.${timestamp}.${body}`).digest("base64");
  return { "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": `v1,${mac}` };
}

async function deliver(event, { id = randomUUID(), secret = SECRET, headers } = {}) {
  const body = JSON.stringify(event);
  const res = await fetch(`${base}/api/polar/webhooks`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(headers ?? sign(id, body, secret)) },
    body,
  });
  return { status: res.status, data: await res.json() };
}

function subscription(workspaceId, fields = {}) {
  return {
    id: fields.id ?? randomUUID(),
    created_at: "2026-01-01T00:00:00.000000Z",
    modified_at: "2026-01-01T00:00:01.000000Z",
    status: "active",
    amount: 6000,
    currency: "usd",
    seats: 3,
    cancel_at_period_end: false,
    current_period_start: "2026-01-01T00:00:00.000000Z",
    current_period_end: "2026-02-01T00:00:00.000000Z",
    ends_at: null,
    customer_id: "c0ffee00-0000-4000-8000-000000000001",
    product_id: PRODUCT,
    metadata: { workspace_id: workspaceId },
    customer: { id: "c0ffee00-0000-4000-8000-000000000001", external_id: workspaceId },
    ...fields,
  };
}

test("health, the page and a first visit's workspace", async () => {
  const c = client();
  assert.equal((await c("GET", "/healthz")).data, "ok");
  const root = await c("GET", "/");
  assert.equal(root.status, 302);
  assert.equal(root.headers.get("location"), "/new");
  const page = await c("GET", "/new");
  assert.equal(page.status, 200);
  assert.match(page.headers.get("set-cookie"), /^wt_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax/);
  for (const id of ["account-menu", "billing-dialog", "billing-status", "prompt-input", "member-count", "billing-upgrade"]) {
    assert.ok(page.data.includes(`data-testid="${id}"`), id);
  }
  const status = (await c("GET", "/api/billing/status")).data;
  assert.equal(status.status, "free");
  assert.equal(status.members, 1);
  assert.equal(status.enforce, true);
  assert.equal(status.plan, null, "Polar is unreachable, so the plan name is unknown");
});

test("members are seats; turns need an entitlement", async () => {
  const c = client();
  assert.equal((await c("POST", "/api/members", { email: "a@example.com" })).status, 201);
  assert.equal((await c("POST", "/api/members", { email: "A@example.com" })).data.added, false);
  assert.equal((await c("POST", "/api/members", { email: "nope" })).status, 400);
  assert.equal((await c("GET", "/api/members")).data.count, 2);
  const blocked = await c("POST", "/api/turns", { prompt: "hello" });
  assert.equal(blocked.status, 402);
  assert.equal(blocked.data.error, "billing_required");
  assert.equal(blocked.data.billing.status, "free");
  assert.deepEqual((await c("GET", "/api/turns")).data.turns, []);
});

test("a signed subscription webhook activates the workspace, once per webhook-id", async () => {
  const c = client();
  const ws = (await c("GET", "/api/billing/status")).data.workspace_id;
  const sub = subscription(ws);
  const id = randomUUID();
  const event = { type: "subscription.active", timestamp: "2026-01-01T00:00:02.000000Z", data: sub };
  const first = await deliver(event, { id });
  assert.equal(first.status, 200);
  assert.equal(first.data.status, "processed");
  assert.equal((await deliver(event, { id })).data.status, "duplicate");

  const status = (await c("GET", "/api/billing/status")).data;
  assert.equal(status.status, "active");
  assert.equal(status.entitled, true);
  assert.equal(status.seats, 3);
  assert.equal(status.renews_at, "2026-02-01T00:00:00.000000Z");
  assert.equal(status.source, "webhook:subscription.active");
  assert.equal(status.customer_id, sub.customer_id);

  const turn = await c("POST", "/api/turns", { prompt: "Summarise this week" });
  assert.equal(turn.status, 201);
  assert.match(turn.data.turn.reply, /^You said: \u201cSummarise this week\u201d/);

  // A late, older snapshot (Polar retries can arrive out of order) changes nothing.
  const stale = { ...sub, status: "past_due", modified_at: "2026-01-01T00:00:00.500000Z" };
  const late = await deliver({ type: "subscription.updated", timestamp: "2026-01-01T00:00:03.000000Z", data: stale });
  assert.match(late.data.outcome, /^stale /);
  // A newer cancellation moves it to canceling, still entitled.
  const canceling = { ...sub, cancel_at_period_end: true, ends_at: sub.current_period_end, modified_at: "2026-01-01T00:00:05.000000Z" };
  await deliver({ type: "subscription.canceled", timestamp: "2026-01-01T00:00:05.000000Z", data: canceling });
  const after = (await c("GET", "/api/billing/status")).data;
  assert.equal(after.status, "canceling");
  assert.equal(after.entitled, true);
  assert.equal(after.ends_at, sub.current_period_end);
  assert.equal(after.renews_at, null);
});

test("deliveries that fail verification are refused and store nothing", async () => {
  const c = client();
  const ws = (await c("GET", "/api/billing/status")).data.workspace_id;
  const event = { type: "subscription.active", timestamp: "2026-01-01T00:00:02.000000Z", data: subscription(ws) };
  const id = randomUUID();

  const wrongSecret = await deliver(event, { id, secret: SECRET + "x" });
  assert.equal(wrongSecret.status, 403);
  assert.equal(wrongSecret.data.error, "invalid_signature");
  const stale = await deliver(event, { id, headers: sign(id, JSON.stringify(event), SECRET, Math.floor(Date.now() / 1000) - 3600) });
  assert.equal(stale.status, 403);
  const unsigned = await deliver(event, { id, headers: {} });
  assert.equal(unsigned.status, 403);
  assert.equal((await c("GET", "/api/billing/status")).data.status, "free");

  // The same id, correctly signed, is then processed: the refusals were not recorded.
  assert.equal((await deliver(event, { id })).data.status, "processed");
  assert.equal((await c("GET", "/api/billing/status")).data.status, "active");
});

test("malformed, unknown and oversized deliveries", async () => {
  const bad = await deliver({ type: "subscription.updated", timestamp: "2026-01-01T00:00:00Z", data: { id: "x" } });
  assert.equal(bad.status, 400);
  assert.equal(bad.data.error, "invalid_payload");
  const unknown = await deliver({ type: "something.new", timestamp: "2026-01-01T00:00:00Z", data: {} });
  assert.equal(unknown.status, 202);
  const ignored = await deliver({ type: "order.paid", timestamp: "2026-01-01T00:00:00Z", data: { id: "o" } });
  assert.equal(ignored.data.outcome, "ignored: event not used");
  const foreign = await deliver({ type: "subscription.active", timestamp: "2026-01-01T00:00:00Z", data: subscription(randomUUID()) });
  assert.equal(foreign.status, 200);
  assert.equal(foreign.data.outcome, "ignored: unknown workspace");

  const big = "x".repeat(300 * 1024);
  const res = await fetch(`${base}/api/polar/webhooks`, { method: "POST", body: big, headers: sign(randomUUID(), big) });
  assert.equal(res.status, 413);
});

test("Polar being unreachable is a clear gateway error, never a crash", async () => {
  const c = client();
  const checkout = await c("POST", "/api/billing/checkout");
  assert.equal(checkout.status, 502);
  assert.equal(checkout.data.error, "polar_unreachable");
  const refresh = await c("POST", "/api/billing/refresh");
  assert.equal(refresh.status, 502);
  assert.ok(!JSON.stringify(refresh.data).includes("polar_oat_test"));
  assert.equal((await c("GET", "/healthz")).status, 200);
});

test("a request target that is not a URL gets an answer, not a crash", async () => {
  const port = server.address().port;
  const answer = await new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.end("GET http://[::1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    });
    let data = "";
    socket.on("data", (d) => (data += d));
    socket.on("end", () => resolve(data));
    socket.on("error", reject);
  });
  assert.match(answer, /^HTTP\/1\.1 \d{3} /);
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
});
