//! Rolling rows up into races: a district spanning several counties or precincts is one race,
//! a candidate appearing on many rows one candidate (votes added, party lines joined).

use std::collections::BTreeMap;

use crate::{Candidate, Election, OfficeKind, Party, Race, name_key};

#[derive(Default)]
pub(crate) struct Rollup {
    races: BTreeMap<(Election, u8, OfficeKind, String), RaceAcc>,
}

pub(crate) struct RaceAcc {
    pub district: String,
    pub seats: Option<u32>,
    pub filing_deadline: Option<String>,
    candidates: BTreeMap<String, Candidate>,
}

impl Rollup {
    /// The race for (election, office, division), created on first sight.
    pub fn race(
        &mut self,
        election: &Election,
        office: &OfficeKind,
        division: &str,
        district: &str,
    ) -> &mut RaceAcc {
        self.races
            .entry((
                election.clone(),
                office.rank(),
                office.clone(),
                division.to_string(),
            ))
            .or_insert_with(|| RaceAcc {
                district: district.to_string(),
                seats: None,
                filing_deadline: None,
                candidates: BTreeMap::new(),
            })
    }

    pub fn finish(self) -> Vec<Race> {
        self.races
            .into_iter()
            .map(|((election, _, office, division), acc)| {
                let mut race = Race {
                    election,
                    office,
                    division,
                    district: acc.district,
                    seats: acc.seats,
                    filing_deadline: acc.filing_deadline,
                    candidates: acc.candidates.into_values().collect(),
                };
                race.sort_candidates();
                race
            })
            .collect()
    }
}

impl RaceAcc {
    /// Adds a row of a candidate: votes summed, lines joined, the first label and incumbency kept.
    pub fn candidate(
        &mut self,
        name: &str,
        lines: &[Party],
        label: &str,
        votes: Option<i64>,
        incumbent: Option<bool>,
    ) {
        let c = self
            .candidates
            .entry(name_key(name))
            .or_insert_with(|| Candidate {
                name: name.split_whitespace().collect::<Vec<_>>().join(" "),
                lines: Vec::new(),
                party_label: String::new(),
                incumbent: None,
                votes: None,
            });
        for l in lines {
            if !c.lines.contains(l) {
                c.lines.push(l.clone());
            }
        }
        c.lines.sort();
        if c.party_label.is_empty() {
            c.party_label = label.trim().to_string();
        }
        if let Some(v) = votes {
            c.votes = Some(c.votes.unwrap_or(0) + v);
        }
        if incumbent.is_some() {
            c.incumbent = incumbent;
        }
    }
}
