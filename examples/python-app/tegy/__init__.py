"""Tegy (Python): a small chat product with seat billing through Polar's Python SDK.

- ``config``: the configuration, from environment variables only.
- ``app``: the page and the JSON API on Starlette.
- ``billing``: every Polar call (``polar-sdk``'s ``PolarAsync``, API version 2026-04).
- ``webhooks``: the receiver (the SDK's ``validate_event``), applied once per ``webhook-id``.
- ``projection``: the entitlement rules, pure functions.
- ``store``: the SQLite store (``sqlite3``).
"""
