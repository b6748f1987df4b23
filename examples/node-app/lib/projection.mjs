// The entitlement rules, as pure functions: how one Polar subscription maps to a billing
// state, which subscription decides a workspace's state, and when an incoming snapshot may
// replace the stored one. No I/O; the store applies them.

/** Billing states, best first. `entitled` is what turns are allowed under. */
const RANK = { active: 4, canceling: 3, past_due: 2, inactive: 1, free: 0 };

export const entitled = (state) => state === "active" || state === "canceling";

/** One subscription's state from Polar's status and its cancellation flag. */
export function stateOf(status, cancelAtPeriodEnd) {
  if (status === "active" || status === "trialing") return cancelAtPeriodEnd ? "canceling" : "active";
  if (status === "past_due") return "past_due";
  // canceled, unpaid, paused, incomplete, incomplete_expired and anything new: no access.
  return "inactive";
}

/**
 * Microseconds since the epoch of a Polar timestamp (`2026-01-02T03:04:05.123456Z`).
 * JavaScript dates stop at milliseconds; Polar's versions differ in microseconds.
 */
export function micros(iso) {
  if (typeof iso !== "string") return null;
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(iso);
  if (!m) return null;
  const seconds = Date.parse(m[1] + m[3]);
  if (Number.isNaN(seconds)) return null;
  const fraction = Number((m[2] || "").padEnd(6, "0").slice(0, 6));
  return seconds * 1000 + fraction;
}

/** Microseconds since the epoch, now. */
export const nowMicros = () => Math.round((performance.timeOrigin + performance.now()) * 1000);

/**
 * The order of snapshots: Polar's `modified_at` (or `created_at` when never modified), then
 * when the snapshot was observed (the webhook envelope's `timestamp`, or the moment a
 * refresh read it). A snapshot replaces the stored one only if it is not older, so a late
 * or redelivered event can never move a subscription back in time.
 */
export function supersedes(incoming, stored) {
  return !stored || compareVersions(incoming, stored) >= 0;
}

/** Negative, zero or positive as version `a` is older than, equal to or newer than `b`. */
export function compareVersions(a, b) {
  return a.modified - b.modified || a.observed - b.observed;
}

/**
 * The workspace's state: among its subscriptions to `productId`, the best state wins
 * (active > canceling > past_due > inactive), ties to the newest snapshot; none → free.
 * Returns `{ state, sub }`.
 */
export function decide(rows, productId) {
  let best = { state: "free", sub: null };
  for (const row of rows) {
    if (row.product_id !== productId) continue;
    const state = stateOf(row.status, row.cancel_at_period_end);
    const better =
      best.sub === null ||
      RANK[state] > RANK[best.state] ||
      (RANK[state] === RANK[best.state] && compareVersions(row.version, best.sub.version) > 0);
    if (better) best = { state, sub: row };
  }
  return best;
}

/** The projected row of a Polar subscription observed at `observedMicros`. */
export function rowOf(sub, workspaceId, observedMicros, source) {
  return {
    id: sub.id,
    workspace_id: workspaceId,
    customer_id: sub.customer_id,
    product_id: sub.product_id,
    status: sub.status,
    seats: Number.isInteger(sub.seats) ? sub.seats : null,
    amount: Number.isInteger(sub.amount) ? sub.amount : 0,
    currency: sub.currency || "usd",
    cancel_at_period_end: sub.cancel_at_period_end === true,
    current_period_end: sub.current_period_end ?? null,
    ends_at: sub.ends_at ?? null,
    version: {
      modified: micros(sub.modified_at) ?? micros(sub.created_at) ?? 0,
      observed: observedMicros,
    },
    source,
  };
}

/** Whether `data` has what the app reads from a Polar `Subscription`. */
export function isSubscription(data) {
  return (
    data !== null && typeof data === "object" &&
    typeof data.id === "string" && typeof data.status === "string" &&
    typeof data.customer_id === "string" && typeof data.product_id === "string" &&
    typeof data.created_at === "string" && micros(data.created_at) !== null
  );
}
