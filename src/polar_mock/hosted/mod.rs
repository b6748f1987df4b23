//! The hosted pages a browser walks (checkout, its card frame and confirmation, the customer
//! portal, its card frame) and the invoice PDFs `GET /v1/orders/{id}/invoice` links to. The
//! HTML itself is built in `pages`.

mod pages;

use crate::polar_mock::answer::{not_found_route, ApiError, Reply};
use crate::polar_mock::handler::{Auth, Ctx, Route};
use crate::polar_mock::wire::ts;
use pages::money;

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
        "page:checkout_card_frame",
        "GET",
        "/checkout/{client_secret}/card-frame",
        Auth::None,
        checkout_card_frame,
    ),
    Route::new(
        "page:checkout_confirmation",
        "GET",
        "/checkout/{client_secret}/confirmation",
        Auth::None,
        confirmation,
    ),
    Route::new(
        "page:portal_card_frame",
        "GET",
        "/portal/card-frame",
        Auth::None,
        portal_card_frame,
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

fn checkout(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    Ok(match ctx.world.checkout_by_secret(ctx.param(0)) {
        Some(i) => Reply::Html(200, pages::checkout(ctx.world, i)),
        None => Reply::Html(
            404,
            pages::page(
                "Not found",
                "<main><section data-testid=\"not-found\"><h1>Checkout not found</h1></section></main>",
            ),
        ),
    })
}

fn checkout_card_frame(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    Ok(match ctx.world.checkout_by_secret(ctx.param(0)) {
        Some(_) => Reply::Html(200, pages::card_frame()),
        None => not_found_route(),
    })
}

fn confirmation(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    Ok(match ctx.world.checkout_by_secret(ctx.param(0)) {
        Some(i) => Reply::Html(200, pages::confirmation(ctx.world, i)),
        None => Reply::Html(404, pages::page("Not found", "<h1>Not found</h1>")),
    })
}

fn portal_card_frame(_: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    Ok(Reply::Html(200, pages::card_frame()))
}

fn portal(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let token = ctx
        .req
        .query_value("customer_session_token")
        .unwrap_or_default()
        .to_string();
    Ok(match pages::portal(ctx.world, &token) {
        Some(page) => Reply::Html(200, page),
        None => Reply::Html(401, pages::portal_expired()),
    })
}

fn favicon(_: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    Ok(Reply::NoContent)
}

/// `/invoices/{order_id}.pdf`: a one-page PDF for an order whose invoice was generated.
fn invoice(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let id = ctx.param(0).trim_end_matches(".pdf");
    let state = &*ctx.world;
    let Some(o) = state
        .order_index(id)
        .map(|i| &state.orders[i])
        .filter(|o| o.invoice_number.is_some())
    else {
        return Ok(not_found_route());
    };
    let customer = state.customers.iter().find(|c| c.id == o.customer_id);
    let product = state
        .product(&o.product_id)
        .map(|p| p.name.as_str())
        .unwrap_or("");
    let lines = vec![
        format!("Invoice {}", o.invoice_number.clone().unwrap_or_default()),
        state.organization.name.clone(),
        format!("Date: {}", &ts(o.created_at)[..10]),
        format!(
            "Billed to: {}",
            customer.map(|c| c.email.as_str()).unwrap_or("")
        ),
        match o.seats {
            Some(n) => format!("{product} ({n} seats)"),
            None => product.to_string(),
        },
        format!("Total: {}", money(o.amount, &o.currency)),
        format!("Status: {}", o.status.as_str()),
    ];
    Ok(Reply::Bytes {
        status: 200,
        content_type: "application/pdf",
        body: pdf(&lines),
    })
}

/// A one-page PDF with `lines` in Helvetica (non-ASCII characters become `?`).
pub(crate) fn pdf(lines: &[String]) -> Vec<u8> {
    let mut text = String::from("BT /F1 12 Tf 72 770 Td 16 TL");
    for line in lines {
        let safe: String = line
            .chars()
            .map(|c| {
                if c.is_ascii() && !c.is_ascii_control() {
                    c
                } else {
                    '?'
                }
            })
            .collect();
        let escaped = safe
            .replace('\\', "\\\\")
            .replace('(', "\\(")
            .replace(')', "\\)");
        text.push_str(&format!(" ({escaped}) Tj T*"));
    }
    text.push_str(" ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{text}\nendstream", text.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut out = String::from("%PDF-1.4\n");
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.push_str(&format!("{} 0 obj\n{body}\nendobj\n", i + 1));
    }
    let xref = out.len();
    out.push_str(&format!(
        "xref\n0 {}\n0000000000 65535 f \n",
        objects.len() + 1
    ));
    for off in offsets {
        out.push_str(&format!("{off:010} 00000 n \n"));
    }
    out.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    #[test]
    fn pdf_offsets_point_at_objects() {
        let bytes = super::pdf(&["Invoice TEGY-0001 (paid)".into(), "Total: $60.00".into()]);
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("%PDF-1.4\n") && text.ends_with("%%EOF\n"));
        let xref: usize = text.lines().rev().nth(1).unwrap().parse().unwrap();
        assert!(text[xref..].starts_with("xref"));
        for (i, line) in text[xref..].lines().skip(3).take(5).enumerate() {
            let off: usize = line[..10].parse().unwrap();
            assert!(
                text[off..].starts_with(&format!("{} 0 obj", i + 1)),
                "object {}",
                i + 1
            );
        }
        assert!(text.contains("(Invoice TEGY-0001 \\(paid\\)) Tj"));
    }
}
