//! The `/new` page: chat, account menu, billing dialog and workspace members, as one static
//! HTML document whose script talks to the JSON API. Every element a scenario touches has a
//! stable `data-testid` (listed in docs/demo-app.md). The page holds no secret.

pub const PAGE: &str = r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tegy demo</title>
<style>
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d1d1f; background: #f6f6f8; }
  header { display: flex; align-items: center; justify-content: space-between; padding: 10px 20px; background: #fff; border-bottom: 1px solid #e3e3e8; }
  header h1 { font-size: 18px; margin: 0; }
  .menu-wrap { position: relative; }
  button { font: inherit; padding: 7px 14px; border-radius: 8px; border: 1px solid #c9c9d1; background: #fff; cursor: pointer; }
  button.primary { background: #2656d9; color: #fff; border-color: #2656d9; }
  button:disabled { opacity: .45; cursor: not-allowed; }
  .menu { position: absolute; right: 0; top: 42px; background: #fff; border: 1px solid #dcdce2; border-radius: 10px; box-shadow: 0 8px 24px rgba(0,0,0,.12); min-width: 180px; padding: 6px; z-index: 5; }
  .menu button { display: block; width: 100%; text-align: left; border: 0; }
  .menu button:hover { background: #f0f2fa; }
  main { display: grid; grid-template-columns: 1fr 280px; gap: 20px; padding: 20px; max-width: 1200px; margin: 0 auto; }
  .card { background: #fff; border: 1px solid #e3e3e8; border-radius: 12px; padding: 16px; }
  #conversation { min-height: 360px; max-height: 60vh; overflow-y: auto; display: flex; flex-direction: column; gap: 10px; }
  .turn { padding: 9px 12px; border-radius: 10px; max-width: 85%; white-space: pre-wrap; }
  .user { align-self: flex-end; background: #2656d9; color: #fff; }
  .assistant { align-self: flex-start; background: #eef0f5; }
  .empty { color: #777; }
  form.prompt { display: flex; gap: 8px; margin-top: 12px; }
  form.prompt textarea { flex: 1; font: inherit; padding: 9px; border-radius: 8px; border: 1px solid #c9c9d1; resize: vertical; min-height: 44px; }
  .notice { padding: 9px 12px; border-radius: 8px; margin: 8px 0; }
  .notice.info { background: #e8f3ea; color: #1c5b2b; }
  .notice.error { background: #fdecec; color: #8a1c1c; }
  .backdrop { position: fixed; inset: 0; background: rgba(0,0,0,.35); display: flex; align-items: center; justify-content: center; z-index: 10; }
  .dialog { background: #fff; border-radius: 14px; padding: 22px; width: 460px; max-width: 92vw; box-shadow: 0 16px 48px rgba(0,0,0,.25); }
  .dialog h2 { margin: 0 0 12px; font-size: 20px; }
  dl { display: grid; grid-template-columns: 130px 1fr; gap: 6px 12px; margin: 0 0 14px; }
  dt { color: #666; }
  dd { margin: 0; font-weight: 600; }
  .badge { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 13px; }
  .badge.free { background: #eceff4; } .badge.active { background: #dff3e4; color: #17612b; }
  .badge.canceling { background: #fff3d6; color: #7a5300; } .badge.past_due { background: #fde2e2; color: #8a1c1c; }
  .badge.inactive { background: #e6e6e6; color: #444; }
  .actions { display: flex; gap: 8px; flex-wrap: wrap; }
  ul.members { list-style: none; padding: 0; margin: 8px 0; }
  ul.members li { padding: 4px 0; border-bottom: 1px solid #f0f0f3; font-size: 14px; }
  .members form { display: flex; flex-wrap: wrap; gap: 6px; }
  .members input { flex: 1 1 100%; min-width: 0; font: inherit; padding: 6px 8px; border-radius: 8px; border: 1px solid #c9c9d1; }
  [hidden] { display: none !important; }
</style>
</head>
<body data-testid="chat-page">
<header>
  <h1>Tegy <span style="font-weight:400;color:#888">demo</span></h1>
  <div class="menu-wrap">
    <button type="button" data-testid="account-menu" aria-haspopup="menu" aria-expanded="false" id="account-menu">Account ▾</button>
    <div class="menu" role="menu" data-testid="account-menu-items" id="account-menu-items" hidden>
      <button type="button" role="menuitem" data-testid="menu-billing" id="menu-billing">Billing</button>
      <button type="button" role="menuitem" data-testid="menu-members" id="menu-members">Members</button>
    </div>
  </div>
</header>
<main>
  <section class="card">
    <div id="chat-error" class="notice error" data-testid="chat-error" role="alert" hidden></div>
    <div id="conversation" data-testid="conversation" aria-live="polite"></div>
    <form class="prompt" id="prompt-form" data-testid="prompt-form">
      <label for="prompt-input" hidden>Prompt</label>
      <textarea id="prompt-input" data-testid="prompt-input" name="prompt" placeholder="Ask anything…" aria-label="Prompt"></textarea>
      <button type="submit" class="primary" data-testid="send-button" id="send-button">Send</button>
    </form>
  </section>
  <aside class="card members" data-testid="members-panel" id="members-panel">
    <h3 style="margin-top:0">Workspace members (<span data-testid="member-count" id="member-count">…</span>)</h3>
    <p style="margin:0;color:#666;font-size:13px">Each member is one billed seat.</p>
    <ul class="members" data-testid="member-list" id="member-list"></ul>
    <form id="member-form" data-testid="member-form">
      <input type="email" id="member-email" data-testid="member-email-input" placeholder="teammate@example.com" aria-label="Member email" required>
      <button type="submit" data-testid="member-add" id="member-add">Add member</button>
    </form>
    <div id="member-error" class="notice error" data-testid="member-error" role="alert" hidden></div>
  </aside>
</main>

<div class="backdrop" id="billing-backdrop" hidden>
  <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="billing-title" data-testid="billing-dialog" id="billing-dialog">
    <h2 id="billing-title">Billing</h2>
    <div id="billing-notice" class="notice info" data-testid="billing-notice" role="status" hidden></div>
    <div id="billing-error" class="notice error" data-testid="billing-error" role="alert" hidden></div>
    <dl>
      <dt>Plan</dt><dd data-testid="billing-plan" id="billing-plan">…</dd>
      <dt>Status</dt><dd><span class="badge" data-testid="billing-status" id="billing-status" data-status="">…</span></dd>
      <dt id="seats-label">Seats</dt><dd data-testid="billing-seats" id="billing-seats" aria-labelledby="seats-label">…</dd>
      <dt>Price</dt><dd data-testid="billing-price" id="billing-price">…</dd>
      <dt id="billing-date-label">Renews</dt><dd data-testid="billing-date" id="billing-date">—</dd>
    </dl>
    <div class="actions">
      <button type="button" class="primary" data-testid="billing-upgrade" id="billing-upgrade">Upgrade</button>
      <button type="button" data-testid="billing-manage" id="billing-manage">Manage billing</button>
      <button type="button" data-testid="billing-refresh" id="billing-refresh">Refresh</button>
      <button type="button" data-testid="billing-close" id="billing-close" style="margin-left:auto">Close</button>
    </div>
  </div>
</div>

<script>
"use strict";
const $ = (id) => document.getElementById(id);
const STATUS_LABELS = { free: "Free", active: "Active", canceling: "Canceling", past_due: "Past due", inactive: "Inactive" };
let billing = null;
let plan = null;
let busy = 0;

function setBusy(delta) {
  busy += delta;
  document.body.dataset.busy = busy > 0 ? "true" : "false";
}

async function api(method, path, body) {
  setBusy(1);
  try {
    const res = await fetch(path, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
    let data = null;
    try { data = await res.json(); } catch (_) { data = null; }
    return { ok: res.ok, status: res.status, data };
  } catch (e) {
    return { ok: false, status: 0, data: { error: "network", message: "The app could not be reached." } };
  } finally {
    setBusy(-1);
  }
}

function show(el, text) { el.textContent = text || ""; el.hidden = !text; }

function money(cents, currency) {
  if (cents === null || cents === undefined) return "—";
  const cur = (currency || "usd").toUpperCase();
  try { return new Intl.NumberFormat("en-US", { style: "currency", currency: cur }).format(cents / 100); }
  catch (_) { return (cents / 100).toFixed(2) + " " + cur; }
}

function day(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toISOString().slice(0, 10);
}

function renderBilling() {
  const b = billing || {};
  const status = b.status || "free";
  $("billing-plan").textContent = b.plan || (plan && plan.name) || "Tegy";
  const badge = $("billing-status");
  badge.textContent = STATUS_LABELS[status] || status;
  badge.dataset.status = status;
  badge.className = "badge " + status;
  document.body.dataset.billingStatus = status;
  const seats = b.seats !== null && b.seats !== undefined ? b.seats : b.members;
  $("billing-seats").textContent = seats === undefined ? "…" : String(seats);
  const perSeat = b.price_per_seat !== null && b.price_per_seat !== undefined ? b.price_per_seat : (plan && plan.price_per_seat);
  const currency = b.currency || (plan && plan.currency) || "usd";
  const interval = b.interval || (plan && plan.interval) || "month";
  let price = perSeat === null || perSeat === undefined ? "—" : money(perSeat, currency) + " per seat / " + interval;
  if (b.amount !== null && b.amount !== undefined) price += " (" + money(b.amount, currency) + " total)";
  $("billing-price").textContent = price;
  if (status === "canceling" || status === "inactive") {
    $("billing-date-label").textContent = "Ends";
    $("billing-date").textContent = day(b.ends_at);
  } else {
    $("billing-date-label").textContent = "Renews";
    $("billing-date").textContent = day(b.renews_at);
  }
  $("billing-upgrade").disabled = !(status === "free" || status === "inactive");
  $("billing-manage").disabled = !b.customer_id;
}

async function loadBilling() {
  const r = await api("GET", "/api/billing/status");
  if (r.ok) { billing = r.data; show($("billing-error"), ""); }
  else show($("billing-error"), (r.data && r.data.message) || "Could not load billing.");
  renderBilling();
}

async function loadPlan() {
  const r = await api("GET", "/api/billing/plans");
  if (r.ok && r.data.plans && r.data.plans.length) plan = r.data.plans[0];
  else if (!r.ok) show($("billing-error"), (r.data && r.data.message) || "Could not load the plan.");
  renderBilling();
}

async function refreshBilling() {
  const r = await api("POST", "/api/billing/refresh");
  if (r.ok) { billing = r.data; show($("billing-error"), ""); }
  else show($("billing-error"), (r.data && r.data.message) || "Could not refresh billing.");
  renderBilling();
  return r.ok;
}

function openBilling() {
  $("account-menu-items").hidden = true;
  $("account-menu").setAttribute("aria-expanded", "false");
  $("billing-backdrop").hidden = false;
  loadBilling();
  if (!plan) loadPlan();
}

function closeBilling() { $("billing-backdrop").hidden = true; }

async function goTo(path, fallbackMessage) {
  const r = await api("POST", path);
  if (r.ok && r.data && r.data.url) { window.location.assign(r.data.url); return; }
  show($("billing-error"), (r.data && r.data.message) || fallbackMessage);
}

function addTurnBubble(kind, text) {
  const conv = $("conversation");
  const empty = conv.querySelector(".empty");
  if (empty) empty.remove();
  const div = document.createElement("div");
  div.className = "turn " + kind;
  div.dataset.testid = kind === "user" ? "turn-user" : "turn-assistant";
  div.textContent = text;
  conv.appendChild(div);
  conv.scrollTop = conv.scrollHeight;
}

async function loadTurns() {
  const r = await api("GET", "/api/turns");
  const conv = $("conversation");
  conv.textContent = "";
  if (r.ok && r.data.turns.length) {
    for (const t of r.data.turns) { addTurnBubble("user", t.prompt); addTurnBubble("assistant", t.reply); }
  } else {
    const p = document.createElement("p");
    p.className = "empty"; p.dataset.testid = "conversation-empty";
    p.textContent = "No messages yet. Say hello!";
    conv.appendChild(p);
  }
}

async function sendPrompt(ev) {
  ev.preventDefault();
  const input = $("prompt-input");
  const prompt = input.value.trim();
  if (!prompt) return;
  $("send-button").disabled = true;
  show($("chat-error"), "");
  const r = await api("POST", "/api/turns", { prompt });
  $("send-button").disabled = false;
  if (r.ok) {
    input.value = "";
    addTurnBubble("user", r.data.turn.prompt);
    addTurnBubble("assistant", r.data.turn.reply);
  } else if (r.status === 402) {
    show($("chat-error"), (r.data && r.data.message) || "Billing required.");
    if (r.data && r.data.billing) billing = r.data.billing;
    openBilling();
    show($("billing-notice"), "Your workspace needs an active subscription to keep chatting.");
  } else {
    show($("chat-error"), (r.data && r.data.message) || "The message could not be sent.");
  }
}

async function loadMembers() {
  const r = await api("GET", "/api/members");
  if (!r.ok) { show($("member-error"), (r.data && r.data.message) || "Could not load members."); return; }
  renderMembers(r.data.members);
}

function renderMembers(members) {
  const ul = $("member-list");
  ul.textContent = "";
  for (const m of members) {
    const li = document.createElement("li");
    li.dataset.testid = "member-item";
    li.textContent = m.email + (m.role === "owner" ? " (owner)" : "");
    ul.appendChild(li);
  }
  $("member-count").textContent = String(members.length);
}

async function addMember(ev) {
  ev.preventDefault();
  const email = $("member-email").value.trim();
  if (!email) return;
  const r = await api("POST", "/api/members", { email });
  if (r.ok) { $("member-email").value = ""; show($("member-error"), ""); renderMembers(r.data.members); loadBilling(); }
  else show($("member-error"), (r.data && r.data.message) || "Could not add the member.");
}

async function afterCheckout() {
  openBilling();
  show($("billing-notice"), "Thanks! Your purchase is being confirmed…");
  for (let i = 0; i < 10; i++) {
    const ok = await refreshBilling();
    if (!ok || (billing && billing.entitled)) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  if (billing && billing.entitled) show($("billing-notice"), "Purchase complete. Your subscription is active.");
  else if (billing) show($("billing-notice"), "We have not received confirmation from Polar yet. Use Refresh to check again.");
}

$("account-menu").addEventListener("click", () => {
  const menu = $("account-menu-items");
  menu.hidden = !menu.hidden;
  $("account-menu").setAttribute("aria-expanded", String(!menu.hidden));
});
$("menu-billing").addEventListener("click", openBilling);
$("menu-members").addEventListener("click", () => { $("account-menu-items").hidden = true; $("member-email").focus(); });
$("billing-close").addEventListener("click", closeBilling);
$("billing-upgrade").addEventListener("click", () => goTo("/api/billing/checkout", "Could not start checkout."));
$("billing-manage").addEventListener("click", () => goTo("/api/billing/portal", "Could not open the billing portal."));
$("billing-refresh").addEventListener("click", async () => { show($("billing-notice"), ""); await refreshBilling(); });
$("prompt-form").addEventListener("submit", sendPrompt);
$("member-form").addEventListener("submit", addMember);
document.addEventListener("keydown", (e) => { if (e.key === "Escape") closeBilling(); });

(async function init() {
  const params = new URLSearchParams(window.location.search);
  // Polar appends the customer's portal session token to the success URL. The app opens the
  // portal through its own API, so drop the token from the address bar (and from history,
  // screenshots and Referer headers).
  if (params.has("customer_session_token")) {
    const clean = new URL(window.location.href);
    clean.searchParams.delete("customer_session_token");
    window.history.replaceState(null, "", clean.pathname + clean.search + clean.hash);
  }
  await Promise.all([loadTurns(), loadMembers()]);
  if (params.get("billing") === "success") await afterCheckout();
  else if (params.get("billing") === "portal") { openBilling(); await refreshBilling(); }
  else await loadBilling();
  document.body.dataset.ready = "true";
})();
</script>
</body>
</html>
"##;
