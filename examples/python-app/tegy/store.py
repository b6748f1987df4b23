"""The app's SQLite store (``sqlite3`` from the standard library): migrations and every
query. Workspaces, users (cookie sessions), members (seats), billing customers, the
subscription projection, processed webhook ids and chat turns.

Every call is synchronous and the app calls it from its one event-loop thread, so no other
request runs between a read and the write that depends on it.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import secrets
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tegy.projection import supersedes

# Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
MIGRATIONS = [
    """
    CREATE TABLE workspaces (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL);
    CREATE TABLE users (
      id TEXT PRIMARY KEY,
      session_hash TEXT NOT NULL UNIQUE,
      workspace_id TEXT NOT NULL REFERENCES workspaces(id),
      email TEXT NOT NULL,
      created_at TEXT NOT NULL
    );
    CREATE TABLE members (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      workspace_id TEXT NOT NULL REFERENCES workspaces(id),
      email TEXT NOT NULL,
      role TEXT NOT NULL,
      created_at TEXT NOT NULL,
      UNIQUE (workspace_id, email)
    );
    CREATE TABLE billing_customers (
      workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id),
      polar_customer_id TEXT NOT NULL,
      updated_at TEXT NOT NULL
    );
    CREATE INDEX billing_customers_by_polar_id ON billing_customers (polar_customer_id);
    CREATE TABLE subscriptions (
      id TEXT PRIMARY KEY,
      workspace_id TEXT NOT NULL REFERENCES workspaces(id),
      customer_id TEXT NOT NULL,
      product_id TEXT NOT NULL,
      status TEXT NOT NULL,
      seats INTEGER,
      amount INTEGER NOT NULL,
      currency TEXT NOT NULL,
      cancel_at_period_end INTEGER NOT NULL,
      current_period_end TEXT,
      ends_at TEXT,
      version_modified_us INTEGER NOT NULL,
      version_observed_us INTEGER NOT NULL,
      source TEXT NOT NULL,
      updated_at TEXT NOT NULL
    );
    CREATE INDEX subscriptions_by_workspace ON subscriptions (workspace_id);
    CREATE TABLE webhook_events (
      webhook_id TEXT PRIMARY KEY,
      event_type TEXT NOT NULL,
      received_at TEXT NOT NULL,
      outcome TEXT NOT NULL
    );
    CREATE TABLE turns (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      workspace_id TEXT NOT NULL REFERENCES workspaces(id),
      prompt TEXT NOT NULL,
      reply TEXT NOT NULL,
      created_at TEXT NOT NULL
    );
    """,
]

_UPSERT = """
INSERT INTO subscriptions (id, workspace_id, customer_id, product_id, status, seats, amount,
    currency, cancel_at_period_end, current_period_end, ends_at, version_modified_us,
    version_observed_us, source, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    workspace_id = excluded.workspace_id, customer_id = excluded.customer_id,
    product_id = excluded.product_id, status = excluded.status, seats = excluded.seats,
    amount = excluded.amount, currency = excluded.currency,
    cancel_at_period_end = excluded.cancel_at_period_end,
    current_period_end = excluded.current_period_end, ends_at = excluded.ends_at,
    version_modified_us = excluded.version_modified_us,
    version_observed_us = excluded.version_observed_us,
    source = excluded.source, updated_at = excluded.updated_at
"""


def now() -> str:
    at = datetime.datetime.now(datetime.timezone.utc)
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Store:
    """Opens (or creates) the database file and runs pending migrations."""

    def __init__(self, path: str) -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Autocommit; transactions are explicit (`transaction`).
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.execute("PRAGMA busy_timeout = 5000")
        self._migrate()

    def close(self) -> None:
        self.db.close()

    def _migrate(self) -> None:
        done = self.db.execute("PRAGMA user_version").fetchone()[0]
        for i, sql in enumerate(MIGRATIONS):
            if i < done:
                continue
            with self.transaction():
                for statement in sql.split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {i + 1}")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction: all of it is stored, or none of it."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def session(self, token: str) -> dict[str, str] | None:
        """The session for a cookie token, or None."""
        row = self.db.execute(
            "SELECT id, workspace_id, email FROM users WHERE session_hash = ?", (hash_token(token),)
        ).fetchone()
        if row is None:
            return None
        return {"user_id": row["id"], "workspace_id": row["workspace_id"], "email": row["email"]}

    def create_workspace_and_user(self) -> tuple[dict[str, str], str]:
        """A first visit: a new workspace whose owner is its first member (one seat).
        Returns the session and its cookie token."""
        workspace_id, user_id = str(uuid.uuid4()), str(uuid.uuid4())
        token = secrets.token_urlsafe(32)
        email = f"owner-{user_id[:8]}@tegy-python.test"
        at = now()
        with self.transaction():
            self.db.execute(
                "INSERT INTO workspaces (id, name, created_at) VALUES (?, ?, ?)",
                (workspace_id, f"Workspace {workspace_id[:8]}", at),
            )
            self.db.execute(
                "INSERT INTO users (id, session_hash, workspace_id, email, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (user_id, hash_token(token), workspace_id, email, at),
            )
            self.db.execute(
                "INSERT INTO members (workspace_id, email, role, created_at)"
                " VALUES (?, ?, 'owner', ?)",
                (workspace_id, email, at),
            )
        session = {"user_id": user_id, "workspace_id": workspace_id, "email": email}
        return session, token

    def workspace_exists(self, workspace_id: str) -> bool:
        row = self.db.execute("SELECT 1 FROM workspaces WHERE id = ?", (workspace_id,))
        return row.fetchone() is not None

    def members(self, workspace_id: str) -> list[dict[str, str]]:
        rows = self.db.execute(
            "SELECT email, role FROM members WHERE workspace_id = ? ORDER BY id", (workspace_id,)
        )
        return [{"email": r["email"], "role": r["role"]} for r in rows]

    def add_member(self, workspace_id: str, email: str) -> bool:
        """Adds a member; False if the email is already one."""
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO members (workspace_id, email, role, created_at)"
            " VALUES (?, ?, 'member', ?)",
            (workspace_id, email, now()),
        )
        return cursor.rowcount == 1

    def member_count(self, workspace_id: str) -> int:
        sql = "SELECT COUNT(*) FROM members WHERE workspace_id = ?"
        return int(self.db.execute(sql, (workspace_id,)).fetchone()[0])

    def turns(self, workspace_id: str) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT id, prompt, reply, created_at FROM turns WHERE workspace_id = ? ORDER BY id",
            (workspace_id,),
        )
        return [dict(r) for r in rows]

    def add_turn(self, workspace_id: str, prompt: str, reply: str) -> dict[str, Any]:
        at = now()
        cursor = self.db.execute(
            "INSERT INTO turns (workspace_id, prompt, reply, created_at) VALUES (?, ?, ?, ?)",
            (workspace_id, prompt, reply, at),
        )
        return {"id": cursor.lastrowid, "prompt": prompt, "reply": reply, "created_at": at}

    def billing_customer(self, workspace_id: str) -> str | None:
        row = self.db.execute(
            "SELECT polar_customer_id FROM billing_customers WHERE workspace_id = ?",
            (workspace_id,),
        ).fetchone()
        return row[0] if row else None

    def workspace_for_customer(self, customer_id: str) -> str | None:
        row = self.db.execute(
            "SELECT workspace_id FROM billing_customers WHERE polar_customer_id = ?", (customer_id,)
        ).fetchone()
        return row[0] if row else None

    def set_customer(self, workspace_id: str, customer_id: str) -> None:
        """Links a workspace to its Polar customer."""
        self.db.execute(
            "INSERT INTO billing_customers (workspace_id, polar_customer_id, updated_at)"
            " VALUES (?, ?, ?) ON CONFLICT (workspace_id) DO UPDATE SET"
            " polar_customer_id = excluded.polar_customer_id, updated_at = excluded.updated_at",
            (workspace_id, customer_id, now()),
        )

    def subscriptions(self, workspace_id: str) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT id, workspace_id, customer_id, product_id, status, seats, amount, currency,"
            " cancel_at_period_end, current_period_end, ends_at, version_modified_us,"
            " version_observed_us, source FROM subscriptions WHERE workspace_id = ?",
            (workspace_id,),
        )
        out = []
        for r in rows:
            row = dict(r)
            row["cancel_at_period_end"] = r["cancel_at_period_end"] == 1
            row["version"] = (row.pop("version_modified_us"), row.pop("version_observed_us"))
            out.append(row)
        return out

    def upsert_subscription(self, s: dict[str, Any]) -> bool:
        """Stores a snapshot if it supersedes the stored one; returns whether it did."""
        stored = self.db.execute(
            "SELECT version_modified_us, version_observed_us FROM subscriptions WHERE id = ?",
            (s["id"],),
        ).fetchone()
        if not supersedes(s["version"], tuple(stored) if stored else None):
            return False
        self.db.execute(
            _UPSERT,
            (
                s["id"], s["workspace_id"], s["customer_id"], s["product_id"], s["status"],
                s["seats"], s["amount"], s["currency"], 1 if s["cancel_at_period_end"] else 0,
                s["current_period_end"], s["ends_at"], s["version"][0], s["version"][1],
                s["source"], now(),
            ),
        )
        return True

    def record_webhook(
        self, webhook_id: str, event_type: str, effect: Callable[[], str]
    ) -> str | None:
        """Records a delivery and applies ``effect`` in one transaction, unless the id was
        processed before. Returns the effect's outcome, or None for a duplicate."""
        with self.transaction():
            seen = self.db.execute(
                "SELECT 1 FROM webhook_events WHERE webhook_id = ?", (webhook_id,)
            ).fetchone()
            if seen:
                return None
            outcome = effect()
            self.db.execute(
                "INSERT INTO webhook_events (webhook_id, event_type, received_at, outcome)"
                " VALUES (?, ?, ?, ?)",
                (webhook_id, event_type, now(), outcome),
            )
            return outcome

    def reconcile(
        self, workspace_id: str, customer_id: str | None, rows: list[dict[str, Any]], started: int
    ) -> dict[str, int]:
        """Replaces the workspace's projection with Polar's answer. ``customer_id`` None
        means Polar has no customer for the workspace. Snapshots follow the never-go-back
        rule; local rows Polar no longer lists are removed unless written after ``started``
        (microseconds; a webhook that raced the refresh)."""
        summary = {"applied": 0, "skipped_newer_local": 0, "removed": 0}
        with self.transaction():
            if customer_id:
                self.set_customer(workspace_id, customer_id)
            else:
                sql = "DELETE FROM billing_customers WHERE workspace_id = ?"
                self.db.execute(sql, (workspace_id,))
            for row in rows:
                key = "applied" if self.upsert_subscription(row) else "skipped_newer_local"
                summary[key] += 1
            keep = {row["id"] for row in rows}
            local = self.db.execute(
                "SELECT id, version_observed_us FROM subscriptions WHERE workspace_id = ?",
                (workspace_id,),
            ).fetchall()
            for sub_id, observed in local:
                if sub_id not in keep and observed < started:
                    self.db.execute("DELETE FROM subscriptions WHERE id = ?", (sub_id,))
                    summary["removed"] += 1
        return summary
