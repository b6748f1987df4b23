//! HTML from templates: the one way this crate writes HTML and the one HTML escaper.
//!
//! Owns minijinja (the only module that may use it). A room that serves or writes HTML (the
//! mock's hosted pages, the evidence report) keeps its templates as files beside its code,
//! embeds them with `include_str!`, and renders them here with a `serde::Serialize` view.
//! Templates whose name ends in `.html` escape every `{{ value }}` for HTML text and quoted
//! attributes; data for a `<script>` goes through `|tojson`, which writes JSON safe inside
//! HTML (`<`, `>`, `&` and `'` are escaped), never through HTML escaping. Undefined names are
//! errors, so a typo in a template fails its room's tests instead of rendering blank.
//!
//! Must not import any other module of this crate.

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

/// A set of templates that can include and extend each other by name.
pub struct Templates {
    env: Environment<'static>,
}

/// A template that does not parse or does not render with the view it was given: a defect of
/// the tool, reported with the template's name and line.
#[derive(Debug, thiserror::Error)]
#[error("template {name}: {detail}")]
pub struct TemplateError {
    name: String,
    detail: String,
}

impl TemplateError {
    fn new(name: &str, e: minijinja::Error) -> TemplateError {
        let mut detail = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            detail.push_str(": ");
            detail.push_str(&s.to_string());
            source = s.source();
        }
        TemplateError {
            name: name.to_string(),
            detail,
        }
    }
}

impl Templates {
    /// Parses every `(name, source)` pair; the first that does not parse is the error.
    pub fn new(sources: &[(&'static str, &'static str)]) -> Result<Templates, TemplateError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .map_err(|e| TemplateError::new("(syntax)", e))?;
        env.set_syntax(syntax);
        env.set_formatter(escape_html);
        for (name, source) in sources {
            env.add_template(name, source)
                .map_err(|e| TemplateError::new(name, e))?;
        }
        Ok(Templates { env })
    }

    /// Renders template `name` with `view`'s fields as its variables.
    pub fn render<V: Serialize>(&self, name: &str, view: &V) -> Result<String, TemplateError> {
        let template = self
            .env
            .get_template(name)
            .map_err(|e| TemplateError::new(name, e))?;
        template
            .render(minijinja::Value::from(minijinja::value::Serde(view)))
            .map_err(|e| TemplateError::new(name, e))
    }
}

/// The one HTML escaper: `&`, `<`, `>`, `"` and `'` in every value a `.html` template prints
/// (minijinja's own would also turn `/` into `&#x2f;`, which makes every URL and path in the
/// page source harder to read and search for no gain inside text or quoted attributes).
fn escape_html(
    out: &mut minijinja::Output,
    state: &mut minijinja::State,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    if value.is_safe() || *state.auto_escape() != minijinja::AutoEscape::Html {
        return minijinja::escape_formatter(out, state, value);
    }
    let text = value.to_string();
    let mut rest = text.as_str();
    while let Some(i) = rest.find(['&', '<', '>', '"', '\'']) {
        out.write_str(&rest[..i])?;
        out.write_str(match rest.as_bytes()[i] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => "&#39;",
        })?;
        rest = &rest[i + 1..];
    }
    out.write_str(rest)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct View<'a> {
        text: &'a str,
        data: Vec<&'a str>,
    }

    fn templates() -> Templates {
        Templates::new(&[
            ("base.html", "<title>{{ text }}</title>{% block body %}{% endblock %}"),
            (
                "page.html",
                "{% extends \"base.html\" %}{% block body %}<p title=\"{{ text }}\">{{ text }}</p><script>var d = {{ data|tojson }};</script>{% endblock %}",
            ),
            ("typo.html", "{{ nope }}"),
        ])
        .unwrap()
    }

    #[test]
    fn html_is_escaped_and_script_data_is_json_safe_in_html() {
        let view = View {
            text: "<b>\"Tom's\" & co</b>",
            data: vec!["</script><script>alert(1)</script>", "it's"],
        };
        let out = templates().render("page.html", &view).unwrap();
        assert!(
            out.starts_with("<title>&lt;b&gt;&quot;Tom&#39;s&quot; &amp; co&lt;/b&gt;</title>"),
            "{out}"
        );
        assert!(
            !out.contains("<b>") && !out.contains("</script><script>"),
            "{out}"
        );
        let script = out.split("var d = ").nth(1).unwrap();
        let json = script
            .trim_end_matches(";</script></p>")
            .trim_end_matches(";</script>");
        let parsed: Vec<String> = serde_json::from_str(json).unwrap();
        assert_eq!(parsed, view.data, "the script reads back exactly the data");
    }

    #[test]
    fn an_undefined_name_is_an_error_naming_the_template() {
        let e = templates()
            .render(
                "typo.html",
                &View {
                    text: "",
                    data: vec![],
                },
            )
            .unwrap_err();
        assert!(e.to_string().starts_with("template typo.html:"), "{e}");
        assert!(e.to_string().contains("undefined"), "{e}");
    }
}
