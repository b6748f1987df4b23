"use client";

// The page: conversation, members (each one a billed seat) and the billing dialog. Upgrade
// and Manage billing are plain links to the adapter's routes (/api/checkout, /api/portal).

import { useCallback, useEffect, useRef, useState } from "react";

type Billing = {
  workspace_id: string;
  status: string;
  entitled: boolean;
  plan: string | null;
  product_id: string;
  members: number;
  seats: number | null;
  amount: number | null;
  currency: string | null;
  price_per_seat: number | null;
  interval: string | null;
  renews_at: string | null;
  ends_at: string | null;
  customer_id: string | null;
};
type Plan = { name: string; price_per_seat: number | null; currency: string | null; interval: string | null };
type Turn = { id: number; prompt: string; reply: string };
type Member = { email: string; role: string };
type Answer = { ok: boolean; status: number; data: Record<string, unknown> | null };

const STATUS_LABELS: Record<string, string> = {
  free: "Free",
  active: "Active",
  canceling: "Canceling",
  past_due: "Past due",
  inactive: "Inactive",
};

function money(cents: number | null | undefined, currency: string) {
  if (cents === null || cents === undefined) return "—";
  const cur = currency.toUpperCase();
  try {
    return new Intl.NumberFormat("en-US", { style: "currency", currency: cur }).format(cents / 100);
  } catch {
    return `${(cents / 100).toFixed(2)} ${cur}`;
  }
}

function day(iso: string | null | undefined) {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(0, 10);
}

const messageOf = (r: Answer, fallback: string) => (r.data?.message as string | undefined) || fallback;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function Tegy() {
  const [busy, setBusy] = useState(0);
  const [ready, setReady] = useState(false);
  const [menuOpen, setMenuOpen] = useState(false);
  const [dialogOpen, setDialogOpen] = useState(false);
  const [billing, setBilling] = useState<Billing | null>(null);
  const [plan, setPlan] = useState<Plan | null>(null);
  const [billingNotice, setBillingNotice] = useState("");
  const [billingError, setBillingError] = useState("");
  const [turns, setTurns] = useState<Turn[] | null>(null);
  const [chatError, setChatError] = useState("");
  const [sending, setSending] = useState(false);
  const [prompt, setPrompt] = useState("");
  const [members, setMembers] = useState<Member[] | null>(null);
  const [memberEmail, setMemberEmail] = useState("");
  const [memberError, setMemberError] = useState("");
  const memberInput = useRef<HTMLInputElement>(null);
  const conversation = useRef<HTMLDivElement>(null);

  const api = useCallback(async (method: string, path: string, body?: unknown): Promise<Answer> => {
    setBusy((b) => b + 1);
    try {
      const res = await fetch(path, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
      });
      const data = await res.json().catch(() => null);
      return { ok: res.ok, status: res.status, data };
    } catch {
      return { ok: false, status: 0, data: { message: "The app could not be reached." } };
    } finally {
      setBusy((b) => b - 1);
    }
  }, []);

  const loadBilling = useCallback(async () => {
    const r = await api("GET", "/api/billing/status");
    if (r.ok) {
      setBilling(r.data as Billing);
      setBillingError("");
    } else setBillingError(messageOf(r, "Could not load billing."));
  }, [api]);

  const loadPlan = useCallback(async () => {
    const r = await api("GET", "/api/billing/plans");
    const plans = r.data?.plans as Plan[] | undefined;
    if (r.ok && plans?.length) setPlan(plans[0]);
    else if (!r.ok) setBillingError(messageOf(r, "Could not load the plan."));
  }, [api]);

  const refreshBilling = useCallback(async (): Promise<Billing | null> => {
    const r = await api("POST", "/api/billing/refresh");
    if (!r.ok) {
      setBillingError(messageOf(r, "Could not refresh billing."));
      return null;
    }
    setBilling(r.data as Billing);
    setBillingError("");
    return r.data as Billing;
  }, [api]);

  const openBilling = useCallback(() => {
    setMenuOpen(false);
    setDialogOpen(true);
    void loadBilling();
    void loadPlan();
  }, [loadBilling, loadPlan]);

  const loadMembers = useCallback(async () => {
    const r = await api("GET", "/api/members");
    if (r.ok) setMembers(r.data?.members as Member[]);
    else setMemberError(messageOf(r, "Could not load members."));
  }, [api]);

  const loadTurns = useCallback(async () => {
    const r = await api("GET", "/api/turns");
    setTurns(r.ok ? (r.data?.turns as Turn[]) : []);
  }, [api]);

  /** Back from Polar's checkout: refresh until Polar's grant gives the workspace access. */
  const afterCheckout = useCallback(async () => {
    setDialogOpen(true);
    void loadPlan();
    setBillingNotice("Thanks! Your purchase is being confirmed…");
    let b: Billing | null = null;
    for (let i = 0; i < 10; i++) {
      b = await refreshBilling();
      if (!b || b.entitled) break;
      await sleep(1000);
    }
    if (b?.entitled) setBillingNotice("Purchase complete. Your subscription is active.");
    else if (b) setBillingNotice("We have not received confirmation from Polar yet. Use Refresh to check again.");
  }, [loadPlan, refreshBilling]);

  useEffect(() => {
    const params = new URLSearchParams(window.location.search);
    // Polar appends the customer's portal session token to the success URL: keep it out of
    // the address bar, history, screenshots and Referer headers.
    if (params.has("customer_session_token")) {
      const clean = new URL(window.location.href);
      clean.searchParams.delete("customer_session_token");
      window.history.replaceState(null, "", clean.pathname + clean.search + clean.hash);
    }
    void (async () => {
      await Promise.all([loadTurns(), loadMembers()]);
      if (params.get("billing") === "success") await afterCheckout();
      else if (params.get("billing") === "portal") {
        openBilling();
        await refreshBilling();
      } else await loadBilling();
      setReady(true);
    })();
  }, [afterCheckout, loadBilling, loadMembers, loadTurns, openBilling, refreshBilling]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && setDialogOpen(false);
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);

  useEffect(() => {
    if (conversation.current) conversation.current.scrollTop = conversation.current.scrollHeight;
  }, [turns]);

  async function sendPrompt(ev: React.FormEvent) {
    ev.preventDefault();
    const text = prompt.trim();
    if (!text) return;
    setSending(true);
    setChatError("");
    const r = await api("POST", "/api/turns", { prompt: text });
    setSending(false);
    if (r.ok) {
      setPrompt("");
      setTurns((t) => [...(t ?? []), r.data?.turn as Turn]);
    } else if (r.status === 402) {
      setChatError(messageOf(r, "Billing required."));
      if (r.data?.billing) setBilling(r.data.billing as Billing);
      openBilling();
      setBillingNotice("Your workspace needs an active subscription to keep chatting.");
    } else setChatError(messageOf(r, "The message could not be sent."));
  }

  async function addMember(ev: React.FormEvent) {
    ev.preventDefault();
    const email = memberEmail.trim();
    if (!email) return;
    const r = await api("POST", "/api/members", { email });
    if (r.ok) {
      setMemberEmail("");
      setMemberError("");
      setMembers(r.data?.members as Member[]);
      void loadBilling();
    } else setMemberError(messageOf(r, "Could not add the member."));
  }

  function upgrade() {
    if (!billing) return;
    const q = new URLSearchParams({
      products: billing.product_id,
      seats: String(Math.max(1, billing.members)),
      customerExternalId: billing.workspace_id,
    });
    window.location.assign(`/api/checkout?${q}`);
  }

  const status = billing?.status ?? "free";
  const seats = billing ? (billing.seats ?? billing.members) : null;
  const perSeat = billing?.price_per_seat ?? plan?.price_per_seat ?? null;
  const currency = billing?.currency || plan?.currency || "usd";
  const interval = billing?.interval || plan?.interval || "month";
  let price = perSeat === null ? "—" : `${money(perSeat, currency)} per seat / ${interval}`;
  if (billing?.amount !== null && billing?.amount !== undefined) price += ` (${money(billing.amount, currency)} total)`;
  const ends = status === "canceling" || status === "inactive";

  return (
    <body
      data-testid="chat-page"
      data-busy={busy > 0 ? "true" : "false"}
      data-ready={ready ? "true" : undefined}
      data-billing-status={status}
    >
      <header>
        <h1>
          Tegy <span style={{ fontWeight: 400, color: "#888" }}>next</span>
        </h1>
        <div className="menu-wrap">
          <button
            type="button"
            data-testid="account-menu"
            aria-haspopup="menu"
            aria-expanded={menuOpen}
            onClick={() => setMenuOpen((o) => !o)}
          >
            Account ▾
          </button>
          <div className="menu" role="menu" data-testid="account-menu-items" hidden={!menuOpen}>
            <button type="button" role="menuitem" data-testid="menu-billing" onClick={openBilling}>
              Billing
            </button>
            <button
              type="button"
              role="menuitem"
              data-testid="menu-members"
              onClick={() => {
                setMenuOpen(false);
                memberInput.current?.focus();
              }}
            >
              Members
            </button>
          </div>
        </div>
      </header>
      <main>
        <section className="card">
          <div className="notice error" data-testid="chat-error" role="alert" hidden={!chatError}>
            {chatError}
          </div>
          <div id="conversation" data-testid="conversation" aria-live="polite" ref={conversation}>
            {turns !== null && turns.length === 0 && (
              <p className="empty" data-testid="conversation-empty">
                No messages yet. Say hello!
              </p>
            )}
            {turns?.map((t) => [
              <div key={`u${t.id}`} className="turn user" data-testid="turn-user">
                {t.prompt}
              </div>,
              <div key={`a${t.id}`} className="turn assistant" data-testid="turn-assistant">
                {t.reply}
              </div>,
            ])}
          </div>
          <form className="prompt" data-testid="prompt-form" onSubmit={sendPrompt}>
            <label htmlFor="prompt-input" hidden>
              Prompt
            </label>
            <textarea
              id="prompt-input"
              data-testid="prompt-input"
              name="prompt"
              placeholder="Ask anything…"
              aria-label="Prompt"
              value={prompt}
              onChange={(e) => setPrompt(e.target.value)}
            />
            <button type="submit" className="primary" data-testid="send-button" disabled={sending}>
              Send
            </button>
          </form>
        </section>
        <aside className="card members" data-testid="members-panel">
          <h3 style={{ marginTop: 0 }}>
            Workspace members (<span data-testid="member-count">{members ? members.length : "…"}</span>)
          </h3>
          <p style={{ margin: 0, color: "#666", fontSize: 13 }}>Each member is one billed seat.</p>
          <ul className="members" data-testid="member-list">
            {members?.map((m) => (
              <li key={m.email} data-testid="member-item">
                {m.email + (m.role === "owner" ? " (owner)" : "")}
              </li>
            ))}
          </ul>
          <form data-testid="member-form" onSubmit={addMember}>
            <input
              type="email"
              ref={memberInput}
              data-testid="member-email-input"
              placeholder="teammate@example.com"
              aria-label="Member email"
              required
              value={memberEmail}
              onChange={(e) => setMemberEmail(e.target.value)}
            />
            <button type="submit" data-testid="member-add">
              Add member
            </button>
          </form>
          <div className="notice error" data-testid="member-error" role="alert" hidden={!memberError}>
            {memberError}
          </div>
        </aside>
      </main>

      <div className="backdrop" hidden={!dialogOpen}>
        <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="billing-title" data-testid="billing-dialog">
          <h2 id="billing-title">Billing</h2>
          <div className="notice info" data-testid="billing-notice" role="status" hidden={!billingNotice}>
            {billingNotice}
          </div>
          <div className="notice error" data-testid="billing-error" role="alert" hidden={!billingError}>
            {billingError}
          </div>
          <dl>
            <dt>Plan</dt>
            <dd data-testid="billing-plan">{billing?.plan || plan?.name || "Tegy"}</dd>
            <dt>Status</dt>
            <dd>
              <span className={`badge ${status}`} data-testid="billing-status" data-status={status}>
                {STATUS_LABELS[status] ?? status}
              </span>
            </dd>
            <dt id="seats-label">Seats</dt>
            <dd data-testid="billing-seats" aria-labelledby="seats-label">
              {seats === null ? "…" : String(seats)}
            </dd>
            <dt>Price</dt>
            <dd data-testid="billing-price">{price}</dd>
            <dt>{ends ? "Ends" : "Renews"}</dt>
            <dd data-testid="billing-date">{day(ends ? billing?.ends_at : billing?.renews_at)}</dd>
          </dl>
          <div className="actions">
            <button
              type="button"
              className="primary"
              data-testid="billing-upgrade"
              disabled={!billing || !(status === "free" || status === "inactive")}
              onClick={upgrade}
            >
              Upgrade
            </button>
            <button
              type="button"
              data-testid="billing-manage"
              disabled={!billing?.customer_id}
              onClick={() => window.location.assign("/api/portal")}
            >
              Manage billing
            </button>
            <button
              type="button"
              data-testid="billing-refresh"
              onClick={async () => {
                setBillingNotice("");
                await refreshBilling();
              }}
            >
              Refresh
            </button>
            <button
              type="button"
              data-testid="billing-close"
              style={{ marginLeft: "auto" }}
              onClick={() => setDialogOpen(false)}
            >
              Close
            </button>
          </div>
        </div>
      </div>
    </body>
  );
}
