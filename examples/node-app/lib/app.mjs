// The app's HTTP surface on `node:http`: the `/new` page, the JSON API and the Polar
// webhook receiver. Every Polar failure becomes a JSON error the page can show; nothing here
// renders, logs or returns the access token or the webhook secret.

import { readFileSync } from "node:fs";

import { Billing, PolarFailure, polarFailure } from "./billing.mjs";
import { WEBHOOK_MAX_BYTES, handleWebhook } from "./webhooks.mjs";

export const SESSION_COOKIE = "wt_session";
const PROMPT_MAX_CHARS = 4000;
const JSON_MAX_BYTES = 64 * 1024;
const PAGE = readFileSync(new URL("../public/index.html", import.meta.url));

class HttpError extends Error {
  constructor(status, body) {
    super(body.message);
    this.status = status;
    this.body = body;
  }
}

/** The deterministic assistant: the same prompt always gets the same reply. */
export function assistantReply(prompt) {
  const words = prompt.split(/\s+/).filter(Boolean).length;
  return `You said: \u201c${prompt}\u201d (${words} word${words === 1 ? "" : "s"}). This is Tegy's deterministic reply.`;
}

/**
 * The request handler. `config` from loadConfig, `store` a Store; `appUrl()` gives the
 * app's own base URL once the server listens (Polar sends the browser back there); `log`
 * receives one line per request (stderr by default).
 */
export function createApp(config, store, appUrl, { log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  const billing = new Billing(config, store);

  const routes = {
    "GET /": () => ({ status: 302, headers: { location: "/new" }, body: "" }),
    // A first visit to the page creates the workspace (see sessionOf).
    "GET /new": () => ({ status: 200, headers: html(), body: PAGE }),
    // Browsers ask for it on every page; there is none.
    "GET /favicon.ico": () => ({ status: 204, headers: {}, body: "" }),
    "GET /healthz": () => ({ status: 200, headers: { "content-type": "text/plain; charset=utf-8" }, body: "ok" }),
    "GET /api/billing/status": async ({ session }) => json(200, await billing.statusWithPlan(session.workspace_id)),
    "GET /api/billing/plans": async () => json(200, await billing.plans()),
    "POST /api/billing/checkout": async ({ session }) => json(200, await billing.checkout(session.workspace_id, appUrl())),
    "POST /api/billing/portal": async ({ session }) => {
      const portal = await billing.portal(session.workspace_id, appUrl());
      if (!portal) {
        throw new HttpError(409, {
          error: "no_billing_customer",
          message: "This workspace has no Polar customer yet. Upgrade first to start a subscription.",
        });
      }
      return json(200, portal);
    },
    "POST /api/billing/refresh": async ({ session }) => {
      try {
        await billing.loadProduct();
      } catch {
        // the plan name stays null; the refresh itself reports Polar failures
      }
      const reconciled = await billing.refresh(session.workspace_id);
      return json(200, { ...billing.status(session.workspace_id), reconciled });
    },
    "GET /api/members": ({ session }) => {
      const members = store.members(session.workspace_id);
      return json(200, { members, count: members.length });
    },
    "POST /api/members": async ({ session, req }) => {
      const body = await readJson(req);
      const email = typeof body?.email === "string" ? body.email.trim().toLowerCase() : "";
      if (!email || email.length > 254 || !email.includes("@") || email.startsWith("@") || email.endsWith("@")) {
        throw new HttpError(400, { error: "invalid_email", message: 'Send {"email": "name@example.com"}.' });
      }
      const added = store.addMember(session.workspace_id, email);
      const members = store.members(session.workspace_id);
      return json(added ? 201 : 200, { added, members, count: members.length });
    },
    "GET /api/turns": ({ session }) => json(200, { turns: store.turns(session.workspace_id) }),
    "POST /api/turns": async ({ session, req }) => {
      const body = await readJson(req);
      const prompt = typeof body?.prompt === "string" ? body.prompt.trim() : "";
      if (!prompt || [...prompt].length > PROMPT_MAX_CHARS) {
        throw new HttpError(400, {
          error: "invalid_prompt",
          message: `Send {"prompt": "…"} with 1 to ${PROMPT_MAX_CHARS} characters.`,
        });
      }
      if (config.enforce) {
        const status = billing.status(session.workspace_id);
        if (!status.entitled) {
          throw new HttpError(402, {
            error: "billing_required",
            message: "This workspace has no active subscription. Open Billing to upgrade or fix the payment.",
            billing: status,
          });
        }
      }
      return json(201, { turn: store.addTurn(session.workspace_id, prompt, assistantReply(prompt)) });
    },
  };

  async function webhook(req) {
    let raw;
    try {
      raw = await readBody(req, WEBHOOK_MAX_BYTES);
    } catch (e) {
      if (e instanceof HttpError) return json(e.status, e.body);
      throw e;
    }
    const { status, body } = await handleWebhook({ store, secret: config.webhookSecret }, raw, req.headers);
    return json(status, body);
  }

  return async function handle(req, res) {
    const started = performance.now();
    const path = pathOf(req.url);
    let response;
    try {
      if (req.method === "POST" && path === "/api/polar/webhooks") {
        // Polar calls this without a session: no cookie is read or set.
        response = await webhook(req);
      } else {
        const route = routes[`${req.method} ${path}`];
        if (!route) {
          const known = Object.keys(routes).some((k) => k.endsWith(` ${path}`)) || path === "/api/polar/webhooks";
          response = known
            ? json(405, { error: "method_not_allowed", message: `${req.method} is not allowed on ${path}.` })
            : json(404, { error: "not_found", message: `No route ${path}.` });
        } else if (path === "/healthz" || path === "/" || path === "/favicon.ico") {
          response = await route({ req });
        } else {
          const { session, cookie } = sessionOf(store, req);
          try {
            response = await route({ session, req });
          } catch (e) {
            response = errorResponse(e);
          }
          if (cookie) response.headers = { ...response.headers, "set-cookie": cookie };
        }
      }
    } catch (e) {
      response = errorResponse(e);
    }
    res.writeHead(response.status, { "cache-control": "no-store", ...response.headers });
    res.end(response.body);
    // One line per request: method, path (never the query, which can carry Polar's
    // customer session token), status and time. No headers, no bodies.
    log(`${req.method} ${path} ${response.status} ${Math.round(performance.now() - started)}ms`);
  };
}

/** The request's path without its query; never throws, whatever the client sent. */
function pathOf(url) {
  try {
    return new URL(url, "http://app.invalid").pathname;
  } catch {
    return "/";
  }
}

function errorResponse(e) {
  if (e instanceof HttpError) return json(e.status, e.body);
  let failure = null;
  try {
    failure = e instanceof PolarFailure ? e : polarFailure(e);
  } catch {
    failure = null;
  }
  if (failure) return json(failure.status, failure.body);
  process.stderr.write(`internal error: ${e?.stack ?? e}\n`);
  return json(500, { error: "internal_error", message: "The app failed to answer this request." });
}

/** The caller's session; a first visit creates a workspace and user and sets the cookie. */
function sessionOf(store, req) {
  const token = cookieValue(req.headers.cookie, SESSION_COOKIE);
  const found = token ? store.session(token) : null;
  if (found) return { session: found, cookie: null };
  const { session, token: fresh } = store.createWorkspaceAndUser();
  return {
    session,
    cookie: `${SESSION_COOKIE}=${fresh}; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000`,
  };
}

function cookieValue(header, name) {
  for (const part of (header ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return null;
}

function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    let failed = false;
    req.on("data", (chunk) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(new HttpError(413, { error: "payload_too_large", message: `The body is larger than ${limit} bytes.` }));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => failed || resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

async function readJson(req) {
  const raw = await readBody(req, JSON_MAX_BYTES);
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch {
    return null;
  }
}

const html = () => ({ "content-type": "text/html; charset=utf-8" });
const json = (status, body) => ({
  status,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});
