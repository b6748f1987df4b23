//! Checks a verified webhook body against Polar's enums and ranges (OpenAPI 2026-04) before
//! anything is stored: the envelope, and the data of the events the app acts on
//! (`subscription.*`, `customer.*`, `checkout.*`). The first field out of range is reported
//! by its JSON path (`data.status`), so the delivery can be answered 400 and retried once
//! corrected. Pure: no I/O.

use serde_json::{Map, Value};

/// `SubscriptionStatus`.
pub const SUBSCRIPTION_STATUSES: &[&str] = &[
    "incomplete",
    "incomplete_expired",
    "trialing",
    "active",
    "past_due",
    "canceled",
    "unpaid",
    "paused",
];
/// `RecurringInterval`.
pub const RECURRING_INTERVALS: &[&str] = &["day", "week", "month", "year"];
/// `CustomerType`.
pub const CUSTOMER_TYPES: &[&str] = &["individual", "team"];
/// `CheckoutStatus`.
pub const CHECKOUT_STATUSES: &[&str] = &["open", "expired", "confirmed", "succeeded", "failed"];
/// `CustomerCancellationReason`.
pub const CANCELLATION_REASONS: &[&str] = &[
    "customer_service",
    "low_quality",
    "missing_features",
    "switched_service",
    "too_complex",
    "too_expensive",
    "unused",
    "other",
];

/// Seat counts fit Polar's `int32` seat field and are at least one.
const SEATS: (i64, i64) = (1, i32::MAX as i64);
/// Amounts are non-negative integer cents.
const AMOUNT: (i64, i64) = (0, i64::MAX);
/// Interval counts are positive.
const COUNT: (i64, i64) = (1, i64::MAX);

/// One field of a webhook body that is missing or out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}` {problem}")]
pub struct InvalidField {
    /// The JSON path, e.g. `data.seats` or `data.customer.type`.
    pub field: String,
    /// What is wrong, e.g. `must be an integer ≥ 1 (got -5)`.
    pub problem: String,
}

/// Checks a Polar webhook event `{type, timestamp, data}`.
pub fn event(body: &Value) -> Result<(), InvalidField> {
    let root = Obj::root(body)?;
    let event_type = root.required("type", |v| event_type(v))?;
    root.required("timestamp", datetime)?;
    let data = root
        .object("data")?
        .ok_or_else(|| root.invalid("data", "is required"))?;
    match event_type.split_once('.').map(|(group, _)| group) {
        Some("subscription") => subscription(&data),
        Some("customer") => customer(&data),
        Some("checkout") => checkout(&data),
        _ => Ok(()),
    }
}

/// `Subscription`: the fields the projection reads are required, the rest checked when set.
fn subscription(s: &Obj<'_>) -> Result<(), InvalidField> {
    for id in ["id", "customer_id", "product_id"] {
        s.required(id, non_blank)?;
    }
    for id in ["checkout_id", "discount_id"] {
        s.optional(id, non_blank)?;
    }
    s.required("status", one_of(SUBSCRIPTION_STATUSES))?;
    s.required("recurring_interval", one_of(RECURRING_INTERVALS))?;
    s.optional("recurring_interval_count", integer(COUNT))?;
    s.required("amount", integer(AMOUNT))?;
    s.required("currency", currency)?;
    s.optional("seats", integer(SEATS))?;
    s.required("cancel_at_period_end", boolean)?;
    s.optional("pause_at_period_end", boolean)?;
    s.optional("customer_cancellation_reason", one_of(CANCELLATION_REASONS))?;
    for at in ["created_at", "current_period_start"] {
        s.required(at, datetime)?;
    }
    for at in [
        "modified_at",
        "current_period_end",
        "current_meter_period_start",
        "current_meter_period_end",
        "trial_start",
        "trial_end",
        "canceled_at",
        "started_at",
        "ends_at",
        "ended_at",
        "past_due_at",
        "paused_at",
        "resumes_at",
    ] {
        s.optional(at, datetime)?;
    }
    metadata(s)?;
    if let Some(c) = s.object("customer")? {
        c.required("id", non_blank)?;
        c.optional("external_id", non_blank)?;
        c.optional("type", one_of(CUSTOMER_TYPES))?;
        c.optional("created_at", datetime)?;
        c.optional("modified_at", datetime)?;
    }
    if let Some(p) = s.object("pending_update")? {
        p.optional("seats", integer(SEATS))?;
        p.optional("applies_at", datetime)?;
    }
    Ok(())
}

/// `Customer` and `CustomerState` (`customer.*`), with the state's active subscriptions.
fn customer(c: &Obj<'_>) -> Result<(), InvalidField> {
    c.required("id", non_blank)?;
    c.optional("external_id", non_blank)?;
    c.optional("type", one_of(CUSTOMER_TYPES))?;
    for at in ["created_at", "modified_at", "deleted_at"] {
        c.optional(at, datetime)?;
    }
    metadata(c)?;
    for s in c.array("active_subscriptions")? {
        s.required("id", non_blank)?;
        s.optional("product_id", non_blank)?;
        s.required("status", one_of(SUBSCRIPTION_STATUSES))?;
        s.optional("amount", integer(AMOUNT))?;
        s.optional("currency", currency)?;
        s.optional("recurring_interval", one_of(RECURRING_INTERVALS))?;
        s.optional("cancel_at_period_end", boolean)?;
        for at in [
            "created_at",
            "current_period_start",
            "current_period_end",
            "ends_at",
        ] {
            s.optional(at, datetime)?;
        }
    }
    Ok(())
}

/// `Checkout` (`checkout.*`).
fn checkout(c: &Obj<'_>) -> Result<(), InvalidField> {
    c.required("id", non_blank)?;
    c.required("status", one_of(CHECKOUT_STATUSES))?;
    for id in ["customer_id", "external_customer_id", "product_id"] {
        c.optional(id, non_blank)?;
    }
    for amount in ["amount", "total_amount", "net_amount", "discount_amount"] {
        c.optional(amount, integer(AMOUNT))?;
    }
    c.optional("currency", currency)?;
    for seats in ["seats", "min_seats", "max_seats"] {
        c.optional(seats, integer(SEATS))?;
    }
    for at in ["created_at", "modified_at", "expires_at"] {
        c.optional(at, datetime)?;
    }
    metadata(c)
}

/// `MetadataOutputType`: string, integer, number or boolean values.
fn metadata(o: &Obj<'_>) -> Result<(), InvalidField> {
    let Some(m) = o.object("metadata")? else {
        return Ok(());
    };
    for (key, value) in m.map {
        if !matches!(value, Value::String(_) | Value::Number(_) | Value::Bool(_)) {
            return Err(m.invalid(key, "must be a string, number or boolean"));
        }
    }
    Ok(())
}

/// A JSON object at a path.
struct Obj<'a> {
    path: String,
    map: &'a Map<String, Value>,
}

impl<'a> Obj<'a> {
    fn root(v: &'a Value) -> Result<Obj<'a>, InvalidField> {
        match v {
            Value::Object(map) => Ok(Obj {
                path: String::new(),
                map,
            }),
            _ => Err(InvalidField {
                field: "(body)".into(),
                problem: "must be a JSON object".into(),
            }),
        }
    }

    fn field(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn invalid(&self, key: &str, problem: impl Into<String>) -> InvalidField {
        InvalidField {
            field: self.field(key),
            problem: problem.into(),
        }
    }

    /// The field must be present and not null, and pass `check`.
    fn required<T>(
        &self,
        key: &str,
        check: impl Fn(&'a Value) -> Result<T, Problem>,
    ) -> Result<T, InvalidField> {
        match self.map.get(key) {
            None | Some(Value::Null) => Err(self.invalid(key, "is required")),
            Some(v) => check(v).map_err(|p| self.invalid(key, p.0)),
        }
    }

    /// The field may be absent or null; otherwise it must pass `check`.
    fn optional<T>(
        &self,
        key: &str,
        check: impl Fn(&'a Value) -> Result<T, Problem>,
    ) -> Result<(), InvalidField> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(()),
            Some(v) => check(v).map(|_| ()).map_err(|p| self.invalid(key, p.0)),
        }
    }

    /// An object field, absent or null → None.
    fn object(&self, key: &str) -> Result<Option<Obj<'a>>, InvalidField> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Obj {
                path: self.field(key),
                map,
            })),
            Some(_) => Err(self.invalid(key, "must be an object")),
        }
    }

    /// The objects of an array field (absent or null → none).
    fn array(&self, key: &str) -> Result<Vec<Obj<'a>>, InvalidField> {
        let items = match self.map.get(key) {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Array(items)) => items,
            Some(_) => return Err(self.invalid(key, "must be an array")),
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::Object(map) => Ok(Obj {
                    path: format!("{}[{i}]", self.field(key)),
                    map,
                }),
                _ => Err(self.invalid(&format!("{key}[{i}]"), "must be an object")),
            })
            .collect()
    }
}

/// The value as it appeared, shortened for a message.
fn shown(v: &Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(40) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// Why one field is out of range, in words for the `invalid_payload` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Problem(String);

impl From<&str> for Problem {
    fn from(text: &str) -> Problem {
        Problem(text.to_string())
    }
}

fn string(v: &Value) -> Result<&str, Problem> {
    v.as_str()
        .ok_or_else(|| Problem(format!("must be a string (got {})", shown(v))))
}

/// Ids and references: a string with something other than whitespace.
fn non_blank(v: &Value) -> Result<&str, Problem> {
    let s = string(v)?;
    if s.trim().is_empty() {
        Err(Problem::from("must not be empty"))
    } else {
        Ok(s)
    }
}

/// An event type such as `subscription.updated`.
fn event_type(v: &Value) -> Result<&str, Problem> {
    let s = string(v)?;
    let valid = s.split_once('.').is_some_and(|(group, name)| {
        [group, name].iter().all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
    });
    if valid {
        Ok(s)
    } else {
        Err(Problem(format!(
            "must be an event type such as subscription.updated (got {})",
            shown(v)
        )))
    }
}

/// An RFC 3339 date-time, e.g. `2026-01-01T00:00:00Z`.
fn datetime(v: &Value) -> Result<(), Problem> {
    let s = string(v)?;
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|_| ())
        .map_err(|_| Problem(format!("must be an RFC 3339 date-time (got {})", shown(v))))
}

/// A three-letter ISO 4217 code (Polar writes it lowercase, e.g. `usd`).
fn currency(v: &Value) -> Result<(), Problem> {
    let s = string(v)?;
    if s.len() == 3 && s.chars().all(|c| c.is_ascii_alphabetic()) {
        Ok(())
    } else {
        Err(Problem(format!(
            "must be a three-letter currency code (got {})",
            shown(v)
        )))
    }
}

fn boolean(v: &Value) -> Result<(), Problem> {
    v.as_bool()
        .map(|_| ())
        .ok_or_else(|| Problem(format!("must be true or false (got {})", shown(v))))
}

fn one_of(allowed: &'static [&'static str]) -> impl Fn(&Value) -> Result<(), Problem> {
    move |v| {
        let s = string(v)?;
        if allowed.contains(&s) {
            Ok(())
        } else {
            Err(Problem(format!(
                "must be one of {} (got {})",
                allowed.join(", "),
                shown(v)
            )))
        }
    }
}

fn integer((min, max): (i64, i64)) -> impl Fn(&Value) -> Result<(), Problem> {
    move |v| match v.as_i64() {
        Some(n) if (min..=max).contains(&n) => Ok(()),
        _ => {
            let range = if max == i64::MAX {
                format!("≥ {min}")
            } else {
                format!("from {min} to {max}")
            };
            Err(Problem(format!(
                "must be an integer {range} (got {})",
                shown(v)
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sub() -> Value {
        json!({
            "id": "sub-1", "created_at": "2026-01-01T00:00:00Z", "modified_at": null,
            "amount": 4000, "currency": "usd", "recurring_interval": "month",
            "recurring_interval_count": 1, "status": "active",
            "current_period_start": "2026-01-01T00:00:00Z",
            "current_period_end": "2026-02-01T00:00:00.000000Z",
            "cancel_at_period_end": false, "canceled_at": null, "ends_at": null,
            "customer_id": "cus-1", "product_id": "prod-1", "checkout_id": null,
            "seats": 2, "metadata": {"workspace_id": "ws-1"},
            "customer": {"id": "cus-1", "external_id": "ws-1", "type": "team"},
            "pending_update": null
        })
    }

    fn envelope(event_type: &str, data: Value) -> Value {
        json!({"type": event_type, "timestamp": "2026-01-01T00:00:00Z", "data": data})
    }

    /// The field named by the error when `path` (dot-separated) is set to `value`.
    fn rejected(event_type: &str, mut data: Value, path: &str, value: Value) -> String {
        let mut at = &mut data;
        let keys: Vec<&str> = path.split('.').collect();
        for key in &keys[..keys.len() - 1] {
            at = &mut at[*key];
        }
        at[keys[keys.len() - 1]] = value;
        event(&envelope(event_type, data)).expect_err(path).field
    }

    #[test]
    fn polar_shaped_events_pass() {
        assert_eq!(event(&envelope("subscription.updated", sub())), Ok(()));
        let mut no_seats = sub();
        no_seats["seats"] = Value::Null;
        assert_eq!(event(&envelope("subscription.created", no_seats)), Ok(()));
        for status in SUBSCRIPTION_STATUSES {
            let mut s = sub();
            s["status"] = json!(status);
            assert_eq!(event(&envelope("subscription.updated", s)), Ok(()));
        }
        let checkout = json!({"id": "co-1", "status": "succeeded", "amount": 0,
            "currency": "usd", "seats": 1, "customer_id": null, "external_customer_id": "ws"});
        assert_eq!(event(&envelope("checkout.updated", checkout)), Ok(()));
        let state = json!({"id": "cus-1", "external_id": null, "type": "individual",
            "active_subscriptions": [{"id": "s", "status": "trialing", "amount": 0,
            "currency": "eur", "current_period_start": "2026-01-01T00:00:00+01:00"}]});
        assert_eq!(event(&envelope("customer.state_changed", state)), Ok(()));
        // Events the app does not act on only need a sound envelope.
        assert_eq!(event(&envelope("order.paid", json!({"x": -1}))), Ok(()));
    }

    #[test]
    fn out_of_range_fields_are_named() {
        let s = "subscription.updated";
        for (path, value) in [
            ("status", json!("bogus")),
            ("status", json!(1)),
            ("seats", json!(-5)),
            ("seats", json!(0)),
            ("seats", json!(2.5)),
            ("seats", json!(i64::from(i32::MAX) + 1)),
            ("amount", json!(-1)),
            ("amount", Value::Null),
            ("currency", json!("dollars")),
            ("currency", json!("u$d")),
            ("recurring_interval", json!("fortnight")),
            ("recurring_interval_count", json!(0)),
            ("current_period_end", json!("2026-02-01 00:00")),
            ("created_at", json!("yesterday")),
            ("modified_at", json!(1767225600)),
            ("id", json!("")),
            ("customer_id", json!("  ")),
            ("product_id", Value::Null),
            ("cancel_at_period_end", json!("no")),
            ("customer_cancellation_reason", json!("meh")),
            ("metadata.workspace_id", json!({"nested": true})),
            ("customer.type", json!("company")),
            ("customer.external_id", json!("")),
        ] {
            assert_eq!(
                rejected(s, sub(), path, value.clone()),
                format!("data.{path}")
            );
        }
        assert_eq!(
            rejected(
                "checkout.updated",
                json!({"id": "c", "status": "open"}),
                "status",
                json!("paid")
            ),
            "data.status"
        );
        assert_eq!(
            rejected("customer.updated", json!({"id": "c"}), "id", json!("")),
            "data.id"
        );
        let e = event(&json!({"type": "subscription.updated", "timestamp": "now", "data": sub()}));
        assert_eq!(e.unwrap_err().field, "timestamp");
        let e = event(
            &json!({"type": "Subscription Updated", "timestamp": "2026-01-01T00:00:00Z", "data": {}}),
        );
        assert_eq!(e.unwrap_err().field, "type");
        let e =
            event(&json!({"type": "order.paid", "timestamp": "2026-01-01T00:00:00Z", "data": []}));
        assert_eq!(e.unwrap_err().field, "data");
        let state = json!({"id": "c", "active_subscriptions": [{"id": "s", "status": "gone"}]});
        let e = event(&envelope("customer.state_changed", state)).unwrap_err();
        assert_eq!(e.field, "data.active_subscriptions[0].status");
    }

    #[test]
    fn messages_say_what_is_allowed_and_what_came() {
        let mut s = sub();
        s["seats"] = json!(-5);
        let e = event(&envelope("subscription.updated", s)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`data.seats` must be an integer from 1 to 2147483647 (got -5)"
        );
        let mut s = sub();
        s["status"] = json!("bogus");
        let e = event(&envelope("subscription.updated", s)).unwrap_err();
        assert!(
            e.problem.contains("past_due") && e.problem.ends_with("(got \"bogus\")"),
            "{e}"
        );
    }

    /// The enums above are Polar's: the committed cut of its OpenAPI document has the same
    /// values in the same order.
    #[test]
    fn enums_match_polars_openapi_document() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/polar/openapi-2026-04.subset.json"
        );
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        for (schema, ours) in [
            ("SubscriptionStatus", SUBSCRIPTION_STATUSES),
            ("RecurringInterval", RECURRING_INTERVALS),
            ("CustomerType", CUSTOMER_TYPES),
            ("CheckoutStatus", CHECKOUT_STATUSES),
            ("CustomerCancellationReason", CANCELLATION_REASONS),
        ] {
            let theirs = &doc["components"]["schemas"][schema]["enum"];
            assert_eq!(theirs, &json!(ours), "{schema}");
        }
    }
}
