//! How a binary value is named as text (a category of a binary column, a segment key).
//!
//! # Definition
//! Runs of valid UTF-8 are kept as they are, except that a backslash is written `\\`;
//! each byte that is not part of valid UTF-8 is written `\xNN` (two lower-case hex digits).
//! So `b"caf\xc3\xa9"` is `café`, `b"\xff\xfe"` is `\xff\xfe` and `b"a\\xff"` (a
//! backslash, then the text `xff`) is `a\\xff`.
//!
//! # Assumptions
//! None on the bytes. The rendering is injective: a backslash in the text always starts
//! an escape (`\\` or `\xNN`), so the bytes can be read back and two different byte
//! strings never share a name (a lossy UTF-8 rendering would turn every invalid byte into
//! U+FFFD and merge `b"\xff"` with `b"\xfe"`).
//!
//! # Complexity
//! O(n); borrows the input when it is valid UTF-8 without a backslash (the usual case).

use std::borrow::Cow;
use std::fmt::Write;

/// The injective text name of a binary value (see the module documentation).
pub fn binary_to_text(bytes: &[u8]) -> Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(bytes) {
        if !s.contains('\\') {
            return Cow::Borrowed(s);
        }
    }
    let mut out = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\\' {
                out.push_str("\\\\");
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            // Writing to a String cannot fail.
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads a name back into bytes: the inverse that makes the rendering injective.
    fn text_to_binary(s: &str) -> Vec<u8> {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'\\' {
                if b[i + 1] == b'\\' {
                    out.push(b'\\');
                    i += 2;
                } else {
                    assert_eq!(b[i + 1], b'x');
                    let hex = std::str::from_utf8(&b[i + 2..i + 4]).unwrap();
                    out.push(u8::from_str_radix(hex, 16).unwrap());
                    i += 4;
                }
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        out
    }

    #[test]
    fn keeps_text_and_escapes_other_bytes() {
        assert_eq!(binary_to_text(b"abc"), "abc");
        assert!(matches!(binary_to_text(b"abc"), Cow::Borrowed(_)));
        assert_eq!(binary_to_text("café".as_bytes()), "café");
        assert_eq!(binary_to_text(b"\xff"), "\\xff");
        assert_eq!(binary_to_text(b"\xff\xfe"), "\\xff\\xfe");
        assert_eq!(binary_to_text(b"a\\xff"), "a\\\\xff");
        assert_eq!(binary_to_text(b"\xc3"), "\\xc3");
        assert_eq!(binary_to_text(b""), "");
    }

    #[test]
    fn different_bytes_never_share_a_name() {
        // Every string of up to three bytes over an alphabet holding a backslash, 'x', hex
        // digits, ASCII, a UTF-8 lead byte and its continuation, and invalid bytes.
        let alphabet: &[u8] = b"\\xfa0\xc3\xa9\xff\xfe";
        let mut all: Vec<Vec<u8>> = vec![Vec::new()];
        for _ in 0..3 {
            let longer: Vec<Vec<u8>> = all
                .iter()
                .flat_map(|s| {
                    alphabet.iter().map(move |&c| {
                        let mut t = s.clone();
                        t.push(c);
                        t
                    })
                })
                .collect();
            all.extend(longer);
        }
        all.sort();
        all.dedup();
        let mut names = std::collections::HashSet::new();
        for s in &all {
            let name = binary_to_text(s);
            assert_eq!(&text_to_binary(&name), s, "{name}");
            assert!(names.insert(name.into_owned()));
        }
    }
}
