//! US states and territories, and ZIP codes checked against the ZIP database in the binary.
//!
//! The ZIP code is the one address field we require: it is enough to find a person's state,
//! county and (with the district index) most of the offices on their ballot, and, unlike a
//! street address, people know it by heart and type it right.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::i18n::Lang;

/// Decodes the embedded ZIP database and builds the lookup index.
///
/// The `zipcodes` crate ships its data bzip2-compressed and inflates it on first use, which
/// takes long enough to be felt by the first person who submits the form.
pub fn warm_up() {
    LazyLock::force(&ZIP_INDEX);
}

/// (code, English name, Spanish name), sorted by code: [`StateCode`] is an index into it.
const STATES: [(&str, &str, &str); 59] = [
    (
        "AA",
        "Armed Forces Americas",
        "Fuerzas Armadas de las Américas",
    ),
    ("AE", "Armed Forces Europe", "Fuerzas Armadas en Europa"),
    ("AK", "Alaska", "Alaska"),
    ("AL", "Alabama", "Alabama"),
    ("AP", "Armed Forces Pacific", "Fuerzas Armadas del Pacífico"),
    ("AR", "Arkansas", "Arkansas"),
    ("AS", "American Samoa", "Samoa Americana"),
    ("AZ", "Arizona", "Arizona"),
    ("CA", "California", "California"),
    ("CO", "Colorado", "Colorado"),
    ("CT", "Connecticut", "Connecticut"),
    ("DC", "District of Columbia", "Distrito de Columbia"),
    ("DE", "Delaware", "Delaware"),
    ("FL", "Florida", "Florida"),
    ("GA", "Georgia", "Georgia"),
    ("GU", "Guam", "Guam"),
    ("HI", "Hawaii", "Hawái"),
    ("IA", "Iowa", "Iowa"),
    ("ID", "Idaho", "Idaho"),
    ("IL", "Illinois", "Illinois"),
    ("IN", "Indiana", "Indiana"),
    ("KS", "Kansas", "Kansas"),
    ("KY", "Kentucky", "Kentucky"),
    ("LA", "Louisiana", "Luisiana"),
    ("MA", "Massachusetts", "Massachusetts"),
    ("MD", "Maryland", "Maryland"),
    ("ME", "Maine", "Maine"),
    ("MI", "Michigan", "Míchigan"),
    ("MN", "Minnesota", "Minnesota"),
    ("MO", "Missouri", "Misuri"),
    ("MP", "Northern Mariana Islands", "Islas Marianas del Norte"),
    ("MS", "Mississippi", "Misisipi"),
    ("MT", "Montana", "Montana"),
    ("NC", "North Carolina", "Carolina del Norte"),
    ("ND", "North Dakota", "Dakota del Norte"),
    ("NE", "Nebraska", "Nebraska"),
    ("NH", "New Hampshire", "Nuevo Hampshire"),
    ("NJ", "New Jersey", "Nueva Jersey"),
    ("NM", "New Mexico", "Nuevo México"),
    ("NV", "Nevada", "Nevada"),
    ("NY", "New York", "Nueva York"),
    ("OH", "Ohio", "Ohio"),
    ("OK", "Oklahoma", "Oklahoma"),
    ("OR", "Oregon", "Oregón"),
    ("PA", "Pennsylvania", "Pensilvania"),
    ("PR", "Puerto Rico", "Puerto Rico"),
    ("RI", "Rhode Island", "Rhode Island"),
    ("SC", "South Carolina", "Carolina del Sur"),
    ("SD", "South Dakota", "Dakota del Sur"),
    ("TN", "Tennessee", "Tennessee"),
    ("TX", "Texas", "Texas"),
    ("UT", "Utah", "Utah"),
    ("VA", "Virginia", "Virginia"),
    ("VI", "U.S. Virgin Islands", "Islas Vírgenes de EE. UU."),
    ("VT", "Vermont", "Vermont"),
    ("WA", "Washington", "Washington"),
    ("WI", "Wisconsin", "Wisconsin"),
    ("WV", "West Virginia", "Virginia Occidental"),
    ("WY", "Wyoming", "Wyoming"),
];

/// Why a string is not a state or territory we serve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a US state, territory or military postal code")]
pub struct StateCodeError;

impl StateCodeError {
    /// The field-error code the form reports.
    pub fn code(self) -> &'static str {
        "invalid"
    }
}

/// A two-letter USPS code for one of the 50 states, DC, the five inhabited territories
/// (PR, GU, VI, AS, MP) or the three military "states" (AA, AE, AP).
///
/// The freely associated states (FM, MH, PW) have ZIP codes but no US elections, so they
/// are not here.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub struct StateCode(u8);

impl StateCode {
    /// Reads a code (`oh`, ` OH `) or a full name in English or Spanish (`Ohio`,
    /// `Nueva York`), ignoring case and surrounding spaces.
    pub fn parse(s: &str) -> Result<StateCode, StateCodeError> {
        let s = s.trim();
        if s.len() == 2 {
            return STATES
                .iter()
                .position(|(code, _, _)| code.eq_ignore_ascii_case(s))
                .map(Self::from_index)
                .ok_or(StateCodeError);
        }
        let key = fold(s);
        STATES
            .iter()
            .position(|(_, en, es)| fold(en) == key || fold(es) == key)
            .map(Self::from_index)
            .ok_or(StateCodeError)
    }

    /// Every code, in alphabetical order of the code.
    pub fn all() -> impl Iterator<Item = StateCode> {
        (0..STATES.len()).map(Self::from_index)
    }

    /// Every code, in alphabetical order of its name in `lang`: the order for a drop-down.
    pub fn by_name(lang: Lang) -> Vec<StateCode> {
        let mut all: Vec<StateCode> = Self::all().collect();
        all.sort_by_cached_key(|s| fold(s.name_in(lang)));
        all
    }

    /// The upper-case code, e.g. `OH`.
    pub fn as_str(self) -> &'static str {
        STATES[usize::from(self.0)].0
    }

    /// The English name, e.g. `Ohio`.
    pub fn name(self) -> &'static str {
        STATES[usize::from(self.0)].1
    }

    /// The name in `lang`, e.g. `Nueva York` in Spanish.
    pub fn name_in(self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => STATES[usize::from(self.0)].1,
            Lang::Es => STATES[usize::from(self.0)].2,
        }
    }

    fn from_index(i: usize) -> StateCode {
        // STATES has 59 entries, so every index fits in a u8.
        StateCode(i as u8)
    }
}

/// Lower case with accents stripped, so "Oregon", "OREGÓN" and "oregón" compare equal and
/// Spanish names sort the way a reader expects.
fn fold(s: &str) -> String {
    s.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

impl fmt::Debug for StateCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StateCode({})", self.as_str())
    }
}

impl fmt::Display for StateCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StateCode {
    type Err = StateCodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StateCode::parse(s)
    }
}

impl TryFrom<String> for StateCode {
    type Error = StateCodeError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        StateCode::parse(&s)
    }
}

impl From<StateCode> for &'static str {
    fn from(state: StateCode) -> Self {
        state.as_str()
    }
}

/// ZIP → its record. The crate's own `matching` scans all 42,000 records and clones the hits
/// on every call; this index answers in one hash lookup. Where a ZIP had several records the
/// first is kept, as `zipcodes::matching(zip, None)[0]` would give.
static ZIP_INDEX: LazyLock<HashMap<&'static str, &'static zipcodes::Zipcode>> =
    LazyLock::new(|| {
        let mut index = HashMap::new();
        for record in zipcodes::database() {
            index.entry(record.zip_code.as_str()).or_insert(record);
        }
        index
    });

/// Why a string is not a ZIP code we can place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PostalCodeError {
    #[error("a ZIP code has 5 digits, optionally followed by a dash and 4 more")]
    Format,
    #[error("no such ZIP code in a US state or territory")]
    Unknown,
}

impl PostalCodeError {
    /// The field-error code the form reports.
    pub fn code(self) -> &'static str {
        match self {
            PostalCodeError::Format => "invalid",
            PostalCodeError::Unknown => "unknown_zip",
        }
    }
}

/// A ZIP code that exists, with the place it belongs to.
///
/// Retired ZIP codes are accepted: they are still in the database, and someone who has
/// used one for years is not mistaken about where they live.
#[derive(Clone)]
pub struct PostalCode {
    /// `12345` or `12345-6789`.
    text: String,
    state: StateCode,
    record: &'static zipcodes::Zipcode,
}

impl PostalCode {
    /// Reads `12345`, `12345-6789`, `123456789` or `12345 6789`, ignoring surrounding spaces.
    pub fn parse(s: &str) -> Result<PostalCode, PostalCodeError> {
        let (zip5, plus4) = split_zip(s.trim()).ok_or(PostalCodeError::Format)?;
        let record = *ZIP_INDEX.get(zip5).ok_or(PostalCodeError::Unknown)?;
        let state = StateCode::parse(&record.state).map_err(|_| PostalCodeError::Unknown)?;
        let text = match plus4 {
            Some(plus4) => format!("{zip5}-{plus4}"),
            None => zip5.to_owned(),
        };
        Ok(PostalCode {
            text,
            state,
            record,
        })
    }

    /// The five-digit ZIP, e.g. `05401`.
    pub fn zip5(&self) -> &str {
        &self.text[..5]
    }

    /// The ZIP+4 add-on, when one was given.
    pub fn plus4(&self) -> Option<&str> {
        self.text.get(6..)
    }

    /// `12345` or `12345-6789`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The state or territory the ZIP is in.
    pub fn state(&self) -> StateCode {
        self.state
    }

    /// The USPS "preferred" city name for the ZIP, e.g. `Burlington`.
    pub fn city(&self) -> &str {
        &self.record.city
    }

    /// The county, e.g. `Chittenden County`; `None` for military and some territory ZIPs.
    pub fn county(&self) -> Option<&str> {
        Some(self.record.county.as_str()).filter(|c| !c.is_empty())
    }

    /// The ZIP's approximate centre as (latitude, longitude); `None` where the database has
    /// no position (military ZIPs are stored as 0, 0).
    pub fn lat_lon(&self) -> Option<(f64, f64)> {
        let lat: f64 = self.record.lat.parse().ok()?;
        let lon: f64 = self.record.long.parse().ok()?;
        (lat != 0.0 || lon != 0.0).then_some((lat, lon))
    }
}

/// Splits a trimmed ZIP into its five digits and optional four.
fn split_zip(s: &str) -> Option<(&str, Option<&str>)> {
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    match s.len() {
        5 if digits(s) => Some((s, None)),
        9 if digits(s) => Some((&s[..5], Some(&s[5..]))),
        10 if matches!(s.as_bytes()[5], b'-' | b' ') && digits(&s[..5]) && digits(&s[6..]) => {
            Some((&s[..5], Some(&s[6..])))
        }
        _ => None,
    }
}

impl PartialEq for PostalCode {
    fn eq(&self, other: &Self) -> bool {
        // The state and record follow from the text.
        self.text == other.text
    }
}

impl Eq for PostalCode {}

impl std::hash::Hash for PostalCode {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl fmt::Debug for PostalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PostalCode({}, {})", self.text, self.state.as_str())
    }
}

impl fmt::Display for PostalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for PostalCode {
    type Err = PostalCodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PostalCode::parse(s)
    }
}

impl Serialize for PostalCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for PostalCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        PostalCode::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn states_table_is_sorted_and_complete() {
        let codes: Vec<&str> = StateCode::all().map(StateCode::as_str).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(codes, sorted);
        assert_eq!(codes.len(), 59);
        for code in ["DC", "PR", "GU", "VI", "AS", "MP", "AA", "AE", "AP", "WY"] {
            assert!(codes.contains(&code), "{code}");
        }
    }

    #[test]
    fn state_parse() {
        let ohio = StateCode::parse(" oh ").unwrap();
        assert_eq!(ohio.as_str(), "OH");
        assert_eq!(ohio.name(), "Ohio");
        assert_eq!(StateCode::parse("Ohio"), Ok(ohio));
        assert_eq!(StateCode::parse("nueva york").unwrap().as_str(), "NY");
        assert_eq!(StateCode::parse("OREGON").unwrap().as_str(), "OR");
        assert_eq!(StateCode::parse("Oregón").unwrap().as_str(), "OR");
        assert_eq!(StateCode::parse("XX"), Err(StateCodeError));
        assert_eq!(StateCode::parse("FM"), Err(StateCodeError));
        assert_eq!(StateCode::parse(""), Err(StateCodeError));
        assert_eq!(StateCode::parse("Ohioo"), Err(StateCodeError));
    }

    #[test]
    fn state_names_by_language() {
        let ny = StateCode::parse("NY").unwrap();
        assert_eq!(ny.name_in(Lang::En), "New York");
        assert_eq!(ny.name_in(Lang::Es), "Nueva York");
        let es: Vec<&str> = StateCode::by_name(Lang::Es)
            .into_iter()
            .map(|s| s.name_in(Lang::Es))
            .collect();
        let mi = es.iter().position(|n| *n == "Míchigan").unwrap();
        let mn = es.iter().position(|n| *n == "Minnesota").unwrap();
        assert!(mi < mn, "accents must not push Míchigan after Minnesota");
        assert_eq!(StateCode::by_name(Lang::En)[0].as_str(), "AL");
    }

    #[test]
    fn state_serde_is_the_code() {
        let vt = StateCode::parse("vt").unwrap();
        assert_eq!(serde_json::to_string(&vt).unwrap(), "\"VT\"");
        assert_eq!(serde_json::from_str::<StateCode>("\"VT\"").unwrap(), vt);
        assert!(serde_json::from_str::<StateCode>("\"ZZ\"").is_err());
    }

    #[test]
    fn burlington() {
        let zip = PostalCode::parse("05401").unwrap();
        assert_eq!(zip.zip5(), "05401");
        assert_eq!(zip.plus4(), None);
        assert_eq!(zip.as_str(), "05401");
        assert_eq!(zip.state().as_str(), "VT");
        assert_eq!(zip.city(), "Burlington");
        assert_eq!(zip.county(), Some("Chittenden County"));
        let (lat, lon) = zip.lat_lon().unwrap();
        assert!((44.0..45.0).contains(&lat) && (-74.0..-73.0).contains(&lon));
    }

    #[test]
    fn zip_plus_four_forms() {
        for typed in ["05401-1234", " 054011234 ", "05401 1234"] {
            let zip = PostalCode::parse(typed).unwrap();
            assert_eq!(zip.as_str(), "05401-1234", "{typed:?}");
            assert_eq!(zip.zip5(), "05401");
            assert_eq!(zip.plus4(), Some("1234"));
            assert_eq!(zip.state().as_str(), "VT");
        }
    }

    #[test]
    fn zip_errors() {
        assert_eq!(PostalCode::parse("00000"), Err(PostalCodeError::Unknown));
        assert_eq!(
            PostalCode::parse("00000").unwrap_err().code(),
            "unknown_zip"
        );
        for bad in [
            "",
            "0540",
            "054011",
            "05401-123",
            "05401_1234",
            "5401a",
            "０５４０１",
            "05401-",
        ] {
            assert_eq!(
                PostalCode::parse(bad),
                Err(PostalCodeError::Format),
                "{bad:?}"
            );
        }
        assert_eq!(PostalCodeError::Format.code(), "invalid");
    }

    #[test]
    fn territories_and_military() {
        let pr = PostalCode::parse("00901").unwrap();
        assert_eq!(pr.state().as_str(), "PR");
        let apo = PostalCode::parse("09001").unwrap();
        assert_eq!(apo.state().as_str(), "AE");
        assert_eq!(apo.county(), None);
        assert_eq!(apo.lat_lon(), None);
        // Micronesia has US ZIP codes but no US elections.
        assert_eq!(PostalCode::parse("96941"), Err(PostalCodeError::Unknown));
    }

    #[test]
    fn zip_serde_is_the_text() {
        let zip = PostalCode::parse("05401-1234").unwrap();
        assert_eq!(serde_json::to_string(&zip).unwrap(), "\"05401-1234\"");
        assert_eq!(
            serde_json::from_str::<PostalCode>("\"05401-1234\"").unwrap(),
            zip
        );
        assert!(serde_json::from_str::<PostalCode>("\"00000\"").is_err());
    }

    proptest! {
        #[test]
        fn zip_parse_never_panics_and_round_trips(s in "[0-9 -]{0,11}") {
            if let Ok(zip) = PostalCode::parse(&s) {
                prop_assert_eq!(PostalCode::parse(zip.as_str()), Ok(zip.clone()));
                prop_assert_eq!(zip.zip5().len(), 5);
            }
        }

        #[test]
        fn zip_parse_never_panics_on_anything(s in any::<String>()) {
            let _ = PostalCode::parse(&s);
        }
    }
}
