// `POST /api/polar/webhooks`: Polar's signed events, verified by the SDK's `validateEvent`
// and applied once per `webhook-id`. A delivery that fails verification or parsing stores
// nothing, so Polar's retry of the same id is processed normally.

import { webhooks } from "@polar-sh/sdk/2026-04";

import { isSubscription, micros, nowMicros, rowOf } from "./projection.mjs";

/** Largest webhook body accepted (Polar's subscription payloads are a few KiB). */
export const WEBHOOK_MAX_BYTES = 256 * 1024;

/**
 * Verifies and applies one delivery. `body` is the raw request body (a Buffer), `headers`
 * Node's lower-cased request headers. Returns `{ status, body }` for the response.
 */
export async function handleWebhook({ store, secret }, body, headers) {
  const signature = {
    "webhook-id": headerValue(headers["webhook-id"]),
    "webhook-timestamp": headerValue(headers["webhook-timestamp"]),
    "webhook-signature": headerValue(headers["webhook-signature"]),
  };
  let event;
  try {
    event = await webhooks.validateEvent(body, signature, secret);
  } catch (e) {
    if (e instanceof webhooks.PolarWebhookVerificationError) {
      return reply(403, { error: "invalid_signature", message: e.message });
    }
    if (e instanceof webhooks.PolarWebhookUnknownTypeError) {
      // Signed by Polar, but a type this API version does not know: acknowledge it, so
      // Polar neither retries it nor disables the endpoint, and store nothing.
      return reply(202, { status: "ignored", reason: "unknown event type" });
    }
    if (e instanceof webhooks.PolarWebhookError) {
      return reply(400, { error: "invalid_payload", message: e.message });
    }
    throw e;
  }

  const type = event.type;
  const data = event.data;
  if (!data || typeof data !== "object") {
    return reply(400, { error: "invalid_payload", message: "The event has no `data` object." });
  }
  // Parse what the effect needs before touching the store, so a malformed event stores nothing.
  let effect;
  if (type.startsWith("subscription.")) {
    if (!isSubscription(data)) {
      return reply(400, { error: "invalid_payload", message: `\`${type}\` data is not a Subscription.` });
    }
    effect = { kind: "subscription", sub: data };
  } else if (type === "customer.state_changed" || type === "customer.created" || type === "customer.updated") {
    effect = { kind: "customer", id: strOrNull(data.id), externalId: strOrNull(data.external_id) };
  } else if (type.startsWith("checkout.") && strOrNull(data.customer_id) && strOrNull(data.external_customer_id)) {
    effect = { kind: "customer", id: data.customer_id, externalId: data.external_customer_id };
  } else {
    effect = { kind: "none" };
  }
  const observed = micros(event.timestamp) ?? nowMicros();
  const webhookId = signature["webhook-id"];

  const result = store.recordWebhook(webhookId, type, () => {
    if (effect.kind === "subscription") {
      const ws = workspaceOf(store, effect.sub);
      if (!ws) return "ignored: unknown workspace";
      store.setCustomer(ws, effect.sub.customer_id);
      const row = rowOf(effect.sub, ws, observed, `webhook:${type}`);
      return store.upsertSubscription(row) ? `applied ${row.id} ${row.status}` : `stale ${row.id}`;
    }
    if (effect.kind === "customer") {
      if (!effect.id || !effect.externalId || !store.workspaceExists(effect.externalId)) {
        return "ignored: unknown workspace";
      }
      store.setCustomer(effect.externalId, effect.id);
      return `linked customer ${effect.id}`;
    }
    return "ignored: event not used";
  });
  if (result.duplicate) return reply(200, { status: "duplicate", webhook_id: webhookId });
  return reply(200, { status: "processed", webhook_id: webhookId, type, outcome: result.outcome });
}

/**
 * The workspace a subscription belongs to. The customer's external id (the checkout sets it
 * to the workspace id) is authoritative when present: an unknown one means "not ours".
 * Without it: the subscription's `metadata.workspace_id` (copied from the checkout), else
 * the workspace already linked to the Polar customer.
 */
function workspaceOf(store, sub) {
  const external = strOrNull(sub.customer?.external_id);
  if (external) return store.workspaceExists(external) ? external : null;
  const fromMetadata = strOrNull(sub.metadata?.workspace_id);
  if (fromMetadata && store.workspaceExists(fromMetadata)) return fromMetadata;
  return store.workspaceForCustomer(sub.customer_id);
}

const strOrNull = (v) => (typeof v === "string" && v !== "" ? v : null);
const headerValue = (v) => (Array.isArray(v) ? v.join(" ") : (v ?? ""));
const reply = (status, body) => ({ status, body });
