import assert from "node:assert/strict";
import { test } from "node:test";

import { decide, entitled, micros, rowOf, stateOf, supersedes } from "../lib/projection.mjs";

test("every Polar subscription status maps to a billing state", () => {
  const cases = [
    ["active", false, "active"],
    ["trialing", false, "active"],
    ["active", true, "canceling"],
    ["trialing", true, "canceling"],
    ["past_due", false, "past_due"],
    ["past_due", true, "past_due"],
    ["canceled", true, "inactive"],
    ["canceled", false, "inactive"],
    ["unpaid", false, "inactive"],
    ["paused", false, "inactive"],
    ["incomplete", false, "inactive"],
    ["incomplete_expired", false, "inactive"],
    ["something_new", false, "inactive"],
  ];
  for (const [status, cancel, want] of cases) assert.equal(stateOf(status, cancel), want, `${status} ${cancel}`);
  assert.ok(entitled("active") && entitled("canceling"));
  assert.ok(!entitled("past_due") && !entitled("inactive") && !entitled("free"));
});

test("Polar timestamps keep their microseconds", () => {
  assert.equal(micros("2026-01-02T03:04:05.123456Z"), Date.UTC(2026, 0, 2, 3, 4, 5) * 1000 + 123456);
  assert.equal(micros("2026-01-02T03:04:05Z"), Date.UTC(2026, 0, 2, 3, 4, 5) * 1000);
  assert.equal(micros("2026-01-02T03:04:05.5+01:00"), Date.UTC(2026, 0, 2, 2, 4, 5) * 1000 + 500000);
  assert.ok(micros("2026-01-02T03:04:05.000002Z") > micros("2026-01-02T03:04:05.000001Z"));
  assert.equal(micros("yesterday"), null);
  assert.equal(micros(null), null);
});

test("an older snapshot never replaces a newer one", () => {
  const v = (modified, observed) => ({ modified, observed });
  assert.ok(supersedes(v(1, 1), null));
  assert.ok(supersedes(v(2, 1), v(1, 9)));
  assert.ok(supersedes(v(2, 5), v(2, 5)));
  assert.ok(!supersedes(v(1, 9), v(2, 1)));
  assert.ok(!supersedes(v(2, 4), v(2, 5)));
});

test("the best subscription of the configured product decides, ties to the newest", () => {
  const row = (id, status, cancel, m, product = "p") => ({
    id, product_id: product, status, cancel_at_period_end: cancel, version: { modified: m, observed: m },
  });
  const subs = [row("old", "canceled", false, 1), row("new", "active", false, 2), row("other", "active", false, 3, "q")];
  assert.deepEqual(decide(subs, "p"), { state: "active", sub: subs[1] });
  assert.equal(decide(subs, "nope").state, "free");
  assert.deepEqual(decide([], "p"), { state: "free", sub: null });
  const twins = [row("a", "past_due", false, 1), row("b", "past_due", false, 5), row("c", "past_due", false, 3)];
  assert.equal(decide(twins, "p").sub.id, "b");
});

test("a subscription's row keeps what the status object needs", () => {
  const r = rowOf(
    {
      id: "s", customer_id: "c", product_id: "p", status: "active", seats: 3, amount: 6000, currency: "usd",
      cancel_at_period_end: false, current_period_end: "2026-02-01T00:00:00Z", ends_at: null,
      created_at: "2026-01-01T00:00:00Z", modified_at: null,
    },
    "w", 42, "refresh",
  );
  assert.equal(r.version.modified, Date.UTC(2026, 0, 1) * 1000);
  assert.equal(r.version.observed, 42);
  assert.equal(r.seats, 3);
  assert.equal(r.workspace_id, "w");
});
