//! The browser-facing side of the mock: the hosted pages a browser walks — the checkout
//! (`/checkout/{client_secret}`, Polar's page contract: HOSTED-PAGES.md §1 and §5), the
//! built-in confirmation page, the customer portal (`/{org_slug}/portal?customer_session_token=…`,
//! which redirects to its Overview tab; the tabs `…/portal/overview`, `…/portal/orders`,
//! `…/portal/settings`), the payment-method embed the Billing tab opens
//! (`/embed/payment-method`) — the card frame the checkout and the embed hold (standing in for
//! Stripe's cross-origin iframe: served by the mock's second listener at `CARD_FRAME_PATH`, so
//! on another origin, and read only through `postMessage`, `templates/card.js`) — and the
//! invoice PDF (`/invoices/{order_id}.pdf`). Labels and `data-testid`s are documented in
//! `docs/mock-polar.md`.
//!
//! A page is one template (`templates/*.html`, rendered by `crate::template`, which escapes
//! every value; a page's script reads its data from one object written with `|tojson`), one
//! view (`views`, the only code here that reads the mock's world) and one route (`ROUTES`,
//! handlers below). Money is written by `money`, Polar's own rules; the PDF by `invoice`.
//!
//! Must not import wiremock: replies go out as `Reply`s.
//!
//! The pages are served by the same server as the API (one responder, the same faults): a
//! page's script calls Polar's API on its own origin, as Polar's pages call theirs.

mod invoice;
mod money;
mod views;

use std::sync::LazyLock;

use serde::Serialize;

use super::answer::{not_found_route, ApiError, Reply};
use super::handler::{Auth, Ctx, Route};
use crate::template::{TemplateError, Templates};

/// The pages' routes.
pub(crate) fn routes() -> Vec<Route> {
    ROUTES.to_vec()
}

const ROUTES: &[Route] = &[
    Route::new(
        "page:checkout",
        "GET",
        "/checkout/{client_secret}",
        Auth::None,
        checkout,
    ),
    Route::new(
        "page:checkout_confirmation",
        "GET",
        "/checkout/{client_secret}/confirmation",
        Auth::None,
        confirmation,
    ),
    Route::new(
        "page:portal",
        "GET",
        "/{org_slug}/portal",
        Auth::None,
        portal,
    ),
    Route::new(
        "page:portal_overview",
        "GET",
        "/{org_slug}/portal/overview",
        Auth::None,
        portal_overview,
    ),
    Route::new(
        "page:portal_orders",
        "GET",
        "/{org_slug}/portal/orders",
        Auth::None,
        portal_orders,
    ),
    Route::new(
        "page:portal_settings",
        "GET",
        "/{org_slug}/portal/settings",
        Auth::None,
        portal_settings,
    ),
    Route::new(
        "page:embed_payment_method",
        "GET",
        "/embed/payment-method",
        Auth::None,
        embed_payment_method,
    ),
    Route::new("page:favicon", "GET", "/favicon.ico", Auth::None, favicon),
    Route::new(
        "page:invoice",
        "GET",
        "/invoices/{file}",
        Auth::None,
        invoice,
    ),
];

/// Every template, by the name pages extend and include it by.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("templates/base.html")),
    ("style.css", include_str!("templates/style.css")),
    ("money.js", include_str!("templates/money.js")),
    ("stream.js", include_str!("templates/stream.js")),
    ("card.js", include_str!("templates/card.js")),
    (
        "checkout_form.js",
        include_str!("templates/checkout_form.js"),
    ),
    ("checkout.html", include_str!("templates/checkout.html")),
    ("card_frame.html", include_str!("templates/card_frame.html")),
    (
        "confirmation.html",
        include_str!("templates/confirmation.html"),
    ),
    ("portal.js", include_str!("templates/portal.js")),
    (
        "portal_layout.html",
        include_str!("templates/portal_layout.html"),
    ),
    (
        "portal_overview.html",
        include_str!("templates/portal_overview.html"),
    ),
    (
        "portal_settings.html",
        include_str!("templates/portal_settings.html"),
    ),
    (
        "portal_orders.html",
        include_str!("templates/portal_orders.html"),
    ),
    (
        "embed_payment_method.html",
        include_str!("templates/embed_payment_method.html"),
    ),
    (
        "portal_expired.html",
        include_str!("templates/portal_expired.html"),
    ),
    ("not_found.html", include_str!("templates/not_found.html")),
];

static PAGES: LazyLock<Result<Templates, TemplateError>> =
    LazyLock::new(|| Templates::new(TEMPLATES));

/// Template `name` rendered with `view`. A template that does not parse or render is a defect
/// of the mock (the tests render every page): a 500 naming it.
fn render<V: Serialize>(name: &str, view: &V) -> Result<String, ApiError> {
    PAGES
        .as_ref()
        .map_err(|e| e.to_string())
        .and_then(|pages| pages.render(name, view).map_err(|e| e.to_string()))
        .map_err(|detail| ApiError::new(500, "InternalServerError", &detail))
}

fn page<V: Serialize>(status: u16, name: &str, view: &V) -> Result<Reply, ApiError> {
    Ok(Reply::Html(status, render(name, view)?))
}

fn checkout(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    if let Some(url) = views::checkout_moved_on(ctx.world, ctx.param(0)) {
        return Ok(Reply::Redirect(url));
    }
    match views::checkout(ctx.world, ctx.param(0), &ctx.shared.card_origin) {
        Some(view) => page(200, "checkout.html", &view),
        None => page(
            404,
            "not_found.html",
            &views::NotFound {
                heading: "Checkout not found",
                in_section: true,
            },
        ),
    }
}

fn confirmation(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    match views::confirmation(ctx.world, ctx.param(0)) {
        Some(view) => page(200, "confirmation.html", &view),
        None => page(
            404,
            "not_found.html",
            &views::NotFound {
                heading: "Not found",
                in_section: false,
            },
        ),
    }
}

pub(crate) use views::CARD_FRAME_PATH;

/// The card frame's page, served by the mock's card listener (`server::mount_card_frame`): it
/// answers only pages of `page_origin`, the mock's own.
pub(crate) fn card_frame_html(page_origin: &str) -> Result<String, super::MockError> {
    let view = views::CardFrame {
        page_origins: std::iter::once(page_origin)
            .chain(views::POLAR_PAGE_ORIGINS)
            .map(str::to_string)
            .collect(),
    };
    render("card_frame.html", &view)
        .map_err(|e| super::MockError::Page(format!("the card frame: {e:?}")))
}

/// `/{org}/portal?…`: 307 to the Overview tab with the same query (Polar's
/// `app/(main)/[organization]/portal/page.tsx` 14-16).
fn portal(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let query = ctx
        .req
        .query
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    Ok(Reply::Redirect(format!(
        "/{}/portal/overview?{query}",
        encode(&ctx.world.organization.slug)
    )))
}

/// `application/x-www-form-urlencoded` percent-encoding of one key or value.
fn encode(s: &str) -> String {
    crate::percent::encode_component(s)
}

/// The customer session token a portal page is opened with.
fn session_token(ctx: &Ctx<'_>) -> String {
    ctx.req
        .query_value("customer_session_token")
        .unwrap_or_default()
        .to_string()
}

/// A portal tab, or the expired page for an unknown or expired token.
fn portal_page<V: Serialize>(name: &str, view: Option<V>) -> Result<Reply, ApiError> {
    match view {
        Some(view) => page(200, name, &view),
        None => page(401, "portal_expired.html", &views::Empty {}),
    }
}

fn portal_overview(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let view = views::portal_overview(ctx.world, &session_token(ctx), &ctx.shared.card_origin);
    portal_page("portal_overview.html", view)
}

fn portal_orders(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let view = views::portal_orders(ctx.world, &session_token(ctx));
    portal_page("portal_orders.html", view)
}

fn portal_settings(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let view = views::portal_settings(ctx.world, &session_token(ctx));
    portal_page("portal_settings.html", view)
}

/// `/embed/payment-method?session_token=…&embed_origin=…&set_default=false`: what Polar's
/// `PolarEmbedPaymentMethod.create()` opens in its iframe
/// (`clients/packages/checkout/src/payment-method.ts` 292-325).
fn embed_payment_method(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let q = |k: &str| ctx.req.query_value(k).unwrap_or_default().to_string();
    let view = views::embed_payment_method(
        ctx.world,
        &q("session_token"),
        q("set_default") != "false",
        &q("embed_origin"),
        &ctx.shared.card_origin,
    );
    page(
        if view.expired { 401 } else { 200 },
        "embed_payment_method.html",
        &view,
    )
}

fn favicon(_: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    Ok(Reply::NoContent)
}

/// `/invoices/{order_id}.pdf`: a one-page PDF for an order whose invoice was generated.
fn invoice(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let order_id = ctx.param(0).trim_end_matches(".pdf");
    Ok(match views::invoice(ctx.world, order_id) {
        Some(view) => Reply::Bytes {
            status: 200,
            content_type: "application/pdf",
            body: invoice::pdf(&invoice::lines(&view)),
        },
        None => not_found_route(),
    })
}

#[cfg(test)]
mod tests {
    use super::money::{Mode, Style};
    use super::views::*;
    use super::*;

    fn checkout_view(name: &str, seats: Option<Seats>) -> Checkout {
        Checkout {
            id: "c-1".into(),
            status: "open".into(),
            organization: "Tegy".into(),
            product_name: name.into(),
            return_url: Some("https://app.test/?a=1&b=2".into()),
            amount: 6000,
            hero_amount: "$60".into(),
            hero_interval: " / mo".into(),
            amount_label: "$60 / mo".into(),
            total_title: "Monthly".into(),
            seats,
            email: "ada@example.com".into(),
            email_locked: true,
            cardholder_name: "O'Brien".into(),
            card_frame_url: "http://127.0.0.1:9/card-frame".into(),
            country: Some("Germany".into()),
            address: Address {
                line1: "1 \"Main\" St".into(),
                line2: String::new(),
                city: String::new(),
                postal_code: String::new(),
                state: String::new(),
                fields: address_fields("DE"),
            },
            script: CheckoutScript {
                secret: "polar_c_\"</script>".into(),
                seat_based: true,
                per_seat: 2000,
                min: 1,
                max: None,
                seats: 3,
                money: Style::new("usd", Mode::Standard),
                interval: " / mo".into(),
                organization: "Acme".into(),
                confirmation_path: "/checkout/polar_c_x/confirmation".into(),
                card_origin: "http://127.0.0.1:9".into(),
                countries: vec![("DE", "Germany")],
                country: "DE".into(),
            },
        }
    }

    fn seats(fixed: bool) -> Seats {
        Seats {
            count: 3,
            fixed,
            title: "3 seats".into(),
            per_seat: "$20".into(),
        }
    }

    /// The object the page's script reads, parsed back from `var data = …;`.
    fn script_data(html: &str) -> serde_json::Value {
        let start = html.find("var data = ").expect("the script's data") + "var data = ".len();
        let end = start + html[start..].find(";\n").unwrap();
        serde_json::from_str(&html[start..end]).unwrap()
    }

    #[test]
    fn the_checkout_escapes_values_and_hands_its_script_json() {
        let view = checkout_view("<b>Pro</b> & \"Co\"", Some(seats(false)));
        let html = render("checkout.html", &view).unwrap();
        assert!(html.starts_with("<!doctype html>\n"), "{html}");
        assert!(html.contains("<title>Tegy | &lt;b&gt;Pro&lt;/b&gt; &amp; &quot;Co&quot;</title>"));
        assert!(html.contains(">&lt;b&gt;Pro&lt;/b&gt; &amp; &quot;Co&quot;</span>"));
        assert!(html.contains("<a href=\"https://app.test/?a=1&amp;b=2\""));
        assert!(html.contains("value=\"1 &quot;Main&quot; St\" class=\"hidden\">"));
        assert!(html.contains("value=\"O&#39;Brien\""));
        assert!(html.contains("data-amount=\"6000\">$60<span> / mo</span></div>"));
        assert!(html.contains("data-testid=\"detail-row-3 seats\""));
        assert!(html.contains("· $20 per seat</span>"));
        assert!(html.contains("data-testid=\"detail-row-Monthly\""));
        assert!(html.contains("value=\"ada@example.com\" disabled>"));
        assert!(html.contains("<span>Germany</span><span aria-hidden"));
        assert!(html.contains("src=\"http://127.0.0.1:9/card-frame\""));
        assert!(html.contains("aria-label=\"Increase seats\""));
        assert!(html.contains("<button type=\"submit\" id=\"submit\""));
        assert!(html.contains("<div>Subscribe now</div>"));
        assert!(!html.contains("</script>\""), "{html}");
        assert_eq!(
            script_data(&html),
            serde_json::to_value(&view.script).unwrap()
        );
    }

    #[test]
    fn fixed_seats_are_a_bare_count_and_no_seats_hide_the_selector() {
        let html = render("checkout.html", &checkout_view("Pro", Some(seats(true)))).unwrap();
        assert!(
            html.contains("<span>Seats</span>\n<span>3</span>"),
            "{html}"
        );
        assert!(!html.contains("data-testid=\"seats-increment\""));
        let html = render("checkout.html", &checkout_view("Pro", None)).unwrap();
        assert!(!html.contains("<span>Seats</span>"));
        assert!(!html.contains("detail-row-3 seats"));
        assert!(html.contains("data-testid=\"detail-row-Subtotal\""));
    }

    fn layout() -> PortalLayout {
        PortalLayout {
            organization: "Tegy".into(),
            email: "ada@example.com".into(),
            return_url: Some("https://app.test/?a=1&b=2".into()),
            base: "/tegy/portal".into(),
            query: "customer_session_token=polar_cst_x".into(),
            active: "overview",
            script: PortalScript {
                token: "polar_cst_\"</script>".into(),
            },
        }
    }

    fn subscription(id: &str, status: &str, canceling: bool) -> PortalSubscription {
        PortalSubscription {
            id: id.into(),
            status: status.into(),
            cancel_at_period_end: canceling,
            product_name: "Tegy <Pro>".into(),
            amount_label: "$60 / mo".into(),
            status_label: if canceling {
                "To be cancelled"
            } else {
                "Active"
            }
            .into(),
            start_date: "May 1, 2026".into(),
            period_label: if canceling {
                "Expiry Date"
            } else {
                "Renewal Date"
            },
            period_date: "June 1, 2026".into(),
            ended_at: "—".into(),
            can_uncancel: canceling,
            can_cancel: !canceling,
            retry_order_id: (status == "past_due").then(|| "o-1".to_string()),
        }
    }

    fn card(id: &str, default: bool) -> PortalCard {
        PortalCard {
            id: id.into(),
            label: "Visa •••• 4242".into(),
            expires: "Expires 12/2034".into(),
            is_default: default,
        }
    }

    #[test]
    fn the_portal_layout_has_polars_header_and_tabs() {
        let view = PortalOrders {
            layout: layout(),
            orders: vec![],
        };
        let html = render("portal_orders.html", &view).unwrap();
        assert!(html.contains("<a class=\"back\" href=\"https://app.test/?a=1&amp;b=2\""));
        assert!(html.contains("<span>Back to Tegy</span></a>"), "{html}");
        for (tab, label) in [
            ("overview", "Overview"),
            ("orders", "Orders"),
            ("settings", "Billing"),
        ] {
            assert!(
                html.contains(&format!(
                    "href=\"/tegy/portal/{tab}?customer_session_token=polar_cst_x\""
                )),
                "{label}"
            );
        }
        assert!(html.contains("class=\"active\" aria-current=\"page\">Overview</a>"));
        assert!(
            !html.contains("polar_cst_\"</script>"),
            "the token reaches the script as JSON"
        );
        assert!(html.contains("<h3 class=\"text-xl\">Order History</h3>"));
        let no_return = PortalOrders {
            layout: PortalLayout {
                return_url: None,
                ..layout()
            },
            orders: vec![],
        };
        let html = render("portal_orders.html", &no_return).unwrap();
        assert!(!html.contains("Back to"));
    }

    #[test]
    fn the_overview_shows_cards_without_a_cancel_button_and_the_inactive_table() {
        let view = PortalOverview {
            layout: layout(),
            current: vec![
                subscription("s-1", "active", false),
                subscription("s-2", "active", true),
            ],
            inactive: vec![subscription("s-3", "past_due", false)],
            cards: vec![card("pm-1", true)],
            card_frame_url: "http://127.0.0.1:9/card-frame".into(),
            card_origin: "http://127.0.0.1:9".into(),
        };
        let html = render("portal_overview.html", &view).unwrap();
        assert!(html.contains("<h3 class=\"text-xl\">Tegy &lt;Pro&gt;</h3><div class=\"price\"><span data-testid=\"subscription-amount\">$60 / mo</span>"), "{html}");
        assert!(html.contains(
            "<span class=\"capitalize\" data-testid=\"subscription-status\">To be cancelled</span>"
        ));
        assert!(html.contains("<span>Expiry Date</span><span>June 1, 2026</span>"));
        assert!(html.contains("<span>Renewal Date</span><span>June 1, 2026</span>"));
        assert!(html.contains("<span>Start Date</span><span>May 1, 2026</span>"));
        assert_eq!(html.matches(">Uncancel</button>").count(), 1);
        assert_eq!(html.matches(">Manage subscription</button>").count(), 3);
        // The card has no cancel button: the only ones are in the modals.
        let cards = &html[..html.find("Inactive Subscriptions").unwrap()];
        assert!(!cards.contains("Cancel"), "{cards}");
        assert!(html.contains("aria-label=\"Cancel subscription\" data-show=\"cancel-s-1\">Cancel Subscription</button>"));
        assert!(
            !html.contains("data-show=\"cancel-s-2\""),
            "already canceling"
        );
        assert!(html.contains("<h3 class=\"text-2xl\">We're sorry to see you go!</h3>"));
        assert_eq!(html.matches("name=\"cancellation_reason\"").count(), 8 * 2);
        assert!(html.contains("placeholder=\"Anything else you want to share? (Optional)\""));
        assert!(html.contains("<button type=\"submit\">Cancel Subscription</button>"));
        assert!(html.contains("I've changed my mind</button>"));
        assert!(html.contains("<th>Product</th><th>Status</th><th>Ended At</th>"));
        assert!(html.contains("data-retry=\"s-3\">Retry payment</button>"));
        assert!(html.contains("data-order-id=\"o-1\""));
        assert!(html.contains("<span>Update Payment Method</span>"));
        assert!(
            html.contains("<div>Visa •••• 4242</div><div class=\"muted\">Expires 12/2034</div>")
        );
        assert!(html.contains(">Use a Different Card</button>"));
    }

    #[test]
    fn the_billing_tab_lists_cards_and_opens_the_untitled_embed() {
        let view = PortalSettings {
            layout: PortalLayout {
                active: "settings",
                ..layout()
            },
            cards: vec![card("pm-2", false), card("pm-1", true)],
        };
        let html = render("portal_settings.html", &view).unwrap();
        assert!(html.contains("<h3 class=\"text-2xl\">Billing Settings</h3>"));
        assert!(html.contains("<h3 class=\"text-xl\">Payment Methods</h3>"));
        assert!(html.contains(">Add Payment Method</button>"));
        assert!(html
            .contains("<span>Visa •••• 4242</span><span class=\"muted\">Expires 12/2034</span>"));
        assert!(html.contains("data-make-default=\"pm-2\">Make default</button>"));
        assert_eq!(html.matches(">Default Method</span>").count(), 1);
        assert_eq!(html.matches("data-delete=").count(), 2);
        assert!(html.contains("document.body.appendChild(iframe)"));
        assert!(!html.contains("iframe.title") && !html.contains("iframe.name"));

        let embed = EmbedPaymentMethod {
            expired: false,
            card_frame_url: "http://127.0.0.1:9/card-frame".into(),
            script: EmbedScript {
                token: "polar_cst_x".into(),
                set_default: true,
                origin: "http://127.0.0.1:1".into(),
                card_origin: "http://127.0.0.1:9".into(),
            },
        };
        let html = render("embed_payment_method.html", &embed).unwrap();
        assert!(html.contains("<iframe id=\"card-frame\" title=\"Secure payment input frame\" src=\"http://127.0.0.1:9/card-frame\""));
        assert!(html.contains(">Add payment method</button>"));
        assert!(html.contains("function readCard(frame, cardOrigin)"));
        let html = render(
            "embed_payment_method.html",
            &EmbedPaymentMethod {
                expired: true,
                ..embed
            },
        )
        .unwrap();
        assert!(html.contains("Session expired."));
        assert!(!html.contains("<iframe"));
    }

    #[test]
    fn the_small_pages_render() {
        let html = card_frame_html("http://127.0.0.1:9").unwrap();
        assert!(html.contains("<title>Secure payment input frame</title>"));
        assert!(
            html.contains(
                "serveCard([\"http://127.0.0.1:9\", \"https://sandbox.polar.sh\", \"https://polar.sh\"]);"
            ),
            "{html}"
        );
        assert!(
            html.contains("body{background:#fff!important}\n</style>"),
            "{html}"
        );
        assert!(html.contains("data-testid=\"card-number\""));
        let html = render(
            "confirmation.html",
            &Confirmation {
                status: "succeeded".into(),
                product_name: "A & B".into(),
                outcome: "complete",
                title: "Thank you for your order!",
                script: ConfirmationScript {
                    secret: "polar_c_x".into(),
                    status: "succeeded".into(),
                    checkout_url: "/checkout/polar_c_x".into(),
                    success_url: Some("https://app.test/done?a=\"</script>".into()),
                },
            },
        )
        .unwrap();
        assert!(html.contains("<p>Your purchase of A &amp; B is complete.</p>"));
        assert!(
            html.contains("<h1>Thank you for your order!</h1>"),
            "{html}"
        );
        assert!(
            !html.contains("\"</script>"),
            "the URL reaches the script as JSON"
        );
        let html = render("portal_expired.html", &Empty {}).unwrap();
        assert!(html.contains("data-testid=\"portal-session-expired\""));
        let html = render(
            "not_found.html",
            &NotFound {
                heading: "Checkout not found",
                in_section: true,
            },
        )
        .unwrap();
        assert!(html.contains(
            "<main><section data-testid=\"not-found\"><h1>Checkout not found</h1></section></main>"
        ));
        let html = render(
            "not_found.html",
            &NotFound {
                heading: "Not found",
                in_section: false,
            },
        )
        .unwrap();
        assert!(
            html.contains("<body>\n<h1>Not found</h1>\n</body>"),
            "{html}"
        );
    }
}
