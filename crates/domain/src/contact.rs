//! E-mail addresses and phone numbers: the two ways we reach a person, and our dedupe keys.
//!
//! Both types hold the canonical form only, so two sign-ups by the same person compare equal
//! however they typed their address: `Ana@Example.COM ` and `ana@example.com` are one key,
//! and so are `(802) 863-1234` and `+18028631234`.

use std::fmt;
use std::str::FromStr;

use email_address::{EmailAddress, Options};
use phonenumber::{Mode, country};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::text::EMAIL_MAX;

/// Loads the phone-number metadata, which is decoded on first use.
pub fn warm_up() {
    let _ = PhoneE164::parse("+18028631234");
}

/// Why a string is not an e-mail address we accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("the e-mail address is empty")]
    Empty,
    #[error("the e-mail address is longer than {EMAIL_MAX} characters")]
    TooLong,
    #[error("not an e-mail address of the form name@example.com")]
    Invalid,
}

impl EmailError {
    /// The field-error code the form reports.
    pub fn code(self) -> &'static str {
        match self {
            EmailError::Empty => "required",
            EmailError::TooLong => "too_long",
            EmailError::Invalid => "invalid",
        }
    }
}

/// A syntactically valid e-mail address in canonical form: trimmed, NFC, all lower case.
///
/// The whole address is lower-cased, local part included. RFC 5321 lets a server treat
/// `Ana@` and `ana@` as different mailboxes, but no mail provider people use does, and
/// treating them as one is what makes this usable as a dedupe key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Email(String);

impl Email {
    /// Checks and canonicalizes an address typed by a person or read from an import.
    ///
    /// Stricter than RFC 5322 on purpose: no display names (`Ana <ana@x.org>`), no IP
    /// literals, no quoted local parts, and the domain must be a host name with a dot and
    /// a top-level label that has a letter. Those are legal but in a sign-up form they are always mistakes.
    pub fn parse(s: &str) -> Result<Email, EmailError> {
        let trimmed = s.trim();
        if trimmed.is_empty() {
            return Err(EmailError::Empty);
        }
        // Checked before the Unicode work so a megabyte of junk costs nothing.
        if trimmed.len() > EMAIL_MAX * 4 {
            return Err(EmailError::TooLong);
        }
        let canonical = canonicalize(trimmed);
        if canonical.chars().count() > EMAIL_MAX {
            return Err(EmailError::TooLong);
        }
        if canonical
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"')
        {
            return Err(EmailError::Invalid);
        }
        let options = Options {
            minimum_sub_domains: 2,
            allow_domain_literal: false,
            allow_display_text: false,
        };
        let parsed = EmailAddress::parse_with_options(&canonical, options)
            .map_err(|_| EmailError::Invalid)?;
        // RFC 5322 lets a domain hold `_`, `!`, `+` and more, but a host that receives mail
        // has a DNS name: letters (any script, for IDNs), digits and hyphens between dots.
        let domain = parsed.domain();
        let hostname = domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        let top_level = domain.rsplit('.').next().unwrap_or_default();
        if !hostname || !top_level.chars().any(char::is_alphabetic) {
            return Err(EmailError::Invalid);
        }
        Ok(Email(canonical))
    }

    /// The canonical address, e.g. `ana@example.com`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after the `@`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or_default()
    }
}

/// Lower-casing can leave text that is no longer NFC (and NFC can leave text that lower-cases
/// further), so both steps are repeated until neither changes anything: `parse` must give the
/// same answer for its own output.
fn canonicalize(s: &str) -> String {
    let mut current: String = s.nfc().collect();
    for _ in 0..4 {
        let next: String = current.to_lowercase().nfc().collect();
        if next == current {
            break;
        }
        current = next;
    }
    current
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Email {
    type Err = EmailError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Email::parse(s)
    }
}

impl TryFrom<String> for Email {
    type Error = EmailError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Email::parse(&s)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> Self {
        email.0
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Why a string is not a phone number we accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("the phone number is empty")]
    Empty,
    #[error("not a valid phone number")]
    Invalid,
}

impl PhoneError {
    /// The field-error code the form reports.
    pub fn code(self) -> &'static str {
        match self {
            PhoneError::Empty => "required",
            PhoneError::Invalid => "invalid",
        }
    }
}

/// Longest phone input looked at. E.164 numbers have at most 15 digits; this leaves room
/// for the spaces, dashes and parentheses people type.
const PHONE_INPUT_MAX: usize = 40;

/// A phone number that exists in the numbering plan, in E.164 form (`+18028631234`).
///
/// E.164 is what SMS providers take and what makes two spellings of one number equal.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct PhoneE164(String);

impl PhoneE164 {
    /// Reads a number as people type it. Without a leading `+` it is taken as a US number
    /// (`802 863 1234`, `1-802-863-1234`); with one, any country's (`+44 20 7183 8750`).
    ///
    /// Only digits and the usual separators are accepted. That rules out extensions and
    /// letters (`1-800-FLOWERS`), which a number we text cannot have, and it keeps input the
    /// phone-number parser was never fuzzed with away from it.
    pub fn parse(s: &str) -> Result<PhoneE164, PhoneError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(PhoneError::Empty);
        }
        let allowed = |c: char| c.is_ascii_digit() || " +-().".contains(c);
        if s.len() > PHONE_INPUT_MAX || !s.chars().all(allowed) {
            return Err(PhoneError::Invalid);
        }
        if !s.chars().any(|c| c.is_ascii_digit()) || s.rfind('+').is_some_and(|i| i > 0) {
            return Err(PhoneError::Invalid);
        }
        let number =
            phonenumber::parse(Some(country::Id::US), s).map_err(|_| PhoneError::Invalid)?;
        if !phonenumber::is_valid(&number) {
            return Err(PhoneError::Invalid);
        }
        Ok(PhoneE164(number.format().mode(Mode::E164).to_string()))
    }

    /// The E.164 form, e.g. `+18028631234`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the number is in the North American Numbering Plan (+1).
    pub fn is_nanp(&self) -> bool {
        self.0.starts_with("+1")
    }
}

impl fmt::Display for PhoneE164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for PhoneE164 {
    type Err = PhoneError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PhoneE164::parse(s)
    }
}

impl TryFrom<String> for PhoneE164 {
    type Error = PhoneError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        PhoneE164::parse(&s)
    }
}

impl From<PhoneE164> for String {
    fn from(phone: PhoneE164) -> Self {
        phone.0
    }
}

impl AsRef<str> for PhoneE164 {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn email_is_canonical() {
        let email = Email::parse("  Ana.Lopez@Example.ORG ").unwrap();
        assert_eq!(email.as_str(), "ana.lopez@example.org");
        assert_eq!(email.to_string(), "ana.lopez@example.org");
        assert_eq!(email.domain(), "example.org");
    }

    #[test]
    fn upper_case_is_the_same_key() {
        assert_eq!(
            Email::parse("ANA@EXAMPLE.COM").unwrap(),
            Email::parse("ana@example.com").unwrap()
        );
    }

    #[test]
    fn decomposed_accents_are_the_same_key() {
        assert_eq!(
            Email::parse("jose\u{301}@example.com").unwrap(),
            Email::parse("JOSÉ@example.com").unwrap()
        );
    }

    #[test]
    fn email_accepts_ordinary_addresses() {
        for ok in [
            "a@b.co",
            "first.last+tag@sub.example.com",
            "o'brien@example.ie",
            "x_y-z@example-domain.org",
            "user@xn--bcher-kva.example",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn email_rejects_mistakes() {
        for (bad, err) in [
            ("", EmailError::Empty),
            ("   ", EmailError::Empty),
            ("ana", EmailError::Invalid),
            ("ana@", EmailError::Invalid),
            ("@example.com", EmailError::Invalid),
            ("ana@gmail", EmailError::Invalid),
            ("ana@gmail.", EmailError::Invalid),
            ("ana@@gmail.com", EmailError::Invalid),
            ("ana @gmail.com", EmailError::Invalid),
            ("ana..b@gmail.com", EmailError::Invalid),
            ("Ana <ana@gmail.com>", EmailError::Invalid),
            ("ana@[127.0.0.1]", EmailError::Invalid),
            ("ana@10.0.0.1", EmailError::Invalid),
            ("\"a b\"@example.com", EmailError::Invalid),
            ("ana@exam_ple.com", EmailError::Invalid),
        ] {
            assert_eq!(Email::parse(bad), Err(err), "{bad:?}");
        }
    }

    #[test]
    fn email_length_is_capped() {
        let local = "a".repeat(64);
        let label = "b".repeat(60);
        let long = format!("{local}@{label}.{label}.{label}.{label}.com");
        assert!(long.len() > EMAIL_MAX);
        assert_eq!(Email::parse(&long), Err(EmailError::TooLong));
        assert_eq!(Email::parse(&"a".repeat(100_000)), Err(EmailError::TooLong));
        assert_eq!(EmailError::TooLong.code(), "too_long");
    }

    #[test]
    fn email_serializes_as_a_string_and_deserializes_through_parse() {
        let email = Email::parse("Ana@Example.com").unwrap();
        assert_eq!(
            serde_json::to_string(&email).unwrap(),
            "\"ana@example.com\""
        );
        let back: Email = serde_json::from_str("\"ANA@example.com\"").unwrap();
        assert_eq!(back, email);
        assert!(serde_json::from_str::<Email>("\"nope\"").is_err());
    }

    #[test]
    fn phone_us_forms_become_e164() {
        for typed in [
            "(802) 863-1234",
            "802-863-1234",
            "802.863.1234",
            "8028631234",
            "1 802 863 1234",
            "+1 (802) 863-1234",
        ] {
            assert_eq!(
                PhoneE164::parse(typed).unwrap().as_str(),
                "+18028631234",
                "{typed}"
            );
        }
    }

    #[test]
    fn phone_international() {
        let uk = PhoneE164::parse("+44 20 7183 8750").unwrap();
        assert_eq!(uk.as_str(), "+442071838750");
        assert!(!uk.is_nanp());
        let mx = PhoneE164::parse("+52 55 5061 3000").unwrap();
        assert_eq!(mx.as_str(), "+525550613000");
    }

    #[test]
    fn phone_rejects_mistakes() {
        for (bad, err) in [
            ("", PhoneError::Empty),
            ("  ", PhoneError::Empty),
            ("863-1234", PhoneError::Invalid),
            ("802-863-123", PhoneError::Invalid),
            ("802-863-12345", PhoneError::Invalid),
            ("000-000-0000", PhoneError::Invalid),
            ("123-456-7890", PhoneError::Invalid),
            ("802-863-1234 ext 5", PhoneError::Invalid),
            ("1-800-FLOWERS", PhoneError::Invalid),
            ("80+2-863-1234", PhoneError::Invalid),
            ("+", PhoneError::Invalid),
            ("() -", PhoneError::Invalid),
        ] {
            assert_eq!(PhoneE164::parse(bad), Err(err), "{bad:?}");
        }
    }

    #[test]
    fn phone_parses_its_own_output() {
        let phone = PhoneE164::parse("(802) 863-1234").unwrap();
        assert_eq!(PhoneE164::parse(phone.as_str()).unwrap(), phone);
        assert_eq!(serde_json::to_string(&phone).unwrap(), "\"+18028631234\"");
    }

    proptest! {
        #[test]
        fn email_parse_never_panics_and_is_idempotent(s in any::<String>()) {
            if let Ok(email) = Email::parse(&s) {
                prop_assert_eq!(Email::parse(email.as_str()), Ok(email.clone()));
            }
        }

        // Random strings almost never look like addresses; these usually do, so the
        // idempotence property is actually exercised.
        #[test]
        fn email_like_strings_are_idempotent(
            s in "[ ]?[a-zA-Z0-9ÉéİßΣς._+-]{1,12}@[a-zA-ZÉéİ0-9-]{1,8}\\.[a-zA-Z]{2,4}[ ]?"
        ) {
            if let Ok(email) = Email::parse(&s) {
                prop_assert_eq!(email.as_str(), email.as_str().to_lowercase());
                prop_assert_eq!(Email::parse(email.as_str()), Ok(email.clone()));
                if s.is_ascii() {
                    prop_assert_eq!(Email::parse(&s.to_uppercase()), Ok(email));
                }
            }
        }

        #[test]
        fn phone_parse_never_panics(s in any::<String>()) {
            let _ = PhoneE164::parse(&s);
        }

        #[test]
        fn phone_like_strings_never_panic_and_are_idempotent(s in "[0-9 +().-]{0,20}") {
            if let Ok(phone) = PhoneE164::parse(&s) {
                prop_assert_eq!(PhoneE164::parse(phone.as_str()), Ok(phone));
            }
        }
    }
}
