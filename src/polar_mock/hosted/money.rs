//! Polar's money formatting, ported from Polar's own client code so the mock's pages print
//! amounts as Polar's checkout and portal do (en locale):
//!
//! - `clients/packages/currency/src/index.ts` (`formatCurrency`, `ZERO_DECIMAL_CURRENCIES`,
//!   `scrubTrailingZeros`) and its `index.test.ts`;
//! - `clients/packages/checkout/src/components/AmountLabel.tsx` (amount, then ` / ` and the
//!   short interval) and its `AmountLabel.test.tsx`;
//! - `clients/packages/i18n/src/locales/en.ts` (`intervals.short`: `dy`, `wk`, `mo`, `yr`,
//!   `# mo` for a count above one),
//!
//! all at polarsource/polar commit `c6c3645e63`. Polar formats with `Intl.NumberFormat(locale,
//! {style: 'currency', currencyDisplay: 'symbol', minimumFractionDigits: 2 or 0})` on
//! `cents / 100` (`cents / 1` for zero-decimal currencies); this module writes what that gives
//! for `en`: the en-US symbol (`$`, `€`, `CA$`, …; other currencies as their ISO code and a
//! no-break space), grouping commas, a leading `-` for negatives. `Mode::Standard` then drops a
//! trailing `.00`; `Mode::Accounting` keeps it. The browser's seat stepper formats with
//! `templates/money.js`, which takes `Style` (the same rules as data) and is checked against
//! this module and against `Intl` itself by the tests below (they run Node.js).
//!
//! Pure functions over plain values: must not import the mock's state or anything else of
//! the crate.

use serde::Serialize;

/// How an amount is written (Polar's `FormattingMode`, the two modes the pages use).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Drops a trailing `.00`: `$60`, `$19.99`.
    Standard,
    /// Always two decimals for decimal currencies: `$60.00`.
    Accounting,
}

/// Polar's `ZERO_DECIMAL_CURRENCIES`: amounts in these are whole units, not cents.
const ZERO_DECIMAL_CURRENCIES: &[&str] = &[
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "vnd", "vuv", "xaf",
    "xof", "xpf",
];

/// The currencies of Polar's `PresentmentCurrency` for which `Intl.NumberFormat('en')` writes
/// a symbol rather than the ISO code, with that symbol as written before the digits (a symbol
/// that ends in a letter or a dot is followed by a no-break space, as ICU's currency spacing
/// does).
const SYMBOLS: &[(&str, &str)] = &[
    ("aud", "A$"),
    ("brl", "R$"),
    ("cad", "CA$"),
    ("cny", "CN¥"),
    ("eur", "€"),
    ("gbp", "£"),
    ("hkd", "HK$"),
    ("ils", "₪"),
    ("inr", "₹"),
    ("jpy", "¥"),
    ("krw", "₩"),
    ("mxn", "MX$"),
    ("nzd", "NZ$"),
    ("php", "₱"),
    ("twd", "NT$"),
    ("usd", "$"),
    ("vnd", "₫"),
    ("xaf", "FCFA\u{a0}"),
    ("xcd", "EC$"),
    ("xcg", "Cg.\u{a0}"),
    ("xof", "F\u{202f}CFA\u{a0}"),
    ("xpf", "CFPF\u{a0}"),
];

/// Everything needed to write an amount of one currency in one mode; serialized for the
/// page's script (`templates/money.js`), which applies the same rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Style {
    /// Written before the digits, after a `-` for negatives: `$`, `CA$`, `SEK\u{a0}`.
    pub symbol: String,
    /// 2 for decimal currencies (cents), 0 for zero-decimal ones.
    pub decimals: u32,
    /// Whether a `.00` fraction is left out (`Mode::Standard`).
    pub drop_zero_fraction: bool,
}

impl Style {
    pub fn new(currency: &str, mode: Mode) -> Style {
        let code = currency.to_ascii_lowercase();
        let symbol = SYMBOLS
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, s)| (*s).to_string())
            .unwrap_or_else(|| format!("{}\u{a0}", code.to_ascii_uppercase()));
        let decimals = if ZERO_DECIMAL_CURRENCIES.contains(&code.as_str()) {
            0
        } else {
            2
        };
        Style {
            symbol,
            decimals,
            drop_zero_fraction: mode == Mode::Standard,
        }
    }

    /// `cents` (the currency's smallest unit) written in this style.
    pub fn format(&self, cents: i64) -> String {
        let sign = if cents < 0 { "-" } else { "" };
        let units = cents.unsigned_abs();
        let (whole, fraction) = if self.decimals == 2 {
            (units / 100, Some(units % 100))
        } else {
            (units, None)
        };
        let fraction = match fraction {
            Some(0) if self.drop_zero_fraction => String::new(),
            Some(f) => format!(".{f:02}"),
            None => String::new(),
        };
        format!("{sign}{}{}{fraction}", self.symbol, grouped(whole))
    }
}

/// `1234567` → `1,234,567`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// Polar's `formatCurrency(mode, 'en')(cents, currency)`.
pub(crate) fn format(cents: i64, currency: &str, mode: Mode) -> String {
    Style::new(currency, mode).format(cents)
}

/// Polar's `AmountLabel`: the amount, then ` / ` and the short interval (`mo`, `3 mo`) when
/// there is an interval; `interval_count` defaults to 1.
pub(crate) fn amount_label(
    cents: i64,
    currency: &str,
    interval: Option<&str>,
    interval_count: Option<i64>,
    mode: Mode,
) -> String {
    let amount = format(cents, currency, mode);
    match interval.and_then(|i| short_interval(i, interval_count.unwrap_or(1))) {
        Some(suffix) => format!("{amount} / {suffix}"),
        None => amount,
    }
}

/// Polar's `intervals.short` (en): `dy`, `wk`, `mo`, `yr`; `# mo` for a count other than 1.
/// `None` for an interval Polar has no word for.
pub(crate) fn short_interval(interval: &str, count: i64) -> Option<String> {
    let word = match interval {
        "day" => "dy",
        "week" => "wk",
        "month" => "mo",
        "year" => "yr",
        _ => return None,
    };
    Some(if count == 1 {
        word.to_string()
    } else {
        format!("{count} {word}")
    })
}

#[cfg(test)]
mod tests {
    use super::Mode::{Accounting, Standard};
    use super::*;

    #[test]
    fn currency_index_test_cases_for_en() {
        // clients/packages/currency/src/index.test.ts, standard and accounting, en-US.
        assert_eq!(format(12345, "usd", Standard), "$123.45");
        assert_eq!(format(12300, "usd", Standard), "$123");
        assert_eq!(format(12300, "cad", Standard), "CA$123");
        assert_eq!(format(12300, "jpy", Standard), "¥12,300");
        assert_eq!(format(12345, "cad", Standard), "CA$123.45");
        assert_eq!(format(12345, "usd", Accounting), "$123.45");
        assert_eq!(format(12345, "cad", Accounting), "CA$123.45");
        assert_eq!(format(12300, "usd", Accounting), "$123.00");
        assert_eq!(format(12300, "jpy", Accounting), "¥12,300");
        // The JSDoc examples of formatCurrency in index.ts.
        assert_eq!(format(12345, "cad", Standard), "CA$123.45");
    }

    #[test]
    fn amount_label_test_cases() {
        // clients/packages/checkout/src/components/AmountLabel.test.tsx (locale en).
        let label = |cents, currency, interval, count| {
            amount_label(cents, currency, interval, count, Standard)
        };
        assert_eq!(label(1999, "usd", None, None), "$19.99");
        assert_eq!(label(0, "usd", None, None), "$0");
        assert_eq!(label(1_000_000, "usd", None, None), "$10,000");
        assert_eq!(label(999, "usd", Some("month"), None), "$9.99 / mo");
        assert_eq!(label(9999, "usd", Some("year"), None), "$99.99 / yr");
        assert_eq!(label(199, "usd", Some("day"), None), "$1.99 / dy");
        assert_eq!(label(499, "usd", Some("week"), None), "$4.99 / wk");
        assert_eq!(label(2999, "usd", Some("month"), Some(3)), "$29.99 / 3 mo");
        assert_eq!(label(19999, "usd", Some("year"), Some(2)), "$199.99 / 2 yr");
        assert_eq!(label(999, "usd", Some("month"), Some(1)), "$9.99 / mo");
        assert_eq!(label(1999, "eur", None, None), "€19.99");
        assert_eq!(label(1999, "gbp", None, None), "£19.99");
        assert_eq!(label(19900, "sek", None, None), "SEK\u{a0}199");
        assert_eq!(label(999, "usd", None, Some(3)), "$9.99");
    }

    #[test]
    fn negatives_zero_and_zero_decimal_currencies() {
        assert_eq!(format(-150, "usd", Accounting), "-$1.50");
        assert_eq!(format(-150, "usd", Standard), "-$1.50");
        assert_eq!(format(-100, "usd", Standard), "-$1");
        assert_eq!(format(-123_456_789, "eur", Accounting), "-€1,234,567.89");
        assert_eq!(format(0, "usd", Accounting), "$0.00");
        assert_eq!(format(0, "usd", Standard), "$0");
        assert_eq!(format(0, "jpy", Accounting), "¥0");
        assert_eq!(format(12300, "JPY", Standard), "¥12,300");
        assert_eq!(format(-5, "krw", Accounting), "-₩5");
        assert_eq!(
            format(1_234_567, "xof", Standard),
            "F\u{202f}CFA\u{a0}1,234,567"
        );
        assert_eq!(format(6000, "usd", Standard), "$60");
        assert_eq!(format(6000, "usd", Accounting), "$60.00");
        assert_eq!(format(105, "chf", Accounting), "CHF\u{a0}1.05");
        assert_eq!(
            format(i64::MIN, "usd", Standard),
            "-$92,233,720,368,547,758.08"
        );
    }
}

/// `templates/money.js` (the seat stepper's formatter) and Polar's own `formatCurrency`
/// (`Intl.NumberFormat`, as `index.ts` calls it) run by Node.js, against `format`.
#[cfg(test)]
mod against_javascript {
    use super::*;

    /// Polar's `formatCurrency` for the two modes, as in `currency/src/index.ts`.
    const POLAR_FORMAT_CURRENCY: &str = r#"
function polarFormatCurrency(mode, cents, currency) {
  var factor = ZERO_DECIMAL_CURRENCIES.has(currency.toLowerCase()) ? 1 : 100;
  var formatted = new Intl.NumberFormat('en', { style: 'currency', currency: currency,
    currencyDisplay: 'symbol', minimumFractionDigits: factor === 100 ? 2 : 0 }).format(cents / factor);
  return mode === 'standard' ? formatted.replace(/[.,]00([^\d]*)$/, '$1') : formatted;
}
"#;

    const AMOUNTS: &[i64] = &[
        0,
        1,
        5,
        99,
        100,
        150,
        1999,
        6000,
        12300,
        12345,
        99_999,
        100_000,
        1_000_000,
        123_456_789,
        -1,
        -100,
        -150,
        -123_456_789,
    ];

    /// Every currency with a symbol, and some written as their ISO code (decimal and not).
    fn currencies() -> Vec<&'static str> {
        let mut all: Vec<&str> = SYMBOLS.iter().map(|(c, _)| *c).collect();
        all.extend(["sek", "chf", "pln", "isk", "huf", "bif", "clp", "pyg"]);
        all
    }

    fn node(script: &str) -> String {
        let out = std::process::Command::new("node")
            .arg("-e")
            .arg(script)
            .output()
            .expect("Node.js runs the pages' money.js here (scripts/setup-tests.sh installs it)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    #[test]
    fn money_js_and_polars_intl_formatting_agree_with_format() {
        let mut cases = Vec::new();
        for currency in currencies() {
            for mode in [Mode::Standard, Mode::Accounting] {
                for &cents in AMOUNTS {
                    cases.push((cents, currency, mode));
                }
            }
        }
        let input: Vec<serde_json::Value> = cases
            .iter()
            .map(|(cents, currency, mode)| {
                serde_json::json!([
                    cents,
                    currency.to_uppercase(),
                    if *mode == Mode::Standard {
                        "standard"
                    } else {
                        "accounting"
                    },
                    Style::new(currency, *mode),
                ])
            })
            .collect();
        let script = format!(
            "{}\nvar ZERO_DECIMAL_CURRENCIES = new Set({});\n{POLAR_FORMAT_CURRENCY}\n\
             var cases = {};\n\
             console.log(JSON.stringify(cases.map(function (c) {{\n\
               return [formatMoney(c[0], c[3]), polarFormatCurrency(c[2], c[0], c[1])];\n\
             }})));",
            include_str!("templates/money.js"),
            serde_json::to_string(ZERO_DECIMAL_CURRENCIES).unwrap(),
            serde_json::Value::Array(input),
        );
        let outputs: Vec<(String, String)> = serde_json::from_str(&node(&script)).unwrap();
        assert_eq!(outputs.len(), cases.len());
        for ((cents, currency, mode), (js, intl)) in cases.iter().zip(outputs) {
            let rust = format(*cents, currency, *mode);
            assert_eq!(js, rust, "money.js, {cents} {currency} {mode:?}");
            assert_eq!(
                intl, rust,
                "Polar's formatCurrency, {cents} {currency} {mode:?}"
            );
        }
    }
}
