#!/usr/bin/env python3
"""The six lifecycle scenarios of scenarios/ written with Playwright for Python.

The peer of `walkthrough run` in scripts/bench-vs-playwright.sh. It runs the same journey
as `walkthrough run` does by default: the scenarios 01..06 in slot order, for one user,
each scenario's `given:` steps skipped because the state carries over. Every step has
the same actions, expectations and waits on the same texts as its YAML, and a screenshot
after it. Comments name the scenario file each block comes from.

It starts `walkthrough demo-app --enforce` (the embedded demo app on the embedded mock
Polar), drives Debian's Chromium through Playwright, and stops the app at the end. It exits
non-zero on any failed expectation, and writes steps.json (name and duration of every
step) into the output folder.

    playwright_lifecycle.py --walkthrough target/release/walkthrough --out DIR [--video on|off]
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect, sync_playwright

REPO = Path(__file__).resolve().parents[2]

# walkthrough's default wait of every action (`walkthrough run --timeout`, default 10s).
TIMEOUT_MS = 10_000
VIEWPORT = {"width": 1280, "height": 800}
# The Chromium flags walkthrough passes in headless mode (src/browser/mod.rs), except the
# window size: walkthrough sizes the window so the viewport is 1280x800, Playwright sets the
# viewport itself.
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-quic",
    "--disable-crash-reporter",
    "--disable-breakpad",
    "--hide-scrollbars",
    "--mute-audio",
    "--no-sandbox",
]
CARD_FRAME = "iframe[title='Secure payment input frame']"
CARD_FRAME = "iframe[title='Secure payment input frame']"
# Polar's payment-method embed: a full-screen iframe with no title, the card frame inside.
EMBED_FRAME = "body > iframe:not([title])"
CANCEL_SUBMIT = "//*[@role='dialog'][.//h3[contains(., 'sorry to see you go')]]//button[normalize-space()='Cancel Subscription']"
DELETE_CARD = "//*[normalize-space()='{label}']/ancestor::div[.//button][1]//button[not(normalize-space())]"
DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"


class Journey:
    """One browser page walking the steps, with a screenshot after each step."""

    def __init__(self, page: Page, app_url: str, polar_url: str, out: Path, poll_eventually: bool):
        self.page = page
        self.app_url = app_url.rstrip("/")
        self.polar_url = polar_url.rstrip("/")
        self.out = out
        self.poll_eventually = poll_eventually
        self.steps = []
        self.scenario = ""

    # --- the step frame -------------------------------------------------------------

    def step(self, name, actions):
        index = len(self.steps) + 1
        started_at = time.time()
        started = time.monotonic()
        error = None
        try:
            actions()
        except Exception as e:  # a failed expectation: record, screenshot, stop the journey
            error = f"{type(e).__name__}: {e}"
        duration_ms = round((time.monotonic() - started) * 1000)
        self.capture(self.out / "screenshots" / f"{index:02d}-{slug(name)}.png")
        self.steps.append(
            {"scenario": self.scenario, "name": name, "started_at": started_at, "duration_ms": duration_ms, "error": error}
        )
        print(f"{'ok ' if error is None else 'FAIL'} {duration_ms:6d} ms  {self.scenario} / {name}", file=sys.stderr)
        if error is not None:
            raise StepFailed(f"{self.scenario} / {name}: {error}")

    def screenshot(self, name):
        """`screenshot: NAME`: an extra named screenshot."""
        index = len(self.steps) + 1
        self.capture(self.out / "screenshots" / f"{index:02d}--{name}.png")

    def capture(self, path):
        # A step that ends with a click that navigates (Subscribe now) leaves a navigation
        # in flight, and Chromium refuses a screenshot while it commits: wait for the new
        # page's load and try again. (WebDriver waits for pending navigations by itself.)
        for attempt in range(5):
            try:
                self.page.screenshot(path=str(path))
                return
            except PlaywrightError:
                if attempt == 4:
                    raise
                self.page.wait_for_load_state("load")

    # --- locators as the scenario language defines them ------------------------------

    def text(self, value, frame=None):
        """`{ text: … }`: the visible element whose text is exactly this (folded)."""
        root = frame or self.page
        return root.get_by_text(value, exact=True).filter(visible=True).first

    def testid(self, value):
        return self.page.get_by_test_id(value)

    def label(self, value, frame=None):
        root = frame or self.page
        return root.get_by_label(value, exact=True)

    def body(self):
        return self.page.locator("body")

    # --- actions ---------------------------------------------------------------------

    def open(self, path):
        self.page.goto(path if "://" in path else self.app_url + path)

    def expect_page_text(self, text=None, matches=None):
        """`expect_text: …` without `in:`: the page's visible text contains / matches."""
        if matches is not None:
            expect(self.body()).to_contain_text(re.compile(matches), use_inner_text=True)
        else:
            expect(self.body()).to_contain_text(text, use_inner_text=True)

    def expect_text(self, locator, equals=None, contains=None, matches=None, timeout=None):
        if equals is not None:
            expect(locator).to_have_text(equals, use_inner_text=True, timeout=timeout)
        elif contains is not None:
            expect(locator).to_contain_text(contains, use_inner_text=True, timeout=timeout)
        else:
            expect(locator).to_contain_text(re.compile(matches), use_inner_text=True, timeout=timeout)

    def expect_url_contains(self, part, timeout_s=None):
        if timeout_s is None:
            expect(self.page).to_have_url(re.compile(re.escape(part)))
        else:
            expect(self.page).to_have_url(re.compile(re.escape(part)), timeout=timeout_s * 1000)

    def eventually(self, check, timeout_s, interval_s, reloads=False):
        """`eventually: { timeout, interval, do }`. By default Playwright's own retrying
        expectation with the same limit; with --poll-eventually, or when the check reopens
        the page (`reloads`: a page that shows its state once, as loaded), the scenario
        language's exact loop: one try of at most 1 s, then a pause of `interval`, until
        `timeout`."""
        if not self.poll_eventually and not reloads:
            check(timeout_s * 1000)
            return
        started = time.monotonic()
        while True:
            try:
                check(1000)
                return
            except AssertionError:
                if time.monotonic() - started + interval_s > timeout_s:
                    raise
                time.sleep(interval_s)


class StepFailed(Exception):
    pass


def slug(name):
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60]


# --- flows (scenarios/flows/*.yaml) ----------------------------------------------------


def new_workspace(j: Journey, run_id):
    """flows/new-workspace.yaml"""

    def opens():
        j.open("/new")
        expect(j.testid("prompt-input")).to_be_visible()
        j.expect_text(j.testid("member-count"), equals="1")

    j.step("A new user opens the product", opens)

    def teammates():
        j.label("Member email").fill(f"teammate-1+{run_id}@example.com")
        j.text("Add member").click()
        j.expect_text(j.testid("member-count"), equals="2")
        j.label("Member email").fill(f"teammate-2+{run_id}@example.com")
        j.text("Add member").click()
        j.expect_text(j.testid("member-count"), equals="3")

    j.step("Two teammates join the workspace (three seats)", teammates)


def open_checkout(j: Journey):
    """flows/open-checkout.yaml"""

    def free_plan():
        j.testid("account-menu").click()
        j.text("Billing").click()
        expect(j.testid("billing-dialog")).to_be_visible()
        j.expect_text(j.testid("billing-status"), equals="Free")
        j.expect_text(j.testid("billing-seats"), equals="3")

    j.step("Billing shows the free plan", free_plan)

    def upgrade():
        j.text("Upgrade").click()
        j.expect_url_contains("/checkout/")
        j.expect_page_text("Tegy Pro")

    j.step("Upgrade opens Polar checkout", upgrade)


def pay(j: Journey, email, card="4242 4242 4242 4242"):
    """flows/pay.yaml"""

    def pay_in_frame():
        j.label("Email").fill(email)
        j.label("Cardholder name").fill("Walkthrough Buyer")
        # Polar's country picker: a Radix Select, a combobox showing "Country" (no label),
        # its options in a portal listbox (the pattern of Polar's own e2e page object).
        j.page.get_by_role("combobox").filter(has_text="Country").click()
        j.page.get_by_role("option", name="Germany", exact=True).click()
        expect(j.page.get_by_role("combobox").filter(has_text="Germany")).to_be_visible()
        frame = j.page.frame_locator(CARD_FRAME)
        j.label("Card number", frame).fill(card)
        j.label("Expiration date", frame).fill("12 / 34")
        j.label("Security code", frame).fill("123")
        j.text("Subscribe now").click()

    j.step("Pay with a test card inside the secure frame", pay_in_frame)

    def returns_active():
        j.expect_url_contains("/new?billing=success", 30)
        expect(j.testid("billing-dialog")).to_be_visible()
        j.eventually(lambda t: j.expect_text(j.testid("billing-status"), equals="Active", timeout=t), 30, 1)

    j.step("The browser returns to the product and billing becomes active", returns_active)


def send_turn(j: Journey, prompt):
    """flows/send-turn.yaml"""

    def turn():
        j.label("Prompt").fill(prompt)
        j.text("Send").click()
        j.expect_text(j.testid("conversation"), contains=f"You said: “{prompt}”")

    j.step(f"A turn is answered: {prompt}", turn)


def cancel_in_portal(j: Journey):
    """flows/cancel-in-portal.yaml"""

    def portal():
        j.open("/new")
        j.testid("account-menu").click()
        j.text("Billing").click()
        j.text("Manage billing").click()
        j.expect_url_contains("/portal/overview")
        j.expect_page_text("Tegy Pro")

    j.step("Manage billing opens Polar's customer portal", portal)

    def cancel():
        j.text("Manage subscription").click()
        j.label("Cancel subscription").click()
        j.page.locator(f"xpath={CANCEL_SUBMIT}").click()
        j.expect_page_text("To Be Cancelled")
        j.expect_page_text("Expiry Date")

    j.step("Cancel at the end of the period", cancel)


def card_in_portal(j: Journey, number, frame):
    """Fills the card frame inside `frame` (a Playwright FrameLocator or the page)."""
    frame = frame.frame_locator(CARD_FRAME)
    j.label("Card number", frame).fill(number)
    j.label("Expiration date", frame).fill("12 / 34")
    j.label("Security code", frame).fill("123")


# --- the scenarios (scenarios/*.yaml) ---------------------------------------------------


def journey(j: Journey, run_id, email, product_id, token):
    j.scenario = "01-new-user-to-checkout"
    new_workspace(j, run_id)
    open_checkout(j)

    def summary():
        j.expect_page_text("Tegy Pro")
        row = j.testid("detail-row-3 seats")
        j.expect_text(row, contains="3 seats")
        j.expect_text(row, contains="$20 per seat")
        j.expect_page_text("$60 / mo")
        j.screenshot("checkout-summary")

    j.step("The checkout is for Tegy Pro, 3 seats, USD 60 per month", summary)

    # 02: its given (new workspace, open checkout) is the journey so far.
    j.scenario = "02-checkout-return-to-active"
    pay(j, email)

    def active():
        j.expect_text(j.testid("billing-seats"), equals="3")
        j.expect_text(j.testid("billing-dialog"), matches=rf"Renews\s+{DATE}")
        j.screenshot("active-entitlement")

    j.step("Billing shows the active subscription for 3 seats", active)

    j.scenario = "03-continue-using"

    def back():
        j.text("Close").click()
        expect(j.testid("billing-dialog")).to_be_hidden()

    j.step("Back to the conversation", back)
    send_turn(j, "Summarise this week's support tickets")

    j.scenario = "04-portal-cancellation"
    cancel_in_portal(j)

    def canceling():
        j.open("/new?billing=portal")
        j.eventually(lambda t: j.expect_text(j.testid("billing-status"), equals="Canceling", timeout=t), 20, 1)
        j.expect_text(j.testid("billing-dialog"), matches=rf"Ends\s+{DATE}")
        j.text("Close").click()

    j.step("The product shows canceling with the end date", canceling)
    send_turn(j, "Access stays until the period ends")

    j.scenario = "05-payment-recovery"
    subscription = {}

    def failing_card():
        j.open("/new")
        j.testid("account-menu").click()
        j.text("Billing").click()
        j.text("Manage billing").click()
        j.expect_url_contains("/portal/overview")
        j.text("Uncancel").click()
        j.expect_page_text("Renewal Date")
        j.text("Billing").click()
        j.expect_page_text("Billing Settings")
        j.text("Add Payment Method").click()
        embed = j.page.frame_locator(EMBED_FRAME)
        card_in_portal(j, "4000 0000 0000 0341", embed)
        embed.locator("xpath=//button[normalize-space()='Add payment method']").click()
        j.expect_page_text("Visa •••• 0341")

    j.step("In the portal, keep the subscription and add a card that fails at renewal", failing_card)

    def delete_first_card():
        j.page.locator("xpath=" + DELETE_CARD.format(label="Visa •••• 4242")).click()
        expect(j.page.get_by_text("Visa •••• 4242", exact=True)).to_be_hidden()

    j.step("Delete the card the subscription was bought with, so it moves to the failing one", delete_first_card)

    def past_due():
        auth = {"Authorization": f"Bearer {token}"}
        customers = j.page.request.get(f"{j.polar_url}/v1/customers/?query={run_id}", headers=auth, timeout=TIMEOUT_MS)
        assert customers.status == 200, f"customers answered {customers.status}: {customers.text()}"
        customer_id = customers.json()["items"][0]["id"]
        subs = j.page.request.get(f"{j.polar_url}/v1/subscriptions/?customer_id={customer_id}", headers=auth, timeout=TIMEOUT_MS)
        assert subs.status == 200, f"subscriptions answered {subs.status}: {subs.text()}"
        subscription["id"] = subs.json()["items"][0]["id"]
        end = (datetime.now(timezone.utc) + timedelta(seconds=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
        response = j.page.request.patch(
            f"{j.polar_url}/v1/subscriptions/{subscription['id']}",
            data={"current_billing_period_end": end},
            headers=auth,
            timeout=TIMEOUT_MS,
        )
        assert response.status == 200, f"the PATCH answered {response.status}: {response.text()}"

        def shows_past_due(t):
            j.open("/new?billing=portal")
            j.expect_text(j.testid("billing-status"), equals="Past due", timeout=t)

        j.eventually(shows_past_due, 300, 1, reloads=True)

    j.step("The period ends in a few seconds; the renewal fails and the subscription falls past due", past_due)

    def blocked():
        j.text("Close").click()
        j.label("Prompt").fill("Is my access blocked?")
        j.text("Send").click()
        expect(j.testid("chat-error")).to_be_visible()
        expect(j.testid("billing-dialog")).to_be_visible()
        expect(j.page.get_by_text("You said: “Is my access blocked?”")).to_be_hidden()
        j.screenshot("blocked-turn")

    j.step("A turn is blocked with 402 and billing opens, with no assistant reply", blocked)

    def recovers():
        j.text("Manage billing").click()
        j.expect_url_contains("/portal/overview")
        j.expect_page_text("Inactive Subscriptions")
        j.text("Retry payment").click()
        j.text("Use a Different Card").click()
        card_in_portal(j, "4242 4242 4242 4242", j.page.locator("[role=dialog]").filter(visible=True))
        j.text("Pay Now").click()
        j.expect_page_text("Payment Successful")

    j.step("In the portal, Retry payment with a new card recovers the payment", recovers)

    def active_again():
        def shows_active(t):
            j.open("/new?billing=portal")
            j.expect_text(j.testid("billing-status"), equals="Active", timeout=t)

        j.eventually(shows_active, 300, 1, reloads=True)
        j.text("Close").click()

    j.step("Access is active again", active_again)
    send_turn(j, "Thanks, all good again")

    j.scenario = "06-production-smoke"

    def verifier():
        text, passed = verify_config(j, "production", "Tegy Pro", product_id, token)
        j.page.goto(verifier_page(text, passed))
        assert passed, f"the configuration is not usable:\n{text}"
        j.expect_text(j.testid("verify-config"), contains="product price mode: seat_based")

    j.step("The production configuration verifier passes", verifier)

    def billing_ui():
        j.open("/new")
        j.testid("account-menu").click()
        j.text("Billing").click()
        expect(j.testid("billing-dialog")).to_be_visible()
        j.expect_text(j.testid("billing-plan"), contains="Tegy")
        j.expect_text(j.testid("billing-price"), contains="$20.00 per seat / month")

    j.step("The billing UI renders the plan", billing_ui)


# --- verify_config: the checks of `walkthrough verify-config` (src/polar/verify.rs) -----


def verify_config(j: Journey, server, product_name, product_id, token):
    facts = [("server", server, True), ("api url", j.polar_url, True), ("access token", "configured", True)]
    facts.append(("webhook secret", "configured" if os.environ.get("POLAR_WEBHOOK_SECRET") else "missing", True))
    response = j.page.request.get(
        f"{j.polar_url}/v1/products/{product_id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT_MS,
    )
    if response.status != 200:
        facts += [("product lookup", "failed", False), ("error status", str(response.status), False)]
    else:
        p = response.json()
        facts.append(("product lookup", "ok", True))
        name = p.get("name", "")
        facts.append(("product name", name if name == product_name else f"{name} (expected {product_name})", name == product_name))
        vis = p.get("visibility", "")
        facts.append(("product visibility", vis if vis == "public" else f"{vis} (expected public)", vis == "public"))
        interval, count = p.get("recurring_interval") or "none", p.get("recurring_interval_count") or 1
        monthly = interval == "month" and count == 1
        facts.append(("product recurring interval", interval if monthly else f"{interval} (expected month)", monthly))
        live = [x["amount_type"] for x in p.get("prices", []) if not x.get("is_archived")]
        seat = "seat_based" in live
        facts.append(("product price mode", "seat_based" if seat else f"{', '.join(live) or 'no active price'} (expected seat_based)", seat))
        if p.get("is_archived"):
            facts.append(("product archived", "yes (expected no)", False))
    return "".join(f"{k}: {v}\n" for k, v, _ in facts), all(ok for _, _, ok in facts)


def verifier_page(report, passed):
    """The same data: page walkthrough shows for verify_config (src/runner/actions.rs)."""
    escaped = report.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    verdict, colour = ("every check passed", "#2b8a3e") if passed else ("a check failed", "#c92a2a")
    html = (
        "<!doctype html><meta charset=utf-8><title>walkthrough verify-config</title>"
        '<body style="margin:0;background:#1d1d27;color:#e9ecef;font:16px/1.6 monospace">'
        '<div style="padding:32px"><div style="color:#adb5bd">$ walkthrough verify-config</div>'
        f'<pre data-testid=verify-config style="font:inherit">{escaped}</pre>'
        f'<div data-testid=verify-verdict style="color:{colour};font-weight:bold">{verdict}</div></div>'
    )
    return "data:text/html;charset=utf-8," + quote(html, safe="-_.~")


# --- the app, the browser, the run ------------------------------------------------------


def start_demo_app(walkthrough):
    """`walkthrough demo-app --enforce`: the demo app on the embedded mock Polar."""
    app = subprocess.Popen(
        [walkthrough, "demo-app", "--enforce"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = app.stdout.readline()
    if not line:
        app.wait()
        raise SystemExit(f"walkthrough demo-app exited with {app.returncode} before it printed its URLs")
    info = json.loads(line)
    return app, info["app_url"], info["polar_url"]


def stop(app):
    """SIGTERM stops the app, then the mock; the exit code is 0."""
    if app.poll() is None:
        app.terminate()
        try:
            app.wait(timeout=10)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait()


def own_display() -> subprocess.Popen:
    """Starts an Xvfb on a free display (it writes the number it took to a pipe) and points
    DISPLAY at it; the caller stops it."""
    read, write = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1344x864x24", "-nolisten", "tcp", "-nocursor"],
        pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    os.close(write)
    number = b""
    while not number.endswith(b"\n"):
        chunk = os.read(read, 16)
        if not chunk:
            raise RuntimeError("Xvfb did not start")
        number += chunk
    os.close(read)
    os.environ["DISPLAY"] = f":{number.decode().strip()}"
    return proc


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--walkthrough", required=True, help="the walkthrough binary (for `demo-app`)")
    parser.add_argument("--out", required=True, type=Path, help="folder for screenshots, videos and steps.json")
    parser.add_argument("--video", choices=["on", "off"], default="on")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--xvfb", action="store_true", help="run Chromium headed on an Xvfb this script starts (as walkthrough does by default), not headless")
    parser.add_argument("--poll-eventually", action="store_true", help="run `eventually` as the scenario language's loop (1 s tries, 1 s pauses) instead of a retrying expect")
    args = parser.parse_args()
    # SIGTERM unwinds like an error, so the browser and the app are stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    (args.out / "screenshots").mkdir(parents=True, exist_ok=True)
    run_id = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]
    # walkthrough's default run.email: an address Polar's email rule (and the mock's) takes.
    email = f"success+walkthrough-{run_id}@simulator.amazonses.com"
    # The mock's organization token and product are those of its built-in seed, which
    # `walkthrough demo-app` loads from fixtures/polar/seed.json (a local-only mock token).
    seed = json.loads((REPO / "fixtures/polar/seed.json").read_text())
    token, product_id = seed["organization"]["token"], seed["products"][0]["id"]

    xvfb = own_display() if args.xvfb else None
    app, app_url, polar_url = start_demo_app(args.walkthrough)
    failed = None
    j = None
    try:
        expect.set_options(timeout=TIMEOUT_MS)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=args.chromium, headless=xvfb is None, args=CHROMIUM_ARGS)
            video = {"record_video_dir": str(args.out / "video"), "record_video_size": VIEWPORT} if args.video == "on" else {}
            context = browser.new_context(viewport=VIEWPORT, **video)
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()
            j = Journey(page, app_url, polar_url, args.out, args.poll_eventually)
            try:
                journey(j, run_id, email, product_id, token)
            except StepFailed as e:
                failed = str(e)
            finally:
                context.close()  # writes the videos
                browser.close()
    finally:
        stop(app)
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(timeout=5)
        if j is not None:
            (args.out / "steps.json").write_text(json.dumps({"video": args.video, "steps": j.steps}, indent=1))
    if failed:
        print(f"failed: {failed}", file=sys.stderr)
        return 1
    # The six scenarios' steps, flows expanded (05's sandbox recipe has seven).
    if j is None or len(j.steps) != 23:
        print(f"expected 23 steps, ran {0 if j is None else len(j.steps)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
