//! The JSON Schema (draft 2020-12) of scenario and flow files, for editors: unknown
//! actions, keys and locator kinds are flagged, and every action carries its doc line.
//! Built from the action table ([`super::actions`]) the parser also reads, so the two
//! cannot drift apart. Must not import the parser's logic, only its word lists.

use serde_json::{json, Map, Value};

use super::actions::{
    ActionSpec, Key, LocatorKeys, Short, ValueKind, ACTIONS, LOCATORS, MATCHERS, METHODS, SERVERS,
};
use super::parse::SCENARIO_KEYS;
use super::{SLOT_IDS, TARGETS};

fn string() -> Value {
    json!({ "type": "string" })
}

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/$defs/{name}") })
}

/// An object with exactly the given properties, some required.
fn object(props: Vec<(&str, Value)>, required: &[&str]) -> Value {
    let p: Map<String, Value> = props.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    let mut o = json!({ "type": "object", "properties": p, "additionalProperties": false });
    if !required.is_empty() {
        o["required"] = json!(required);
    }
    o
}

/// "Exactly one of these keys is present".
fn exactly_one(keys: &[&str]) -> Value {
    Value::Array(keys.iter().map(|k| json!({ "required": [k] })).collect())
}

/// A locator (`$defs/target`, the scenario language's word): a text, or a mapping with
/// exactly one locator kind.
fn locator() -> Value {
    let kinds: Vec<&str> = LOCATORS.iter().map(|(k, _)| *k).collect();
    let props = kinds.iter().map(|k| (*k, reference("text"))).collect();
    let mut o = object(props, &[]);
    o["oneOf"] = exactly_one(&kinds);
    json!({ "anyOf": [string(), o] })
}

/// The schema of a value of `kind`.
fn value(kind: ValueKind) -> Value {
    match kind {
        ValueKind::String | ValueKind::VarName => string(),
        ValueKind::Scalar => reference("text"),
        ValueKind::Timeout | ValueKind::Duration | ValueKind::Interval => reference("duration"),
        ValueKind::Locator => reference("target"),
        ValueKind::Actions => reference("actions"),
        ValueKind::Server => json!({ "enum": SERVERS }),
        ValueKind::Method => json!({
            "enum": METHODS.iter().flat_map(|m| [m.to_string(), m.to_ascii_lowercase()]).collect::<Vec<_>>()
        }),
        ValueKind::Headers => {
            json!({ "type": "object", "additionalProperties": reference("text") })
        }
        ValueKind::Json => json!({}),
        ValueKind::Expect => {
            let matcher = one_matcher(object(matcher_props(), &[]));
            let json_expect = json!({
                "type": "object",
                "additionalProperties": { "anyOf": [reference("text"), matcher] }
            });
            object(
                vec![
                    ("status", json!({ "type": ["integer", "string"] })),
                    ("json", json_expect),
                ],
                &[],
            )
        }
        ValueKind::Capture => json!({ "type": "object", "additionalProperties": string() }),
    }
}

fn matcher_props() -> Vec<(&'static str, Value)> {
    MATCHERS.iter().map(|m| (*m, reference("text"))).collect()
}

fn one_matcher(mut o: Value) -> Value {
    o["oneOf"] = exactly_one(&MATCHERS);
    o
}

fn key_schema(k: &Key) -> Value {
    let mut v = value(k.value);
    v["description"] = json!(k.what);
    v
}

/// The long form: the action's keys, its locator kinds (exactly one, or at most one
/// when optional) and its matchers (exactly one).
fn long_form(spec: &ActionSpec) -> Value {
    let mut props: Vec<(&str, Value)> = spec.keys.iter().map(|k| (k.name, key_schema(k))).collect();
    props.extend(
        spec.locator_keys
            .kinds()
            .iter()
            .map(|k| (*k, reference("text"))),
    );
    if spec.matcher {
        props.extend(matcher_props());
    }
    let required: Vec<&str> = spec
        .keys
        .iter()
        .filter(|k| k.required)
        .map(|k| k.name)
        .collect();
    let mut o = object(props, &required);
    let mut all = Vec::new();
    match spec.locator_keys {
        LocatorKeys::None => {}
        LocatorKeys::Required(kinds) => all.push(json!({ "oneOf": exactly_one(kinds) })),
        LocatorKeys::Optional(kinds) => all.push(json!({ "oneOf": [
            { "not": { "anyOf": exactly_one(kinds) } },
            { "oneOf": exactly_one(kinds) }
        ] })),
    }
    if spec.matcher {
        all.push(json!({ "oneOf": exactly_one(&MATCHERS) }));
    }
    if !all.is_empty() {
        o["allOf"] = Value::Array(all);
    }
    o
}

/// What a scalar after the action's name may be.
fn short_form(spec: &ActionSpec, short: Short) -> Value {
    match short {
        Short::Key(k) => spec.key(k).map_or_else(string, |k| value(k.value)),
        Short::Locator => string(),
        Short::Contains => reference("text"),
    }
}

fn action_schema(spec: &ActionSpec) -> Value {
    let mut forms = Vec::new();
    if let Some(short) = spec.short {
        forms.push(short_form(spec, short));
    }
    if spec.empty_ok {
        forms.push(json!({ "type": "null" }));
    }
    forms.push(long_form(spec));
    let mut s = if forms.len() == 1 {
        forms.remove(0)
    } else {
        json!({ "anyOf": forms })
    };
    s["description"] = json!(spec.doc);
    s
}

pub(crate) fn json_schema() -> Value {
    let actions: Map<String, Value> = ACTIONS
        .iter()
        .map(|s| (s.word.to_string(), action_schema(s)))
        .collect();
    let action_names: Vec<&str> = ACTIONS.iter().map(|s| s.word).collect();
    let action = json!({
        "type": "object",
        "properties": actions,
        "additionalProperties": false,
        "minProperties": 1,
        "maxProperties": 1,
    });
    let use_flow = object(
        vec![
            (
                "use",
                json!({ "type": "string", "description": "A flow file, relative to this file." }),
            ),
            (
                "with",
                json!({ "type": "object", "additionalProperties": reference("text") }),
            ),
        ],
        &["use"],
    );
    let step = object(
        vec![("name", string()), ("do", reference("actions"))],
        &["name", "do"],
    );
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://walkthrough.dev/schema/scenario.json",
        "title": "walkthrough scenario or flow",
        "description": format!("A scenario (`name`, `slot`, `targets`, `allow_rejected_webhooks`, `vars`, `given`, `steps`) or a flow (`params`, `steps`). Actions: {}.", action_names.join(", ")),
        "anyOf": [ reference("scenario"), reference("flow") ],
        "$defs": {
            "text": { "type": ["string", "number", "boolean"] },
            "duration": {
                "type": "string",
                "pattern": "^\\s*([0-9]+\\.?[0-9]*|\\.[0-9]+)\\s*(ms|s|m|h)\\s*$",
                "description": "500ms, 10s, 1.5s, 2m, 1h"
            },
            "target": locator(),
            "action": { "anyOf": [ action, use_flow.clone() ] },
            "actions": { "type": "array", "minItems": 1, "items": reference("action") },
            "step": { "anyOf": [ step, use_flow ] },
            "steps": { "type": "array", "minItems": 1, "items": reference("step") },
            "scenario": scenario(),
            "flow": object(vec![
                ("name", string()),
                ("description", string()),
                ("params", json!({ "anyOf": [
                    { "type": "array", "items": string() },
                    { "type": "object", "additionalProperties": { "type": ["string", "number", "boolean", "null"] } }
                ] })),
                ("steps", reference("steps")),
            ], &["steps"]),
        }
    })
}

/// A scenario file's top level, one property per [`SCENARIO_KEYS`].
fn scenario() -> Value {
    let var = json!({ "anyOf": [reference("text"), object(vec![
        ("value", reference("text")),
        ("secret", json!({ "type": "boolean" })),
    ], &["value"])] });
    let props = SCENARIO_KEYS
        .iter()
        .map(|k| {
            let v = match *k {
                "slot" => json!({ "enum": SLOT_IDS }),
                "targets" => json!({ "type": "array", "items": { "enum": TARGETS } }),
                "allow_rejected_webhooks" => json!({ "type": "boolean" }),
                "vars" => json!({ "type": "object", "additionalProperties": var.clone() }),
                "given" | "steps" => reference("steps"),
                _ => string(),
            };
            (*k, v)
        })
        .collect();
    object(props, &["name", "steps"])
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

    fn with_actions(actions: &str) -> String {
        format!("name: x\nsteps:\n  - name: a\n    do:\n{actions}")
    }

    #[test]
    fn unknown_actions_keys_and_locators_are_flagged() {
        let ok = with_actions("      - click: { testid: m }\n");
        assert!(valid(&ok));
        assert!(!valid(&ok.replace("click", "clik")));
        assert!(!valid(&ok.replace("testid", "test_id")));
        assert!(!valid(
            &ok.replace("{ testid: m }", "{ testid: m, text: n }")
        ));
        assert!(!valid(&ok.replace("name: x", "name: x\nslot: nope")));
        assert!(!valid(&ok.replace("name: x", "name: x\nstepz: []")));
        assert!(!valid(&with_actions(
            "      - open: { url: /, timeout: 10 sec }\n"
        )));
        assert!(valid(&with_actions(
            "      - press: Enter\n      - press: { key: Enter }\n      - press: { key: Tab, label: Seats }\n"
        )));
        assert!(!valid(&with_actions(
            "      - press: { key: Tab, label: Seats, testid: s }\n"
        )));
    }

    #[test]
    fn required_keys_matchers_and_short_forms_follow_the_table() {
        assert!(!valid(&with_actions("      - fill: { label: Email }\n")));
        assert!(!valid(&with_actions("      - fill: Email\n")));
        assert!(valid(&with_actions(
            "      - type: { label: Card number, text: \"4242 4242\" }\n"
        )));
        assert!(!valid(&with_actions("      - type: { text: \"4242\" }\n")));
        assert!(!valid(&with_actions(
            "      - expect_text: { equals: a, contains: b }\n"
        )));
        assert!(!valid(&with_actions(
            "      - expect_url: { in: x, equals: a }\n"
        )));
        assert!(valid(&with_actions("      - verify_config:\n")));
        assert!(!valid(&with_actions("      - verify_config: staging\n")));
        assert!(!valid(&with_actions(
            "      - screenshot: { name: a, timeout: 1s }\n"
        )));
        assert!(valid(&with_actions(
            "      - eventually: { timeout: 1h, interval: 0.5s, do: [ { click: a } ] }\n"
        )));
    }

    #[test]
    fn every_action_carries_its_doc_line() {
        let schema = json_schema();
        let props = &schema["$defs"]["action"]["anyOf"][0]["properties"];
        for spec in &ACTIONS {
            assert_eq!(
                props[spec.word]["description"],
                json!(spec.doc),
                "{}",
                spec.word
            );
        }
    }

    #[test]
    fn the_scenario_keys_are_the_parser_s() {
        let schema = json_schema();
        let props = schema["$defs"]["scenario"]["properties"]
            .as_object()
            .unwrap();
        let keys: Vec<&str> = props.keys().map(String::as_str).collect();
        assert_eq!(keys, SCENARIO_KEYS);
    }
}
