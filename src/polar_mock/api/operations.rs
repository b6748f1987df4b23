//! Polar's API operations (`fixtures/polar/operations.txt`, cut from Polar's OpenAPI document
//! and the official SDK by `tests/sdk/operations.py`) and which of them the mock models. Every
//! operation no route models is mounted as a 501 by the server.

use regex::Regex;

/// The committed list, built into the binary.
const OPERATIONS: &str = include_str!("../../../fixtures/polar/operations.txt");

/// One operation of Polar's API.
#[derive(Debug, Clone)]
pub struct Operation {
    /// Polar's operation id, e.g. `customers:get_state_external`.
    pub id: String,
    pub method: String,
    /// The path template, e.g. `/v1/customers/external/{external_id}/state`.
    pub path: String,
    /// Where it is documented: `openapi`, `sdk` or `openapi+sdk`.
    pub source: String,
    /// Whether the mock models it (otherwise it answers 501).
    pub modelled: bool,
}

/// `/v1/products/{id}` → `^/v1/products/([^/]+)$`.
pub(crate) fn template_regex(template: &str) -> String {
    let mut out = String::from("^");
    for (i, seg) in template.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        if seg.starts_with('{') && seg.ends_with('}') {
            out.push_str("([^/]+)");
        } else {
            out.push_str(&regex::escape(seg));
        }
    }
    out.push('$');
    out
}

/// Every operation in the committed list, `modelled` left false.
pub(crate) fn polar_operations() -> Vec<Operation> {
    OPERATIONS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            let (method, path, id, source) = (it.next()?, it.next()?, it.next()?, it.next()?);
            Regex::new(&template_regex(path)).ok()?;
            Some(Operation {
                id: id.to_string(),
                method: method.to_string(),
                path: path.to_string(),
                source: source.to_string(),
                modelled: false,
            })
        })
        .collect()
}

/// Polar's operations with `modelled` set from the mock's routes.
pub fn operations() -> Vec<Operation> {
    let routes = super::routes();
    polar_operations()
        .into_iter()
        .map(|mut op| {
            op.modelled = routes
                .iter()
                .any(|r| r.method == op.method && r.path == op.path);
            op
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_api_route_is_one_of_polars_operations_under_its_id() {
        let ops = polar_operations();
        assert!(ops.len() > 180, "the list has {} operations", ops.len());
        for r in super::super::routes() {
            if !r.path.starts_with("/v1/") || r.op == super::super::checkouts::STREAM_OP {
                continue;
            }
            let op = ops
                .iter()
                .find(|o| o.method == r.method && o.path == r.path)
                .unwrap_or_else(|| {
                    panic!("{} {} is not one of Polar's operations", r.method, r.path)
                });
            assert_eq!(op.id, r.op, "{} {}", r.method, r.path);
        }
    }
}
