//! The native CSV for upcoming races, filled in by organizers, and seats files.
//!
//! Native: `office,division,seats,filing_deadline,candidate,party,incumbent` (`district` may stand
//! in for `division`; `votes` is optional). One row per candidate; a row without a candidate
//! declares a race nobody has filed for yet. `office` is a kind slug (`state_house`,
//! `school_board`, …); `division` an OCD-ID in the election's state.
//!
//! Seats: `office,district,seats`, for multi-member districts the results files do not describe.

use std::io::Read;

use crate::office::{OfficeKind, default_seats, division_id};
use crate::party::{PartyLabel, is_pseudo_candidate, parse_party};
use crate::rollup::Rollup;
use crate::{Election, ImportError, Race, Rejected, header_map, valid_date};

/// What reading a native file gave.
#[derive(Debug, Default)]
pub struct Report {
    pub races: Vec<Race>,
    pub rows: u64,
    pub rejected: Vec<Rejected>,
}

/// Reads a native CSV of races for `election`. A line with any problem is refused whole, with
/// its reason; the other lines still count.
pub fn read(election: &Election, input: impl Read) -> Result<Report, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(input);
    let h = header_map(reader.headers()?);
    let col = |n: &str| h.get(n).copied();
    let office_col = col("office").ok_or(ImportError::MissingColumn("office"))?;
    let division_col = col("division");
    let district_col = col("district");
    if division_col.is_none() && district_col.is_none() {
        return Err(ImportError::MissingColumn("division"));
    }
    let prefix = format!("ocd-division/country:us/state:{}", election.state);
    let mut report = Report::default();
    let mut rollup = Rollup::default();
    for (i, rec) in reader.records().enumerate() {
        let line = i as u64 + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                report.rejected.push(Rejected {
                    line,
                    reason: format!("unreadable CSV: {e}"),
                });
                continue;
            }
        };
        report.rows += 1;
        let get = |c: Option<usize>| c.and_then(|c| rec.get(c)).unwrap_or("").trim();
        match native_row(
            election,
            &prefix,
            &get,
            office_col,
            division_col,
            district_col,
            &col,
        ) {
            Ok(row) => {
                let acc = rollup.race(election, &row.office, &row.division, &row.district);
                if let (Some(old), Some(new)) = (acc.seats, row.seats)
                    && old != new
                {
                    report.rejected.push(Rejected {
                        line,
                        reason: format!(
                            "seats {new} disagrees with {old} given earlier for this race"
                        ),
                    });
                    continue;
                }
                acc.seats = acc.seats.or(row.seats);
                if row.filing_deadline.is_some() {
                    acc.filing_deadline = row.filing_deadline;
                }
                if let Some((name, lines, label, incumbent, votes)) = row.candidate {
                    acc.candidate(&name, &lines, &label, votes, incumbent);
                }
            }
            Err(reason) => report.rejected.push(Rejected { line, reason }),
        }
    }
    report.races = rollup.finish();
    for race in &mut report.races {
        if race.seats.is_none() {
            race.seats = default_seats(&election.state, &race.office);
        }
    }
    Ok(report)
}

type CandidateRow = (String, Vec<crate::Party>, String, Option<bool>, Option<i64>);

struct NativeRow {
    office: OfficeKind,
    division: String,
    district: String,
    seats: Option<u32>,
    filing_deadline: Option<String>,
    candidate: Option<CandidateRow>,
}

fn native_row<'a>(
    election: &Election,
    prefix: &str,
    get: &dyn Fn(Option<usize>) -> &'a str,
    office_col: usize,
    division_col: Option<usize>,
    district_col: Option<usize>,
    col: &dyn Fn(&str) -> Option<usize>,
) -> Result<NativeRow, String> {
    let office_raw = get(Some(office_col));
    let office = OfficeKind::parse(office_raw).ok_or("office is empty")?;
    let division_raw = get(division_col);
    let district = get(district_col).to_string();
    let division = if !division_raw.is_empty() {
        let d = division_raw.to_ascii_lowercase();
        if d != prefix && !d.starts_with(&format!("{prefix}/")) {
            return Err(format!(
                "division {division_raw:?} is not in {}",
                election.state.to_uppercase()
            ));
        }
        d
    } else {
        division_id(&election.state, &office, &district).map_err(|e| e.to_string())?
    };
    let seats = match get(col("seats")) {
        "" => None,
        s => match s.parse::<u32>() {
            Ok(n) if n >= 1 => Some(n),
            _ => return Err(format!("seats {s:?} is not a whole number of at least 1")),
        },
    };
    let filing_deadline = match get(col("filing_deadline")) {
        "" => None,
        s if valid_date(s) => Some(s.to_string()),
        s => return Err(format!("filing_deadline {s:?} is not YYYY-MM-DD")),
    };
    let name = get(col("candidate"));
    let candidate = if name.is_empty() || is_pseudo_candidate(name) {
        None
    } else {
        let label = get(col("party"));
        let lines = match parse_party(label) {
            PartyLabel::Lines(l) => l,
            PartyLabel::WriteIn => Vec::new(),
        };
        let incumbent = match get(col("incumbent")).to_ascii_lowercase().as_str() {
            "" => None,
            "yes" | "y" | "true" | "1" => Some(true),
            "no" | "n" | "false" | "0" => Some(false),
            other => return Err(format!("incumbent {other:?} is not yes or no")),
        };
        let votes = match get(col("votes")) {
            "" => None,
            v => Some(
                v.parse::<i64>()
                    .map_err(|_| format!("votes {v:?} is not a whole number"))?,
            ),
        };
        Some((name.to_string(), lines, label.to_string(), incumbent, votes))
    };
    Ok(NativeRow {
        office,
        division,
        district,
        seats,
        filing_deadline,
        candidate,
    })
}

/// One line of a seats file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeatsRow {
    pub line: u64,
    pub office: OfficeKind,
    pub division: String,
    pub seats: u32,
}

/// Reads `office,district,seats` (district as the results file writes it, or an OCD-ID).
pub fn read_seats(
    state: &str,
    input: impl Read,
) -> Result<(Vec<SeatsRow>, Vec<Rejected>), ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(input);
    let h = header_map(reader.headers()?);
    let office = *h
        .get("office")
        .ok_or(ImportError::MissingColumn("office"))?;
    let district = *h
        .get("district")
        .ok_or(ImportError::MissingColumn("district"))?;
    let seats = *h.get("seats").ok_or(ImportError::MissingColumn("seats"))?;
    let mut rows = Vec::new();
    let mut rejected = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec?;
        let line = i as u64 + 2;
        let get = |c: usize| rec.get(c).unwrap_or("").trim();
        let parsed = (|| {
            let kind = OfficeKind::parse(get(office)).ok_or("office is empty")?;
            let d = get(district);
            let division = if d.starts_with("ocd-division/") {
                d.to_ascii_lowercase()
            } else {
                division_id(state, &kind, d).map_err(|e| e.to_string())?
            };
            let n = get(seats)
                .parse::<u32>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| {
                    format!("seats {:?} is not a whole number of at least 1", get(seats))
                })?;
            Ok::<_, String>(SeatsRow {
                line,
                office: kind,
                division,
                seats: n,
            })
        })();
        match parsed {
            Ok(r) => rows.push(r),
            Err(reason) => rejected.push(Rejected { line, reason }),
        }
    }
    Ok((rows, rejected))
}

/// Sets the seats of matching races; rows that match no race are returned as rejected.
pub fn apply_seats(races: &mut [Race], rows: &[SeatsRow]) -> Vec<Rejected> {
    let mut unmatched = Vec::new();
    for row in rows {
        let mut hit = false;
        for race in races.iter_mut() {
            if race.office == row.office && race.division == row.division {
                race.seats = Some(row.seats);
                hit = true;
            }
        }
        if !hit {
            unmatched.push(Rejected {
                line: row.line,
                reason: format!("no {} race in {}", row.office, row.division),
            });
        }
    }
    unmatched
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ElectionKind, Party};

    fn upcoming() -> Election {
        Election::new("oh", "2026-11-03", ElectionKind::General).unwrap()
    }

    #[test]
    fn native_races_with_and_without_candidates() {
        let file = "office,division,seats,filing_deadline,candidate,party,incumbent\n\
            state_house,ocd-division/country:us/state:oh/sldl:12,1,2026-08-05,Pat Lee,REP,yes\n\
            state_house,ocd-division/country:us/state:oh/sldl:13,,2026-08-05,,,\n\
            school_board,ocd-division/country:us/state:oh/place:columbus,3,2026-08-05,Ana Ruiz,,\n\
            state_house,ocd-division/country:us/state:vt/sldl:chittenden-6-2,1,,X,,\n\
            state_house,ocd-division/country:us/state:oh/sldl:14,0,,,,\n";
        let r = read(&upcoming(), file.as_bytes()).unwrap();
        assert_eq!(
            r.rejected.iter().map(|x| x.line).collect::<Vec<_>>(),
            vec![5, 6]
        );
        assert_eq!(r.races.len(), 3);
        let h12 = r.races.iter().find(|x| x.district_key() == "12").unwrap();
        assert_eq!(h12.candidates[0].incumbent, Some(true));
        assert_eq!(h12.candidates[0].lines, vec![Party::Republican]);
        assert_eq!(h12.filing_deadline.as_deref(), Some("2026-08-05"));
        let h13 = r.races.iter().find(|x| x.district_key() == "13").unwrap();
        assert!(h13.candidates.is_empty());
        assert_eq!(h13.seats, Some(1), "Ohio's House is single-member");
        assert_eq!(h13.competition().status(), "Nobody running");
        let board = r
            .races
            .iter()
            .find(|x| x.office == OfficeKind::Other("school_board".into()))
            .unwrap();
        assert_eq!(board.seats, Some(3));
        assert_eq!(board.competition().uncontested, Some(true));
    }

    #[test]
    fn seats_files_fill_multi_member_districts() {
        let e = Election::new("vt", "2016-11-08", ElectionKind::General).unwrap();
        let results = "county,office,district,town,precinct,candidate,party,votes\n\
            Chittenden,State House,CHT-6-2,Burlington,,A,Democratic,10\n\
            Chittenden,State House,CHT-6-2,Burlington,,B,Progressive,9\n";
        let mut races = crate::openelections::read(&e, results.as_bytes())
            .unwrap()
            .races;
        assert_eq!(races[0].competition().uncontested, None);
        let (rows, rej) = read_seats(
            "vt",
            "office,district,seats\nstate_house,CHT-6-2,2\nstate_house,CHT-9-9,2\n".as_bytes(),
        )
        .unwrap();
        assert!(rej.is_empty());
        let unmatched = apply_seats(&mut races, &rows);
        assert_eq!(unmatched.len(), 1);
        assert_eq!(unmatched[0].line, 3);
        assert_eq!(races[0].seats, Some(2));
        assert_eq!(races[0].competition().uncontested, Some(true));
    }
}
