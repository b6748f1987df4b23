//! Rendering diagnostics like rustc and Hurl: message, `--> file:line:col`, the source
//! line and a caret under the offending token, with the help text beside the caret.
//! Only reads the diagnostics and the sources kept with them.

use super::limits::MAX_RENDERED;
use super::{Diagnostic, Diagnostics};

impl Diagnostics {
    /// `error: msg`, ` --> file:line:col`, the source line with a caret, `help: …`, per item.
    ///
    /// A location with line 0 means a whole file (one that could not be read): it is shown
    /// as ` --> file` with the help on a `= help:` line.
    ///
    /// Shows the first [`MAX_RENDERED`] (in file and line order), then how many more
    /// there are: past a screenful, more of them do not help.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (i, d) in self.items.iter().take(MAX_RENDERED).enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&self.render_one(d));
        }
        let more = self.items.len().saturating_sub(MAX_RENDERED);
        if more > 0 {
            let s = if more == 1 { "" } else { "s" };
            out.push_str(&format!("\n... and {more} more problem{s}, not shown\n"));
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
        let (src, col, width) = window(&src.replace('\t', " "), loc.column.max(1) - 1);
        let num = loc.line.to_string();
        let pad = " ".repeat(num.len());
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

/// The longest source line shown whole; longer ones are cut around the column.
const MAX_LINE: usize = 160;
/// How much of a long line is shown before the column.
const BEFORE: usize = 40;

/// The part of `line` to show, the caret's column in it and the token's width there.
/// A line longer than [`MAX_LINE`] characters is cut to that many around `col`, with `…`
/// where it was cut.
fn window(line: &str, col: usize) -> (String, usize, usize) {
    let chars: Vec<char> = line.chars().collect();
    let rest: String = chars.iter().skip(col).take(MAX_LINE).collect();
    let width = token_width(&rest);
    if chars.len() <= MAX_LINE {
        return (line.to_string(), col, width);
    }
    let start = col.saturating_sub(BEFORE).min(chars.len());
    let end = (start + MAX_LINE).min(chars.len());
    let mut shown: String = if start > 0 {
        "…".into()
    } else {
        String::new()
    };
    shown.extend(&chars[start..end]);
    if end < chars.len() {
        shown.push('…');
    }
    let caret = col - start + usize::from(start > 0);
    (shown, caret, width.min(end.saturating_sub(col)).max(1))
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

    #[test]
    fn long_lines_are_cut_around_the_caret() {
        let short = "      - clik: x";
        assert_eq!(window(short, 8), (short.to_string(), 8, 4));
        let long = format!("do: [{}clik, {}]", "x, ".repeat(100), "y, ".repeat(100));
        let col = 5 + 300;
        let (shown, caret, width) = window(&long, col);
        assert_eq!(shown.chars().count(), MAX_LINE + 2);
        assert!(shown.starts_with('…') && shown.ends_with('…'), "{shown}");
        assert_eq!(caret, BEFORE + 1);
        assert_eq!(width, 4);
        let at: String = shown.chars().skip(caret).take(width).collect();
        assert_eq!(at, "clik");
    }

    #[test]
    fn only_the_first_ones_are_shown_then_how_many_more() {
        let mut d = Diagnostics::default();
        for line in 1..=MAX_RENDERED + 7 {
            d.items.push(Diagnostic {
                location: Location {
                    file: PathBuf::from("s.yaml"),
                    line,
                    column: 1,
                },
                message: format!("problem {line}"),
                help: None,
            });
        }
        let out = d.render();
        assert_eq!(out.matches("error: ").count(), MAX_RENDERED);
        assert!(out.contains(&format!("problem {MAX_RENDERED}\n")));
        assert!(!out.contains(&format!("problem {}\n", MAX_RENDERED + 1)));
        assert!(
            out.ends_with("\n... and 7 more problems, not shown\n"),
            "{out}"
        );
        d.items.truncate(MAX_RENDERED + 1);
        assert!(d
            .render()
            .ends_with("\n... and 1 more problem, not shown\n"));
        d.items.truncate(MAX_RENDERED);
        assert!(!d.render().contains("more problem"));
    }
}
