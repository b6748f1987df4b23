//! The JSON Schema (draft 2020-12) of scenario and flow files, for editors: unknown
//! actions, keys and locator kinds are flagged. Built from the same name lists the
//! parser uses, so the two cannot drift apart.

use serde_json::{json, Map, Value};

use super::parse::{LOCATORS, MATCHERS, METHODS, TARGETS};
use super::SLOT_IDS;

fn string() -> Value {
    json!({ "type": "string" })
}

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/$defs/{name}") })
}

/// An object with the given properties (plus, when `locator`, the locator kinds), no others.
fn object(props: &[(&str, Value)], required: &[&str], locator: bool) -> Value {
    let mut p = Map::new();
    if locator {
        for l in LOCATORS {
            p.insert(l.into(), reference("text"));
        }
    }
    for (k, v) in props {
        p.insert((*k).into(), v.clone());
    }
    let mut o = json!({ "type": "object", "properties": p, "additionalProperties": false });
    if !required.is_empty() {
        o["required"] = json!(required);
    }
    o
}

/// `target` objects: exactly one locator kind (plus the action's own options).
fn one_locator() -> Value {
    Value::Array(
        LOCATORS
            .iter()
            .map(|l| json!({ "required": [l] }))
            .collect(),
    )
}

fn with_one_locator(mut o: Value, optional: bool) -> Value {
    let kinds = one_locator();
    if optional {
        o["oneOf"] = json!([
            { "not": { "anyOf": kinds } },
            { "oneOf": kinds }
        ]);
    } else {
        o["oneOf"] = kinds;
    }
    o
}

fn one_matcher(mut o: Value) -> Value {
    o["oneOf"] = Value::Array(
        MATCHERS
            .iter()
            .map(|m| json!({ "required": [m] }))
            .collect(),
    );
    o
}

fn matcher_props() -> Vec<(&'static str, Value)> {
    MATCHERS.iter().map(|m| (*m, reference("text"))).collect()
}

pub(crate) fn json_schema() -> Value {
    let timeout = reference("duration");
    let text = json!({ "type": ["string", "number", "boolean"] });
    let locator_obj = with_one_locator(object(&[], &[], true), false);
    let target = json!({ "anyOf": [string(), locator_obj] });

    let mut actions = Map::new();
    let mut add = |name: &str, desc: &str, schema: Value| {
        let mut s = schema;
        s["description"] = json!(desc);
        actions.insert(name.into(), s);
    };
    add(
        "open",
        "Open a URL, or a path relative to the app URL.",
        json!({ "anyOf": [string(), object(&[("url", string()), ("timeout", timeout.clone())], &["url"], false)] }),
    );
    let locator_with_timeout =
        with_one_locator(object(&[("timeout", timeout.clone())], &[], true), false);
    for (name, desc) in [
        (
            "click",
            "Click an element. A plain string is a text locator.",
        ),
        ("expect_visible", "The element must be visible."),
        ("expect_hidden", "The element must be hidden or absent."),
    ] {
        add(
            name,
            desc,
            json!({ "anyOf": [string(), locator_with_timeout.clone()] }),
        );
    }
    add(
        "fill",
        "Type a value into a form field.",
        with_one_locator(
            object(
                &[("value", text.clone()), ("timeout", timeout.clone())],
                &["value"],
                true,
            ),
            false,
        ),
    );
    add(
        "select",
        "Choose an option of a <select> by its text or value.",
        with_one_locator(
            object(
                &[("option", text.clone()), ("timeout", timeout.clone())],
                &["option"],
                true,
            ),
            false,
        ),
    );
    add(
        "press",
        "Press a key (Enter, Tab, Escape, …), in the focused element or a target.",
        json!({ "anyOf": [string(), with_one_locator(object(&[("key", string()), ("timeout", timeout.clone())], &["key"], true), true)] }),
    );
    let mut et = matcher_props();
    et.push(("in", target.clone()));
    et.push(("timeout", timeout.clone()));
    add(
        "expect_text",
        "Text of the page (or of `in`) must equal, contain or match. A plain string: the page contains it.",
        json!({ "anyOf": [text.clone(), one_matcher(object(&et, &[], false))] }),
    );
    let mut eu = matcher_props();
    eu.push(("timeout", timeout.clone()));
    add(
        "expect_url",
        "The current URL must equal, contain or match. A plain string: the URL contains it.",
        json!({ "anyOf": [string(), one_matcher(object(&eu, &[], false))] }),
    );
    add(
        "within_frame",
        "Enter an iframe, run actions, leave it.",
        object(
            &[
                ("frame", target.clone()),
                ("do", reference("actions")),
                ("timeout", timeout.clone()),
            ],
            &["frame", "do"],
            false,
        ),
    );
    add(
        "screenshot",
        "An extra named screenshot.",
        json!({ "anyOf": [string(), object(&[("name", string())], &["name"], false)] }),
    );
    add(
        "wait_for",
        "Wait until a text appears, or an element is present.",
        json!({ "anyOf": [string(), locator_with_timeout.clone()] }),
    );
    add(
        "eventually",
        "Retry the actions until all pass in one round, or the timeout runs out.",
        object(
            &[
                ("timeout", timeout.clone()),
                ("interval", timeout.clone()),
                ("do", reference("actions")),
            ],
            &["do"],
            false,
        ),
    );
    let json_expect = json!({
        "type": "object",
        "additionalProperties": {
            "anyOf": [text.clone(), one_matcher(object(&matcher_props(), &[], false))]
        }
    });
    add(
        "http",
        "Call a URL, check the status and JSON fields, capture values into variables.",
        json!({ "anyOf": [string(), object(&[
            ("method", json!({ "enum": METHODS.iter().flat_map(|m| [m.to_string(), m.to_ascii_lowercase()]).collect::<Vec<_>>() })),
            ("url", string()),
            ("headers", json!({ "type": "object", "additionalProperties": text.clone() })),
            ("json", json!({})),
            ("expect", object(&[
                ("status", json!({ "type": ["integer", "string"] })),
                ("json", json_expect),
            ], &[], false)),
            ("capture", json!({ "type": "object", "additionalProperties": string() })),
            ("timeout", timeout.clone()),
        ], &["url"], false)] }),
    );
    add(
        "remember",
        "Read an element's visible text, or one of its attributes, into a variable.",
        with_one_locator(
            object(
                &[
                    ("as", string()),
                    ("attribute", string()),
                    ("timeout", timeout.clone()),
                ],
                &["as"],
                true,
            ),
            false,
        ),
    );
    add(
        "verify_config",
        "Run the Polar configuration verifier (product lookup, name, public, monthly, seat-based) and show its report.",
        json!({ "anyOf": [
            { "enum": ["production", "sandbox"] },
            { "type": "null" },
            object(&[
                ("server", json!({ "enum": ["production", "sandbox"] })),
                ("product_name", string()),
                ("timeout", timeout.clone()),
            ], &[], false),
        ] }),
    );

    let action_names: Vec<String> = actions.keys().cloned().collect();
    let action = json!({
        "type": "object",
        "properties": actions,
        "additionalProperties": false,
        "minProperties": 1,
        "maxProperties": 1,
    });
    let use_flow = object(
        &[
            (
                "use",
                json!({ "type": "string", "description": "A flow file, relative to this file." }),
            ),
            (
                "with",
                json!({ "type": "object", "additionalProperties": text.clone() }),
            ),
        ],
        &["use"],
        false,
    );
    let step = object(
        &[("name", string()), ("do", reference("actions"))],
        &["name", "do"],
        false,
    );
    let var = json!({ "anyOf": [text.clone(), object(&[
        ("value", text.clone()),
        ("secret", json!({ "type": "boolean" })),
    ], &["value"], false)] });

    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://walkthrough.dev/schema/scenario.json",
        "title": "walkthrough scenario or flow",
        "description": format!("A scenario (`name`, `slot`, `targets`, `vars`, `given`, `steps`) or a flow (`params`, `steps`). Actions: {}.", action_names.join(", ")),
        "anyOf": [ reference("scenario"), reference("flow") ],
        "$defs": {
            "text": text,
            "duration": { "type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?(ms|s|m)$", "description": "500ms, 10s, 2m" },
            "action": { "anyOf": [ action, use_flow.clone() ] },
            "actions": { "type": "array", "minItems": 1, "items": reference("action") },
            "step": { "anyOf": [ step, use_flow ] },
            "steps": { "type": "array", "minItems": 1, "items": reference("step") },
            "scenario": object(&[
                ("name", string()),
                ("slot", json!({ "enum": SLOT_IDS })),
                ("targets", json!({ "type": "array", "items": { "enum": TARGETS } })),
                ("vars", json!({ "type": "object", "additionalProperties": var })),
                ("given", reference("steps")),
                ("steps", reference("steps")),
            ], &["name", "steps"], false),
            "flow": object(&[
                ("name", string()),
                ("description", string()),
                ("params", json!({ "anyOf": [
                    { "type": "array", "items": string() },
                    { "type": "object", "additionalProperties": { "type": ["string", "number", "boolean", "null"] } }
                ] })),
                ("steps", reference("steps")),
            ], &["steps"], false),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::yaml;

    fn yaml_json(src: &str) -> Value {
        let mut p = Vec::new();
        let n = yaml::parse(src, &mut p).unwrap();
        assert!(p.is_empty());
        n.to_json()
    }

    fn valid(src: &str) -> bool {
        let schema = json_schema();
        let v = jsonschema::validator_for(&schema).expect("schema compiles");
        v.is_valid(&yaml_json(src))
    }

    #[test]
    fn the_valid_fixtures_pass_the_schema() {
        for entry in std::fs::read_dir("fixtures/valid").unwrap() {
            let p = entry.unwrap().path();
            if p.extension().is_some_and(|e| e == "yaml") {
                let src = std::fs::read_to_string(&p).unwrap();
                assert!(valid(&src), "{} should be valid", p.display());
            }
        }
        for entry in std::fs::read_dir("fixtures/valid/flows").unwrap() {
            let p = entry.unwrap().path();
            let src = std::fs::read_to_string(&p).unwrap();
            assert!(valid(&src), "{} should be valid", p.display());
        }
    }

    #[test]
    fn unknown_actions_keys_and_locators_are_flagged() {
        let ok = "name: x\nsteps:\n  - name: a\n    do:\n      - click: { testid: m }\n";
        assert!(valid(ok));
        assert!(!valid(&ok.replace("click", "clik")));
        assert!(!valid(&ok.replace("testid", "test_id")));
        assert!(!valid(
            &ok.replace("{ testid: m }", "{ testid: m, text: n }")
        ));
        assert!(!valid(&ok.replace("name: x", "name: x\nslot: nope")));
        assert!(!valid(&ok.replace("name: x", "name: x\nstepz: []")));
        assert!(!valid(
            "name: x\nsteps:\n  - name: a\n    do:\n      - open: { url: /, timeout: 10 sec }\n"
        ));
        assert!(valid(
            "name: x\nsteps:\n  - name: a\n    do:\n      - press: Enter\n      - press: { key: Enter }\n      - press: { key: Tab, label: Seats }\n"
        ));
    }
}
