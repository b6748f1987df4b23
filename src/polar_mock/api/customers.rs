//! Customers (list, create, get, update, delete — by id and by external id), customer state,
//! payment methods, and customer sessions (the portal's entry).

use serde_json::{json, Map, Value};

use super::input::{
    address_field, admits, bool_filter, email_field, email_field_at, is_uuid, metadata_field,
    str_field, url_field, uuid_error, uuid_filters,
};
use super::render;
use super::Request as _;
use crate::polar_mock::answer::{ApiError, Reply};
use crate::polar_mock::handler::{Auth, Ctx, Route};
use crate::polar_mock::world::{CustomerType, NewCustomer, World};

pub(crate) const ROUTES: &[Route] = &[
    Route::new("customers:list", "GET", "/v1/customers/", Auth::Org, list),
    Route::new(
        "customers:create",
        "POST",
        "/v1/customers/",
        Auth::Org,
        create,
    ),
    Route::new("customers:get", "GET", "/v1/customers/{id}", Auth::Org, get),
    Route::new(
        "customers:update",
        "PATCH",
        "/v1/customers/{id}",
        Auth::Org,
        update,
    ),
    Route::new(
        "customers:delete",
        "DELETE",
        "/v1/customers/{id}",
        Auth::Org,
        delete,
    ),
    Route::new(
        "customers:get_external",
        "GET",
        "/v1/customers/external/{external_id}",
        Auth::Org,
        get,
    ),
    Route::new(
        "customers:update_external",
        "PATCH",
        "/v1/customers/external/{external_id}",
        Auth::Org,
        update,
    ),
    Route::new(
        "customers:delete_external",
        "DELETE",
        "/v1/customers/external/{external_id}",
        Auth::Org,
        delete,
    ),
    Route::new(
        "customers:get_state",
        "GET",
        "/v1/customers/{id}/state",
        Auth::Org,
        state,
    ),
    Route::new(
        "customers:get_state_external",
        "GET",
        "/v1/customers/external/{external_id}/state",
        Auth::Org,
        state,
    ),
    Route::new(
        "customers:list_payment_methods",
        "GET",
        "/v1/customers/{id}/payment-methods",
        Auth::Org,
        payment_methods,
    ),
    Route::new(
        "customers:list_payment_methods_external",
        "GET",
        "/v1/customers/external/{external_id}/payment-methods",
        Auth::Org,
        payment_methods,
    ),
    Route::new(
        "customer-sessions:create",
        "POST",
        "/v1/customer-sessions/",
        Auth::Org,
        create_session,
    ),
];

/// The customer a path names: `/customers/{id}…` or `/customers/external/{external_id}…`.
fn target(ctx: &Ctx<'_>) -> Result<usize, ApiError> {
    if ctx.req.path.as_str().starts_with("/v1/customers/external/") {
        ctx.world
            .customer_by_external(ctx.param(0))
            .ok_or_else(ApiError::not_found)
    } else {
        let id = ctx.id()?;
        ctx.world
            .customer_index(&id)
            .ok_or_else(ApiError::not_found)
    }
}

/// Newest first; filters `email` (exact, case-insensitive), `query` (part of the email, name
/// or external id), `organization_id`, and — an extension Polar's list does not document —
/// `external_id`.
fn list(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let q = ctx.query();
    uuid_filters(&q, &["organization_id"])?;
    let state = &*ctx.world;
    let email = q
        .iter()
        .find(|(k, _)| k == "email")
        .map(|(_, v)| v.to_lowercase());
    let needle = q
        .iter()
        .find(|(k, _)| k == "query")
        .map(|(_, v)| v.to_lowercase());
    let mut found: Vec<_> = state
        .customers
        .iter()
        .filter(|c| {
            c.deleted_at.is_none()
                && admits(&q, "organization_id", Some(state.org_id()))
                && admits(&q, "external_id", c.external_id.as_deref())
                && email.as_ref().is_none_or(|e| c.email.to_lowercase() == *e)
                && needle.as_ref().is_none_or(|n| {
                    [Some(&c.email), c.name.as_ref(), c.external_id.as_ref()]
                        .into_iter()
                        .flatten()
                        .any(|h| h.to_lowercase().contains(n))
                })
        })
        .collect();
    found.sort_by_key(|c| std::cmp::Reverse(c.created_at));
    let items = found
        .iter()
        .map(|c| render::customer(&ctx.render(), c))
        .collect();
    ctx.page(items)
}

fn unique_email(state: &World, email: &str, except: Option<usize>) -> Result<(), ApiError> {
    let taken = state.customers.iter().enumerate().any(|(i, c)| {
        Some(i) != except && c.deleted_at.is_none() && c.email.eq_ignore_ascii_case(email)
    });
    if taken {
        return Err(ApiError::polar_validation(
            json!(["body", "email"]),
            "A customer with this email address already exists.",
            json!(email),
        ));
    }
    Ok(())
}

fn unique_external(state: &World, external: &str) -> Result<(), ApiError> {
    if state.customer_by_external(external).is_some() {
        return Err(ApiError::polar_validation(
            json!(["body", "external_id"]),
            "A customer with this external ID already exists.",
            json!(external),
        ));
    }
    Ok(())
}

/// `CustomerIndividualCreate` (email required) or `CustomerTeamCreate` (`type: "team"`).
/// `tax_id` and `owner` are accepted and ignored.
fn create(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let body = ctx.body()?;
    let team = match body.get("type").and_then(Value::as_str) {
        None | Some("individual") => false,
        Some("team") => true,
        Some(_) => {
            return Err(ApiError::validation(
                "RequestValidationError",
                "literal_error",
                json!(["body", "type"]),
                "Input should be 'individual' or 'team'",
                body["type"].clone(),
            ))
        }
    };
    // `CustomerCreate` is a union tagged by `type` (customer/schemas/customer.py:133-138), so
    // pydantic names the tag in `loc`; both members' `email` is `EmailStrDNS` (100, 107).
    let tag = if team { "team" } else { "individual" };
    let email = email_field_at(&body, "email", json!(["body", tag, "email"]))?;
    if email.is_none() && !team {
        return Err(ApiError::missing(
            json!(["body", "email"]),
            Value::Object(body),
        ));
    }
    let email = email.unwrap_or_default();
    if !email.is_empty() {
        unique_email(ctx.world, &email, None)?;
    }
    let external_id = str_field(&body, "external_id", 1000)?;
    if let Some(e) = &external_id {
        unique_external(ctx.world, e)?;
    }
    let new = NewCustomer {
        email,
        name: str_field(&body, "name", 256)?,
        external_id,
        billing_address: address_field(&body, "billing_address")?,
        tax_id: None,
        locale: str_field(&body, "locale", 10)?,
        metadata: metadata_field(&body, "metadata")?.unwrap_or_default(),
    };
    let ci = ctx.world.insert_customer(new);
    if team {
        ctx.world.customers[ci].kind = CustomerType::Team;
    }
    Reply::created(render::customer(&ctx.render(), &ctx.world.customers[ci]))
}

fn get(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let ci = target(ctx)?;
    Reply::ok(render::customer(&ctx.render(), &ctx.world.customers[ci]))
}

/// Applies `CustomerUpdate` fields to customer `ci`; `external_id` only while unset, `type`
/// only from individual to team.
fn apply_update(state: &mut World, ci: usize, body: &Map<String, Value>) -> Result<(), ApiError> {
    if let Some(email) = email_field(body, "email")? {
        unique_email(state, &email, Some(ci))?;
        state.customers[ci].email = email;
    }
    if body.contains_key("name") {
        state.customers[ci].name = str_field(body, "name", 256)?;
    }
    if body.contains_key("billing_address") {
        state.customers[ci].billing_address = address_field(body, "billing_address")?;
    }
    if body.contains_key("locale") {
        state.customers[ci].locale = str_field(body, "locale", 10)?;
    }
    if let Some(m) = metadata_field(body, "metadata")? {
        state.customers[ci].metadata = m;
    }
    if let Some(ext) = str_field(body, "external_id", 1000)? {
        match &state.customers[ci].external_id {
            Some(current) if *current == ext => {}
            Some(_) => {
                return Err(ApiError::polar_validation(
                    json!(["body", "external_id"]),
                    "Customer external ID cannot be updated.",
                    json!(ext),
                ))
            }
            None => {
                unique_external(state, &ext)?;
                state.customers[ci].external_id = Some(ext);
            }
        }
    }
    match body.get("type").and_then(Value::as_str) {
        None => {}
        Some("team") => state.customers[ci].kind = CustomerType::Team,
        Some("individual") if state.customers[ci].kind == CustomerType::Individual => {}
        Some(_) => {
            return Err(ApiError::polar_validation(
                json!(["body", "type"]),
                "Customer type can only be changed from individual to team.",
                body["type"].clone(),
            ))
        }
    }
    Ok(())
}

fn update(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let ci = target(ctx)?;
    let body = ctx.body()?;
    if ctx.req.path.as_str().starts_with("/v1/customers/external/") {
        if let Some(k) = ["external_id", "type"]
            .iter()
            .find(|k| body.contains_key(**k))
        {
            return Err(ApiError::validation(
                "RequestValidationError",
                "extra_forbidden",
                json!(["body", k]),
                "Extra inputs are not permitted",
                body[*k].clone(),
            ));
        }
    }
    apply_update(ctx.world, ci, &body)?;
    ctx.world.customer_updated(ci);
    Reply::ok(render::customer(&ctx.render(), &ctx.world.customers[ci]))
}

/// 204; with `anonymize=true` the email, name and billing address are scrubbed too.
fn delete(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let ci = target(ctx)?;
    if bool_filter(&ctx.query(), "anonymize") == Some(true) {
        let c = &mut ctx.world.customers[ci];
        let digest = crate::polar_mock::wire::derived_id(&[&c.email]);
        c.email = format!("{}@anonymized.invalid", &digest[..8]);
        c.name = c.name.as_ref().map(|_| digest[..12].to_string());
        c.billing_address = None;
    }
    ctx.world.delete_customer(ci);
    Ok(Reply::NoContent)
}

fn state(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let ci = target(ctx)?;
    Reply::ok(render::customer_state(
        &ctx.render(),
        &ctx.world.customers[ci],
    ))
}

/// The customer's saved cards, newest first, each with `is_default`.
fn payment_methods(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let ci = target(ctx)?;
    let items = render::payment_methods(&ctx.world.customers[ci], true);
    ctx.page(items)
}

/// `{customer_id}` or `{external_customer_id}`, and `return_url`.
fn create_session(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let body = ctx.body()?;
    let return_url = url_field(&body, "return_url")?;
    let state = &mut *ctx.world;
    let customer_id = if let Some(id) = str_field(&body, "customer_id", 64)? {
        if !is_uuid(&id) {
            return Err(uuid_error(json!(["body", "customer_id"]), &id));
        }
        state.customer(&id).map(|c| c.id.clone()).ok_or_else(|| {
            ApiError::polar_validation(
                json!(["body", "customer_id"]),
                "Customer does not exist.",
                json!(id),
            )
        })?
    } else if let Some(ext) = str_field(&body, "external_customer_id", 1000)? {
        state
            .customer_by_external(&ext)
            .map(|ci| state.customers[ci].id.clone())
            .ok_or_else(|| {
                ApiError::polar_validation(
                    json!(["body", "external_customer_id"]),
                    "Customer does not exist.",
                    json!(ext),
                )
            })?
    } else {
        return Err(ApiError::missing(
            json!(["body", "customer_id"]),
            Value::Object(body),
        ));
    };
    let session = state.create_session(&customer_id, return_url);
    Reply::created(render::session(&ctx.render(), &session))
}
