"""The entitlement rules, as pure functions: how one Polar subscription maps to a billing
state, which subscription decides a workspace's state, and when an incoming snapshot may
replace the stored one. No I/O; the store applies them.

A row is a dict (``row_of``); its ``version`` is ``(modified, observed)`` in microseconds.
"""

from __future__ import annotations

import calendar
import re
import time
from typing import Any

# Billing states, best first. `entitled` is what turns are allowed under.
RANK = {"active": 4, "canceling": 3, "past_due": 2, "inactive": 1, "free": 0}

_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$"
)


def entitled(state: str) -> bool:
    return state in ("active", "canceling")


def state_of(status: str, cancel_at_period_end: bool) -> str:
    """One subscription's state from Polar's status and its cancellation flag."""
    if status in ("active", "trialing"):
        return "canceling" if cancel_at_period_end else "active"
    if status == "past_due":
        return "past_due"
    # canceled, unpaid, paused, incomplete, incomplete_expired and anything new: no access.
    return "inactive"


def micros(iso: Any) -> int | None:
    """Microseconds since the epoch of a Polar timestamp (``2026-01-02T03:04:05.123456Z``)."""
    if not isinstance(iso, str):
        return None
    m = _ISO.match(iso)
    if not m:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    try:
        seconds = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
    except (OverflowError, ValueError):
        return None
    zone = m.group(8)
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        seconds -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    fraction = int((m.group(7) or "").ljust(6, "0")[:6])
    return seconds * 1_000_000 + fraction


def now_micros() -> int:
    return time.time_ns() // 1000


def supersedes(incoming: tuple[int, int], stored: tuple[int, int] | None) -> bool:
    """The order of snapshots: Polar's ``modified_at`` (or ``created_at`` when never
    modified), then when the snapshot was observed (the webhook envelope's ``timestamp``,
    or the moment a refresh read it). A snapshot replaces the stored one only if it is not
    older, so a late or redelivered event can never move a subscription back in time."""
    return stored is None or incoming >= stored


def decide(rows: list[dict[str, Any]], product_id: str) -> tuple[str, dict[str, Any] | None]:
    """The workspace's state: among its subscriptions to ``product_id`` the best state wins
    (active > canceling > past_due > inactive), ties to the newest snapshot; none: free."""
    best_state, best = "free", None
    for row in rows:
        if row["product_id"] != product_id:
            continue
        state = state_of(row["status"], row["cancel_at_period_end"])
        if (
            best is None
            or RANK[state] > RANK[best_state]
            or (RANK[state] == RANK[best_state] and row["version"] > best["version"])
        ):
            best_state, best = state, row
    return best_state, best


def row_of(sub: Any, workspace_id: str, observed: int, source: str) -> dict[str, Any]:
    """The projected row of a Polar ``Subscription`` (the SDK's dataclass) observed at
    ``observed`` microseconds."""
    seats = getattr(sub, "seats", None)
    amount = getattr(sub, "amount", None)
    return {
        "id": sub.id,
        "workspace_id": workspace_id,
        "customer_id": sub.customer_id,
        "product_id": sub.product_id,
        "status": sub.status,
        "seats": seats if isinstance(seats, int) else None,
        "amount": amount if isinstance(amount, int) else 0,
        "currency": getattr(sub, "currency", None) or "usd",
        "cancel_at_period_end": getattr(sub, "cancel_at_period_end", False) is True,
        "current_period_end": getattr(sub, "current_period_end", None),
        "ends_at": getattr(sub, "ends_at", None),
        "version": (micros(sub.modified_at) or micros(sub.created_at) or 0, observed),
        "source": source,
    }
