// The app's database: SQLite through Node's built-in `node:sqlite` (Node 22). Workspaces and
// their members, chat turns, the subscriptions Polar told us about (webhooks and refreshes)
// and the entitlements Polar granted (benefit grants). Nothing here talks to Polar.

import { createHash, randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { DatabaseSync } from "node:sqlite";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS workspaces (
  id TEXT PRIMARY KEY,
  session_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS members (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id),
  email TEXT NOT NULL,
  role TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (workspace_id, email)
);
CREATE TABLE IF NOT EXISTS turns (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id),
  prompt TEXT NOT NULL,
  reply TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS subscriptions (
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
  modified_ms INTEGER NOT NULL,
  source TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS entitlements (
  workspace_id TEXT NOT NULL REFERENCES workspaces(id),
  benefit_id TEXT NOT NULL,
  benefit TEXT NOT NULL,
  grant_id TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  granted_by TEXT NOT NULL,
  granted_at TEXT NOT NULL,
  PRIMARY KEY (workspace_id, benefit_id)
);
`;

export type Subscription = {
  id: string;
  workspaceId: string;
  customerId: string;
  productId: string;
  status: string;
  seats: number | null;
  amount: number;
  currency: string;
  cancelAtPeriodEnd: boolean;
  currentPeriodEnd: string | null;
  endsAt: string | null;
  modifiedMs: number;
  source: string;
};

export type Entitlement = {
  benefitId: string;
  benefit: string;
  grantId: string;
  customerId: string;
  grantedBy: string;
  grantedAt: string;
};

const now = () => new Date().toISOString();
const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

export class Store {
  private db: DatabaseSync;

  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.db = new DatabaseSync(path);
    this.db.exec("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;");
    this.db.exec(SCHEMA);
  }

  private transaction<T>(fn: () => T): T {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const out = fn();
      this.db.exec("COMMIT");
      return out;
    } catch (e) {
      this.db.exec("ROLLBACK");
      throw e;
    }
  }

  /**
   * The workspace of a session cookie; the first request with a new cookie creates the
   * workspace, whose owner is its first member (one seat).
   */
  workspaceForSession(token: string): string {
    const hash = hashToken(token);
    return this.transaction(() => {
      const row = this.db.prepare("SELECT id FROM workspaces WHERE session_hash = ?").get(hash);
      if (row) return String(row.id);
      const id = randomUUID();
      const at = now();
      this.db.prepare("INSERT INTO workspaces (id, session_hash, created_at) VALUES (?, ?, ?)").run(id, hash, at);
      this.db
        .prepare("INSERT INTO members (workspace_id, email, role, created_at) VALUES (?, ?, 'owner', ?)")
        .run(id, `owner-${id.slice(0, 8)}@tegy-adapter.test`, at);
      return id;
    });
  }

  workspaceExists(id: string): boolean {
    return this.db.prepare("SELECT 1 AS x FROM workspaces WHERE id = ?").get(id) !== undefined;
  }

  members(workspaceId: string): { email: string; role: string }[] {
    return this.db
      .prepare("SELECT email, role FROM members WHERE workspace_id = ? ORDER BY id")
      .all(workspaceId)
      .map((r) => ({ email: String(r.email), role: String(r.role) }));
  }

  /** Adds a member; false if the email is one already. */
  addMember(workspaceId: string, email: string): boolean {
    const r = this.db
      .prepare("INSERT OR IGNORE INTO members (workspace_id, email, role, created_at) VALUES (?, ?, 'member', ?)")
      .run(workspaceId, email, now());
    return r.changes === 1;
  }

  memberCount(workspaceId: string): number {
    return Number(this.db.prepare("SELECT COUNT(*) AS n FROM members WHERE workspace_id = ?").get(workspaceId)?.n);
  }

  turns(workspaceId: string) {
    return this.db
      .prepare("SELECT id, prompt, reply, created_at FROM turns WHERE workspace_id = ? ORDER BY id")
      .all(workspaceId)
      .map((r) => ({ id: Number(r.id), prompt: String(r.prompt), reply: String(r.reply), created_at: String(r.created_at) }));
  }

  addTurn(workspaceId: string, prompt: string, reply: string) {
    const at = now();
    const r = this.db
      .prepare("INSERT INTO turns (workspace_id, prompt, reply, created_at) VALUES (?, ?, ?, ?)")
      .run(workspaceId, prompt, reply, at);
    return { id: Number(r.lastInsertRowid), prompt, reply, created_at: at };
  }

  subscriptions(workspaceId: string): Subscription[] {
    return this.db
      .prepare("SELECT * FROM subscriptions WHERE workspace_id = ?")
      .all(workspaceId)
      .map((r) => ({
        id: String(r.id),
        workspaceId: String(r.workspace_id),
        customerId: String(r.customer_id),
        productId: String(r.product_id),
        status: String(r.status),
        seats: r.seats === null ? null : Number(r.seats),
        amount: Number(r.amount),
        currency: String(r.currency),
        cancelAtPeriodEnd: r.cancel_at_period_end === 1,
        currentPeriodEnd: r.current_period_end === null ? null : String(r.current_period_end),
        endsAt: r.ends_at === null ? null : String(r.ends_at),
        modifiedMs: Number(r.modified_ms),
        source: String(r.source),
      }));
  }

  /**
   * Stores a subscription snapshot unless the stored one is newer (Polar's `modified_at`),
   * so a late or redelivered webhook never moves it back in time. Returns whether it did.
   */
  upsertSubscription(s: Subscription): boolean {
    return this.transaction(() => {
      const stored = this.db.prepare("SELECT modified_ms FROM subscriptions WHERE id = ?").get(s.id);
      if (stored && Number(stored.modified_ms) > s.modifiedMs) return false;
      this.db
        .prepare(
          `INSERT INTO subscriptions (id, workspace_id, customer_id, product_id, status, seats, amount, currency,
               cancel_at_period_end, current_period_end, ends_at, modified_ms, source)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET
               status = excluded.status, seats = excluded.seats, amount = excluded.amount,
               currency = excluded.currency, cancel_at_period_end = excluded.cancel_at_period_end,
               current_period_end = excluded.current_period_end, ends_at = excluded.ends_at,
               modified_ms = excluded.modified_ms, source = excluded.source`,
        )
        .run(
          s.id, s.workspaceId, s.customerId, s.productId, s.status, s.seats, s.amount, s.currency,
          s.cancelAtPeriodEnd ? 1 : 0, s.currentPeriodEnd, s.endsAt, s.modifiedMs, s.source,
        );
      return true;
    });
  }

  /** The workspace's entitlements in force (benefits Polar granted and has not revoked). */
  entitlements(workspaceId: string): Entitlement[] {
    return this.db
      .prepare("SELECT * FROM entitlements WHERE workspace_id = ? ORDER BY granted_at")
      .all(workspaceId)
      .map((r) => ({
        benefitId: String(r.benefit_id),
        benefit: String(r.benefit),
        grantId: String(r.grant_id),
        customerId: String(r.customer_id),
        grantedBy: String(r.granted_by),
        grantedAt: String(r.granted_at),
      }));
  }

  grant(workspaceId: string, e: Omit<Entitlement, "grantedAt">): void {
    this.db
      .prepare(
        `INSERT INTO entitlements (workspace_id, benefit_id, benefit, grant_id, customer_id, granted_by, granted_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (workspace_id, benefit_id) DO UPDATE SET
             benefit = excluded.benefit, grant_id = excluded.grant_id, customer_id = excluded.customer_id,
             granted_by = excluded.granted_by, granted_at = excluded.granted_at`,
      )
      .run(workspaceId, e.benefitId, e.benefit, e.grantId, e.customerId, e.grantedBy, now());
  }

  /** Revokes the entitlement the grant `grantId` gave; a revocation of an older grant is ignored. */
  revoke(workspaceId: string, benefitId: string, grantId: string): void {
    this.db
      .prepare("DELETE FROM entitlements WHERE workspace_id = ? AND benefit_id = ? AND grant_id = ?")
      .run(workspaceId, benefitId, grantId);
  }
}

declare global {
  var tegyStore: Store | undefined;
}

/** The one store of this server process (`DATABASE_PATH`, default `data/tegy.sqlite`). */
export function store(): Store {
  globalThis.tegyStore ??= new Store(process.env.DATABASE_PATH || join(process.cwd(), "data", "tegy.sqlite"));
  return globalThis.tegyStore;
}
