"""The app's configuration, read only from environment variables.

A missing or malformed variable raises ``ConfigError`` with a message that names it; no
message ever shows the value of the access token or the webhook secret.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from pathlib import Path

APP_DIR = Path(__file__).resolve().parent.parent

ON = {"1", "true", "yes", "on"}
OFF = {"0", "false", "no", "off"}
# The environments polar-sdk knows by name (``polar.v2026_04.Environment``).
SERVERS = ("sandbox", "production")
REQUIRED = ("POLAR_ACCESS_TOKEN", "POLAR_PRODUCT_ID", "POLAR_WEBHOOK_SECRET")
_URL = re.compile(r"^https?://[^\s/]+")


class ConfigError(Exception):
    """A variable is missing or malformed; the message names it."""


@dataclasses.dataclass(frozen=True)
class Config:
    port: int
    app_url: str | None
    polar_server: str
    polar_access_token: str = dataclasses.field(repr=False)
    product_id: str
    webhook_secret: str = dataclasses.field(repr=False)
    enforce: bool
    database_path: str


def load_config(env: Mapping[str, str]) -> Config:
    """``PORT`` (default 3000; 0 picks a free one), ``POLAR_SERVER`` (``sandbox``, the
    default, or ``production``), ``POLAR_ACCESS_TOKEN``, ``POLAR_PRODUCT_ID``,
    ``POLAR_WEBHOOK_SECRET`` (required), ``BILLING_ENFORCE`` (default on),
    ``DATABASE_PATH`` (default ``data/tegy.sqlite`` in the app folder), ``APP_URL`` (where
    Polar sends the browser back; default ``http://127.0.0.1:PORT``)."""

    def get(name: str) -> str | None:
        value = env.get(name)
        return value.strip() if isinstance(value, str) and value.strip() else None

    missing = [name for name in REQUIRED if get(name) is None]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise ConfigError(
            f"missing environment variable{plural}: {', '.join(missing)} (see README.md: an "
            "organization access token, the product id and the webhook secret)"
        )

    port_text = get("PORT") or "3000"
    if not port_text.isdigit() or int(port_text) > 65535:
        raise ConfigError(f"PORT must be a number from 0 to 65535, not {port_text!r}")

    server = (get("POLAR_SERVER") or "sandbox").lower()
    if server not in SERVERS:
        raise ConfigError(f"POLAR_SERVER must be sandbox or production, not {server!r}")

    enforce = (get("BILLING_ENFORCE") or "on").lower()
    if enforce not in ON | OFF:
        raise ConfigError(f"BILLING_ENFORCE must be on or off (1/0, true/false), not {enforce!r}")

    app_url = get("APP_URL")
    if app_url is not None:
        app_url = app_url.rstrip("/")
        if not _URL.match(app_url):
            raise ConfigError(f"APP_URL must be an http(s) URL, not {app_url!r}")

    return Config(
        port=int(port_text),
        app_url=app_url,
        polar_server=server,
        polar_access_token=get("POLAR_ACCESS_TOKEN") or "",
        product_id=get("POLAR_PRODUCT_ID") or "",
        webhook_secret=get("POLAR_WEBHOOK_SECRET") or "",
        enforce=enforce in ON,
        database_path=get("DATABASE_PATH") or str(APP_DIR / "data" / "tegy.sqlite"),
    )
