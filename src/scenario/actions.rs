//! The action vocabulary, described once: every action's name, what its short form
//! means, the keys of its long form (required or not, and what their values are), which
//! locator kinds it takes for its element, and a one-line doc. The parser's key checks and
//! messages and the JSON Schema are both derived from [`ACTIONS`].
//! Pure data: imports only the model's [`By`]; must not import the parser or the schema.

use super::model::By;

/// Every action, in the order the docs and `actions are …` list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ActionName {
    Open,
    Click,
    Fill,
    Type,
    Select,
    Press,
    ExpectText,
    ExpectUrl,
    ExpectVisible,
    ExpectHidden,
    WithinFrame,
    Screenshot,
    WaitFor,
    Eventually,
    Http,
    VerifyConfig,
    Remember,
}

/// What the value under a key must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueKind {
    /// A string that may hold `${…}`.
    String,
    /// Like `String`, and an unquoted number or boolean is fine too (`value: 3`).
    Scalar,
    /// The action's own wait (`timeout: 10s`): a positive duration.
    Timeout,
    /// A positive duration that is the action's own setting, not its wait.
    Duration,
    /// A duration that may be zero (`interval: 0s`).
    Interval,
    /// A locator (a "target" in messages): a text, or a mapping with one locator kind.
    Locator,
    /// A non-empty list of actions.
    Actions,
    /// The name of a variable the action sets.
    VarName,
    /// `production` or `sandbox`.
    Server,
    /// An HTTP method.
    Method,
    /// A mapping of header names to values.
    Headers,
    /// A JSON body; string leaves may hold `${…}`.
    Json,
    /// `status` and `json` expectations of an HTTP response.
    Expect,
    /// A mapping of variable names to dotted JSON paths.
    Capture,
}

/// One key of an action's long form.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Key {
    pub name: &'static str,
    pub required: bool,
    pub value: ValueKind,
    /// What the value is, as in "expected a URL, found a list".
    pub what: &'static str,
}

/// What a plain scalar after the action's name means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Short {
    /// The value of this long-form key (`open: /new` is `open: { url: /new }`).
    Key(&'static str),
    /// A `text` locator (`click: Billing` is `click: { text: Billing }`).
    Locator,
    /// A `contains` matcher (`expect_text: Welcome`).
    Contains,
}

/// Whether the long form names its element with locator keys (`testid: …`), and which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LocatorKeys {
    None,
    Required(&'static [&'static str]),
    Optional(&'static [&'static str]),
}

impl LocatorKeys {
    pub fn kinds(self) -> &'static [&'static str] {
        match self {
            LocatorKeys::None => &[],
            LocatorKeys::Required(k) | LocatorKeys::Optional(k) => k,
        }
    }
}

/// One action, described once.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ActionSpec {
    pub name: ActionName,
    pub word: &'static str,
    /// One line for editors and the docs.
    pub doc: &'static str,
    pub short: Option<Short>,
    pub keys: &'static [Key],
    pub locator_keys: LocatorKeys,
    /// The long form takes exactly one of [`MATCHERS`].
    pub matcher: bool,
    /// Nothing after the name (`verify_config:`) is the long form without keys.
    pub empty_ok: bool,
    /// What the action expects, for "`fill` expects …, found a string".
    pub expects: &'static str,
}

/// Locator kinds and what they become.
pub(crate) const LOCATORS: [(&str, By); 5] = [
    ("css", By::Css),
    ("xpath", By::Xpath),
    ("text", By::Text),
    ("label", By::Label),
    ("testid", By::TestId),
];
/// Every locator kind.
const ANY: &[&str] = &["css", "xpath", "text", "label", "testid"];
/// Kinds that find a form field whose own key is `text` (what `type` types).
const FIELD: &[&str] = &["css", "xpath", "label", "testid"];

pub(crate) const MATCHERS: [&str; 3] = ["equals", "contains", "matches"];
pub(crate) const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];
pub(crate) const SERVERS: [&str; 2] = ["production", "sandbox"];

const fn req(name: &'static str, value: ValueKind, what: &'static str) -> Key {
    Key {
        name,
        required: true,
        value,
        what,
    }
}

const fn opt(name: &'static str, value: ValueKind, what: &'static str) -> Key {
    Key {
        name,
        required: false,
        value,
        what,
    }
}

const TIMEOUT: Key = opt("timeout", ValueKind::Timeout, "a duration such as `10s`");

const fn spec(name: ActionName, word: &'static str, doc: &'static str) -> ActionSpec {
    ActionSpec {
        name,
        word,
        doc,
        short: None,
        keys: &[TIMEOUT],
        locator_keys: LocatorKeys::None,
        matcher: false,
        empty_ok: false,
        expects: "",
    }
}

/// An action on one element: `click: Billing` or `click: { testid: …, timeout: … }`.
const fn on_element(name: ActionName, word: &'static str, doc: &'static str) -> ActionSpec {
    ActionSpec {
        short: Some(Short::Locator),
        locator_keys: LocatorKeys::Required(ANY),
        expects: "a target such as `Billing` or `{ testid: … }`",
        ..spec(name, word, doc)
    }
}

use ActionName as A;
use ValueKind as V;

/// The table.
pub(crate) const ACTIONS: [ActionSpec; 17] = [
    ActionSpec {
        short: Some(Short::Key("url")),
        keys: &[req("url", V::String, "a URL"), TIMEOUT],
        expects: "a URL or a path such as `/new`",
        ..spec(A::Open, "open", "Open a URL, or a path relative to the app URL.")
    },
    on_element(A::Click, "click", "Click an element. A plain string is a text locator."),
    ActionSpec {
        keys: &[req("value", V::Scalar, "a string"), TIMEOUT],
        locator_keys: LocatorKeys::Required(ANY),
        expects: "a mapping with a target and `value`, like `{ label: Email, value: … }`",
        ..spec(A::Fill, "fill", "Set a form field to a value in one edit, as a paste does.")
    },
    ActionSpec {
        keys: &[req("text", V::Scalar, "a string"), TIMEOUT],
        locator_keys: LocatorKeys::Required(FIELD),
        expects: "a mapping with a target and `text`, like `{ label: Card number, text: … }`",
        ..spec(
            A::Type,
            "type",
            "Type text into a form field key by key, for fields that need real keystrokes.",
        )
    },
    ActionSpec {
        keys: &[req("option", V::Scalar, "a string"), TIMEOUT],
        locator_keys: LocatorKeys::Required(ANY),
        expects: "a mapping with a target and `option`, like `{ label: Country, option: … }`",
        ..spec(
            A::Select,
            "select",
            "Choose an option of a <select> by its text or value, or of an ARIA combobox (role=combobox): open it, click the role=option with that name, check it shows.",
        )
    },
    ActionSpec {
        short: Some(Short::Key("key")),
        keys: &[req("key", V::String, "a key name"), TIMEOUT],
        locator_keys: LocatorKeys::Optional(ANY),
        expects: "a key name such as `Enter`",
        ..spec(
            A::Press,
            "press",
            "Press a key (Enter, Tab, Escape, …), in the focused element or a target.",
        )
    },
    ActionSpec {
        short: Some(Short::Contains),
        keys: &[opt("in", V::Locator, "a target"), TIMEOUT],
        matcher: true,
        expects: "a text, or a mapping with `equals`, `contains` or `matches`",
        ..spec(
            A::ExpectText,
            "expect_text",
            "Text of the page (or of `in`) must equal, contain or match. A plain string: the page contains it.",
        )
    },
    ActionSpec {
        short: Some(Short::Contains),
        matcher: true,
        expects: "a text, or a mapping with `equals`, `contains` or `matches`",
        ..spec(
            A::ExpectUrl,
            "expect_url",
            "The current URL must equal, contain or match. A plain string: the URL contains it.",
        )
    },
    on_element(A::ExpectVisible, "expect_visible", "The element must be visible."),
    on_element(
        A::ExpectHidden,
        "expect_hidden",
        "The element must be hidden or absent.",
    ),
    ActionSpec {
        keys: &[
            req("frame", V::Locator, "a target"),
            req("do", V::Actions, "a list of actions"),
            TIMEOUT,
        ],
        expects: "a mapping with `frame` and `do`",
        ..spec(
            A::WithinFrame,
            "within_frame",
            "Enter an iframe (looked for in the current frame, so it nests), run actions, leave it.",
        )
    },
    ActionSpec {
        short: Some(Short::Key("name")),
        keys: &[req("name", V::String, "a name")],
        expects: "a name such as `checkout-page`",
        ..spec(A::Screenshot, "screenshot", "An extra named screenshot.")
    },
    ActionSpec {
        expects: "a text, or a target such as `{ testid: result }`",
        ..on_element(
            A::WaitFor,
            "wait_for",
            "Wait until a text appears, or an element is present.",
        )
    },
    ActionSpec {
        keys: &[
            opt("timeout", V::Duration, "a duration such as `30s`"),
            opt("interval", V::Interval, "a duration such as `1s`"),
            req("do", V::Actions, "a list of actions"),
        ],
        expects: "a mapping with `do` (and `timeout`, `interval`)",
        ..spec(
            A::Eventually,
            "eventually",
            "Retry the actions until all pass in one round, or the timeout runs out.",
        )
    },
    ActionSpec {
        short: Some(Short::Key("url")),
        keys: &[
            opt("method", V::Method, "an HTTP method"),
            req("url", V::String, "a URL"),
            opt("headers", V::Headers, "a mapping of header names to values"),
            opt("json", V::Json, "a JSON body"),
            opt("expect", V::Expect, "a mapping with `status` and/or `json`"),
            opt("capture", V::Capture, "a mapping of variable names to JSON paths"),
            TIMEOUT,
        ],
        expects: "a URL, or a mapping with `url` (and `method`, `json`, `expect`, …)",
        ..spec(
            A::Http,
            "http",
            "Call a URL, check the status and JSON fields, capture values into variables.",
        )
    },
    ActionSpec {
        short: Some(Short::Key("server")),
        keys: &[
            opt("server", V::Server, "a server name"),
            opt("product_name", V::String, "a product name"),
            TIMEOUT,
        ],
        empty_ok: true,
        expects: "`production`, `sandbox` or a mapping with `server` and `product_name`",
        ..spec(
            A::VerifyConfig,
            "verify_config",
            "Run the Polar configuration verifier (product lookup, name, public, monthly, seat-based) and show its report.",
        )
    },
    ActionSpec {
        keys: &[
            req("as", V::VarName, "a variable name"),
            opt("attribute", V::String, "an attribute name"),
            TIMEOUT,
        ],
        locator_keys: LocatorKeys::Required(ANY),
        expects: "a target with `as` (and optionally `attribute`)",
        ..spec(
            A::Remember,
            "remember",
            "Read an element's visible text, or one of its attributes, into a variable.",
        )
    },
];

impl ActionName {
    /// The action named `word`, if there is one.
    pub fn from_word(word: &str) -> Option<Self> {
        ACTIONS.iter().find(|s| s.word == word).map(|s| s.name)
    }

    pub fn spec(self) -> &'static ActionSpec {
        ACTIONS
            .iter()
            .find(|s| s.name == self)
            .expect("every action is in the table")
    }
}

/// Every action's name, in table order.
pub(crate) fn words() -> impl Iterator<Item = &'static str> + Clone {
    ACTIONS.iter().map(|s| s.word)
}

impl ActionSpec {
    pub fn key(&self, name: &str) -> Option<&'static Key> {
        self.keys.iter().find(|k| k.name == name)
    }

    /// Every key the long form accepts, in the order messages list them: its own keys,
    /// the matchers, `timeout`, the locator kinds.
    pub fn allowed(&self) -> Vec<&'static str> {
        let is_timeout = |k: &&Key| k.value == ValueKind::Timeout;
        let mut all: Vec<&'static str> = self
            .keys
            .iter()
            .filter(|k| !is_timeout(k))
            .map(|k| k.name)
            .collect();
        if self.matcher {
            all.extend(MATCHERS);
        }
        all.extend(self.keys.iter().filter(is_timeout).map(|k| k.name));
        all.extend(self.locator_keys.kinds());
        all
    }
}

/// The model's locator kind for a locator key.
pub(crate) fn locator_kind(word: &str) -> Option<By> {
    LOCATORS.iter().find(|(w, _)| *w == word).map(|(_, by)| *by)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_in_the_table_once_and_maps_back_to_its_name() {
        let mut words: Vec<&str> = words().collect();
        for w in &words {
            let name = ActionName::from_word(w).unwrap();
            assert_eq!(name.spec().word, *w);
        }
        words.sort();
        words.dedup();
        assert_eq!(words.len(), ACTIONS.len());
        assert_eq!(ActionName::from_word("clik"), None);
    }

    #[test]
    fn a_short_key_is_one_of_the_long_form_keys_and_every_action_says_what_it_expects() {
        for s in &ACTIONS {
            if let Some(Short::Key(k)) = s.short {
                assert!(s.key(k).is_some(), "{}: short form `{k}`", s.word);
            }
            assert!(!s.expects.is_empty(), "{}", s.word);
            assert!(!s.doc.is_empty() && !s.doc.contains('\n'), "{}", s.word);
            let allowed = s.allowed();
            let mut unique = allowed.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), allowed.len(), "{}: a key twice", s.word);
        }
    }

    #[test]
    fn every_action_is_documented() {
        let docs = std::fs::read_to_string("docs/scenario-language.md").unwrap();
        for s in &ACTIONS {
            let row = format!("| `{}` |", s.word);
            let section = format!("## `{}`", s.word);
            assert!(
                docs.contains(&row) || docs.contains(&section),
                "{} is not in docs/scenario-language.md",
                s.word
            );
        }
    }

    #[test]
    fn type_finds_its_field_without_the_text_locator() {
        let t = ActionName::Type.spec();
        assert!(t.key("text").is_some_and(|k| k.required));
        assert!(!t.locator_keys.kinds().contains(&"text"));
        assert!(ActionName::Click
            .spec()
            .locator_keys
            .kinds()
            .contains(&"text"));
    }
}
