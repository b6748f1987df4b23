//! Rust `regex` patterns carried into the page: [`to_js`] rewrites a pattern into a
//! JavaScript one (for `new RegExp(p, "u")`) that matches exactly the same texts, or gives
//! up. Giving up costs only speed: the page then reports every change of the text and the
//! caller checks it with the real `regex`.

/// `\s` as Rust's `regex` means it (Unicode `White_Space`), inside a class.
const SPACE: &str = r"\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/// `\w` as Rust's `regex` means it (Unicode word characters), inside a class.
const WORD: &str = r"\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}";
/// Characters JavaScript's `u` mode accepts escaped anywhere.
const SYNTAX: &str = r"^$\.*+?()[]{}|/";

/// The JavaScript form of `pattern`, or `None` when it uses something whose meaning
/// differs (flags, word boundaries, Unicode classes, class set operations, …).
pub(super) fn to_js(pattern: &str) -> Option<String> {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str(&escape(chars.next()?, &mut chars, in_class)?),
            '[' if in_class => return None,
            '[' => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push(chars.next()?);
                }
                // Rust reads a leading `]` as a literal; JavaScript as an empty class.
                if chars.peek() == Some(&']') {
                    return None;
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '&' | '-' | '~' if in_class && chars.peek() == Some(&c) => return None,
            '.' if !in_class => out.push_str(r"[^\n]"),
            '(' if !in_class && chars.peek() == Some(&'?') => {
                chars.next();
                out.push_str(&group(&mut chars)?);
            }
            other => out.push(other),
        }
    }
    (!in_class).then_some(out)
}

/// The JavaScript for `\c` (the backslash already read).
fn escape(
    c: char,
    rest: &mut std::iter::Peekable<std::str::Chars<'_>>,
    in_class: bool,
) -> Option<String> {
    Some(match (c, in_class) {
        ('d', _) => r"\p{Nd}".into(),
        ('D', false) => r"\P{Nd}".into(),
        ('s', false) => format!("[{SPACE}]"),
        ('S', false) => format!("[^{SPACE}]"),
        ('s', true) => SPACE.into(),
        ('w', false) => format!("[{WORD}]"),
        ('W', false) => format!("[^{WORD}]"),
        ('w', true) => WORD.into(),
        ('A', false) => "^".into(),
        ('z', false) => "$".into(),
        ('n' | 't' | 'r' | 'f' | 'v', _) => format!("\\{c}"),
        ('x', _) => format!("\\u{{{:x}}}", u32::from(hex_escape(rest)?)),
        (c, _) if SYNTAX.contains(c) || (in_class && c == '-') => format!("\\{c}"),
        // `\<` and `\>` are word boundaries in Rust.
        (c, _) if c.is_ascii_punctuation() && c != '<' && c != '>' => {
            format!("\\u{{{:x}}}", u32::from(c))
        }
        _ => return None,
    })
}

/// The character of `\xHH` or `\x{H…}` (after the `x`).
fn hex_escape(rest: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<char> {
    let digits: String = if rest.peek() == Some(&'{') {
        rest.next();
        let inside: String = rest.by_ref().take_while(|&c| c != '}').collect();
        inside
    } else {
        rest.by_ref().take(2).collect()
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    char::from_u32(u32::from_str_radix(&digits, 16).ok()?)
}

/// The JavaScript for a group that starts `(?` (already read): non-capturing and named
/// groups; anything else (flags) gives up.
fn group(rest: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<String> {
    match rest.next()? {
        ':' => Some("(?:".into()),
        'P' if rest.next()? == '<' => Some("(?<".into()),
        '<' if !matches!(rest.peek(), Some('=' | '!')) => Some("(?<".into()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::to_js;

    #[test]
    fn plain_patterns_carry_over() {
        assert_eq!(
            to_js(r"\$60(\.00)? ?/ ?month").as_deref(),
            Some(r"\$60(\.00)? ?/ ?month")
        );
        assert_eq!(to_js("^[0-9]+ seats?$").as_deref(), Some("^[0-9]+ seats?$"));
        assert_eq!(to_js("a|b{2,3}?").as_deref(), Some("a|b{2,3}?"));
    }

    #[test]
    fn classes_and_dots_take_rust_meanings() {
        let js = to_js(r"Renews\s+\d{4}").unwrap();
        assert!(js.starts_with(r"Renews[\t-\r "), "{js}");
        assert!(js.contains(r"\u0085"), "Rust's \\s includes NEL: {js}");
        assert!(js.ends_with(r"]+\p{Nd}{4}"), "{js}");
        assert_eq!(to_js("a.b").as_deref(), Some(r"a[^\n]b"));
        assert_eq!(to_js("[.]").as_deref(), Some("[.]"));
        assert_eq!(
            to_js(r"[\w-]").as_deref(),
            Some(r"[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}-]")
        );
    }

    #[test]
    fn escapes_and_groups_are_rewritten() {
        assert_eq!(to_js(r"\x41\x{1F600}").as_deref(), Some(r"\u{41}\u{1f600}"));
        assert_eq!(to_js(r"a\-b\#").as_deref(), Some(r"a\u{2d}b\u{23}"));
        assert_eq!(to_js(r"[a\-z]").as_deref(), Some(r"[a\-z]"));
        assert_eq!(to_js(r"(?P<n>x)(?:y)").as_deref(), Some(r"(?<n>x)(?:y)"));
    }

    #[test]
    fn what_differs_gives_up() {
        for pattern in [
            r"(?i)free",
            r"\bword\b",
            r"\pL",
            r"[[:alpha:]]",
            r"[a-z&&[^q]]",
            r"[]a]",
            r"[\S]",
            r"\<w",
            r"\q",
            r"[open",
            r"\x{zz}",
        ] {
            assert_eq!(to_js(pattern), None, "{pattern}");
        }
    }
}
