//! Clean-up applied to every piece of free text before it is checked or stored, and the caps.
//!
//! People paste names from word processors and phones: non-breaking spaces, stray tabs,
//! decomposed accents ("e" + combining acute instead of "é"). Normalizing first means the
//! length caps count what a person sees, and two spellings of "José" are the same string
//! when we look for duplicates.

use unicode_normalization::UnicodeNormalization;

/// Longest given or family name, in characters.
pub const NAME_MAX: usize = 100;
/// Longest e-mail address, in characters (RFC 5321's limit on a forward path).
pub const EMAIL_MAX: usize = 254;
/// Longest street address line, in characters.
pub const ADDRESS_MAX: usize = 200;
/// Longest city or town, in characters.
pub const LOCALITY_MAX: usize = 100;
/// Longest multi-line "tell us more" answer, in characters.
pub const DETAIL_MAX: usize = 2000;
/// Longest campaign source or referrer kept; longer ones are cut, never rejected.
pub const SOURCE_MAX: usize = 100;

/// Single-line clean-up: the same as [`normalize_line`], for callers that just want "the"
/// normal form of a one-line value.
pub fn normalize(s: &str) -> String {
    normalize_line(s)
}

/// Cleans a one-line value: every run of whitespace (newlines included) becomes one space,
/// control characters are dropped, the ends are trimmed, and the result is in Unicode NFC.
pub fn normalize_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            pending_space = true;
        } else if !c.is_control() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        }
    }
    // NFC comes after the clean-up, not before: dropping a control character can bring a
    // letter and its combining accent together, and they must then be composed too.
    compose(&out)
}

/// Cleans a multi-line value: line breaks of every kind become `\n`, tabs become spaces,
/// other control characters are dropped, the ends are trimmed, and the result is in NFC.
///
/// Runs of spaces inside lines are kept (as plain spaces): in a paragraph someone wrote, a
/// double space or an indented list is theirs to keep.
pub fn normalize_multiline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                // CRLF is one break, a lone CR (old Mac) is one too.
                chars.next_if_eq(&'\n');
                out.push('\n');
            }
            '\n' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}' => out.push('\n'),
            c if c.is_whitespace() => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    compose(&out)
}

/// NFC, then trim. Trimming only removes whitespace, which never composes with a neighbour,
/// so the result is still NFC and running the whole clean-up again changes nothing.
fn compose(s: &str) -> String {
    // Most input is already NFC (all ASCII is): the quick check answers that without
    // allocating, and only the rest goes through the composer.
    let composed: String = if unicode_normalization::is_nfc_quick(s.chars())
        == unicode_normalization::IsNormalized::Yes
    {
        s.to_owned()
    } else {
        s.nfc().collect()
    };
    let trimmed = composed.trim();
    if trimmed.len() == composed.len() {
        composed
    } else {
        trimmed.to_owned()
    }
}

/// Number of characters (Unicode scalar values), the unit every cap in this module uses.
pub fn char_count(s: &str) -> usize {
    s.chars().count()
}

/// The first `max` characters of `s`, with any space left dangling at the cut removed.
pub fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((cut, _)) => s[..cut].trim_end().to_owned(),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn line_collapses_whitespace_and_drops_controls() {
        assert_eq!(
            normalize_line("  Ana\u{a0}\u{a0}María \t\n López\u{7} "),
            "Ana María López"
        );
        assert_eq!(normalize_line(""), "");
        assert_eq!(normalize_line(" \n\t "), "");
    }

    #[test]
    fn line_composes_accents() {
        let decomposed = "Jose\u{301}";
        assert_eq!(normalize_line(decomposed), "José");
        assert_eq!(normalize_line(decomposed).chars().count(), 4);
    }

    #[test]
    fn control_between_letter_and_accent_still_composes() {
        assert_eq!(normalize_line("e\u{1}\u{301}"), "é");
    }

    #[test]
    fn multiline_keeps_breaks_and_unifies_them() {
        assert_eq!(
            normalize_multiline("\r\n  first line\r\nsecond\rthird\n\tfourth\u{0}  \r\n"),
            "first line\nsecond\nthird\n fourth"
        );
    }

    #[test]
    fn normalize_is_normalize_line() {
        assert_eq!(normalize(" a \n b "), normalize_line(" a \n b "));
    }

    #[test]
    fn truncation_counts_characters_not_bytes() {
        assert_eq!(truncate_chars("ñññññ", 3), "ñññ");
        assert_eq!(truncate_chars("ab cd", 3), "ab");
        assert_eq!(truncate_chars("abc", 10), "abc");
    }

    proptest! {
        #[test]
        fn normalize_is_idempotent(s in any::<String>()) {
            let once = normalize(&s);
            prop_assert_eq!(normalize(&once), once.clone());
            prop_assert_eq!(normalize_line(&once), once);
        }

        #[test]
        fn normalize_multiline_is_idempotent(s in any::<String>()) {
            let once = normalize_multiline(&s);
            prop_assert_eq!(normalize_multiline(&once), once);
        }

        #[test]
        fn normalized_line_has_no_breaks_or_edges(s in any::<String>()) {
            let n = normalize_line(&s);
            prop_assert!(!n.contains('\n'));
            prop_assert!(!n.contains("  "));
            prop_assert_eq!(n.trim(), n.as_str());
            prop_assert!(!n.chars().any(char::is_control));
        }

        // Text that mixes letters, accents, spaces and controls finds composition edge cases
        // that uniformly random strings rarely hit.
        #[test]
        fn idempotent_on_accent_heavy_text(s in "[a-eA-E \t\r\n\u{1}\u{300}-\u{304}\u{a0}\u{2000}\u{2028}é]{0,24}") {
            let line = normalize_line(&s);
            prop_assert_eq!(normalize_line(&line), line);
            let multi = normalize_multiline(&s);
            prop_assert_eq!(normalize_multiline(&multi), multi);
        }
    }
}
