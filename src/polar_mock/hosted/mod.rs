//! The browser-facing side of the mock: the hosted pages a browser walks — the checkout
//! (`/checkout/{client_secret}`, Polar's page contract: HOSTED-PAGES.md §1 and §5), the
//! built-in confirmation page, the customer portal (`/{org_slug}/portal?customer_session_token=…`)
//! — the card frame both embed (standing in for Stripe's cross-origin iframe: served by the
//! mock's second listener at `CARD_FRAME_PATH`, so on another origin, and read only through
//! `postMessage`, `templates/card.js`), and the invoice PDF (`/invoices/{order_id}.pdf`). Labels and `data-testid`s are documented in
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
    ("portal.html", include_str!("templates/portal.html")),
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
pub(crate) fn card_frame_html(page_origin: &str) -> Result<String, String> {
    let view = views::CardFrame {
        page_origin: page_origin.to_string(),
    };
    render("card_frame.html", &view).map_err(|e| format!("the card frame: {e:?}"))
}

fn portal(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let token = ctx
        .req
        .query_value("customer_session_token")
        .unwrap_or_default()
        .to_string();
    match views::portal(ctx.world, &token, &ctx.shared.card_origin) {
        Some(view) => page(200, "portal.html", &view),
        None => page(401, "portal_expired.html", &views::Empty {}),
    }
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

    #[test]
    fn the_portal_lists_subscriptions_with_their_actions() {
        let subscription = |id: &str, canceling: bool| PortalSubscription {
            id: id.into(),
            status: "active".into(),
            cancel_at_period_end: canceling,
            product_name: "Tegy Pro".into(),
            badge: if canceling { "Canceling" } else { "Active" },
            badge_class: if canceling { "warn" } else { "" },
            seats: 3,
            seats_label: "3 seats".into(),
            amount: 6000,
            amount_label: "$60.00 / month".into(),
            renewal: "Renews on May 1, 2026".into(),
            can_cancel: !canceling,
            can_uncancel: canceling,
        };
        let view = Portal {
            organization: "Tegy".into(),
            email: "ada@example.com".into(),
            return_url: Some("https://app.test/?a=1&b=2".into()),
            subscriptions: vec![subscription("s-1", false), subscription("s-2", true)],
            payment_method: "Visa •••• 4242".into(),
            card_frame_url: "http://127.0.0.1:9/card-frame".into(),
            script: PortalScript {
                token: "polar_cst_x".into(),
            },
        };
        let html = render("portal.html", &view).unwrap();
        assert!(html.contains(
            "<a href=\"https://app.test/?a=1&amp;b=2\" data-testid=\"portal-return\">← Back to Tegy</a>"
        ));
        assert!(html.contains("data-subscription-id=\"s-1\" data-status=\"active\" data-cancel-at-period-end=\"false\""));
        assert!(html.contains("data-subscription-id=\"s-2\" data-status=\"active\" data-cancel-at-period-end=\"true\""));
        assert!(html
            .contains("<span class=\"badge \" data-testid=\"subscription-status\">Active</span>"));
        assert!(html.contains(
            "<span class=\"badge warn\" data-testid=\"subscription-status\">Canceling</span>"
        ));
        assert!(
            html.contains("data-action=\"cancel\" data-id=\"s-1\">Cancel subscription</button>")
        );
        assert!(html
            .contains("data-action=\"uncancel\" data-id=\"s-2\">Uncancel subscription</button>"));
        assert!(html.contains("data-amount=\"6000\">$60.00 / month</p>"));
        assert!(!html.contains("no-subscriptions"));
        assert_eq!(
            script_data(&html),
            serde_json::json!({"token": "polar_cst_x"})
        );

        let empty = Portal {
            return_url: None,
            subscriptions: vec![],
            ..view
        };
        let html = render("portal.html", &empty).unwrap();
        assert!(html.contains(
            "<section data-testid=\"no-subscriptions\"><p>No subscriptions.</p></section>"
        ));
        assert!(!html.contains("portal-return"));
    }

    #[test]
    fn the_small_pages_render() {
        let html = card_frame_html("http://127.0.0.1:9").unwrap();
        assert!(html.contains("<title>Secure payment input frame</title>"));
        assert!(
            html.contains("serveCard(\"http://127.0.0.1:9\");"),
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
