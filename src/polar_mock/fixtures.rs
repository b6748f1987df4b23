//! Seed data: the organization and its products, read from a fixture directory
//! (`seed.json`) or, by default, from the copy of `fixtures/polar/seed.json` built into the
//! binary. Products are completed into Polar's full `Product` shape here, once: the completed
//! documents are the `Catalog` the API renders, and the world gets each product typed.
//!
//! Must not import wiremock or any room's routes.

use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::path::Path;

use super::world::{
    Benefit, Organization, Product, ProductPrice, ProductVisibility, RecurringInterval,
};

/// Why a seed was refused: where, and what is wrong.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub(crate) struct SeedError(String);

/// The products' full `Product` documents, as `GET /v1/products/{id}` gives them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Catalog {
    pub products: Vec<Value>,
    /// Every benefit a product carries, completed into Polar's `Benefit`, once each.
    pub benefits: Vec<Value>,
}

impl Catalog {
    /// Completes every seed product.
    pub fn new(seed: &Seed, created_at: &str) -> Catalog {
        let products: Vec<Value> = seed
            .products
            .iter()
            .map(|p| complete_product(p, &seed.organization.id, created_at))
            .collect();
        let mut benefits: Vec<Value> = Vec::new();
        for b in products
            .iter()
            .filter_map(|p| p["benefits"].as_array())
            .flatten()
        {
            if !benefits.iter().any(|x| x["id"] == b["id"]) {
                benefits.push(b.clone());
            }
        }
        Catalog { products, benefits }
    }

    pub fn benefit(&self, id: &str) -> Option<&Value> {
        self.benefits.iter().find(|b| b["id"].as_str() == Some(id))
    }

    /// Every benefit typed for the world, with the products that carry it.
    pub fn world_benefits(&self) -> Vec<Benefit> {
        self.benefits
            .iter()
            .map(|b| {
                let id = b["id"].as_str().unwrap_or_default().to_string();
                let product_ids = self
                    .products
                    .iter()
                    .filter(|p| {
                        p["benefits"]
                            .as_array()
                            .is_some_and(|bs| bs.iter().any(|x| x["id"] == b["id"]))
                    })
                    .filter_map(|p| p["id"].as_str().map(str::to_string))
                    .collect();
                Benefit { id, product_ids }
            })
            .collect()
    }

    pub fn product(&self, id: &str) -> Option<&Value> {
        self.products.iter().find(|p| p["id"].as_str() == Some(id))
    }

    /// A price's document, by its id.
    pub fn price(&self, id: &str) -> Option<&Value> {
        self.products
            .iter()
            .filter_map(|p| p["prices"].as_array())
            .flatten()
            .find(|p| p["id"].as_str() == Some(id))
    }

    /// Every product typed for the world.
    pub fn world_products(&self) -> Result<Vec<Product>, SeedError> {
        self.products
            .iter()
            .enumerate()
            .map(|(i, p)| world_product(i, p))
            .collect()
    }
}

fn world_product(i: usize, doc: &Value) -> Result<Product, SeedError> {
    let prices: Vec<ProductPrice> = serde_json::from_value(doc["prices"].clone())
        .map_err(|e| SeedError(format!("products[{i}].prices: {e}")))?;
    let interval = match &doc["recurring_interval"] {
        Value::Null => None,
        v => Some(
            serde_json::from_value::<RecurringInterval>(v.clone())
                .map_err(|e| SeedError(format!("products[{i}].recurring_interval: {e}")))?,
        ),
    };
    Ok(Product {
        id: doc["id"].as_str().unwrap_or_default().to_string(),
        name: doc["name"].as_str().unwrap_or_default().to_string(),
        description: doc["description"].as_str().map(str::to_string),
        recurring_interval: interval,
        recurring_interval_count: doc["recurring_interval_count"].as_i64().unwrap_or(1),
        is_archived: doc["is_archived"].as_bool().unwrap_or(false),
        visibility: ProductVisibility::from(
            doc["visibility"].as_str().unwrap_or("public").to_string(),
        ),
        prices,
    })
}

/// The default seed, so the mock works from any working directory.
const DEFAULT_SEED: &str = include_str!("../../fixtures/polar/seed.json");

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Seed {
    pub organization: SeedOrganization,
    pub products: Vec<Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct SeedOrganization {
    pub id: String,
    pub slug: String,
    pub name: String,
    /// The organization access token the mock accepts (`polar_oat_…`).
    pub token: String,
    /// Polar's `OrganizationFeatureSettings` (each flag false when absent,
    /// `server/polar/organization/schemas.py` 170-180).
    #[serde(default)]
    pub feature_settings: FeatureSettings,
}

/// The organization's feature flags the mock reads.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct FeatureSettings {
    /// Customer seats (`/v1/customer-seats`, the buyer's seat at checkout).
    #[serde(default)]
    pub seat_based_pricing_enabled: bool,
}

/// Loads a seed file, `DIR/seed.json` when `dir` is a folder, or the built-in seed when
/// `dir` is `None`.
pub(crate) fn load(dir: Option<&Path>) -> Result<Seed, SeedError> {
    let (text, origin) = match dir {
        Some(dir) => {
            let path = if dir.is_dir() {
                dir.join("seed.json")
            } else {
                dir.to_path_buf()
            };
            let text = std::fs::read_to_string(&path)
                .map_err(|err| SeedError(format!("cannot read {}: {err}", path.display())))?;
            (text, path.display().to_string())
        }
        None => (
            DEFAULT_SEED.to_string(),
            "built-in fixtures/polar/seed.json".into(),
        ),
    };
    let seed: Seed =
        serde_json::from_str(&text).map_err(|err| SeedError(format!("{origin}: {err}")))?;
    if !seed.organization.token.starts_with("polar_oat_") {
        return Err(SeedError(format!(
            "{origin}: organization.token must start with polar_oat_"
        )));
    }
    for (i, p) in seed.products.iter().enumerate() {
        for key in ["id", "name"] {
            if p.get(key).and_then(Value::as_str).is_none() {
                return Err(SeedError(format!(
                    "{origin}: products[{i}].{key} is missing"
                )));
            }
        }
        check_benefits(&origin, i, p)?;
    }
    Ok(seed)
}

/// A product's `benefits`: each an object with an `id` UUID, a `description` and type
/// `custom` (the one type the mock models), as Polar's `BenefitCustom`.
fn check_benefits(origin: &str, i: usize, product: &Value) -> Result<(), SeedError> {
    let benefits = match product.get("benefits") {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Array(b)) => b,
        Some(_) => {
            return Err(SeedError(format!(
                "{origin}: products[{i}].benefits must be an array"
            )))
        }
    };
    for (j, b) in benefits.iter().enumerate() {
        let at = format!("{origin}: products[{i}].benefits[{j}]");
        let id = b.get("id").and_then(Value::as_str);
        if id.is_none_or(|id| uuid::Uuid::parse_str(id).is_err()) {
            return Err(SeedError(format!("{at}.id must be a UUID")));
        }
        if b.get("description").and_then(Value::as_str).is_none() {
            return Err(SeedError(format!("{at}.description is missing")));
        }
        match b.get("type").and_then(Value::as_str) {
            Some("custom") => {}
            other => {
                return Err(SeedError(format!(
                    "{at}.type is {}: the mock models `custom` benefits only",
                    other.unwrap_or("missing")
                )))
            }
        }
    }
    Ok(())
}

impl SeedOrganization {
    pub fn organization(&self) -> Organization {
        Organization {
            id: self.id.clone(),
            slug: self.slug.clone(),
            name: self.name.clone(),
            token: self.token.clone(),
        }
    }
}

/// Completes a seed product into the full `Product` object (timestamps, defaults, price ids).
fn complete_product(seed: &Value, organization_id: &str, created_at: &str) -> Value {
    let mut p: Map<String, Value> = seed.as_object().cloned().unwrap_or_default();
    let id = p
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let defaults = json!({
        "created_at": created_at,
        "modified_at": null,
        "trial_interval": null,
        "trial_interval_count": null,
        "description": null,
        "visibility": "public",
        "recurring_interval": null,
        "recurring_interval_count": null,
        "meter_interval": null,
        "meter_interval_count": null,
        "is_archived": false,
        "organization_id": organization_id,
        "metadata": {},
        "prices": [],
        "benefits": [],
        "medias": [],
        "attached_custom_fields": [],
    });
    if let Some(d) = defaults.as_object() {
        for (k, v) in d {
            p.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    if let Some(Value::Array(benefits)) = p.get_mut("benefits") {
        for b in benefits.iter_mut() {
            complete_benefit(b, organization_id, created_at);
        }
    }
    let recurring = !p.get("recurring_interval").is_none_or(Value::is_null);
    p.entry("is_recurring").or_insert(Value::Bool(recurring));
    let is_recurring = p.get("is_recurring").and_then(Value::as_bool) == Some(true);
    let interval = p.get("recurring_interval").cloned().unwrap_or(Value::Null);
    if let Some(Value::Array(prices)) = p.get_mut("prices") {
        for price in prices.iter_mut() {
            if let Some(o) = price.as_object_mut() {
                // Polar sends both on every price although its OpenAPI document hides them
                // (`SkipJsonSchema`, `server/polar/product/schemas.py` 775-790), set from the
                // product (`legacy_type`, `legacy_recurring_interval`,
                // `server/polar/models/product_price.py` 171-179); the 0.4x SDKs require them.
                let kind = if is_recurring {
                    "recurring"
                } else {
                    "one_time"
                };
                o.insert("type".into(), json!(kind));
                o.insert("recurring_interval".into(), interval.clone());
                o.entry("created_at").or_insert(json!(created_at));
                o.entry("modified_at").or_insert(Value::Null);
                o.entry("source").or_insert(json!("catalog"));
                o.entry("price_currency").or_insert(json!("usd"));
                o.entry("tax_behavior").or_insert(Value::Null);
                o.entry("is_archived").or_insert(json!(false));
                o.insert("product_id".into(), json!(id));
                if let Some(Value::Object(st)) = o.get_mut("seat_tiers") {
                    st.entry("seat_tier_type").or_insert(json!("volume"));
                    let tiers = st.get("tiers").and_then(Value::as_array).cloned();
                    if let Some(tiers) = tiers {
                        let min = tiers
                            .first()
                            .and_then(|t| t.get("min_seats"))
                            .cloned()
                            .unwrap_or(json!(1));
                        let max = tiers
                            .last()
                            .and_then(|t| t.get("max_seats"))
                            .cloned()
                            .unwrap_or(Value::Null);
                        st.entry("minimum_seats").or_insert(min);
                        st.entry("maximum_seats").or_insert(max);
                    }
                }
            }
        }
    }
    Value::Object(p)
}

/// Completes a seed benefit into Polar's `BenefitCustom`
/// (`server/polar/benefit/strategies/custom/schemas.py`).
fn complete_benefit(b: &mut Value, organization_id: &str, created_at: &str) {
    let Some(o) = b.as_object_mut() else {
        return;
    };
    let defaults = json!({
        "created_at": created_at,
        "modified_at": null,
        "selectable": true,
        "deletable": true,
        "is_deleted": false,
        "organization_id": organization_id,
        "metadata": {},
        "visibility": "public",
        "visibility_configurable": true,
        "properties": {"note": null},
    });
    if let Some(d) = defaults.as_object() {
        for (k, v) in d {
            o.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
}
