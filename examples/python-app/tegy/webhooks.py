"""``POST /api/polar/webhooks``: Polar's signed events, verified by the SDK's
``validate_event`` and applied once per ``webhook-id``.

Every verified delivery is answered at once with 2xx, ``checkout.updated`` included: Polar's
checkout page sends the buyer back to the success URL only after the endpoint answered 2xx
to it (Polar's ``server/polar/webhook/service.py:338-372``), and waits up to 15 s before it
goes through its confirmation page instead. A delivery that fails verification or parsing
stores nothing, so Polar's retry of the same id is processed normally.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from polar import PolarDeserializationError, deserialize
from polar.v2026_04.webhooks import (
    PolarWebhookError,
    PolarWebhookUnknownTypeError,
    PolarWebhookVerificationError,
    WebhookPayload,
    validate_event,
)

from tegy.projection import micros, now_micros, row_of
from tegy.store import Store

# Largest webhook body accepted (Polar's subscription payloads are a few KiB).
WEBHOOK_MAX_BYTES = 256 * 1024
SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
# The customer events this app reads; every other type is acknowledged and not applied.
CUSTOMER_EVENTS = ("customer.created", "customer.updated")

Reply = tuple[int, dict[str, Any]]


def load_payload_types() -> None:
    """Builds the SDK's loader of webhook payloads. polar-sdk 1.0.2 builds it on first use,
    and for ``WebhookPayload`` (a union of every event type) that is 6-9 s of CPU: run
    inside the first delivery it would hold up every request of the app, and the buyer at
    Polar's checkout, which waits for the 2xx to ``checkout.updated``. The app calls this
    once at start, in a worker thread."""
    try:
        deserialize({}, WebhookPayload)
    except PolarDeserializationError:
        pass  # `{}` is no event; the loader is built and kept


def uses(event_type: str | None) -> bool:
    """Whether the app applies events of this type."""
    return bool(event_type) and (
        event_type.startswith(("subscription.", "checkout.")) or event_type in CUSTOMER_EVENTS
    )


def _type_in(body: bytes) -> str | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return data.get("type") if isinstance(data, dict) else None


def verify(body: bytes, headers: Mapping[str, str], secret: str) -> tuple[Any, Reply | None]:
    """The SDK's typed event, or the answer for a delivery that is not applied."""
    signature = {name: headers.get(name, "") for name in SIGNATURE_HEADERS}
    try:
        return validate_event(body, signature, secret), None
    except PolarWebhookVerificationError as e:
        return None, (403, {"error": "invalid_signature", "message": str(e)})
    except PolarWebhookUnknownTypeError:
        # Signed by Polar, but a type this API version does not know: acknowledge it, so
        # Polar neither retries it nor disables the endpoint, and store nothing.
        return None, (202, {"status": "ignored", "reason": "unknown event type"})
    except PolarWebhookError as e:
        # The SDK checks the signature before it reads the payload, so a body that is
        # valid UTF-8 got here signed. polar-sdk 1.0.2 cannot load some of Polar's own
        # payloads (`customer.state_changed` for a customer with an active subscription:
        # its CustomerStateSubscription.status is typed "granted" | "disabled", Polar sends
        # "active" | "trialing", server/polar/customer/schemas/state.py:48). A type the app
        # does not use is acknowledged; one it uses is refused, so Polar retries it.
        event_type = _type_in(body)
        if event_type is not None and not uses(event_type):
            return None, (202, {"status": "ignored", "reason": f"{event_type} not used"})
        return None, (400, {"error": "invalid_payload", "message": str(e)})


def _effect(store: Store, event: Any, observed: int) -> Callable[[], str]:
    """What applying the event does to the store (run inside its transaction)."""
    event_type, data = event.type, event.data
    if event_type.startswith("subscription."):

        def subscription() -> str:
            ws = _workspace_of(store, data)
            if ws is None:
                return "ignored: unknown workspace"
            store.set_customer(ws, data.customer_id)
            row = row_of(data, ws, observed, f"webhook:{event_type}")
            applied = store.upsert_subscription(row)
            return f"applied {row['id']} {row['status']}" if applied else f"stale {row['id']}"

        return subscription
    if event_type in CUSTOMER_EVENTS:
        customer_id, external_id = data.id, getattr(data, "external_id", None)
    elif event_type.startswith("checkout."):
        customer_id, external_id = data.customer_id, data.external_customer_id
    else:
        return lambda: "ignored: event not used"

    def link() -> str:
        if not customer_id or not external_id or not store.workspace_exists(external_id):
            return "ignored: unknown workspace"
        store.set_customer(external_id, customer_id)
        return f"linked customer {customer_id}"

    return link


def handle_webhook(store: Store, secret: str, body: bytes, headers: Mapping[str, str]) -> Reply:
    """Verifies and applies one delivery: ``body`` the raw request body, ``headers`` the
    request's (lower-case names). Returns the status and JSON body of the answer."""
    event, refused = verify(body, headers, secret)
    if refused is not None:
        return refused
    observed = micros(event.timestamp) or now_micros()
    webhook_id = headers.get("webhook-id", "")
    outcome = store.record_webhook(webhook_id, event.type, _effect(store, event, observed))
    if outcome is None:
        return 200, {"status": "duplicate", "webhook_id": webhook_id}
    answer = {"status": "processed", "webhook_id": webhook_id, "type": event.type}
    return 200, {**answer, "outcome": outcome}


def _workspace_of(store: Store, sub: Any) -> str | None:
    """The workspace a subscription belongs to. The customer's external id (the checkout
    sets it to the workspace id) is authoritative when present: an unknown one means "not
    ours". Without it: the subscription's ``metadata.workspace_id`` (copied from the
    checkout), else the workspace already linked to the Polar customer."""
    external = getattr(sub.customer, "external_id", None)
    if external:
        return external if store.workspace_exists(external) else None
    from_metadata = (sub.metadata or {}).get("workspace_id")
    if isinstance(from_metadata, str) and store.workspace_exists(from_metadata):
        return from_metadata
    return store.workspace_for_customer(sub.customer_id)
