//! The invoice PDF `GET /v1/orders/{id}/invoice` links to (`/invoices/{order_id}.pdf`): one
//! page of Helvetica lines from a `views::Invoice`, written by hand (no PDF crate).
//!
//! Must not import wiremock or the mock's state.

use super::views::Invoice;

/// The invoice's lines, top to bottom.
pub(crate) fn lines(invoice: &Invoice) -> Vec<String> {
    vec![
        format!("Invoice {}", invoice.number),
        invoice.organization.clone(),
        format!("Date: {}", invoice.date),
        format!("Billed to: {}", invoice.billed_to),
        invoice.item.clone(),
        format!("Total: {}", invoice.total),
        format!("Status: {}", invoice.status),
    ]
}

/// `c` as a PDF string character in WinAnsiEncoding: printable ASCII as itself (`\`, `(`
/// and `)` escaped), Latin-1 and `€` (the symbols money gives: `£`, `¥`, the no-break space)
/// as octal escapes, anything else as `?`.
fn win_ansi(c: char) -> String {
    match c {
        '\\' | '(' | ')' => format!("\\{c}"),
        ' '..='~' => c.to_string(),
        '€' => "\\200".to_string(),
        '\u{a0}'..='\u{ff}' => format!("\\{:03o}", u32::from(c)),
        _ => "?".to_string(),
    }
}

/// A one-page PDF with `lines` in Helvetica (WinAnsiEncoding; other characters become `?`).
pub(crate) fn pdf(lines: &[String]) -> Vec<u8> {
    let mut text = String::from("BT /F1 12 Tf 72 770 Td 16 TL");
    for line in lines {
        let escaped: String = line.chars().map(win_ansi).collect();
        text.push_str(&format!(" ({escaped}) Tj T*"));
    }
    text.push_str(" ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{text}\nendstream", text.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_string(),
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
    use super::*;

    #[test]
    fn pdf_offsets_point_at_objects() {
        let bytes = pdf(&["Invoice TEGY-0001 (paid)".into(), "Total: $60.00".into()]);
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

    #[test]
    fn money_symbols_are_written_in_win_ansi() {
        let text = String::from_utf8(pdf(&[
            "Total: €1,234.50 £2 ¥3 SEK\u{a0}4".into(),
            "Ada ₹ \\ ok".into(),
        ]))
        .unwrap();
        assert!(text.contains("/Encoding /WinAnsiEncoding"));
        assert!(
            text.contains("(Total: \\2001,234.50 \\2432 \\2453 SEK\\2404) Tj"),
            "{text}"
        );
        assert!(text.contains("(Ada ? \\\\ ok) Tj"), "{text}");
    }

    #[test]
    fn the_lines_read_as_before() {
        let invoice = Invoice {
            number: "TEGY-0001".into(),
            organization: "Tegy".into(),
            date: "2026-05-01".into(),
            billed_to: "ada@example.com".into(),
            item: "Tegy Pro (3 seats)".into(),
            total: "$60.00".into(),
            status: "paid".into(),
        };
        assert_eq!(
            lines(&invoice),
            [
                "Invoice TEGY-0001",
                "Tegy",
                "Date: 2026-05-01",
                "Billed to: ada@example.com",
                "Tegy Pro (3 seats)",
                "Total: $60.00",
                "Status: paid",
            ]
        );
    }
}
