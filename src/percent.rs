//! Percent-encoding for the whole crate, the one module that owns `percent-encoding`: a
//! component encoded with only RFC 3986's unreserved characters left as they are (safe in a
//! path segment, a query value and a `data:` URL), and decoding as a server reads a path
//! (`%XX` decoded, a `+` stays a `+`; a `%` not followed by two hex digits stays as it is).
//! Must not import any other module of the crate.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Every byte but `A-Z a-z 0-9 - _ . ~` is encoded.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `text` with every byte but the unreserved ones as `%XX`.
pub fn encode_component(text: &str) -> String {
    utf8_percent_encode(text, COMPONENT).to_string()
}

/// `%XX` decoded; bytes that are not UTF-8 become U+FFFD.
pub fn decode_lossy(text: &str) -> String {
    percent_decode_str(text).decode_utf8_lossy().into_owned()
}

/// `%XX` decoded; `None` when the result is not UTF-8.
pub fn decode_utf8(text: &str) -> Option<String> {
    percent_decode_str(text)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_keep_only_unreserved_characters() {
        assert_eq!(encode_component("a+b c/é~_.-"), "a%2Bb%20c%2F%C3%A9~_.-");
        assert_eq!(encode_component("Tegy"), "Tegy");
    }

    #[test]
    fn decoding_reads_a_path_as_a_server_does() {
        assert_eq!(decode_lossy("user%2F1"), "user/1");
        assert_eq!(decode_lossy("a%40b.com"), "a@b.com");
        assert_eq!(decode_lossy("x%4"), "x%4");
        assert_eq!(decode_lossy("%é%41"), "%éA");
        assert_eq!(decode_lossy("a+b"), "a+b", "a plus in a path is a plus");
        assert_eq!(decode_lossy("a%2Bb%20c"), "a+b c");
        assert_eq!(decode_utf8("%2e%2e/x").as_deref(), Some("../x"));
        assert_eq!(decode_utf8("%ff"), None);
        assert_eq!(decode_lossy(&encode_component("a+b c/é")), "a+b c/é");
    }
}
