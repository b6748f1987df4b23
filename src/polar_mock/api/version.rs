//! Polar API versions (`Polar-Version: YYYY-MM`): which ones the mock serves, how a request
//! picks one, and how a body rendered in the 2026-04 shape becomes another version's shape.
//! The differences follow the official SDKs' generated models (`polar-sdk` 1.0.x
//! `polar.v2026_04|v2026_10|v2027_01`, `@polar-sh/sdk` 1.0.x `/2026-04|/2026-10|/2027-01`).
//!
//! The enum itself is the world's (an endpoint's payloads are in one version); this module
//! adds the reshaping. Works on JSON only; must not import wiremock or the routes.

use serde_json::{json, Map, Value};

pub(crate) use crate::polar_mock::world::ApiVersion;

impl ApiVersion {
    /// Reshapes a body rendered in the 2026-04 shape into this version's shape.
    pub(crate) fn adapt(self, mut value: Value) -> Value {
        if self == ApiVersion::V2027_01 {
            walk(&mut value, &seat_price_2027);
        }
        value
    }
}
/// Applies `f` to every object in `value`, depth first.
fn walk(value: &mut Value, f: &dyn Fn(&mut Map<String, Value>)) {
    match value {
        Value::Object(map) => {
            f(map);
            for v in map.values_mut() {
                walk(v, f);
            }
        }
        Value::Array(items) => {
            for v in items {
                walk(v, f);
            }
        }
        _ => {}
    }
}

/// 2027-01: a seat-based price gains the shared tier structure beside its `seat_tiers`. A
/// tier's `bound` is its `max_seats` (null when unbounded) and its `unit_amount` the per-seat
/// rate in cents as a decimal string.
fn seat_price_2027(price: &mut Map<String, Value>) {
    if price.get("amount_type").and_then(Value::as_str) != Some("seat_based") {
        return;
    }
    let Some(Value::Object(seat_tiers)) = price.get("seat_tiers").cloned() else {
        return;
    };
    let tiers: Vec<Value> = seat_tiers
        .get("tiers")
        .and_then(Value::as_array)
        .map(|tiers| {
            tiers
                .iter()
                .map(|t| {
                    json!({
                        "bound": t.get("max_seats").cloned().unwrap_or(Value::Null),
                        "unit_amount": t.get("price_per_seat").and_then(Value::as_i64).unwrap_or(0).to_string(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let kind = seat_tiers
        .get("seat_tier_type")
        .cloned()
        .unwrap_or_else(|| json!("volume"));
    price.insert("tiers".into(), json!({"type": kind, "tiers": tiers}));
    for (from, to) in [
        ("minimum_seats", "minimum_units"),
        ("maximum_seats", "maximum_units"),
    ] {
        let v = seat_tiers.get(from).cloned().unwrap_or(Value::Null);
        price.insert(to.into(), v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_print() {
        for v in ApiVersion::ALL {
            assert_eq!(ApiVersion::parse(v.as_str()), Some(v));
        }
        assert_eq!(ApiVersion::parse("2025-01"), None);
        assert_eq!(ApiVersion::parse("latest"), None);
        assert_eq!(ApiVersion::DEFAULT.to_string(), "2026-04");
    }

    #[test]
    fn seat_prices_gain_the_2027_tier_shape_wherever_they_appear() {
        let price = json!({"amount_type": "seat_based", "price_currency": "usd",
            "seat_tiers": {"seat_tier_type": "graduated", "minimum_seats": 1, "maximum_seats": null,
                "tiers": [{"min_seats": 1, "max_seats": 10, "price_per_seat": 1000},
                          {"min_seats": 11, "max_seats": null, "price_per_seat": 800}]}});
        let body = json!({"product": {"prices": [price.clone()]}, "product_price": price});
        let old = ApiVersion::V2026_10.adapt(body.clone());
        assert_eq!(old, body, "2026-10 keeps seat_tiers");
        let new = ApiVersion::V2027_01.adapt(body);
        let expect = json!({"amount_type": "seat_based", "price_currency": "usd",
            "seat_tiers": price["seat_tiers"],
            "tiers": {"type": "graduated", "tiers": [{"bound": 10, "unit_amount": "1000"},
                                                     {"bound": null, "unit_amount": "800"}]},
            "minimum_units": 1, "maximum_units": null});
        assert_eq!(new["product"]["prices"][0], expect);
        assert_eq!(new["product_price"], expect);
        let fixed = json!({"amount_type": "fixed", "price_amount": 500});
        assert_eq!(ApiVersion::V2027_01.adapt(fixed.clone()), fixed);
    }
}
