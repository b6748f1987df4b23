//! One action, driven by its entry in the action table: which form it is written in,
//! unknown and missing keys, its own `timeout`, then the model value for its name.
//! Knows action names only through the table: must not match on action words itself.

use std::time::Duration;

use super::super::actions::{ActionName, ActionSpec, LocatorKeys, Short, ValueKind, SERVERS};
use super::super::model::{Action, ActionKind, By, Locator, Template, TextMatch, WaitFor};
use super::super::yaml::Node;
use super::fields::{did_you_mean, one_of};
use super::{Known, Loader, Scope};
use crate::duration::Zero;

/// Default `eventually` timeout and interval.
pub(crate) const EVENTUALLY_TIMEOUT: Duration = Duration::from_secs(30);
pub(crate) const EVENTUALLY_INTERVAL: Duration = Duration::from_secs(1);

/// An action's value, checked against its table entry.
struct Form<'n> {
    spec: &'static ActionSpec,
    value: &'n Node,
    /// Written as a mapping (or as nothing, where the action allows it), not a scalar.
    long: bool,
    /// The mapping has an unknown key: missing keys and locators are then not reported,
    /// as the unknown key is likely their misspelling.
    unknown_key: bool,
}

impl<'n> Form<'n> {
    /// The node for `key`: in the long form the value under it; in the short form the
    /// scalar itself, when that is what it stands for.
    fn get(&self, key: &str) -> Option<&'n Node> {
        if self.long {
            self.value.get(key)
        } else if matches!(self.spec.short, Some(Short::Key(k)) if k == key) {
            Some(self.value)
        } else {
            None
        }
    }

    /// What the value under `key` is, for "expected …, found …".
    fn what(&self, key: &str) -> &'static str {
        self.spec.key(key).map_or("a string", |k| k.what)
    }
}

impl Loader<'_> {
    /// The action `spec` written at `key` with value `v`; `None` when it has problems
    /// (all reported).
    pub(super) fn action(
        &mut self,
        scope: &Scope,
        spec: &'static ActionSpec,
        key: &Node,
        v: &Node,
        known: &mut Known,
    ) -> Option<Action> {
        let form = self.form(scope, spec, v)?;
        let timeout = self.own_timeout(scope, &form);
        let kind = self.kind(scope, &form, known)?;
        Some(Action {
            kind,
            location: scope.at(key),
            timeout,
        })
    }

    /// Checks the value's shape, its keys and the required ones.
    fn form<'n>(
        &mut self,
        scope: &Scope,
        spec: &'static ActionSpec,
        v: &'n Node,
    ) -> Option<Form<'n>> {
        let long = v.as_map().is_some() || (spec.empty_ok && v.is_null());
        if !long && (spec.short.is_none() || v.as_str().is_none()) {
            let msg = format!(
                "`{}` expects {}, found {}",
                spec.word,
                spec.expects,
                v.describe()
            );
            self.error(&scope.file, v, msg, None);
            return None;
        }
        let mut unknown_key = false;
        if long {
            let what = format!("`{}`", spec.word);
            unknown_key = self.check_keys(scope, v, &spec.allowed(), &what);
            let missing = spec
                .keys
                .iter()
                .filter(|k| k.required && v.get(k.name).is_none());
            for k in missing.filter(|_| !unknown_key) {
                let msg = format!("`{}` needs `{}`", spec.word, k.name);
                self.error(&scope.file, v, msg, None);
            }
        }
        Some(Form {
            spec,
            value: v,
            long,
            unknown_key,
        })
    }

    /// The action's own wait, `timeout:` in the long form.
    fn own_timeout(&mut self, scope: &Scope, f: &Form) -> Option<Duration> {
        let key = f.spec.keys.iter().find(|k| k.value == ValueKind::Timeout)?;
        let node = f.get(key.name)?;
        self.duration(scope, node, Zero::Rejected)
    }

    fn kind(&mut self, scope: &Scope, f: &Form, known: &mut Known) -> Option<ActionKind> {
        use ActionName as A;
        Some(match f.spec.name {
            A::Open => ActionKind::Open {
                url: self.key_template(scope, f, "url", known)?,
            },
            A::Click => ActionKind::Click {
                locator: self.action_locator(scope, f, known)?,
            },
            A::ExpectVisible => ActionKind::ExpectVisible {
                locator: self.action_locator(scope, f, known)?,
            },
            A::ExpectHidden => ActionKind::ExpectHidden {
                locator: self.action_locator(scope, f, known)?,
            },
            A::Fill => {
                let (locator, value) = self.locator_and(scope, f, "value", known)?;
                ActionKind::Fill { locator, value }
            }
            A::Type => {
                let (locator, text) = self.locator_and(scope, f, "text", known)?;
                ActionKind::Type { locator, text }
            }
            A::Select => {
                let (locator, option) = self.locator_and(scope, f, "option", known)?;
                ActionKind::Select { locator, option }
            }
            A::Press => ActionKind::Press {
                locator: self.action_locator(scope, f, known),
                key: self.key_template(scope, f, "key", known)?,
            },
            A::ExpectText => self.expect_text(scope, f, known)?,
            A::ExpectUrl => ActionKind::ExpectUrl {
                matcher: self.matcher(scope, f, known)?,
            },
            A::WithinFrame => self.within_frame(scope, f, known)?,
            A::Screenshot => ActionKind::Screenshot {
                name: self.key_template(scope, f, "name", known)?,
            },
            A::WaitFor => self.wait_for(scope, f, known)?,
            A::Eventually => self.eventually(scope, f, known)?,
            A::Http => ActionKind::Http(self.http(scope, f.value, f.long, known)?),
            A::Remember => self.remember(scope, f, known)?,
            A::VerifyConfig => ActionKind::VerifyConfig {
                server: self.server(scope, f, known)?,
                product_name: self.opt_template(scope, f, "product_name", known)?,
            },
        })
    }

    /// The template under `key`; `None` when it is missing (reported by [`Self::form`]) or
    /// not a string.
    fn key_template(
        &mut self,
        scope: &Scope,
        f: &Form,
        key: &str,
        known: &Known,
    ) -> Option<Template> {
        let node = f.get(key)?;
        self.template(scope, node, known, f.what(key))
    }

    /// An optional template: `Some(None)` when absent, `None` when present but wrong.
    fn opt_template(
        &mut self,
        scope: &Scope,
        f: &Form,
        key: &str,
        known: &Known,
    ) -> Option<Option<Template>> {
        match f.get(key) {
            None => Some(None),
            Some(node) => Some(Some(self.template(scope, node, known, f.what(key))?)),
        }
    }

    /// The action's locator: the short form's text, or the one locator of the long form
    /// (reported when missing and the action requires one).
    fn action_locator(&mut self, scope: &Scope, f: &Form, known: &Known) -> Option<Locator> {
        if !f.long {
            return match f.spec.short {
                Some(Short::Locator) => self.locator(scope, f.value, known),
                _ => None,
            };
        }
        let keys = f.spec.locator_keys;
        let required = matches!(keys, LocatorKeys::Required(_)) && !f.unknown_key;
        self.locator_in(scope, f.value, keys.kinds(), known, required)
    }

    /// The action's locator and the template under `key`, both checked before either is
    /// used.
    fn locator_and(
        &mut self,
        scope: &Scope,
        f: &Form,
        key: &str,
        known: &Known,
    ) -> Option<(Locator, Template)> {
        let locator = self.action_locator(scope, f, known);
        let value = self.key_template(scope, f, key, known);
        Some((locator?, value?))
    }

    /// A `contains` for the short form, else the long form's one matcher.
    fn matcher(&mut self, scope: &Scope, f: &Form, known: &Known) -> Option<TextMatch> {
        if f.long {
            self.matcher_in(scope, f.value, known, !f.unknown_key)
        } else {
            let t = self.template(scope, f.value, known, "a string")?;
            Some(TextMatch::Contains(t))
        }
    }

    fn expect_text(&mut self, scope: &Scope, f: &Form, known: &Known) -> Option<ActionKind> {
        let locator = match f.get("in") {
            Some(n) => Some(self.locator(scope, n, known)?),
            None => None,
        };
        Some(ActionKind::ExpectText {
            locator,
            matcher: self.matcher(scope, f, known)?,
        })
    }

    fn within_frame(&mut self, scope: &Scope, f: &Form, known: &mut Known) -> Option<ActionKind> {
        let frame_node = f.get("frame");
        let frame = frame_node.and_then(|n| self.locator(scope, n, known));
        if let (Some(l), Some(n)) = (&frame, frame_node) {
            if matches!(l.by, By::Text | By::Label) {
                let msg = "a frame is found by `css`, `xpath` or `testid`".into();
                let help = Some("for example `frame: { css: \"iframe[title='…']\" }`".into());
                self.error(&scope.file, n, msg, help);
            }
        }
        let actions = match f.get("do") {
            Some(d) => self.action_list(scope, d, known, "`within_frame`"),
            None => Vec::new(),
        };
        Some(ActionKind::WithinFrame {
            frame: frame?,
            actions,
        })
    }

    /// `{ text: … }` (and the short form) waits for text, other kinds for an element.
    fn wait_for(&mut self, scope: &Scope, f: &Form, known: &Known) -> Option<ActionKind> {
        let l = self.action_locator(scope, f, known)?;
        let what = if l.by == By::Text {
            WaitFor::Text(l.value)
        } else {
            WaitFor::Element(l)
        };
        Some(ActionKind::WaitFor { what })
    }

    fn eventually(&mut self, scope: &Scope, f: &Form, known: &mut Known) -> Option<ActionKind> {
        let timeout = self.setting(scope, f, "timeout", EVENTUALLY_TIMEOUT);
        let interval = self.setting(scope, f, "interval", EVENTUALLY_INTERVAL);
        let actions = match f.get("do") {
            Some(d) => self.action_list(scope, d, known, "`eventually`"),
            None => Vec::new(),
        };
        Some(ActionKind::Eventually {
            actions,
            timeout: timeout?,
            interval: interval?,
        })
    }

    /// A duration setting of the action itself, `default` when absent; zero is fine
    /// where the table says [`ValueKind::Interval`].
    fn setting(
        &mut self,
        scope: &Scope,
        f: &Form,
        key: &str,
        default: Duration,
    ) -> Option<Duration> {
        let Some(node) = f.get(key) else {
            return Some(default);
        };
        let zero = match f.spec.key(key).map(|k| k.value) {
            Some(ValueKind::Interval) => Zero::Allowed,
            _ => Zero::Rejected,
        };
        self.duration(scope, node, zero)
    }

    fn remember(&mut self, scope: &Scope, f: &Form, known: &mut Known) -> Option<ActionKind> {
        let locator = self.action_locator(scope, f, known);
        let attribute = self.opt_template(scope, f, "attribute", known)?;
        let as_node = f.get("as")?;
        let var = self.text(scope, as_node, f.what("as"))?;
        if !self.definable(scope, as_node, &var, "remembered into") {
            return None;
        }
        known.add(&var);
        Some(ActionKind::Remember {
            locator: locator?,
            attribute,
            var,
        })
    }

    /// `production` or `sandbox` (or a `${…}` that becomes one when it runs).
    fn server(&mut self, scope: &Scope, f: &Form, known: &Known) -> Option<Option<Template>> {
        let server = self.opt_template(scope, f, "server", known)?;
        if let Some(t) = &server {
            if !t.raw.contains("${") && !SERVERS.contains(&t.raw.as_str()) {
                let help = did_you_mean(&t.raw, SERVERS)
                    .unwrap_or_else(|| format!("servers are {}", one_of(&SERVERS)));
                let msg = format!("unknown server `{}`", t.raw);
                let node = f.get("server").unwrap_or(f.value);
                self.error(&scope.file, node, msg, Some(help));
                return None;
            }
        }
        Some(server)
    }
}
