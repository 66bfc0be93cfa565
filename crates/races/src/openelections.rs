//! OpenElections result files: header-driven, so the column order and the optional columns
//! (`precinct`, `town`, Michigan's `last,first,middle,suffix`) vary per state and year. Old-Mac
//! CR line endings are read like any other.

use std::collections::BTreeMap;
use std::io::Read;

use crate::office::{OfficeSkip, default_seats, division_id, parse_office};
use crate::party::{PartyLabel, is_pseudo_candidate, parse_party};
use crate::rollup::Rollup;
use crate::{Election, ElectionKind, ImportError, Race, Rejected};

/// What reading a file gave.
#[derive(Debug, Default)]
pub struct Report {
    /// Races, rolled up; partial-term races land in a special election on the same day.
    pub races: Vec<Race>,
    /// Data rows read.
    pub rows: u64,
    /// Rows of tallies (write-ins, blanks, spoiled, totals …), left out.
    pub pseudo_rows: u64,
    /// Rows of declared write-in candidates (party `WI`), left out.
    pub write_in_rows: u64,
    /// Offices not imported, with their row counts (the presidency; offices with no district rule).
    pub skipped_offices: BTreeMap<String, u64>,
    /// Lines refused, with why.
    pub rejected: Vec<Rejected>,
}

struct Columns {
    office: usize,
    district: Option<usize>,
    party: Option<usize>,
    votes: Option<usize>,
    name: NameColumns,
}

enum NameColumns {
    One(usize),
    /// last, first, middle, suffix
    Parts(usize, Option<usize>, Option<usize>, Option<usize>),
}

impl Columns {
    fn find(header: &csv::StringRecord) -> Result<Columns, ImportError> {
        let columns = crate::header_map(header);
        let pos = |name: &str| columns.get(name).copied();
        let office = pos("office").ok_or(ImportError::MissingColumn("office"))?;
        let name = match (pos("candidate"), pos("last")) {
            (Some(c), _) => NameColumns::One(c),
            (None, Some(last)) => {
                NameColumns::Parts(last, pos("first"), pos("middle"), pos("suffix"))
            }
            (None, None) => return Err(ImportError::MissingColumn("candidate")),
        };
        Ok(Columns {
            office,
            district: pos("district"),
            party: pos("party"),
            votes: pos("votes"),
            name,
        })
    }

    fn name(&self, r: &csv::StringRecord) -> String {
        let get = |i: Option<usize>| i.and_then(|i| r.get(i)).unwrap_or("").trim();
        match self.name {
            NameColumns::One(i) => get(Some(i)).to_string(),
            NameColumns::Parts(last, first, middle, suffix) => {
                [get(first), get(middle), get(Some(last)), get(suffix)]
                    .into_iter()
                    .filter(|p| !p.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ")
            }
        }
    }
}

/// Reads one OpenElections file for `election` (its state and day; its kind for regular races).
pub fn read(election: &Election, input: impl Read) -> Result<Report, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(input);
    let cols = Columns::find(reader.headers()?)?;
    let mut report = Report::default();
    let mut rollup = Rollup::default();
    let special = election.with_kind(ElectionKind::Special);
    let mut record = csv::StringRecord::new();
    // Counted here: the csv crate counts `\n` only, and old-Mac files end lines with `\r`.
    let mut line = 1u64;
    loop {
        line += 1;
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                report.rejected.push(Rejected {
                    line,
                    reason: format!("unreadable CSV: {e}"),
                });
                continue;
            }
        }
        report.rows += 1;
        let reject =
            |report: &mut Report, reason: String| report.rejected.push(Rejected { line, reason });
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        let office_raw = record.get(cols.office).unwrap_or("").trim();
        let name = cols.name(&record);
        if name.is_empty() {
            reject(
                &mut report,
                format!("no candidate name (office {office_raw:?})"),
            );
            continue;
        }
        let office = match parse_office(office_raw) {
            Ok(o) => o,
            Err(OfficeSkip::President) => {
                *report
                    .skipped_offices
                    .entry(office_raw.to_string())
                    .or_default() += 1;
                continue;
            }
            Err(OfficeSkip::Unknown) => {
                if office_raw.is_empty() || office_raw.chars().all(|c| c.is_ascii_digit()) {
                    reject(&mut report, format!("no office name (got {office_raw:?})"));
                } else {
                    *report
                        .skipped_offices
                        .entry(office_raw.to_string())
                        .or_default() += 1;
                }
                continue;
            }
        };
        let district = office.district.clone().unwrap_or_else(|| {
            cols.district
                .and_then(|i| record.get(i))
                .unwrap_or("")
                .trim()
                .to_string()
        });
        let division = match division_id(&election.state, &office.kind, &district) {
            Ok(d) => d,
            Err(e) => {
                reject(&mut report, format!("{office_raw}: {e}"));
                continue;
            }
        };
        let votes = match cols.votes.and_then(|i| record.get(i)).map(str::trim) {
            None | Some("") => None,
            Some(v) => match v.replace(',', "").parse::<i64>() {
                Ok(n) if n >= 0 => Some(n),
                _ => {
                    reject(&mut report, format!("votes {v:?} is not a whole number"));
                    continue;
                }
            },
        };
        let target = if office.special { &special } else { election };
        let acc = rollup.race(target, &office.kind, &division, &district);
        if acc.seats.is_none() {
            acc.seats = office
                .seats
                .or_else(|| default_seats(&election.state, &office.kind));
        }
        // A race exists even when only tallies were reported for it: nobody ran.
        if is_pseudo_candidate(&name) {
            report.pseudo_rows += 1;
            continue;
        }
        let label = cols.party.and_then(|i| record.get(i)).unwrap_or("");
        match parse_party(label) {
            PartyLabel::WriteIn => report.write_in_rows += 1,
            PartyLabel::Lines(lines) => acc.candidate(&name, &lines, label, votes, None),
        }
    }
    report.races = rollup.finish();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{OfficeKind, Party};

    fn general(state: &str) -> Election {
        Election::new(state, "2016-11-08", ElectionKind::General).unwrap()
    }

    #[test]
    fn rows_roll_up_across_counties_with_cr_line_endings() {
        let file = "county,candidate,party,office,district,votes\r\
            Wayne,Ron Amstutz,Republican,State House,1,32110\r\
            Holmes,Ron Amstutz,Republican,State House,1,100\r\
            Wayne,John Maglio,Democratic,State House,1,16626\r\
            Wayne,Write-ins,,State House,1,12\r\
            Wayne,Jane Wi,WI,State House,1,3\r";
        let r = read(&general("oh"), file.as_bytes()).unwrap();
        assert_eq!(r.rows, 5);
        assert_eq!(r.races.len(), 1);
        let race = &r.races[0];
        assert_eq!(race.division, "ocd-division/country:us/state:oh/sldl:1");
        assert_eq!(race.seats, Some(1));
        assert_eq!(race.candidates.len(), 2);
        assert_eq!(race.candidates[0].name, "Ron Amstutz");
        assert_eq!(race.candidates[0].votes, Some(32210));
        assert_eq!((r.pseudo_rows, r.write_in_rows), (1, 1));
    }

    #[test]
    fn columns_in_any_order_with_precinct() {
        let file = "county,office,district,town,precinct,candidate,party,votes\n\
            Addison,State House,ADD-1,Middlebury,,Amy Sheldon,Democratic/Progressive,2211\n\
            Addison,State House,ADD-1,Middlebury,,Total Votes Cast,,5000\n\
            Addison,State House,ADD-1,Bristol,1,Amy Sheldon,Democratic/Progressive,10\n";
        let r = read(&general("vt"), file.as_bytes()).unwrap();
        let race = &r.races[0];
        assert_eq!(
            race.division,
            "ocd-division/country:us/state:vt/sldl:addison-1"
        );
        assert_eq!(race.seats, None, "Vermont House districts may elect two");
        assert_eq!(race.candidates.len(), 1);
        assert_eq!(race.candidates[0].votes, Some(2221));
        assert_eq!(
            race.candidates[0].lines,
            vec![Party::Democratic, Party::Other("progressive".into())]
        );
    }

    #[test]
    fn michigan_names_and_partial_terms() {
        let file = "county,office,district,party,last,first,middle,suffix,votes\n\
            WAYNE,11th District Representative in State Legislature 2 Year Term (1) Position,,DEM,Doe,Jane,Q.,,10\n\
            WAYNE,11th District Representative in State Legislature Partial Term Ending 01/01/2017 (1) Position Files In WAYNE County,,REP,Roe,Rick,,Jr.,5\n\
            WAYNE,President of the United States 4 Year Term (1) Position,,REP,Trump,Donald,J.,,4201\n";
        let r = read(&general("mi"), file.as_bytes()).unwrap();
        assert_eq!(r.races.len(), 2);
        let regular = r
            .races
            .iter()
            .find(|x| x.election.kind == ElectionKind::General)
            .unwrap();
        assert_eq!(regular.candidates[0].name, "Jane Q. Doe");
        assert_eq!(regular.office, OfficeKind::StateHouse);
        let special = r
            .races
            .iter()
            .find(|x| x.election.kind == ElectionKind::Special)
            .unwrap();
        assert_eq!(special.candidates[0].name, "Rick Roe Jr.");
        assert_eq!(special.division, regular.division);
        assert_eq!(r.skipped_offices.values().sum::<u64>(), 1);
    }

    #[test]
    fn broken_rows_are_reported_with_their_line() {
        let file = "county,office,district,party,candidate,votes\r\
            Adams,State House,90,D,Thomas Davis,1871\r\
            Hamilton,79914,,,,\r\
            Adams,State House,90,R,Terry Johnson,many\r\
            Adams,U.S. House,,R,Brad Wenstrup,4588\r";
        let r = read(&general("oh"), file.as_bytes()).unwrap();
        let lines: Vec<u64> = r.rejected.iter().map(|x| x.line).collect();
        assert_eq!(lines, vec![3, 4, 5], "{:?}", r.rejected);
        assert!(r.rejected[1].reason.contains("votes"));
        assert!(r.rejected[2].reason.contains("district"));
        assert_eq!(r.races.len(), 1);
        assert_eq!(r.races[0].candidates.len(), 1);
    }

    #[test]
    fn missing_columns_refuse_the_file() {
        let err = read(&general("oh"), "county,candidate,votes\n".as_bytes()).unwrap_err();
        assert!(err.to_string().contains("office"));
    }
}
