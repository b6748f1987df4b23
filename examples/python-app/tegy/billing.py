"""Everything the app asks Polar, through the official SDK (``polar-sdk``, its 2026-04
client), and how Polar's answers become the workspace's billing status.

The client is configured as Polar's docs show: an access token and the environment by name
(``POLAR_SERVER``), no base URL. The access token lives only inside the SDK client; nothing
here logs or returns it.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from polar import PolarClientError, PolarDeserializationError, PolarNetworkError, PolarServerError
from polar.base import PolarRateLimitError
from polar.v2026_04 import PolarAsync

from tegy.config import Config
from tegy.projection import decide, entitled, now_micros, row_of
from tegy.store import Store

# Seconds the app waits for one Polar request.
POLAR_TIMEOUT_SECONDS = 10.0


class PolarFailure(Exception):
    """A Polar failure turned into an HTTP answer for the page."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body["message"])
        self.status = status
        self.body = body


def _polar_error(message: str, status: int | None, code: str | None = None) -> PolarFailure:
    body = {"error": "polar_error", "message": message, "polar_status": status, "polar_error": code}
    return PolarFailure(502, body)


def polar_failure(e: Exception) -> PolarFailure | None:
    """The answer the page shows for an SDK error; None for anything else."""
    if isinstance(e, PolarNetworkError):
        if isinstance(e.__cause__, httpx.TimeoutException):
            message = "Polar did not answer in time. Please try again."
            return PolarFailure(504, {"error": "polar_timeout", "message": message})
        message = "Polar could not be reached. Please try again."
        return PolarFailure(502, {"error": "polar_unreachable", "message": message})
    if isinstance(e, PolarRateLimitError):
        return _polar_error("Polar is rate limiting requests. Please try again in a moment.", 429)
    if isinstance(e, PolarServerError):
        message = f"Polar had an internal error (HTTP {e.status_code}). Please try again."
        return _polar_error(message, e.status_code)
    if isinstance(e, PolarClientError):
        code, detail = _error_body(e.error)
        if e.status_code == 401:
            message = (
                "Polar rejected the app's access token (HTTP 401). Check the organization "
                "token for this Polar environment."
            )
        elif e.status_code == 403:
            message = f"Polar refused the request (HTTP 403{' ' + code if code else ''})."
        else:
            message = f"Polar rejected the request (HTTP {e.status_code})" + (
                f": {detail}" if detail else "."
            )
        return _polar_error(message, e.status_code, code)
    if isinstance(e, PolarDeserializationError):
        return _polar_error("Polar's answer did not match what the SDK expects.", None)
    return None


def _error_body(error: Any) -> tuple[str | None, str | None]:
    """Polar's error code and detail, from what the SDK kept: a typed model (``error``,
    ``detail``: a text, or a 422's list of problems) or the raw text."""
    if isinstance(error, str):
        try:
            error = json.loads(error)
        except ValueError:
            return None, None
    get = error.get if isinstance(error, dict) else lambda k: getattr(error, k, None)
    code = get("error") if isinstance(get("error"), str) else None
    detail = get("detail")
    if isinstance(detail, list):
        msgs = [d.get("msg") if isinstance(d, dict) else getattr(d, "msg", None) for d in detail]
        detail = " ".join(m for m in msgs if isinstance(m, str))
    return code, detail if isinstance(detail, str) and detail else None


class Billing:
    """The workspace's billing, from Polar and the store."""

    def __init__(self, config: Config, store: Store) -> None:
        self.store = store
        self.product_id = config.product_id
        self.enforce = config.enforce
        self.polar = PolarAsync(
            config.polar_access_token,
            environment=config.polar_server,
            timeout=POLAR_TIMEOUT_SECONDS,
        )
        self.product: Any = None

    async def load_product(self) -> Any:
        """The product, fetched once from Polar and then kept."""
        if self.product is None:
            self.product = await self.polar.products.get(self.product_id)
        return self.product

    def seat_price(self) -> Any:
        """The product's seat-based price, if it has one."""
        for price in getattr(self.product, "prices", None) or []:
            if getattr(price, "amount_type", None) == "seat_based" and not price.is_archived:
                return price
        return None

    def _price_per_seat(self) -> int | None:
        price = self.seat_price()
        if price is None or not price.seat_tiers.tiers:
            return None
        return price.seat_tiers.tiers[0].price_per_seat

    async def plans(self) -> dict[str, Any]:
        """``GET /api/billing/plans``: the product as the page needs it."""
        p = await self.load_product()
        price = self.seat_price()
        tiers = price.seat_tiers if price else None
        plan = {
            "product_id": p.id,
            "name": p.name,
            "description": p.description,
            "visibility": p.visibility,
            "interval": p.recurring_interval,
            "interval_count": p.recurring_interval_count,
            "seat_based": price is not None,
            "currency": price.price_currency if price else None,
            "seat_tier_type": tiers.seat_tier_type if tiers else None,
            "price_per_seat": self._price_per_seat(),
            "minimum_seats": tiers.minimum_seats if tiers else None,
            "maximum_seats": tiers.maximum_seats if tiers else None,
        }
        return {"plans": [plan]}

    def status(self, workspace_id: str) -> dict[str, Any]:
        """The status object of ``GET /api/billing/status`` (the demo app's fields)."""
        state, sub = decide(self.store.subscriptions(workspace_id), self.product_id)
        price = self.seat_price()
        is_entitled = entitled(state)
        canceling = bool(sub and sub["cancel_at_period_end"])
        return {
            "workspace_id": workspace_id,
            "status": state,
            "entitled": is_entitled,
            "enforce": self.enforce,
            "plan": self.product.name if self.product else None,
            "product_id": self.product_id,
            "members": self.store.member_count(workspace_id),
            "seats": sub["seats"] if sub else None,
            "amount": sub["amount"] if sub else None,
            "currency": (sub and sub["currency"]) or (price.price_currency if price else None),
            "price_per_seat": self._price_per_seat(),
            "interval": self.product.recurring_interval if self.product else None,
            "subscription_id": sub["id"] if sub else None,
            "subscription_status": sub["status"] if sub else None,
            "cancel_at_period_end": sub["cancel_at_period_end"] if sub else None,
            "renews_at": sub["current_period_end"]
            if sub and not canceling and is_entitled
            else None,
            "ends_at": (sub["ends_at"] or sub["current_period_end"])
            if sub and (canceling or not is_entitled)
            else None,
            "customer_id": self.store.billing_customer(workspace_id),
            "source": sub["source"] if sub else None,
        }

    async def status_with_plan(self, workspace_id: str) -> dict[str, Any]:
        """Best effort: the plan name needs the product; a Polar failure leaves it None."""
        try:
            await self.load_product()
        except Exception:  # noqa: BLE001 - shown as "Tegy" until Polar answers
            pass
        return self.status(workspace_id)

    async def checkout(self, workspace_id: str, app_url: str) -> dict[str, Any]:
        """A Polar checkout for the workspace, one seat per member, fixed on the hosted page."""
        seats = max(1, self.store.member_count(workspace_id))
        c = await self.polar.checkouts.create(
            products=[self.product_id],
            seats=seats,
            min_seats=seats,
            max_seats=seats,
            external_customer_id=workspace_id,
            metadata={"workspace_id": workspace_id},
            success_url=f"{app_url}/new?billing=success&checkout_id={{CHECKOUT_ID}}",
            return_url=f"{app_url}/new",
        )
        return {
            "checkout_id": c.id,
            "url": c.url,
            "seats": c.seats or seats,
            "amount": c.amount,
            "currency": c.currency,
        }

    async def portal(self, workspace_id: str, app_url: str) -> dict[str, Any] | None:
        """A customer-portal session for the workspace's Polar customer, or None when Polar
        has no customer for it yet (Polar answers 422)."""
        try:
            s = await self.polar.customer_sessions.create(
                external_customer_id=workspace_id,
                return_url=f"{app_url}/new?billing=portal",
            )
        except PolarClientError as e:
            if e.status_code == 422:
                return None
            raise
        return {"url": s.customer_portal_url, "expires_at": s.expires_at}

    async def refresh(self, workspace_id: str) -> dict[str, int]:
        """Reconciles the workspace's projection from Polar, the source of truth: the
        customer (by external id) and every subscription of that customer, in any status.

        Not ``customers.get_state_external``: polar-sdk 1.0.2 cannot load the state of a
        customer with an active subscription (it types ``CustomerStateSubscription.status``
        as ``"granted" | "disabled"``; Polar sends ``"active" | "trialing"``, Polar's
        ``server/polar/customer/schemas/state.py:48``)."""
        started = now_micros()
        try:
            customer = await self.polar.customers.get_external(workspace_id)
        except PolarClientError as e:
            if e.status_code != 404:
                raise
            customer = None
        rows = []
        if customer is not None:
            listed = self.polar.subscriptions.iter_list(
                external_customer_id=workspace_id, limit=100
            )
            subs = [s async for s in listed]
            observed = now_micros()
            rows = [row_of(s, workspace_id, observed, "refresh") for s in subs]
        customer_id = customer.id if customer is not None else None
        return self.store.reconcile(workspace_id, customer_id, rows, started)
