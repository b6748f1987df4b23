//! The demo app's SQLite store (rusqlite, bundled): migrations and every query. Workspaces,
//! users (cookie sessions), members (seats), billing customers, the subscription projection,
//! processed webhook ids and chat turns. Calls are short and synchronous behind a mutex; no
//! lock is ever held across an `.await`.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::projection::{supersedes, SubscriptionRow, Version};

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    // 1: the whole first schema.
    "CREATE TABLE workspaces (
         id TEXT PRIMARY KEY,
         name TEXT NOT NULL,
         created_at TEXT NOT NULL
     );
     CREATE TABLE users (
         id TEXT PRIMARY KEY,
         session_token TEXT NOT NULL UNIQUE,
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
     );",
];

/// A user's session: who they are and which workspace they act in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user_id: String,
    pub workspace_id: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Member {
    pub email: String,
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Turn {
    pub id: i64,
    pub prompt: String,
    pub reply: String,
    pub created_at: String,
}

/// The outcome of storing a webhook delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookRecord {
    /// The id was already processed: nothing changed.
    Duplicate,
    /// Processed now; the text says what it did.
    Processed(String),
}

/// What a reconcile did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReconcileSummary {
    pub applied: usize,
    pub skipped_newer_local: usize,
    pub removed: usize,
}

#[derive(Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

impl Db {
    /// Opens (or creates) the database file and runs pending migrations.
    pub fn open(path: &Path) -> rusqlite::Result<Db> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&mut conn)?;
        Ok(Db {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent (transactions roll
        // back on drop), so a poisoned lock is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The session for a cookie token, if it exists.
    pub fn session(&self, token: &str) -> rusqlite::Result<Option<Session>> {
        self.lock()
            .query_row(
                "SELECT id, workspace_id, email FROM users WHERE session_token = ?1",
                [token],
                |r| {
                    Ok(Session {
                        user_id: r.get(0)?,
                        workspace_id: r.get(1)?,
                        email: r.get(2)?,
                    })
                },
            )
            .optional()
    }

    /// A first visit: a new workspace with its owner as the first member (one seat).
    /// Returns the session and its cookie token.
    pub fn create_workspace_and_user(&self) -> rusqlite::Result<(Session, String)> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let workspace_id = uuid::Uuid::new_v4().to_string();
        let user_id = uuid::Uuid::new_v4().to_string();
        let token = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let email = format!("owner-{}@demo.test", &user_id[..8]);
        let at = now();
        tx.execute(
            "INSERT INTO workspaces (id, name, created_at) VALUES (?1, ?2, ?3)",
            params![
                workspace_id,
                format!("Workspace {}", &workspace_id[..8]),
                at
            ],
        )?;
        tx.execute(
            "INSERT INTO users (id, session_token, workspace_id, email, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![user_id, token, workspace_id, email, at],
        )?;
        tx.execute(
            "INSERT INTO members (workspace_id, email, role, created_at) VALUES (?1, ?2, 'owner', ?3)",
            params![workspace_id, email, at],
        )?;
        tx.commit()?;
        Ok((
            Session {
                user_id,
                workspace_id,
                email,
            },
            token,
        ))
    }

    pub fn members(&self, workspace_id: &str) -> rusqlite::Result<Vec<Member>> {
        let conn = self.lock();
        let mut stmt =
            conn.prepare("SELECT email, role FROM members WHERE workspace_id = ?1 ORDER BY id")?;
        let rows = stmt.query_map([workspace_id], |r| {
            Ok(Member {
                email: r.get(0)?,
                role: r.get(1)?,
            })
        })?;
        rows.collect()
    }

    /// Adds a member; false if the email is already a member.
    pub fn add_member(&self, workspace_id: &str, email: &str) -> rusqlite::Result<bool> {
        let n = self.lock().execute(
            "INSERT OR IGNORE INTO members (workspace_id, email, role, created_at)
             VALUES (?1, ?2, 'member', ?3)",
            params![workspace_id, email, now()],
        )?;
        Ok(n == 1)
    }

    pub fn member_count(&self, workspace_id: &str) -> rusqlite::Result<i64> {
        self.lock().query_row(
            "SELECT COUNT(*) FROM members WHERE workspace_id = ?1",
            [workspace_id],
            |r| r.get(0),
        )
    }

    pub fn turns(&self, workspace_id: &str) -> rusqlite::Result<Vec<Turn>> {
        let conn = self.lock();
        let mut stmt = conn.prepare(
            "SELECT id, prompt, reply, created_at FROM turns WHERE workspace_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([workspace_id], |r| {
            Ok(Turn {
                id: r.get(0)?,
                prompt: r.get(1)?,
                reply: r.get(2)?,
                created_at: r.get(3)?,
            })
        })?;
        rows.collect()
    }

    pub fn add_turn(
        &self,
        workspace_id: &str,
        prompt: &str,
        reply: &str,
    ) -> rusqlite::Result<Turn> {
        let conn = self.lock();
        let at = now();
        conn.execute(
            "INSERT INTO turns (workspace_id, prompt, reply, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![workspace_id, prompt, reply, at],
        )?;
        Ok(Turn {
            id: conn.last_insert_rowid(),
            prompt: prompt.into(),
            reply: reply.into(),
            created_at: at,
        })
    }

    pub fn billing_customer(&self, workspace_id: &str) -> rusqlite::Result<Option<String>> {
        self.lock()
            .query_row(
                "SELECT polar_customer_id FROM billing_customers WHERE workspace_id = ?1",
                [workspace_id],
                |r| r.get(0),
            )
            .optional()
    }

    pub fn subscriptions(&self, workspace_id: &str) -> rusqlite::Result<Vec<SubscriptionRow>> {
        let conn = self.lock();
        let mut stmt = conn.prepare(
            "SELECT id, workspace_id, customer_id, product_id, status, seats, amount, currency,
                    cancel_at_period_end, current_period_end, ends_at, version_modified_us,
                    version_observed_us, source
             FROM subscriptions WHERE workspace_id = ?1",
        )?;
        let rows = stmt.query_map([workspace_id], |r| {
            Ok(SubscriptionRow {
                id: r.get(0)?,
                workspace_id: r.get(1)?,
                customer_id: r.get(2)?,
                product_id: r.get(3)?,
                status: r.get(4)?,
                seats: r.get(5)?,
                amount: r.get(6)?,
                currency: r.get(7)?,
                cancel_at_period_end: r.get(8)?,
                current_period_end: r.get(9)?,
                ends_at: r.get(10)?,
                version: Version {
                    modified_us: r.get(11)?,
                    observed_us: r.get(12)?,
                },
                source: r.get(13)?,
            })
        })?;
        rows.collect()
    }

    /// Records a delivery and applies its effect in one transaction, unless the id was
    /// already processed. `effect` runs inside the transaction and returns the outcome text.
    pub fn record_webhook(
        &self,
        webhook_id: &str,
        event_type: &str,
        effect: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<String>,
    ) -> rusqlite::Result<WebhookRecord> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let seen = tx
            .query_row(
                "SELECT 1 FROM webhook_events WHERE webhook_id = ?1",
                [webhook_id],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if seen {
            return Ok(WebhookRecord::Duplicate);
        }
        let outcome = effect(&tx)?;
        tx.execute(
            "INSERT INTO webhook_events (webhook_id, event_type, received_at, outcome)
             VALUES (?1, ?2, ?3, ?4)",
            params![webhook_id, event_type, now(), outcome],
        )?;
        tx.commit()?;
        Ok(WebhookRecord::Processed(outcome))
    }

    /// Replaces the workspace's projection with Polar's answer. `customer` None means Polar
    /// has no customer for the workspace. Snapshots are applied with the same
    /// never-go-back rule as webhooks; local rows Polar no longer lists are removed unless
    /// they were written after `started_us` (a webhook that raced the refresh).
    pub fn reconcile(
        &self,
        workspace_id: &str,
        customer: Option<&str>,
        subs: &[SubscriptionRow],
        started_us: i64,
    ) -> rusqlite::Result<ReconcileSummary> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let mut summary = ReconcileSummary::default();
        match customer {
            Some(c) => set_customer(&tx, workspace_id, c)?,
            None => {
                tx.execute(
                    "DELETE FROM billing_customers WHERE workspace_id = ?1",
                    [workspace_id],
                )?;
            }
        }
        for s in subs {
            if upsert_subscription(&tx, s)? {
                summary.applied += 1;
            } else {
                summary.skipped_newer_local += 1;
            }
        }
        let keep: Vec<&str> = subs.iter().map(|s| s.id.as_str()).collect();
        let local: Vec<(String, i64)> = {
            let mut stmt = tx.prepare(
                "SELECT id, version_observed_us FROM subscriptions WHERE workspace_id = ?1",
            )?;
            let rows = stmt.query_map([workspace_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        for (id, observed) in local {
            if !keep.contains(&id.as_str()) && observed < started_us {
                tx.execute("DELETE FROM subscriptions WHERE id = ?1", [&id])?;
                summary.removed += 1;
            }
        }
        tx.commit()?;
        Ok(summary)
    }
}

fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let done: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(done.max(0) as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

pub fn workspace_for_customer(
    conn: &Connection,
    customer_id: &str,
) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT workspace_id FROM billing_customers WHERE polar_customer_id = ?1",
        [customer_id],
        |r| r.get(0),
    )
    .optional()
}

pub fn workspace_exists_tx(conn: &Connection, id: &str) -> rusqlite::Result<bool> {
    conn.query_row("SELECT 1 FROM workspaces WHERE id = ?1", [id], |_| Ok(()))
        .optional()
        .map(|o| o.is_some())
}

/// Links a workspace to its Polar customer.
pub fn set_customer(
    conn: &Connection,
    workspace_id: &str,
    customer_id: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO billing_customers (workspace_id, polar_customer_id, updated_at)
         VALUES (?1, ?2, ?3)
         ON CONFLICT (workspace_id) DO UPDATE SET polar_customer_id = excluded.polar_customer_id,
                                                  updated_at = excluded.updated_at",
        params![workspace_id, customer_id, now()],
    )?;
    Ok(())
}

/// Stores a snapshot if it supersedes the stored one; returns whether it did.
pub fn upsert_subscription(conn: &Connection, s: &SubscriptionRow) -> rusqlite::Result<bool> {
    let stored: Option<Version> = conn
        .query_row(
            "SELECT version_modified_us, version_observed_us FROM subscriptions WHERE id = ?1",
            [&s.id],
            |r| {
                Ok(Version {
                    modified_us: r.get(0)?,
                    observed_us: r.get(1)?,
                })
            },
        )
        .optional()?;
    if !supersedes(s.version, stored) {
        return Ok(false);
    }
    conn.execute(
        "INSERT INTO subscriptions (id, workspace_id, customer_id, product_id, status, seats,
             amount, currency, cancel_at_period_end, current_period_end, ends_at,
             version_modified_us, version_observed_us, source, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
         ON CONFLICT (id) DO UPDATE SET
             workspace_id = excluded.workspace_id, customer_id = excluded.customer_id,
             product_id = excluded.product_id, status = excluded.status, seats = excluded.seats,
             amount = excluded.amount, currency = excluded.currency,
             cancel_at_period_end = excluded.cancel_at_period_end,
             current_period_end = excluded.current_period_end, ends_at = excluded.ends_at,
             version_modified_us = excluded.version_modified_us,
             version_observed_us = excluded.version_observed_us,
             source = excluded.source, updated_at = excluded.updated_at",
        params![
            s.id,
            s.workspace_id,
            s.customer_id,
            s.product_id,
            s.status,
            s.seats,
            s.amount,
            s.currency,
            s.cancel_at_period_end,
            s.current_period_end,
            s.ends_at,
            s.version.modified_us,
            s.version.observed_us,
            s.source,
            now()
        ],
    )?;
    Ok(true)
}
