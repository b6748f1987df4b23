// The app's SQLite store (Node's built-in `node:sqlite`): migrations and every query.
// Workspaces, users (cookie sessions), members (seats), billing customers, the subscription
// projection, processed webhook ids and chat turns. Every call is synchronous, so no other
// request runs between a read and the write that depends on it.

import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

import { supersedes } from "./projection.mjs";

// `node:sqlite` announces itself as experimental once per process; it is stable enough for
// this app, so that one warning is left out of the log. Everything else is still printed.
const emitWarning = process.emitWarning;
process.emitWarning = function (warning, ...rest) {
  const text = typeof warning === "string" ? warning : warning?.message;
  if (typeof text === "string" && text.startsWith("SQLite is an experimental feature")) return;
  return emitWarning.call(process, warning, ...rest);
};
const { DatabaseSync } = await import("node:sqlite");

/** Schema migrations, applied in order; `PRAGMA user_version` records how many ran. */
const MIGRATIONS = [
  `CREATE TABLE workspaces (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     created_at TEXT NOT NULL
   );
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
   );`,
];

const now = () => new Date().toISOString();
const hashToken = (token) => createHash("sha256").update(token).digest("hex");

export class Store {
  /** Opens (or creates) the database file and runs pending migrations. */
  constructor(path) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new DatabaseSync(path);
    this.db.exec("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;");
    this.migrate();
  }

  close() {
    this.db.close();
  }

  migrate() {
    const done = this.db.prepare("PRAGMA user_version").get().user_version;
    MIGRATIONS.forEach((sql, i) => {
      if (i < done) return;
      this.transaction(() => {
        this.db.exec(sql);
        this.db.exec(`PRAGMA user_version = ${i + 1}`);
      });
    });
  }

  /** Runs `fn` in one write transaction: all of it is stored, or none of it. */
  transaction(fn) {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const result = fn();
      this.db.exec("COMMIT");
      return result;
    } catch (e) {
      this.db.exec("ROLLBACK");
      throw e;
    }
  }

  /** The session for a cookie token: `{ user_id, workspace_id, email }` or null. */
  session(token) {
    const row = this.db
      .prepare("SELECT id, workspace_id, email FROM users WHERE session_hash = ?")
      .get(hashToken(token));
    return row ? { user_id: row.id, workspace_id: row.workspace_id, email: row.email } : null;
  }

  /** A first visit: a new workspace whose owner is its first member (one seat). */
  createWorkspaceAndUser() {
    const workspaceId = randomUUID();
    const userId = randomUUID();
    const token = randomBytes(32).toString("base64url");
    const email = `owner-${userId.slice(0, 8)}@tegy-node.test`;
    const at = now();
    this.transaction(() => {
      this.db
        .prepare("INSERT INTO workspaces (id, name, created_at) VALUES (?, ?, ?)")
        .run(workspaceId, `Workspace ${workspaceId.slice(0, 8)}`, at);
      this.db
        .prepare("INSERT INTO users (id, session_hash, workspace_id, email, created_at) VALUES (?, ?, ?, ?, ?)")
        .run(userId, hashToken(token), workspaceId, email, at);
      this.db
        .prepare("INSERT INTO members (workspace_id, email, role, created_at) VALUES (?, ?, 'owner', ?)")
        .run(workspaceId, email, at);
    });
    return { session: { user_id: userId, workspace_id: workspaceId, email }, token };
  }

  workspaceExists(id) {
    return this.db.prepare("SELECT 1 AS x FROM workspaces WHERE id = ?").get(id) !== undefined;
  }

  members(workspaceId) {
    return this.db
      .prepare("SELECT email, role FROM members WHERE workspace_id = ? ORDER BY id")
      .all(workspaceId)
      .map((r) => ({ email: r.email, role: r.role }));
  }

  /** Adds a member; false if the email is already one. */
  addMember(workspaceId, email) {
    const r = this.db
      .prepare("INSERT OR IGNORE INTO members (workspace_id, email, role, created_at) VALUES (?, ?, 'member', ?)")
      .run(workspaceId, email, now());
    return r.changes === 1;
  }

  memberCount(workspaceId) {
    return this.db.prepare("SELECT COUNT(*) AS n FROM members WHERE workspace_id = ?").get(workspaceId).n;
  }

  turns(workspaceId) {
    return this.db
      .prepare("SELECT id, prompt, reply, created_at FROM turns WHERE workspace_id = ? ORDER BY id")
      .all(workspaceId)
      .map((r) => ({ id: r.id, prompt: r.prompt, reply: r.reply, created_at: r.created_at }));
  }

  addTurn(workspaceId, prompt, reply) {
    const at = now();
    const r = this.db
      .prepare("INSERT INTO turns (workspace_id, prompt, reply, created_at) VALUES (?, ?, ?, ?)")
      .run(workspaceId, prompt, reply, at);
    return { id: Number(r.lastInsertRowid), prompt, reply, created_at: at };
  }

  billingCustomer(workspaceId) {
    const row = this.db
      .prepare("SELECT polar_customer_id FROM billing_customers WHERE workspace_id = ?")
      .get(workspaceId);
    return row ? row.polar_customer_id : null;
  }

  workspaceForCustomer(customerId) {
    const row = this.db
      .prepare("SELECT workspace_id FROM billing_customers WHERE polar_customer_id = ?")
      .get(customerId);
    return row ? row.workspace_id : null;
  }

  /** Links a workspace to its Polar customer. */
  setCustomer(workspaceId, customerId) {
    this.db
      .prepare(
        `INSERT INTO billing_customers (workspace_id, polar_customer_id, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (workspace_id) DO UPDATE SET polar_customer_id = excluded.polar_customer_id,
                                                  updated_at = excluded.updated_at`,
      )
      .run(workspaceId, customerId, now());
  }

  subscriptions(workspaceId) {
    return this.db
      .prepare(
        `SELECT id, workspace_id, customer_id, product_id, status, seats, amount, currency,
                cancel_at_period_end, current_period_end, ends_at, version_modified_us,
                version_observed_us, source
         FROM subscriptions WHERE workspace_id = ?`,
      )
      .all(workspaceId)
      .map((r) => ({
        id: r.id,
        workspace_id: r.workspace_id,
        customer_id: r.customer_id,
        product_id: r.product_id,
        status: r.status,
        seats: r.seats,
        amount: r.amount,
        currency: r.currency,
        cancel_at_period_end: r.cancel_at_period_end === 1,
        current_period_end: r.current_period_end,
        ends_at: r.ends_at,
        version: { modified: r.version_modified_us, observed: r.version_observed_us },
        source: r.source,
      }));
  }

  /** Stores a snapshot if it supersedes the stored one; returns whether it did. */
  upsertSubscription(s) {
    const stored = this.db
      .prepare("SELECT version_modified_us AS modified, version_observed_us AS observed FROM subscriptions WHERE id = ?")
      .get(s.id);
    if (!supersedes(s.version, stored ? { modified: stored.modified, observed: stored.observed } : null)) {
      return false;
    }
    this.db
      .prepare(
        `INSERT INTO subscriptions (id, workspace_id, customer_id, product_id, status, seats, amount,
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
             source = excluded.source, updated_at = excluded.updated_at`,
      )
      .run(
        s.id, s.workspace_id, s.customer_id, s.product_id, s.status, s.seats, s.amount,
        s.currency, s.cancel_at_period_end ? 1 : 0, s.current_period_end, s.ends_at,
        s.version.modified, s.version.observed, s.source, now(),
      );
    return true;
  }

  /**
   * Records a webhook delivery and applies its effect in one transaction, unless the id was
   * processed before. `effect` runs inside the transaction and returns the outcome text.
   * Returns `{ duplicate: true }` or `{ duplicate: false, outcome }`.
   */
  recordWebhook(webhookId, eventType, effect) {
    return this.transaction(() => {
      const seen = this.db.prepare("SELECT 1 AS x FROM webhook_events WHERE webhook_id = ?").get(webhookId);
      if (seen) return { duplicate: true };
      const outcome = effect();
      this.db
        .prepare("INSERT INTO webhook_events (webhook_id, event_type, received_at, outcome) VALUES (?, ?, ?, ?)")
        .run(webhookId, eventType, now(), outcome);
      return { duplicate: false, outcome };
    });
  }

  /**
   * Replaces the workspace's projection with Polar's answer. `customerId` null means Polar
   * has no customer for the workspace. Snapshots follow the same never-go-back rule as
   * webhooks; local rows Polar no longer lists are removed unless they were written after
   * `startedMicros` (a webhook that raced the refresh).
   */
  reconcile(workspaceId, customerId, rows, startedMicros) {
    return this.transaction(() => {
      const summary = { applied: 0, skipped_newer_local: 0, removed: 0 };
      if (customerId) this.setCustomer(workspaceId, customerId);
      else this.db.prepare("DELETE FROM billing_customers WHERE workspace_id = ?").run(workspaceId);
      for (const row of rows) {
        if (this.upsertSubscription(row)) summary.applied += 1;
        else summary.skipped_newer_local += 1;
      }
      const keep = new Set(rows.map((r) => r.id));
      const local = this.db
        .prepare("SELECT id, version_observed_us AS observed FROM subscriptions WHERE workspace_id = ?")
        .all(workspaceId);
      for (const { id, observed } of local) {
        if (!keep.has(id) && observed < startedMicros) {
          this.db.prepare("DELETE FROM subscriptions WHERE id = ?").run(id);
          summary.removed += 1;
        }
      }
      return summary;
    });
  }
}
