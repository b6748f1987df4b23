//! Rendering diagnostics like rustc and Hurl: message, `--> file:line:col`, the source
//! line and a caret under the offending token, with the help text beside the caret.

use super::{Diagnostic, Diagnostics};

impl Diagnostics {
    /// `error: msg`, ` --> file:line:col`, the source line with a caret, `help: …`, per item.
    ///
    /// A location with line 0 means a whole file (one that could not be read): it is shown
    /// as ` --> file` with the help on a `= help:` line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (i, d) in self.items.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&self.render_one(d));
        }
        out
    }

    fn render_one(&self, d: &Diagnostic) -> String {
        let loc = &d.location;
        let source_line = (loc.line > 0)
            .then(|| self.sources.get(&loc.file))
            .flatten()
            .and_then(|text| text.lines().nth(loc.line - 1));
        let mut out = format!("error: {}\n", d.message);
        let Some(src) = source_line else {
            if loc.line == 0 {
                out.push_str(&format!(" --> {}\n", loc.file.display()));
            } else {
                out.push_str(&format!(" --> {loc}\n"));
            }
            if let Some(help) = &d.help {
                out.push_str(&format!("  = help: {help}\n"));
            }
            return out;
        };
        let src = src.replace('\t', " ");
        let num = loc.line.to_string();
        let pad = " ".repeat(num.len());
        let col = loc.column.max(1) - 1;
        let width = token_width(&src.chars().skip(col).collect::<String>());
        out.push_str(&format!("{pad}--> {loc}\n"));
        out.push_str(&format!("{pad} |\n"));
        out.push_str(&format!("{num} | {}\n", src.trim_end()));
        let mut caret = format!("{pad} | {}{}", " ".repeat(col), "^".repeat(width));
        if let Some(help) = &d.help {
            caret.push(' ');
            caret.push_str(help);
        }
        out.push_str(&caret);
        out.push('\n');
        out
    }
}

/// How many characters the token at the start of `rest` spans: a `${…}` reference, a
/// quoted string, a bracketed flow collection on the same line, or a plain word.
pub(crate) fn token_width(rest: &str) -> usize {
    let chars: Vec<char> = rest.chars().collect();
    let Some(&first) = chars.first() else {
        return 1;
    };
    if rest.starts_with("${") {
        if let Some(end) = chars.iter().position(|&c| c == '}') {
            return end + 1;
        }
    }
    match first {
        '"' => {
            let mut i = 1;
            while i < chars.len() {
                match chars[i] {
                    '\\' => i += 2,
                    '"' => return i + 1,
                    _ => i += 1,
                }
            }
            chars.len()
        }
        '\'' => {
            let mut i = 1;
            while i < chars.len() {
                if chars[i] == '\'' {
                    if chars.get(i + 1) == Some(&'\'') {
                        i += 2;
                        continue;
                    }
                    return i + 1;
                }
                i += 1;
            }
            chars.len()
        }
        '{' | '[' => {
            let close = if first == '{' { '}' } else { ']' };
            let mut depth = 0;
            for (i, &c) in chars.iter().enumerate() {
                if c == first {
                    depth += 1;
                } else if c == close {
                    depth -= 1;
                    if depth == 0 {
                        return i + 1;
                    }
                }
            }
            1
        }
        _ => {
            let mut end = chars.len();
            for (i, &c) in chars.iter().enumerate() {
                let next = chars.get(i + 1).copied();
                let stop = match c {
                    ':' => next.is_none() || next == Some(' '),
                    ',' | '}' | ']' => true,
                    '#' => i > 0 && chars[i - 1] == ' ',
                    _ => false,
                };
                if stop {
                    end = i;
                    break;
                }
            }
            let token: String = chars[..end].iter().collect();
            token.trim_end().chars().count().max(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::model::Location;
    use std::path::PathBuf;
    use std::sync::Arc;

    #[test]
    fn token_widths() {
        assert_eq!(token_width("clik: { testid: a }"), 4);
        assert_eq!(token_width("\"a \\\" b\": x"), 8);
        assert_eq!(token_width("'it''s' x"), 7);
        assert_eq!(token_width("${run.emial} and"), 12);
        assert_eq!(token_width("{ a: { b: c } }, x"), 15);
        assert_eq!(token_width("10 sec # comment"), 6);
        assert_eq!(token_width("Billing"), 7);
        assert_eq!(token_width(""), 1);
    }

    #[test]
    fn renders_like_rustc() {
        let file = PathBuf::from("scenarios/bad.yaml");
        let mut d = Diagnostics::default();
        d.sources.insert(
            file.clone(),
            Arc::from("a\nb\nc\nd\ne\nf\n      - clik: { testid: account-menu }\n"),
        );
        d.items.push(Diagnostic {
            location: Location {
                file: file.clone(),
                line: 7,
                column: 9,
            },
            message: "unknown action `clik`".into(),
            help: Some("did you mean `click`?".into()),
        });
        d.items.push(Diagnostic {
            location: Location {
                file: PathBuf::from("missing.yaml"),
                line: 0,
                column: 0,
            },
            message: "cannot read `missing.yaml`: not found".into(),
            help: None,
        });
        assert_eq!(
            d.render(),
            "error: unknown action `clik`\n --> scenarios/bad.yaml:7:9\n  |\n7 |       - clik: { testid: account-menu }\n  |         ^^^^ did you mean `click`?\n\nerror: cannot read `missing.yaml`: not found\n --> missing.yaml\n"
        );
    }
}
