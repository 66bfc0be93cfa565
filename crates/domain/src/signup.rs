//! The public sign-up form: what a person typed, and the checked [`Signup`] it parses into.
//!
//! [`SignupInput`] keeps the answers exactly as typed, so a rejected form comes back with
//! everything still filled in. [`parse_signup`] turns it into a [`Signup`] or into every
//! mistake at once, in the order the fields appear, so the person fixes them all in one go.

use serde::Serialize;

use crate::address::{PostalCode, PostalCodeError, StateCode};
use crate::contact::{Email, EmailError, PhoneE164};
use crate::i18n::{self, ConsentText, Lang};
use crate::text::{
    ADDRESS_MAX, DETAIL_MAX, EMAIL_MAX, LOCALITY_MAX, NAME_MAX, SOURCE_MAX, char_count,
    normalize_line, normalize_multiline, truncate_chars,
};

crate::keyword_enum! {
    /// What the person wants to do.
    pub enum Interest {
        Run => "run",
        Volunteer => "volunteer",
        Both => "both",
    }
}

impl Interest {
    /// Run or both: a prospective candidate.
    pub fn wants_to_run(self) -> bool {
        matches!(self, Interest::Run | Interest::Both)
    }

    /// Volunteer or both.
    pub fn wants_to_volunteer(self) -> bool {
        matches!(self, Interest::Volunteer | Interest::Both)
    }
}

crate::keyword_enum! {
    /// A kind of office a prospective candidate is drawn to, from the most local up.
    pub enum Office {
        SchoolBoard => "school_board",
        /// City or town: council, mayor, clerk.
        Municipal => "municipal",
        County => "county",
        StateLegislature => "state_legislature",
        /// Elected by the whole state: governor, attorney general, secretary of state.
        Statewide => "statewide",
        Congress => "congress",
        Judicial => "judicial",
        Other => "other",
        NotSure => "not_sure",
    }
}

crate::keyword_enum! {
    /// When a prospective candidate might run.
    pub enum Timeframe {
        /// The coming election.
        ThisCycle => "this_cycle",
        /// The election after that.
        NextCycle => "next_cycle",
        Someday => "someday",
    }
}

crate::keyword_enum! {
    /// How the person has taken part so far.
    pub enum Involvement {
        Volunteered => "volunteered",
        Donated => "donated",
        AttendedEvent => "attended_event",
        Organized => "organized",
        HeldOffice => "held_office",
        NoneYet => "none_yet",
    }
}

/// The form's field names in the order the form shows them; [`parse_signup`] reports errors
/// in this order.
pub const FORM_FIELDS: [&str; 14] = [
    "given_name",
    "family_name",
    "email",
    "phone",
    "address_line",
    "locality",
    "region",
    "postal_code",
    "interest",
    "offices",
    "timeframe",
    "involvement",
    "involvement_detail",
    "birth_year",
];

/// Exactly what the person typed (kept to re-render a rejected form). All fields String
/// (empty when absent) except the multi-selects and checkboxes.
#[derive(Default, Clone, Debug)]
pub struct SignupInput {
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub phone: String,
    pub address_line: String,
    pub locality: String,
    pub region: String,
    pub postal_code: String,
    pub interest: String,
    pub offices: Vec<String>,
    pub timeframe: String,
    pub involvement: Vec<String>,
    pub involvement_detail: String,
    pub birth_year: String,
    pub consent_email: bool,
    pub consent_sms: bool,
    pub consent_share: bool,
    /// Campaign code from `?source=` (carried in a hidden field).
    pub source: String,
    /// The page that linked to the form (carried in a hidden field).
    pub referrer: String,
}

impl SignupInput {
    /// Builds the input from decoded `application/x-www-form-urlencoded` pairs.
    ///
    /// `offices` and `involvement` are checkbox groups and collect every value. For the
    /// other fields a repeated key keeps the last value, so the "hidden 0 before the
    /// checkbox" pattern works. Unknown keys are ignored.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut input = SignupInput::default();
        for (key, value) in pairs {
            let text = match key {
                "given_name" => &mut input.given_name,
                "family_name" => &mut input.family_name,
                "email" => &mut input.email,
                "phone" => &mut input.phone,
                "address_line" => &mut input.address_line,
                "locality" => &mut input.locality,
                "region" => &mut input.region,
                "postal_code" => &mut input.postal_code,
                "interest" => &mut input.interest,
                "timeframe" => &mut input.timeframe,
                "involvement_detail" => &mut input.involvement_detail,
                "birth_year" => &mut input.birth_year,
                "source" => &mut input.source,
                "referrer" => &mut input.referrer,
                "offices" => {
                    input.offices.push(value.to_owned());
                    continue;
                }
                "involvement" => {
                    input.involvement.push(value.to_owned());
                    continue;
                }
                "consent_email" => {
                    input.consent_email = is_ticked(value);
                    continue;
                }
                "consent_sms" => {
                    input.consent_sms = is_ticked(value);
                    continue;
                }
                "consent_share" => {
                    input.consent_share = is_ticked(value);
                    continue;
                }
                _ => continue,
            };
            value.clone_into(text);
        }
        input
    }

    /// Whether the office checkbox with this value was ticked (for re-rendering the form).
    pub fn has_office(&self, value: &str) -> bool {
        self.offices.iter().any(|v| v == value)
    }

    /// Whether the involvement checkbox with this value was ticked (for re-rendering).
    pub fn has_involvement(&self, value: &str) -> bool {
        self.involvement.iter().any(|v| v == value)
    }
}

/// A ticked checkbox sends its value (by default "on"); the spellings of "no" that other
/// clients send are not consent.
fn is_ticked(value: &str) -> bool {
    let value = value.trim();
    !(value.is_empty()
        || value == "0"
        || value.eq_ignore_ascii_case("false")
        || value.eq_ignore_ascii_case("off"))
}

/// A checked sign-up: every value in it is valid and in canonical form.
#[derive(Clone, Debug, Serialize)]
pub struct Signup {
    pub given_name: String,
    pub family_name: Option<String>,
    pub email: Option<Email>,
    pub phone: Option<PhoneE164>,
    pub address_line: Option<String>,
    pub locality: Option<String>,
    /// The state from the form, or the ZIP's state when the form left it blank; always the
    /// ZIP's state, since a mismatch is an error.
    pub region: StateCode,
    pub postal_code: PostalCode,
    pub interest: Interest,
    /// Without duplicates, in [`Office::ALL`] order.
    pub offices: Vec<Office>,
    pub timeframe: Option<Timeframe>,
    /// Without duplicates, in [`Involvement::ALL`] order.
    pub involvement: Vec<Involvement>,
    pub involvement_detail: Option<String>,
    pub birth_year: Option<i32>,
    pub consent_email: bool,
    pub consent_sms: bool,
    pub consent_share: bool,
    pub source: Option<String>,
    pub referrer: Option<String>,
}

impl Signup {
    /// The exact consent wording, in the language the form was shown in, for each box
    /// the person ticked: what gets stored as proof of consent.
    pub fn consents_given(&self, lang: Lang) -> Vec<ConsentText> {
        i18n::consent_texts(lang)
            .into_iter()
            .filter(|c| match c.channel {
                "email" => self.consent_email,
                "sms" => self.consent_sms,
                "share" => self.consent_share,
                _ => false,
            })
            .collect()
    }
}

/// Extra facts an error message needs, such as which state a ZIP code is really in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorDetail {
    /// The cap a `too_long` value went over, in characters.
    MaxChars(usize),
    /// The five-digit ZIP code that is not in the database.
    Zip(String),
    /// The ZIP code is in one state and the form chose another.
    ZipState {
        zip: String,
        zip_state: StateCode,
        chosen: StateCode,
    },
    /// The birth years we accept, inclusive.
    BirthYears { earliest: i32, latest: i32 },
}

/// One mistake on the form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The form field's name, e.g. `email`; one of [`FORM_FIELDS`].
    pub field: &'static str,
    /// What is wrong: `required`, `invalid`, `too_long`, `email_or_phone`, `unknown_zip`,
    /// `zip_state_mismatch`, `too_young` or `too_old`.
    pub code: &'static str,
    /// Facts the message needs, where it needs any.
    pub detail: Option<ErrorDetail>,
}

impl FieldError {
    /// An error whose message needs no extra facts.
    pub fn new(field: &'static str, code: &'static str) -> Self {
        FieldError {
            field,
            code,
            detail: None,
        }
    }

    /// An error whose message needs `detail`.
    pub fn with_detail(field: &'static str, code: &'static str, detail: ErrorDetail) -> Self {
        FieldError {
            field,
            code,
            detail: Some(detail),
        }
    }

    /// What to tell the person, in their language: what is wrong and how to fix it.
    pub fn message(&self, lang: Lang) -> String {
        i18n::field_error_message(self.field, self.code, self.detail.as_ref(), lang)
    }
}

/// Youngest age at which we take a sign-up (US children's privacy law starts below it).
const MIN_AGE: i32 = 13;
/// Oldest plausible age; anything older is a typo for a recent year.
const MAX_AGE: i32 = 120;

/// Checks a sign-up. Returns every mistake, in form order ([`FORM_FIELDS`]), or the
/// checked [`Signup`]. `now_year` is the current calendar year, passed in so this stays a
/// pure function that tests can pin.
pub fn parse_signup(input: &SignupInput, now_year: i32) -> Result<Signup, Vec<FieldError>> {
    // Every field is checked even after a mistake, so one error never hides another. Each
    // check returns None both for "blank" and for "wrong"; the two are told apart by whether
    // it pushed an error, and nothing is built unless none did.
    let mut errors = Vec::new();

    let given_name = required_line(&input.given_name, "given_name", NAME_MAX, &mut errors);
    let family_name = optional_line(&input.family_name, "family_name", NAME_MAX, &mut errors);
    let (email, phone) = contact(&input.email, &input.phone, &mut errors);
    let address_line = optional_line(
        &input.address_line,
        "address_line",
        ADDRESS_MAX,
        &mut errors,
    );
    let locality = optional_line(&input.locality, "locality", LOCALITY_MAX, &mut errors);
    let chosen_region = region(&input.region, &mut errors);
    let postal_code = postal_code(&input.postal_code, chosen_region, &mut errors);
    let interest = keyword(&input.interest, "interest", Interest::parse, &mut errors);
    if interest.is_none() && normalize_line(&input.interest).is_empty() {
        errors.push(FieldError::new("interest", "required"));
    }
    let offices = keywords(
        &input.offices,
        "offices",
        Office::parse,
        Office::ALL,
        &mut errors,
    );
    let timeframe = keyword(&input.timeframe, "timeframe", Timeframe::parse, &mut errors);
    let involvement = keywords(
        &input.involvement,
        "involvement",
        Involvement::parse,
        Involvement::ALL,
        &mut errors,
    );
    let involvement_detail = optional_multiline(
        &input.involvement_detail,
        "involvement_detail",
        DETAIL_MAX,
        &mut errors,
    );
    let birth_year = birth_year(&input.birth_year, now_year, &mut errors);

    let (Some(given_name), Some(postal_code), Some(interest), true) =
        (given_name, postal_code, interest, errors.is_empty())
    else {
        return Err(errors);
    };
    Ok(Signup {
        given_name,
        family_name,
        email,
        phone,
        address_line,
        locality,
        region: postal_code.state(),
        postal_code,
        interest,
        offices,
        timeframe,
        involvement,
        involvement_detail,
        birth_year,
        consent_email: input.consent_email,
        consent_sms: input.consent_sms,
        consent_share: input.consent_share,
        source: tracking_code(&input.source),
        referrer: tracking_code(&input.referrer),
    })
}

fn required_line(
    raw: &str,
    field: &'static str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let value = optional_line(raw, field, max, errors);
    if value.is_none() && normalize_line(raw).is_empty() {
        errors.push(FieldError::new(field, "required"));
    }
    value
}

fn optional_line(
    raw: &str,
    field: &'static str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    capped(normalize_line(raw), field, max, errors)
}

fn optional_multiline(
    raw: &str,
    field: &'static str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    capped(normalize_multiline(raw), field, max, errors)
}

/// None for blank; None plus a `too_long` error for over the cap.
fn capped(
    value: String,
    field: &'static str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    if value.is_empty() {
        None
    } else if char_count(&value) > max {
        errors.push(too_long(field, max));
        None
    } else {
        Some(value)
    }
}

fn too_long(field: &'static str, max: usize) -> FieldError {
    FieldError::with_detail(field, "too_long", ErrorDetail::MaxChars(max))
}

/// E-mail and phone are each optional, but we need one of them to reach the person.
fn contact(
    raw_email: &str,
    raw_phone: &str,
    errors: &mut Vec<FieldError>,
) -> (Option<Email>, Option<PhoneE164>) {
    let email_text = normalize_line(raw_email);
    let phone_text = normalize_line(raw_phone);
    if email_text.is_empty() && phone_text.is_empty() {
        errors.push(FieldError::new("email", "email_or_phone"));
        return (None, None);
    }
    let email = match Email::parse(&email_text) {
        Ok(email) => Some(email),
        Err(EmailError::Empty) => None,
        Err(EmailError::TooLong) => {
            errors.push(too_long("email", EMAIL_MAX));
            None
        }
        Err(e) => {
            errors.push(FieldError::new("email", e.code()));
            None
        }
    };
    let phone = if phone_text.is_empty() {
        None
    } else {
        match PhoneE164::parse(&phone_text) {
            Ok(phone) => Some(phone),
            Err(e) => {
                errors.push(FieldError::new("phone", e.code()));
                None
            }
        }
    };
    (email, phone)
}

/// The state the person chose, if they chose one.
fn region(raw: &str, errors: &mut Vec<FieldError>) -> Option<StateCode> {
    let text = normalize_line(raw);
    if text.is_empty() {
        return None;
    }
    match StateCode::parse(&text) {
        Ok(state) => Some(state),
        Err(e) => {
            errors.push(FieldError::new("region", e.code()));
            None
        }
    }
}

/// The ZIP code, which must lie in the chosen state when one was chosen: a mismatch means
/// one of the two is mistyped, and a wrong state would put the person in the wrong races.
fn postal_code(
    raw: &str,
    chosen: Option<StateCode>,
    errors: &mut Vec<FieldError>,
) -> Option<PostalCode> {
    let text = normalize_line(raw);
    if text.is_empty() {
        errors.push(FieldError::new("postal_code", "required"));
        return None;
    }
    let zip = match PostalCode::parse(&text) {
        Ok(zip) => zip,
        Err(PostalCodeError::Unknown) => {
            let zip5 = text.get(..5).unwrap_or(&text).to_owned();
            errors.push(FieldError::with_detail(
                "postal_code",
                PostalCodeError::Unknown.code(),
                ErrorDetail::Zip(zip5),
            ));
            return None;
        }
        Err(e) => {
            errors.push(FieldError::new("postal_code", e.code()));
            return None;
        }
    };
    match chosen {
        Some(chosen) if chosen != zip.state() => {
            errors.push(FieldError::with_detail(
                "postal_code",
                "zip_state_mismatch",
                ErrorDetail::ZipState {
                    zip: zip.zip5().to_owned(),
                    zip_state: zip.state(),
                    chosen,
                },
            ));
            None
        }
        _ => Some(zip),
    }
}

/// One optional keyword: None for blank, None plus `invalid` for an unknown one.
fn keyword<T>(
    raw: &str,
    field: &'static str,
    parse: fn(&str) -> Option<T>,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    let text = normalize_line(raw);
    if text.is_empty() {
        return None;
    }
    let value = parse(&text);
    if value.is_none() {
        errors.push(FieldError::new(field, "invalid"));
    }
    value
}

/// A checkbox group: known values deduplicated in the canonical order; at most one
/// `invalid` for the whole group, however many values were unknown.
fn keywords<T: Copy + PartialEq>(
    raw: &[String],
    field: &'static str,
    parse: fn(&str) -> Option<T>,
    all: &[T],
    errors: &mut Vec<FieldError>,
) -> Vec<T> {
    let mut chosen = Vec::new();
    let mut unknown = false;
    for text in raw.iter().map(|r| normalize_line(r)) {
        if text.is_empty() {
            continue;
        }
        match parse(&text) {
            Some(value) => chosen.push(value),
            None => unknown = true,
        }
    }
    if unknown {
        errors.push(FieldError::new(field, "invalid"));
    }
    all.iter().copied().filter(|v| chosen.contains(v)).collect()
}

fn birth_year(raw: &str, now_year: i32, errors: &mut Vec<FieldError>) -> Option<i32> {
    let text = normalize_line(raw);
    if text.is_empty() {
        return None;
    }
    let year = if text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse::<i32>().ok().filter(|y| *y <= now_year)
    } else {
        None
    };
    let Some(year) = year else {
        errors.push(FieldError::new("birth_year", "invalid"));
        return None;
    };
    let earliest = now_year - MAX_AGE;
    // By year alone: someone born in `latest` may still be 12 for part of the year, which is
    // the price of not asking for a full date of birth.
    let latest = now_year - MIN_AGE;
    let range = ErrorDetail::BirthYears { earliest, latest };
    if year > latest {
        errors.push(FieldError::with_detail("birth_year", "too_young", range));
        None
    } else if year < earliest {
        errors.push(FieldError::with_detail("birth_year", "too_old", range));
        None
    } else {
        Some(year)
    }
}

/// Campaign codes and referrers are bookkeeping, not something the person can fix: they
/// are cleaned and cut to size, never rejected.
fn tracking_code(raw: &str) -> Option<String> {
    let text = truncate_chars(&normalize_line(raw), SOURCE_MAX);
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NOW: i32 = 2026;

    fn good_input() -> SignupInput {
        SignupInput::from_pairs([
            ("given_name", "  Ana  María "),
            ("family_name", "López"),
            ("email", "Ana.Lopez@Example.ORG"),
            ("phone", "(802) 863-1234"),
            ("address_line", "149 Church St"),
            ("locality", "Burlington"),
            ("region", "VT"),
            ("postal_code", "05401"),
            ("interest", "both"),
            ("offices", "state_legislature"),
            ("offices", "school_board"),
            ("offices", "state_legislature"),
            ("timeframe", "next_cycle"),
            ("involvement", "volunteered"),
            ("involvement", "organized"),
            (
                "involvement_detail",
                "Tenants' union.\r\nFood bank on Saturdays.",
            ),
            ("birth_year", "1988"),
            ("consent_email", "on"),
            ("consent_sms", "0"),
            ("consent_share", "yes"),
            ("source", " spring-email "),
            ("referrer", ""),
            ("utm_medium", "ignored"),
        ])
    }

    #[test]
    fn good_input_parses() {
        let signup = parse_signup(&good_input(), NOW).unwrap();
        assert_eq!(signup.given_name, "Ana María");
        assert_eq!(signup.family_name.as_deref(), Some("López"));
        assert_eq!(
            signup.email.as_ref().map(Email::as_str),
            Some("ana.lopez@example.org")
        );
        assert_eq!(
            signup.phone.as_ref().map(PhoneE164::as_str),
            Some("+18028631234")
        );
        assert_eq!(signup.address_line.as_deref(), Some("149 Church St"));
        assert_eq!(signup.locality.as_deref(), Some("Burlington"));
        assert_eq!(signup.region.as_str(), "VT");
        assert_eq!(signup.postal_code.as_str(), "05401");
        assert_eq!(signup.interest, Interest::Both);
        assert_eq!(
            signup.offices,
            [Office::SchoolBoard, Office::StateLegislature]
        );
        assert_eq!(signup.timeframe, Some(Timeframe::NextCycle));
        assert_eq!(
            signup.involvement,
            [Involvement::Volunteered, Involvement::Organized]
        );
        assert_eq!(
            signup.involvement_detail.as_deref(),
            Some("Tenants' union.\nFood bank on Saturdays.")
        );
        assert_eq!(signup.birth_year, Some(1988));
        assert!(signup.consent_email && !signup.consent_sms && signup.consent_share);
        assert_eq!(signup.source.as_deref(), Some("spring-email"));
        assert_eq!(signup.referrer, None);
        let channels: Vec<_> = signup
            .consents_given(Lang::Es)
            .iter()
            .map(|c| c.channel)
            .collect();
        assert_eq!(channels, ["email", "share"]);
    }

    #[test]
    fn minimal_input_parses_and_takes_the_state_from_the_zip() {
        let input = SignupInput::from_pairs([
            ("given_name", "Sam"),
            ("phone", "802 863 1234"),
            ("postal_code", "43215"),
            ("interest", "run"),
        ]);
        let signup = parse_signup(&input, NOW).unwrap();
        assert_eq!(signup.region.as_str(), "OH");
        assert_eq!(signup.email, None);
        assert_eq!(signup.family_name, None);
        assert!(signup.offices.is_empty() && signup.involvement.is_empty());
        assert_eq!(signup.timeframe, None);
        assert_eq!(signup.birth_year, None);
        assert!(!signup.consent_email && !signup.consent_sms && !signup.consent_share);
        assert!(signup.consents_given(Lang::En).is_empty());
    }

    #[test]
    fn five_mistakes_five_errors_in_form_order() {
        let mut input = good_input();
        input.given_name = " \u{a0}".into();
        input.email = "ana@example".into();
        input.postal_code = "1234".into();
        input.offices.push("dogcatcher".into());
        input.birth_year = "88".into();
        let errors = parse_signup(&input, NOW).unwrap_err();
        let found: Vec<_> = errors.iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(
            found,
            [
                ("given_name", "required"),
                ("email", "invalid"),
                ("postal_code", "invalid"),
                ("offices", "invalid"),
                ("birth_year", "invalid"),
            ]
        );
    }

    #[test]
    fn empty_form_reports_the_required_fields() {
        let errors = parse_signup(&SignupInput::default(), NOW).unwrap_err();
        let found: Vec<_> = errors.iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(
            found,
            [
                ("given_name", "required"),
                ("email", "email_or_phone"),
                ("postal_code", "required"),
                ("interest", "required"),
            ]
        );
        assert_eq!(errors[0].message(Lang::En), "Enter your first name");
        assert_eq!(errors[0].message(Lang::Es), "Escribe tu nombre");
    }

    #[test]
    fn every_field_can_fail_and_errors_follow_form_order() {
        let long = "x".repeat(DETAIL_MAX + 1);
        let input = SignupInput {
            given_name: long.clone(),
            family_name: long.clone(),
            email: "not an email".into(),
            phone: "12".into(),
            address_line: long.clone(),
            locality: long.clone(),
            region: "Atlantis".into(),
            postal_code: "00000".into(),
            interest: "rule".into(),
            offices: vec!["king".into()],
            timeframe: "never".into(),
            involvement: vec!["lurked".into()],
            involvement_detail: long,
            birth_year: "1850".into(),
            ..SignupInput::default()
        };
        let errors = parse_signup(&input, NOW).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, FORM_FIELDS);
        for error in &errors {
            for lang in Lang::ALL {
                let message = error.message(*lang);
                assert!(!message.is_empty());
                assert_ne!(
                    message, "Check this answer",
                    "{error:?} has no message of its own"
                );
                assert_ne!(message, "Revisa esta respuesta", "{error:?}");
            }
        }
    }

    #[test]
    fn zip_state_mismatch_names_both_states() {
        let mut input = good_input();
        input.region = "oh".into();
        let errors = parse_signup(&input, NOW).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "postal_code");
        assert_eq!(errors[0].code, "zip_state_mismatch");
        assert_eq!(
            errors[0].message(Lang::En),
            "ZIP code 05401 is in Vermont, not Ohio. Check your ZIP code or state"
        );
        input.region = "NY".into();
        input.postal_code = "05401".into();
        let errors = parse_signup(&input, NOW).unwrap_err();
        assert_eq!(
            errors[0].message(Lang::Es),
            "El código postal 05401 está en Vermont, no en Nueva York. \
             Revisa tu código postal o tu estado"
        );
    }

    #[test]
    fn unknown_zip_message_repeats_the_zip() {
        let mut input = good_input();
        input.postal_code = "00000-1234".into();
        let errors = parse_signup(&input, NOW).unwrap_err();
        assert_eq!(
            (errors[0].field, errors[0].code),
            ("postal_code", "unknown_zip")
        );
        assert_eq!(
            errors[0].message(Lang::En),
            "We can't find ZIP code 00000. Check it and try again"
        );
    }

    #[test]
    fn email_or_phone_is_enough() {
        let mut input = good_input();
        input.phone.clear();
        assert!(parse_signup(&input, NOW).is_ok());
        let mut input = good_input();
        input.email = "   ".into();
        assert!(parse_signup(&input, NOW).is_ok());
        input.phone = "\t".into();
        let errors = parse_signup(&input, NOW).unwrap_err();
        assert_eq!(errors, [FieldError::new("email", "email_or_phone")]);
    }

    #[test]
    fn lengths_are_counted_after_normalizing() {
        let mut input = good_input();
        // 100 decomposed "é" are 200 code points but 100 characters once composed.
        input.given_name = "e\u{301}".repeat(NAME_MAX);
        let signup = parse_signup(&input, NOW).unwrap();
        assert_eq!(signup.given_name.chars().count(), NAME_MAX);
        input.given_name.push('x');
        let errors = parse_signup(&input, NOW).unwrap_err();
        assert_eq!(
            errors,
            [FieldError::with_detail(
                "given_name",
                "too_long",
                ErrorDetail::MaxChars(NAME_MAX)
            )]
        );
        assert_eq!(
            errors[0].message(Lang::En),
            "First name must be 100 characters or fewer"
        );
    }

    #[test]
    fn birth_year_bounds() {
        let check = |year: &str| {
            let mut input = good_input();
            input.birth_year = year.into();
            parse_signup(&input, NOW)
                .map(|s| s.birth_year)
                .map_err(|e| e[0].code)
        };
        assert_eq!(check(""), Ok(None));
        assert_eq!(check("2013"), Ok(Some(2013)));
        assert_eq!(check("2014"), Err("too_young"));
        assert_eq!(check("1906"), Ok(Some(1906)));
        assert_eq!(check("1905"), Err("too_old"));
        assert_eq!(check("2030"), Err("invalid"));
        assert_eq!(check("19 88"), Err("invalid"));
        assert_eq!(check("+988"), Err("invalid"));
        assert_eq!(check("١٩٨٨"), Err("invalid"));
    }

    #[test]
    fn unknown_keywords_are_invalid_once_per_field() {
        let mut input = good_input();
        input.interest = "ruling".into();
        input.involvement = vec!["x".into(), "y".into(), "donated".into(), "".into()];
        let errors = parse_signup(&input, NOW).unwrap_err();
        assert_eq!(
            errors,
            [
                FieldError::new("interest", "invalid"),
                FieldError::new("involvement", "invalid"),
            ]
        );
    }

    #[test]
    fn tracking_codes_are_cut_never_rejected() {
        let mut input = good_input();
        input.source = "s".repeat(500);
        input.referrer = " https://example.org/a\nb ".into();
        let signup = parse_signup(&input, NOW).unwrap();
        assert_eq!(signup.source.unwrap().chars().count(), SOURCE_MAX);
        assert_eq!(signup.referrer.as_deref(), Some("https://example.org/a b"));
    }

    #[test]
    fn from_pairs_reads_checkboxes_and_repeats() {
        let input = SignupInput::from_pairs([
            ("consent_email", "0"),
            ("consent_email", "on"),
            ("consent_sms", "false"),
            ("consent_share", ""),
            ("offices", "congress"),
            ("offices", "county"),
            ("involvement", "donated"),
            ("given_name", "first"),
            ("given_name", "second"),
        ]);
        assert!(input.consent_email);
        assert!(!input.consent_sms);
        assert!(!input.consent_share);
        assert_eq!(input.offices, ["congress", "county"]);
        assert!(input.has_office("county") && !input.has_office("judicial"));
        assert!(input.has_involvement("donated") && !input.has_involvement("organized"));
        assert_eq!(input.given_name, "second");
        for off in ["", "0", "false", "OFF", " False "] {
            assert!(!is_ticked(off), "{off:?}");
        }
        for on in ["on", "1", "true", "yes"] {
            assert!(is_ticked(on), "{on:?}");
        }
    }

    #[test]
    fn keywords_round_trip_and_match_serde() {
        fn check<T: Copy + PartialEq + std::fmt::Debug + Serialize>(
            all: &[T],
            as_str: fn(T) -> &'static str,
            parse: fn(&str) -> Option<T>,
        ) {
            for v in all {
                assert_eq!(parse(as_str(*v)), Some(*v));
                assert_eq!(
                    serde_json::to_string(v).unwrap(),
                    format!("\"{}\"", as_str(*v))
                );
            }
        }
        check(Interest::ALL, Interest::as_str, Interest::parse);
        check(Office::ALL, Office::as_str, Office::parse);
        check(Timeframe::ALL, Timeframe::as_str, Timeframe::parse);
        check(Involvement::ALL, Involvement::as_str, Involvement::parse);
        assert_eq!(Office::ALL.len(), 9);
        assert_eq!(
            Office::parse("state_legislature"),
            Some(Office::StateLegislature)
        );
        assert_eq!(Involvement::AttendedEvent.as_str(), "attended_event");
        assert_eq!(Timeframe::parse("this-cycle"), None);
        assert!(Interest::Both.wants_to_run() && Interest::Both.wants_to_volunteer());
        assert!(!Interest::Volunteer.wants_to_run());
    }

    #[test]
    fn signup_serializes() {
        let signup = parse_signup(&good_input(), NOW).unwrap();
        let json = serde_json::to_value(&signup).unwrap();
        assert_eq!(json["email"], "ana.lopez@example.org");
        assert_eq!(json["region"], "VT");
        assert_eq!(json["postal_code"], "05401");
        assert_eq!(json["offices"][0], "school_board");
    }

    proptest! {
        #[test]
        fn parse_signup_never_panics(
            given_name in any::<String>(),
            email in any::<String>(),
            phone in "[0-9 ()+-]{0,16}",
            postal_code in "[0-9 -]{0,10}",
            region in "[a-zA-Z]{0,3}",
            interest in any::<String>(),
            birth_year in "[0-9]{0,5}",
        ) {
            let input = SignupInput {
                given_name,
                email,
                phone,
                postal_code,
                region,
                interest,
                birth_year,
                ..SignupInput::default()
            };
            match parse_signup(&input, NOW) {
                Ok(signup) => prop_assert_eq!(signup.region, signup.postal_code.state()),
                Err(errors) => {
                    prop_assert!(!errors.is_empty());
                    let positions: Vec<usize> = errors
                        .iter()
                        .map(|e| FORM_FIELDS.iter().position(|f| *f == e.field).unwrap())
                        .collect();
                    prop_assert!(positions.windows(2).all(|w| w[0] <= w[1]));
                }
            }
        }
    }
}
