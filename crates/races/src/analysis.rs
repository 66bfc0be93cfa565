//! Competition per race and summaries per office kind.
//!
//! - `uncontested`: no more candidates than seats. When the seats are unknown, a race with one
//!   candidate or none is still uncontested (every race fills at least one seat); with more it is
//!   unknown, and summaries count it under `seats_unknown` instead of guessing.
//! - `two_major_party`: a candidate on a Democratic line and a *different* candidate on a
//!   Republican line (one fusion candidate on both is not competition).
//! - `unopposed_democratic` / `unopposed_republican`: a lone candidate, on that party's line.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{OfficeKind, Party, Race};

/// What a race's candidates say about competition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Competition {
    pub candidates: usize,
    pub seats: Option<u32>,
    /// `None`: more than one candidate and the seats are unknown.
    pub uncontested: Option<bool>,
    pub two_major_party: bool,
    pub no_democrat: bool,
    pub no_republican: bool,
    pub unopposed_democratic: bool,
    pub unopposed_republican: bool,
}

impl Competition {
    pub fn of(race: &Race) -> Competition {
        let c = &race.candidates;
        let n = c.len();
        let dems: Vec<usize> = (0..n).filter(|&i| c[i].on(&Party::Democratic)).collect();
        let reps: Vec<usize> = (0..n).filter(|&i| c[i].on(&Party::Republican)).collect();
        let two_major_party = dems.iter().any(|d| reps.iter().any(|r| r != d));
        let uncontested = match race.seats {
            Some(seats) => Some(n <= seats as usize),
            None if n <= 1 => Some(true),
            None => None,
        };
        Competition {
            candidates: n,
            seats: race.seats,
            uncontested,
            two_major_party,
            no_democrat: dems.is_empty(),
            no_republican: reps.is_empty(),
            unopposed_democratic: n == 1 && !dems.is_empty(),
            unopposed_republican: n == 1 && !reps.is_empty(),
        }
    }

    /// A short status for pages and CSV: `Nobody running`, `Unopposed Republican`,
    /// `Democrat vs Republican`, `No Democrat`, …
    pub fn status(&self) -> &'static str {
        match (self.unopposed_democratic, self.unopposed_republican) {
            _ if self.candidates == 0 => "Nobody running",
            (true, true) => "Unopposed (Democratic and Republican lines)",
            (true, false) => "Unopposed Democrat",
            (false, true) => "Unopposed Republican",
            _ if self.candidates == 1 => "Unopposed, no major party",
            _ if self.uncontested == Some(true) => "Uncontested",
            _ if self.two_major_party => "Democrat vs Republican",
            _ if self.no_democrat && self.no_republican => "No major party",
            _ if self.no_democrat => "No Democrat",
            _ if self.no_republican => "No Republican",
            _ => "Contested",
        }
    }

    /// A stable key for CSS and filters: `uncontested`, `one_party`, `two_party`, `unknown`.
    pub fn class(&self) -> &'static str {
        match self.uncontested {
            Some(true) => "uncontested",
            _ if self.two_major_party => "two_party",
            None => "unknown",
            Some(false) => "one_party",
        }
    }
}

/// Counts for one office kind. The field names are the JSON keys of `races competition`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OfficeSummary {
    pub office: String,
    pub races: usize,
    /// Seats in races whose seat count is known.
    pub seats: u64,
    /// Races whose seat count is unknown (multi-member districts without a seats file).
    pub seats_unknown: usize,
    pub uncontested: usize,
    /// Seats filled by uncontested races (for "share of seats uncontested").
    pub uncontested_seats: u64,
    pub two_major_party: usize,
    pub unopposed_democratic: usize,
    pub unopposed_republican: usize,
    pub no_democrat: usize,
    pub no_republican: usize,
}

impl OfficeSummary {
    fn add(&mut self, c: &Competition) {
        self.races += 1;
        match c.seats {
            Some(s) => self.seats += u64::from(s),
            None => self.seats_unknown += 1,
        }
        if c.uncontested == Some(true) {
            self.uncontested += 1;
            // A race with unknown seats but one candidate fills at least one seat uncontested.
            self.uncontested_seats += u64::from(c.seats.unwrap_or(1));
        }
        self.two_major_party += usize::from(c.two_major_party);
        self.unopposed_democratic += usize::from(c.unopposed_democratic);
        self.unopposed_republican += usize::from(c.unopposed_republican);
        self.no_democrat += usize::from(c.no_democrat);
        self.no_republican += usize::from(c.no_republican);
    }

    /// Share of seats filled without a contest, 0 to 1; `None` with no seats, or when some
    /// races' seat counts are unknown (a share over part of the seats would mislead).
    pub fn uncontested_share(&self) -> Option<f64> {
        (self.seats > 0 && self.seats_unknown == 0)
            .then(|| self.uncontested_seats as f64 / self.seats as f64)
    }
}

/// One summary per office kind found, legislatures first.
pub fn summarize<'a>(races: impl IntoIterator<Item = &'a Race>) -> Vec<OfficeSummary> {
    let mut by_kind: BTreeMap<(u8, OfficeKind), OfficeSummary> = BTreeMap::new();
    for race in races {
        let s = by_kind
            .entry((race.office.rank(), race.office.clone()))
            .or_insert_with(|| OfficeSummary {
                office: race.office.slug().to_string(),
                ..OfficeSummary::default()
            });
        s.add(&race.competition());
    }
    by_kind.into_values().collect()
}

/// All kinds added together (a state's or the nation's total).
pub fn total<'a>(summaries: impl IntoIterator<Item = &'a OfficeSummary>) -> OfficeSummary {
    let mut t = OfficeSummary {
        office: "all".into(),
        ..OfficeSummary::default()
    };
    for s in summaries {
        t.races += s.races;
        t.seats += s.seats;
        t.seats_unknown += s.seats_unknown;
        t.uncontested += s.uncontested;
        t.uncontested_seats += s.uncontested_seats;
        t.two_major_party += s.two_major_party;
        t.unopposed_democratic += s.unopposed_democratic;
        t.unopposed_republican += s.unopposed_republican;
        t.no_democrat += s.no_democrat;
        t.no_republican += s.no_republican;
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::party::{PartyLabel, parse_party};
    use crate::{Candidate, Election, ElectionKind};

    fn race(seats: Option<u32>, cands: &[(&str, &str)]) -> Race {
        Race {
            election: Election::new("pa", "2016-11-08", ElectionKind::General).unwrap(),
            office: OfficeKind::StateHouse,
            division: "ocd-division/country:us/state:pa/sldl:1".into(),
            district: "1".into(),
            seats,
            filing_deadline: None,
            candidates: cands
                .iter()
                .map(|(name, party)| Candidate {
                    name: name.to_string(),
                    lines: match parse_party(party) {
                        PartyLabel::Lines(l) => l,
                        PartyLabel::WriteIn => unreachable!(),
                    },
                    party_label: party.to_string(),
                    incumbent: None,
                    votes: None,
                })
                .collect(),
        }
    }

    #[test]
    fn a_fusion_candidate_alone_is_uncontested_and_one_candidate() {
        for label in ["DEMREP", "Democratic/Republican"] {
            let c = race(Some(1), &[("A Fusion", label)]).competition();
            assert_eq!(c.candidates, 1);
            assert_eq!(c.uncontested, Some(true));
            assert!(!c.two_major_party, "one person on both lines is no contest");
            assert!(c.unopposed_democratic && c.unopposed_republican);
            assert!(!c.no_democrat && !c.no_republican);
        }
        // Unknown seats: one candidate is still uncontested.
        assert_eq!(
            race(None, &[("A", "DEMREP")]).competition().uncontested,
            Some(true)
        );
    }

    #[test]
    fn competition_flags() {
        let c = race(Some(1), &[("A", "DEM"), ("B", "REP")]).competition();
        assert_eq!(c.uncontested, Some(false));
        assert!(c.two_major_party);
        assert_eq!(c.status(), "Democrat vs Republican");

        let c = race(Some(1), &[("A", "REP"), ("B", "")]).competition();
        assert!(c.no_democrat && !c.two_major_party && !c.unopposed_republican);
        assert_eq!(c.status(), "No Democrat");

        let c = race(Some(1), &[("A", "REP")]).competition();
        assert!(c.unopposed_republican && c.no_democrat);
        assert_eq!(c.status(), "Unopposed Republican");

        let c = race(Some(1), &[]).competition();
        assert_eq!(c.uncontested, Some(true));
        assert_eq!(c.status(), "Nobody running");

        // A fusion D/R candidate against a Democrat: two different people on D and R lines.
        let c = race(Some(1), &[("A", "DEMREP"), ("B", "DEM")]).competition();
        assert!(c.two_major_party);

        // Two seats, two candidates: uncontested. Unknown seats, two candidates: unknown.
        assert_eq!(
            race(Some(2), &[("A", "DEM"), ("B", "REP")])
                .competition()
                .uncontested,
            Some(true)
        );
        assert_eq!(
            race(None, &[("A", "DEM"), ("B", "REP")])
                .competition()
                .uncontested,
            None
        );
    }

    #[test]
    fn summaries_count_per_kind() {
        let races = [
            race(Some(1), &[("A", "DEM"), ("B", "REP")]),
            race(Some(1), &[("A", "REP")]),
            race(None, &[("A", "DEM"), ("B", "DEM"), ("C", "REP")]),
        ];
        let s = summarize(&races);
        assert_eq!(s.len(), 1);
        let s = &s[0];
        assert_eq!(
            (s.office.as_str(), s.races, s.seats, s.seats_unknown),
            ("state_house", 3, 2, 1)
        );
        assert_eq!(
            (s.uncontested, s.uncontested_seats, s.two_major_party),
            (1, 1, 2)
        );
        assert_eq!(
            (s.unopposed_republican, s.no_democrat, s.no_republican),
            (1, 1, 0)
        );
        assert_eq!(
            s.uncontested_share(),
            None,
            "a share over part of the seats would mislead"
        );
        let known = summarize(&races[..2]);
        assert_eq!(known[0].uncontested_share(), Some(0.5));
    }
}
