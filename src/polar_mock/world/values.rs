//! The small values records carry: addresses, tax ids and metadata, typed as Polar's models
//! type them (`AddressInput`, `TaxID`, `MetadataOutputType`), and the product catalog's
//! prices (`crate::polar::types::ProductPrice`).

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

pub use crate::polar::types::{
    AmountType, CustomerType, ProductPrice, ProductVisibility, RecurringInterval,
};

/// A billing address: `country` (ISO 3166-1 alpha-2) and the optional lines, in the order
/// Polar's `Address` lists them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Address {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub country: String,
}

/// `TaxID`: the number and its type (`eu_vat`, …), written as Polar writes it, a pair.
pub type TaxId = (String, String);

/// One metadata value: Polar allows strings, integers, numbers and booleans.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum MetaValue {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

/// Polar's `metadata`: keys in the order they were given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata(pub Vec<(String, MetaValue)>);

impl Serialize for Metadata {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// A product as the world needs it: what its rules read (the catalog's full `Product` object
/// is the API's to render).
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub recurring_interval: Option<RecurringInterval>,
    pub recurring_interval_count: i64,
    pub is_archived: bool,
    pub visibility: ProductVisibility,
    pub prices: Vec<ProductPrice>,
}

/// The amount in cents for `seats` of a price (seat-based: Polar's tier rule,
/// [`crate::polar::types::SeatTiers::amount_for`]; fixed: its amount).
pub fn seat_amount(price: &ProductPrice, seats: i64) -> i64 {
    match price.amount_type {
        AmountType::SeatBased => price.seat_amount(seats).unwrap_or(0),
        AmountType::Fixed => price.price_amount.unwrap_or(0),
        _ => 0,
    }
}

pub fn is_seat_based(price: &ProductPrice) -> bool {
    price.amount_type == AmountType::SeatBased
}

/// The seat bounds of a seat-based price (`minimum_seats`, `maximum_seats`).
pub fn seat_bounds(price: &ProductPrice) -> (i64, Option<i64>) {
    match &price.seat_tiers {
        Some(t) => (t.minimum_seats, t.maximum_seats),
        None => (1, None),
    }
}

/// The price a seat-based product charges per seat at its first tier (cents).
pub fn price_per_seat(price: &ProductPrice) -> i64 {
    price
        .seat_tiers
        .as_ref()
        .and_then(|t| t.tiers.first())
        .map_or(0, |t| t.price_per_seat)
}
