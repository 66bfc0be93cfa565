//! Races in the database: elections, races and candidates; imports that only write what
//! changed (so re-importing a file changes nothing); and the joins to people by division.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Context, Result};
use downballot_races::{Candidate, Election, ElectionKind, OfficeKind, Party, Race};
use uuid::Uuid;

use crate::Store;
use crate::model::Millis;
use crate::sql::placeholders;
use crate::value::{RowAccess, Statement, Value};

/// What an import did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RaceImportCounts {
    pub added: usize,
    pub changed: usize,
    pub unchanged: usize,
}

/// An election and how many races it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElectionRow {
    pub election: Election,
    pub races: i64,
}

/// A recruit (interest run or both) living in a division.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recruit {
    pub ocd_id: String,
    pub person_id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub region: String,
    pub interest: String,
}

const RACE_COLUMNS: &str = "r.race_id, e.state, e.election_date, e.kind, r.office, r.ocd_id, r.district, r.seats, r.filing_deadline";

fn election_of(r: &dyn RowAccess, at: usize) -> Result<Election> {
    let kind = r.req_text(at + 2)?;
    Ok(Election {
        state: r.req_text(at)?,
        date: r.req_text(at + 1)?,
        kind: ElectionKind::parse(&kind).with_context(|| format!("election kind {kind:?}"))?,
    })
}

fn race_of(r: &dyn RowAccess) -> Result<(String, Race)> {
    let office = r.req_text(4)?;
    Ok((
        r.req_text(0)?,
        Race {
            election: election_of(r, 1)?,
            office: OfficeKind::parse(&office).with_context(|| format!("office {office:?}"))?,
            division: r.req_text(5)?,
            district: r.req_text(6)?,
            seats: r.int(7)?.map(|s| s as u32),
            filing_deadline: r.text(8)?,
            candidates: Vec::new(),
        },
    ))
}

fn lines_text(c: &Candidate) -> String {
    c.lines
        .iter()
        .map(Party::slug)
        .collect::<Vec<_>>()
        .join("/")
}

fn incumbent_text(i: Option<bool>) -> Option<&'static str> {
    i.map(|b| if b { "yes" } else { "no" })
}

impl Store {
    /// Writes races, each replacing the stored race with the same key (election, office,
    /// division) when it differs; identical races are left untouched. Races already stored
    /// but absent from `races` stay (a file may hold only some offices).
    pub async fn import_races(
        &self,
        races: &[Race],
        source: &str,
        now: Millis,
    ) -> Result<RaceImportCounts> {
        let mut counts = RaceImportCounts::default();
        let mut elections: BTreeMap<String, &Election> = BTreeMap::new();
        for r in races {
            elections.insert(r.election.id(), &r.election);
        }
        let mut existing: HashMap<String, Race> = HashMap::new();
        for id in elections.keys() {
            for race in self.election_races(id).await? {
                existing.insert(race.id(), race);
            }
        }
        let mut statements = Vec::new();
        for (id, e) in &elections {
            statements.push(Statement::new(
                "INSERT INTO election (election_id, state, election_date, kind, updated_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (election_id) DO NOTHING",
                vec![
                    id.clone().into(),
                    e.state.clone().into(),
                    e.date.clone().into(),
                    e.kind.slug().into(),
                    now.into(),
                ],
            ));
        }
        for race in races {
            let id = race.id();
            match existing.get(&id) {
                Some(old) if old == race => {
                    counts.unchanged += 1;
                    continue;
                }
                Some(_) => {
                    counts.changed += 1;
                    statements.push(Statement::new(
                        "DELETE FROM candidate WHERE race_id = $1",
                        vec![id.clone().into()],
                    ));
                    statements.push(Statement::new(
                        "DELETE FROM race WHERE race_id = $1",
                        vec![id.clone().into()],
                    ));
                }
                None => counts.added += 1,
            }
            statements.push(Statement::new(
                "INSERT INTO race (race_id, election_id, office, ocd_id, district, seats, filing_deadline, source, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                vec![
                    id.clone().into(),
                    race.election.id().into(),
                    race.office.slug().into(),
                    race.division.clone().into(),
                    race.district.clone().into(),
                    race.seats.map(i64::from).into(),
                    race.filing_deadline.clone().into(),
                    source.into(),
                    now.into(),
                ],
            ));
            for (pos, c) in race.candidates.iter().enumerate() {
                statements.push(Statement::new(
                    "INSERT INTO candidate (race_id, position, name, lines, party_label, incumbent, votes) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    vec![
                        id.clone().into(),
                        (pos as i64).into(),
                        c.name.clone().into(),
                        lines_text(c).into(),
                        c.party_label.clone().into(),
                        incumbent_text(c.incumbent).into(),
                        c.votes.into(),
                    ],
                ));
            }
        }
        if counts.added + counts.changed > 0 {
            for id in elections.keys() {
                statements.push(Statement::new(
                    "UPDATE election SET updated_at = $2 WHERE election_id = $1",
                    vec![id.clone().into(), now.into()],
                ));
            }
        }
        self.transaction(statements).await?;
        Ok(counts)
    }

    /// Every election with its race count, newest first.
    pub async fn elections(&self) -> Result<Vec<ElectionRow>> {
        self.query(
            "SELECT e.state, e.election_date, e.kind, (SELECT COUNT(*) FROM race r WHERE r.election_id = e.election_id) \
             FROM election e ORDER BY e.election_date DESC, e.state, e.kind"
                .into(),
            vec![],
            |r| {
                Ok(ElectionRow {
                    election: election_of(r, 0)?,
                    races: r.req_int(3)?,
                })
            },
        )
        .await
    }

    /// The races of one election, with candidates, in office then district order.
    pub async fn election_races(&self, election_id: &str) -> Result<Vec<Race>> {
        self.races_where("r.election_id = $1", vec![election_id.into()])
            .await
    }

    /// One race by its key.
    pub async fn race(&self, race_id: &str) -> Result<Option<Race>> {
        Ok(self
            .races_where("r.race_id = $1", vec![race_id.into()])
            .await?
            .into_iter()
            .next())
    }

    /// Every race whose division is one of `ocd_ids` (a person's districts), newest first.
    pub async fn races_in_divisions(&self, ocd_ids: &[String]) -> Result<Vec<Race>> {
        if ocd_ids.is_empty() {
            return Ok(Vec::new());
        }
        let clause = format!("r.ocd_id IN ({})", placeholders(ocd_ids.len()));
        let params = ocd_ids.iter().map(|s| s.clone().into()).collect();
        self.races_where(&clause, params).await
    }

    /// The races where a person lives: their districts' and their state's (statewide offices),
    /// newest election first.
    pub async fn person_races(&self, person_id: Uuid) -> Result<Vec<Race>> {
        let divisions: Vec<String> = self
            .person_divisions(person_id)
            .await?
            .into_iter()
            .map(|d| d.ocd_id)
            .collect();
        let region = self
            .query_one(
                "SELECT region FROM person WHERE person_id = $1".into(),
                vec![person_id.into()],
                |r| r.req_text(0),
            )
            .await?;
        self.races_where_living(&divisions, region.as_deref()).await
    }

    /// The races in these divisions and, given a state code, that state's statewide races.
    pub async fn races_where_living(
        &self,
        divisions: &[String],
        region: Option<&str>,
    ) -> Result<Vec<Race>> {
        let mut ids = divisions.to_vec();
        if let Some(region) = region {
            ids.push(format!(
                "ocd-division/country:us/state:{}",
                region.to_ascii_lowercase()
            ));
        }
        self.races_in_divisions(&ids).await
    }

    /// Every stored race (the national map and organizer views; thousands, not millions).
    pub async fn all_races(&self) -> Result<Vec<Race>> {
        self.races_where("1 = 1", vec![]).await
    }

    async fn races_where(&self, clause: &str, params: Vec<Value>) -> Result<Vec<Race>> {
        let rows = self
            .query(
                format!(
                    "SELECT {RACE_COLUMNS} FROM race r JOIN election e ON e.election_id = r.election_id \
                     WHERE {clause} ORDER BY e.election_date DESC, r.race_id"
                ),
                params.clone(),
                race_of,
            )
            .await?;
        let cands = self
            .query(
                format!(
                    "SELECT c.race_id, c.name, c.lines, c.party_label, c.incumbent, c.votes FROM candidate c \
                     JOIN race r ON r.race_id = c.race_id WHERE {clause} ORDER BY c.race_id, c.position"
                ),
                params,
                |r| {
                    let lines = r.req_text(2)?;
                    Ok((
                        r.req_text(0)?,
                        Candidate {
                            name: r.req_text(1)?,
                            lines: lines
                                .split('/')
                                .filter(|s| !s.is_empty())
                                .map(Party::from_slug)
                                .collect(),
                            party_label: r.req_text(3)?,
                            incumbent: r.text(4)?.map(|s| s == "yes"),
                            votes: r.int(5)?,
                        },
                    ))
                },
            )
            .await?;
        let mut by_race: HashMap<String, Vec<Candidate>> = HashMap::new();
        for (id, c) in cands {
            by_race.entry(id).or_default().push(c);
        }
        let mut races: Vec<Race> = rows
            .into_iter()
            .map(|(id, mut race)| {
                race.candidates = by_race.remove(&id).unwrap_or_default();
                race
            })
            .collect();
        // Districts in natural order: 2 before 10.
        races.sort_by(|a, b| {
            b.election
                .date
                .cmp(&a.election.date)
                .then(a.election.state.cmp(&b.election.state))
                .then(a.election.kind.cmp(&b.election.kind))
                .then(a.office.rank().cmp(&b.office.rank()))
                .then(a.office.cmp(&b.office))
                .then_with(|| natural_key(&a.district_key()).cmp(&natural_key(&b.district_key())))
        });
        Ok(races)
    }

    /// The catalog's names of `ocd_ids` (those it knows).
    pub async fn division_names(&self, ocd_ids: &[String]) -> Result<HashMap<String, String>> {
        if ocd_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = self
            .query(
                format!(
                    "SELECT ocd_id, name FROM division WHERE ocd_id IN ({})",
                    placeholders(ocd_ids.len())
                ),
                ocd_ids.iter().map(|s| s.clone().into()).collect(),
                |r| Ok((r.req_text(0)?, r.req_text(1)?)),
            )
            .await?;
        Ok(rows.into_iter().collect())
    }

    /// How many recruits (interest run or both) live in each division.
    pub async fn recruit_counts(&self) -> Result<HashMap<String, i64>> {
        let rows = self
            .query(
                "SELECT pd.ocd_id, COUNT(DISTINCT p.person_id) FROM person_division pd \
                 JOIN person p ON p.person_id = pd.person_id \
                 WHERE p.merged_into IS NULL AND p.interest IN ('run', 'both') GROUP BY pd.ocd_id"
                    .into(),
                vec![],
                |r| Ok((r.req_text(0)?, r.req_int(1)?)),
            )
            .await?;
        Ok(rows.into_iter().collect())
    }

    /// The recruits (interest run or both) living in any of `ocd_ids`, one row per
    /// (division, person).
    pub async fn recruits_in(&self, ocd_ids: &[String]) -> Result<Vec<Recruit>> {
        if ocd_ids.is_empty() {
            return Ok(Vec::new());
        }
        self.query(
            format!(
                "SELECT pd.ocd_id, p.person_id, p.given_name, p.family_name, p.email, p.region, p.interest \
                 FROM person_division pd JOIN person p ON p.person_id = pd.person_id \
                 WHERE p.merged_into IS NULL AND p.interest IN ('run', 'both') AND pd.ocd_id IN ({}) \
                 ORDER BY pd.ocd_id, p.given_name, p.person_id",
                placeholders(ocd_ids.len())
            ),
            ocd_ids.iter().map(|s| s.clone().into()).collect(),
            |r| {
                let given = r.req_text(2)?;
                Ok(Recruit {
                    ocd_id: r.req_text(0)?,
                    person_id: r.uuid(1)?.context("person_id")?,
                    name: match r.text(3)? {
                        Some(f) => format!("{given} {f}"),
                        None => given,
                    },
                    email: r.text(4)?,
                    region: r.req_text(5)?,
                    interest: r.req_text(6)?,
                })
            },
        )
        .await
    }
}

/// Sorts `2` before `10` and `chittenden-6-2` before `chittenden-10-1`.
pub fn natural_key(s: &str) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    let mut num = String::new();
    let mut text = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            if !text.is_empty() {
                out.push((u64::MAX, std::mem::take(&mut text)));
            }
            num.push(c);
        } else {
            if !num.is_empty() {
                out.push((num.parse().unwrap_or(u64::MAX), String::new()));
                num.clear();
            }
            text.push(c);
        }
    }
    if !num.is_empty() {
        out.push((num.parse().unwrap_or(u64::MAX), String::new()));
    }
    if !text.is_empty() {
        out.push((u64::MAX, text));
    }
    out
}
