"""The app's HTTP surface on Starlette: the ``/new`` page, the JSON API and the Polar
webhook receiver. Every Polar failure becomes a JSON error the page can show; nothing here
renders, logs or returns the access token or the webhook secret.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tegy.billing import Billing, PolarFailure, polar_failure
from tegy.config import Config
from tegy.store import Store
from tegy.webhooks import WEBHOOK_MAX_BYTES, handle_webhook, load_payload_types

SESSION_COOKIE = "wt_session"
PROMPT_MAX_CHARS = 4000
JSON_MAX_BYTES = 64 * 1024
PAGE = (Path(__file__).resolve().parent.parent / "public" / "index.html").read_bytes()


class HttpError(Exception):
    def __init__(self, status: int, error: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": error, "message": message, **extra}


def assistant_reply(prompt: str) -> str:
    """The deterministic assistant: the same prompt always gets the same reply."""
    words = len(prompt.split())
    return (
        f"You said: \u201c{prompt}\u201d ({words} word{'' if words == 1 else 's'}). "
        "This is Tegy's deterministic reply."
    )


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or 413 once it grows past ``limit`` bytes."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HttpError(413, "payload_too_large", f"The body is larger than {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request) -> Any:
    try:
        return json.loads(await read_body(request, JSON_MAX_BYTES))
    except ValueError:
        return None


def error_response(e: Exception) -> JSONResponse:
    if isinstance(e, HttpError):
        return JSONResponse(e.body, e.status)
    failure = e if isinstance(e, PolarFailure) else polar_failure(e)
    if failure is not None:
        return JSONResponse(failure.body, failure.status)
    print(f"internal error: {''.join(traceback.format_exception(e))}", file=sys.stderr, flush=True)
    body = {"error": "internal_error", "message": "The app failed to answer this request."}
    return JSONResponse(body, 500)


Handler = Callable[[Request, dict[str, str]], Awaitable[Response]]


def with_session(store: Store, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """The caller's session for ``handler``; a first visit creates a workspace and user and
    sets the cookie. Errors become JSON answers."""

    async def endpoint(request: Request) -> Response:
        token = request.cookies.get(SESSION_COOKIE)
        session = store.session(token) if token else None
        fresh = None
        if session is None:
            session, fresh = store.create_workspace_and_user()
        try:
            response = await handler(request, session)
        except Exception as e:  # noqa: BLE001 - every failure is answered
            response = error_response(e)
        if fresh is not None:
            response.set_cookie(
                SESSION_COOKIE, fresh, max_age=31536000, path="/", httponly=True, samesite="lax"
            )
        return response

    return endpoint


def routes(
    config: Config, store: Store, billing: Billing, app_url: str, payload_types: PayloadTypes
) -> list[Route]:
    """Every route: the page and health, the billing and product API, the webhook (which
    waits for ``payload_types``, the SDK's webhook loader being built)."""

    async def status(_: Request, s: dict[str, str]) -> Response:
        return JSONResponse(await billing.status_with_plan(s["workspace_id"]))

    async def plans(_: Request, s: dict[str, str]) -> Response:
        return JSONResponse(await billing.plans())

    async def checkout(_: Request, s: dict[str, str]) -> Response:
        return JSONResponse(await billing.checkout(s["workspace_id"], app_url))

    async def portal(_: Request, s: dict[str, str]) -> Response:
        found = await billing.portal(s["workspace_id"], app_url)
        if found is None:
            message = (
                "This workspace has no Polar customer yet. Upgrade first to start a "
                "subscription."
            )
            raise HttpError(409, "no_billing_customer", message)
        return JSONResponse(found)

    async def refresh(_: Request, s: dict[str, str]) -> Response:
        # The plan name stays None on a failure; the refresh itself reports Polar failures.
        with contextlib.suppress(Exception):
            await billing.load_product()
        reconciled = await billing.refresh(s["workspace_id"])
        return JSONResponse({**billing.status(s["workspace_id"]), "reconciled": reconciled})

    async def webhook(request: Request) -> Response:
        # Polar calls this without a session: no cookie is read or set.
        try:
            body = await read_body(request, WEBHOOK_MAX_BYTES)
        except HttpError as e:
            return JSONResponse(e.body, e.status)
        await payload_types.ready()
        code, answer = handle_webhook(store, config.webhook_secret, body, request.headers)
        return JSONResponse(answer, code)

    session = lambda handler: with_session(store, handler)  # noqa: E731
    return [
        Route("/", lambda _: RedirectResponse("/new", 302)),
        Route("/new", session(lambda _r, _s: _page())),
        Route("/favicon.ico", lambda _: Response(status_code=204)),
        Route("/healthz", lambda _: PlainTextResponse("ok")),
        Route("/api/billing/status", session(status)),
        Route("/api/billing/plans", session(plans)),
        Route("/api/billing/checkout", session(checkout), methods=["POST"]),
        Route("/api/billing/portal", session(portal), methods=["POST"]),
        Route("/api/billing/refresh", session(refresh), methods=["POST"]),
        Route("/api/members", session(members(store)), methods=["GET", "POST"]),
        Route("/api/turns", session(turns(config, store, billing)), methods=["GET", "POST"]),
        Route("/api/polar/webhooks", webhook, methods=["POST"]),
    ]


async def _page() -> Response:
    return Response(PAGE, media_type="text/html; charset=utf-8")


def members(store: Store) -> Handler:
    """``GET /api/members`` lists them, ``POST`` adds ``{"email"}`` (each member is a seat)."""

    async def handler(request: Request, s: dict[str, str]) -> Response:
        ws = s["workspace_id"]
        added = None
        if request.method == "POST":
            body = await read_json(request)
            email = body.get("email") if isinstance(body, dict) else None
            email = email.strip().lower() if isinstance(email, str) else ""
            invalid = not email or len(email) > 254 or "@" not in email
            if invalid or email.startswith("@") or email.endswith("@"):
                raise HttpError(400, "invalid_email", 'Send {"email": "name@example.com"}.')
            added = store.add_member(ws, email)
        listed = store.members(ws)
        if added is None:
            return JSONResponse({"members": listed, "count": len(listed)})
        body = {"added": added, "members": listed, "count": len(listed)}
        return JSONResponse(body, 201 if added else 200)

    return handler


def turns(config: Config, store: Store, billing: Billing) -> Handler:
    """``GET /api/turns`` lists them; ``POST`` answers ``{"prompt"}``, or 402 without an
    entitlement when billing is enforced (before anything is stored)."""

    async def handler(request: Request, s: dict[str, str]) -> Response:
        ws = s["workspace_id"]
        if request.method == "GET":
            return JSONResponse({"turns": store.turns(ws)})
        body = await read_json(request)
        prompt = body.get("prompt") if isinstance(body, dict) else None
        prompt = prompt.strip() if isinstance(prompt, str) else ""
        if not prompt or len(prompt) > PROMPT_MAX_CHARS:
            message = f'Send {{"prompt": "…"}} with 1 to {PROMPT_MAX_CHARS} characters.'
            raise HttpError(400, "invalid_prompt", message)
        if config.enforce:
            status = billing.status(ws)
            if not status["entitled"]:
                message = (
                    "This workspace has no active subscription. Open Billing to upgrade or "
                    "fix the payment."
                )
                raise HttpError(402, "billing_required", message, billing=status)
        turn = store.add_turn(ws, prompt, assistant_reply(prompt))
        return JSONResponse({"turn": turn}, 201)

    return handler


async def _json_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}."
        body = {"error": "method_not_allowed", "message": message}
    else:
        body = {"error": "not_found", "message": f"No route {request.url.path}."}
    return JSONResponse(body, exc.status_code)


class RequestLog:
    """One line per request on stderr: method, path (never the query, which can carry
    Polar's customer session token), status and time; no headers, no bodies. Every answer
    is ``Cache-Control: no-store``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"cache-control", b"no-store")]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            ms = round((time.monotonic() - started) * 1000)
            print(f"{scope['method']} {scope['path']} {status} {ms}ms", file=sys.stderr, flush=True)


class PayloadTypes:
    """The SDK's webhook loader, built in a worker thread from the app's start on
    (``load_payload_types``); deliveries wait for it instead of building it themselves."""

    def __init__(self) -> None:
        self.task: asyncio.Future[None] | None = None

    def start(self) -> None:
        self.task = asyncio.ensure_future(run_in_threadpool(load_payload_types))

    async def ready(self) -> None:
        if self.task is not None:
            # A failure here shows again, with its reason, in the delivery's own validation.
            with contextlib.suppress(Exception):
                await asyncio.shield(self.task)


def create_app(config: Config, store: Store, app_url: str) -> Starlette:
    """The ASGI app. ``app_url`` is the app's own base URL (Polar sends the browser back
    there); the Polar client and the store are closed when the app shuts down."""
    billing = Billing(config, store)
    payload_types = PayloadTypes()

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        payload_types.start()
        async with billing.polar:
            yield
        store.close()
        print("tegy: stopped", file=sys.stderr, flush=True)

    return Starlette(
        routes=routes(config, store, billing, app_url, payload_types),
        middleware=[Middleware(RequestLog)],
        exception_handlers={404: _json_error, 405: _json_error},
        lifespan=lifespan,
    )
