//! Races and candidates: the model, importers for OpenElections results and for the native CSV
//! organizers fill in by hand, party-line normalization, OCD-ID mapping, and the competition
//! analysis (uncontested, no Democrat, unopposed Republican, …). No I/O beyond the readers given.

/// What a race's candidates say about competition, per race and per office kind.
pub mod analysis;
/// The native CSV for upcoming races, and seats files.
pub mod native;
/// Office names, seat counts, and districts mapped to OCD-IDs.
pub mod office;
/// The OpenElections CSV importer.
pub mod openelections;
/// Party labels and codes, fusion tickets, pseudo-candidates.
pub mod party;
mod rollup;

use std::fmt;

pub use analysis::{Competition, OfficeSummary, summarize};
pub use office::OfficeKind;
pub use party::Party;

/// General, primary or special.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ElectionKind {
    General,
    Primary,
    Special,
}

impl ElectionKind {
    pub fn slug(self) -> &'static str {
        match self {
            ElectionKind::General => "general",
            ElectionKind::Primary => "primary",
            ElectionKind::Special => "special",
        }
    }

    pub fn parse(s: &str) -> Option<ElectionKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "general" => Some(ElectionKind::General),
            "primary" => Some(ElectionKind::Primary),
            "special" => Some(ElectionKind::Special),
            _ => None,
        }
    }
}

impl fmt::Display for ElectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

/// One election: a state, a day and a kind.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Election {
    /// Lower-case USPS code.
    pub state: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub kind: ElectionKind,
}

/// Why an election's state or date is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ElectionError {
    #[error("state must be a two-letter code, e.g. OH (got {0:?})")]
    State(String),
    #[error("date must be YYYY-MM-DD (got {0:?})")]
    Date(String),
}

impl Election {
    /// Checks a two-letter state code and a `YYYY-MM-DD` date.
    pub fn new(state: &str, date: &str, kind: ElectionKind) -> Result<Election, ElectionError> {
        let st = state.trim().to_ascii_lowercase();
        if st.len() != 2 || !st.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(ElectionError::State(state.to_string()));
        }
        let date = date.trim();
        if !valid_date(date) {
            return Err(ElectionError::Date(date.to_string()));
        }
        Ok(Election {
            state: st,
            date: date.to_string(),
            kind,
        })
    }

    /// `oh-2016-11-08-general`: the key in URLs and the database.
    pub fn id(&self) -> String {
        format!("{}-{}-{}", self.state, self.date, self.kind)
    }

    /// The same state and day, another kind (a partial-term race in a general election file is
    /// a special election held that day).
    pub fn with_kind(&self, kind: ElectionKind) -> Election {
        Election {
            kind,
            ..self.clone()
        }
    }
}

/// `YYYY-MM-DD` with a real month and day.
pub fn valid_date(s: &str) -> bool {
    s.len() == 10
        && time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).is_ok()
}

/// One candidate in one race.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub name: String,
    /// The party lines they stand on, sorted; empty: no party.
    pub lines: Vec<Party>,
    /// The party column as the file wrote it (first non-blank seen).
    pub party_label: String,
    pub incumbent: Option<bool>,
    pub votes: Option<i64>,
}

impl Candidate {
    pub fn on(&self, party: &Party) -> bool {
        self.lines.contains(party)
    }

    /// `D/R`, `Ind`, or empty.
    pub fn lines_label(&self) -> String {
        self.lines
            .iter()
            .map(Party::abbreviation)
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// One race: an office in a division, in one election.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Race {
    pub election: Election,
    pub office: OfficeKind,
    /// The division's OCD-ID.
    pub division: String,
    /// The district as the file wrote it (`12`, `CHT-6-2`; empty for statewide offices).
    pub district: String,
    /// Members elected; `None` when the file does not say and the law is not single-member.
    pub seats: Option<u32>,
    /// `YYYY-MM-DD`, for upcoming races.
    pub filing_deadline: Option<String>,
    /// Most votes first, then by name.
    pub candidates: Vec<Candidate>,
}

impl Race {
    /// The last part of the division (`12`, `chittenden-6-2`, `at-large`), or `statewide`.
    pub fn district_key(&self) -> String {
        division_key(&self.division)
    }

    /// `oh-2016-11-08-general/state_house/12`.
    pub fn id(&self) -> String {
        format!(
            "{}/{}/{}",
            self.election.id(),
            self.office.slug(),
            self.district_key()
        )
    }

    pub fn competition(&self) -> Competition {
        Competition::of(self)
    }

    /// Candidates sorted the way pages list them.
    pub fn sort_candidates(&mut self) {
        self.candidates.sort_by(|a, b| {
            b.votes
                .unwrap_or(-1)
                .cmp(&a.votes.unwrap_or(-1))
                .then_with(|| a.name.cmp(&b.name))
        });
    }
}

/// The last part of an OCD-ID (`…/sldl:12` → `12`), or `statewide` for a state.
pub fn division_key(ocd_id: &str) -> String {
    let last = ocd_id.rsplit('/').next().unwrap_or("");
    match last.split_once(':') {
        Some(("state", _)) | None => "statewide".to_string(),
        Some((_, v)) => v.to_string(),
    }
}

/// A line of an input file that was not used, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejected {
    /// 1-based line number in the file (the header is line 1).
    pub line: u64,
    pub reason: String,
}

/// Why a whole file is refused.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the header has no {0} column")]
    MissingColumn(&'static str),
    #[error("reading the CSV: {0}")]
    Csv(#[from] csv::Error),
}

/// A CSV header's columns by lower-case name (a byte-order mark and spaces ignored).
pub(crate) fn header_map(header: &csv::StringRecord) -> std::collections::HashMap<String, usize> {
    header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            (
                h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase(),
                i,
            )
        })
        .collect()
}

/// Normalizes a name for matching rows of the same candidate: spaces collapsed, case ignored.
pub(crate) fn name_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn election_keys() {
        let e = Election::new("OH", "2016-11-08", ElectionKind::General).unwrap();
        assert_eq!(e.id(), "oh-2016-11-08-general");
        assert!(Election::new("Ohio", "2016-11-08", ElectionKind::General).is_err());
        assert!(Election::new("OH", "2016-02-30", ElectionKind::General).is_err());
        assert!(Election::new("OH", "11/08/2016", ElectionKind::General).is_err());
        assert!(valid_date("2024-02-29"));
        assert!(!valid_date("2023-02-29"));
    }

    #[test]
    fn division_keys() {
        assert_eq!(
            division_key("ocd-division/country:us/state:oh/sldl:12"),
            "12"
        );
        assert_eq!(
            division_key("ocd-division/country:us/state:vt/cd:at-large"),
            "at-large"
        );
        assert_eq!(
            division_key("ocd-division/country:us/state:oh"),
            "statewide"
        );
    }
}
