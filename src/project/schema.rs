//! The JSON Schema (draft 2020-12) of `walkthrough.yaml`, for editors; printed by
//! `walkthrough schema project`. Written from the same key lists the checker uses.

use serde_json::{json, Value};

use super::{APP_KEYS, BROWSERS, MAX_RETRIES, RUN_KEYS, TOP_KEYS, VIDEO_MODES};

fn described(kind: &str, description: &str) -> Value {
    json!({ "type": kind, "description": description })
}

pub fn json_schema() -> Value {
    let duration = json!({
        "type": "string",
        "pattern": "^\\s*[0-9]+(\\.[0-9]+)?\\s*(ms|s|m|h)\\s*$",
        "description": "a duration such as 500ms, 10s or 2m (at most 1h)"
    });
    let app = json!({
        "type": "object",
        "additionalProperties": false,
        "description": "the app under test: started by the run (command) or already running (url)",
        "properties": {
            "command": described("string", "a shell command that starts the app; omit for an app that is already running"),
            "cwd": described("string", "the command's folder, relative to this file"),
            "url": described("string", "the app's base URL; ${app.port} is a free loopback port the run picks"),
            "ready": described("string", "polled until it answers 2xx: a path on url, or a URL (default: url)"),
            "ready_timeout": duration,
            "webhook_path": described("string", "registered on the mock as the app's webhook endpoint"),
            "intercept_polar": {
                "anyOf": [
                    { "enum": ["sandbox", "production"] },
                    { "type": "array", "items": { "enum": ["sandbox", "production"] } }
                ],
                "description": "answer Polar's own hostnames (sandbox-api.polar.sh, …) for the app with the mock, over TLS with a per-run CA: for apps that take no base URL"
            },
            "webhook_events": {
                "type": "array",
                "items": { "enum": crate::polar::webhook::EVENT_TYPES },
                "description": "the event types that endpoint subscribes to (default: every type Polar has)"
            },
            "env": {
                "type": "object",
                "description": "the app's environment on top of the run's own; values may use ${app.port} and ${polar.*}",
                "additionalProperties": { "type": ["string", "number", "boolean"] }
            },
            "state": described("string", "a path that answers the signed-in user's entitlement as JSON, read with the browser's cookies before and after every step")
        }
    });
    let run = json!({
        "type": "object",
        "additionalProperties": false,
        "description": "defaults for walkthrough run's options; flags override them",
        "properties": {
            "viewport": { "type": "string", "pattern": "^[0-9]+[xX][0-9]+$", "description": "WxH, both even" },
            "video": { "enum": VIDEO_MODES },
            "timeout": duration,
            "browser": { "enum": BROWSERS },
            "history": described("string", "the run history file each run appends a line to (default recordings/history.jsonl when --out is not given)"),
            "retries": { "type": "integer", "minimum": 0, "maximum": MAX_RETRIES, "description": "how many times a failed scenario runs again from its given state (default 0); one that then passes is flaky" },
            "email": { "type": "string", "pattern": "^[^@\\s]*\\{run\\}[^@\\s]*@[^@\\s]+\\.[^@\\s]+$|^[^@\\s]+@[^@\\s]*\\{run\\}[^@\\s]*\\.[^@\\s]+$", "description": "the run's customer email, ${run.email}; {run} is the run id. Polar refuses reserved domains (example.com, *.test, …); on the sandbox use a subaddress of an organization member's address, such as you+{run}@your-company.com" }
        }
    });
    debug_assert_eq!(
        app["properties"].as_object().map(|o| o.len()),
        Some(APP_KEYS.len())
    );
    debug_assert_eq!(
        run["properties"].as_object().map(|o| o.len()),
        Some(RUN_KEYS.len())
    );
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "walkthrough project file (walkthrough.yaml)",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "scenarios": {
                "description": "scenario files or folders, relative to this file",
                "oneOf": [{ "type": "string" }, { "type": "array", "items": { "type": "string" } }]
            },
            "app": app,
            "polar": {
                "type": "object",
                "additionalProperties": false,
                "properties": { "seed": described("string", "a JSON file with the organization and products, in Polar's shapes") }
            },
            "sandbox": {
                "type": "object",
                "additionalProperties": false,
                "properties": { "app_url": described("string", "the deployed app --target sandbox tests") }
            },
            "production": {
                "type": "object",
                "additionalProperties": false,
                "properties": { "app_url": described("string", "the live app --target production smoke-tests, read-only (only scenarios with `targets: [production]`)") }
            },
            "run": run
        }
    });
    debug_assert_eq!(
        schema["properties"].as_object().map(|o| o.len()),
        Some(TOP_KEYS.len())
    );
    schema
}
