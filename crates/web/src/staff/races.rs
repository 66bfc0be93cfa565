//! Organizer views joining races to recruits: uncontested seats with no recruit living in the
//! district, and recruits who live where a seat is uncontested; filterable by state and
//! chamber, exportable as CSV (the recruit export is audited like any export of people).

use std::collections::{BTreeSet, HashMap};

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::Response;
use downballot_domain::address::StateCode;
use downballot_races::{OfficeKind, Race};
use downballot_store::model::now_millis;
use downballot_store::races::Recruit;

use super::{Choice, Nav};
use crate::AppState;
use crate::auth::Staff;
use crate::error::PageError;
use crate::races::{RaceView, election_label, latest_by_state};

#[derive(serde::Deserialize, Default, Clone)]
pub struct GapQuery {
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub office: String,
}

impl GapQuery {
    fn query_string(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("state", &self.state)
            .append_pair("office", &self.office)
            .finish()
    }
}

/// An uncontested race in a state's latest election, with the recruits living there.
pub struct Gap {
    pub state: String,
    pub race: RaceView,
    pub office_slug: String,
    pub recruits: i64,
}

pub struct RecruitRow {
    pub recruit: Recruit,
    pub race: RaceView,
    pub state: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff_races.html")]
pub struct GapsPage {
    pub nav: Nav,
    pub query: GapQuery,
    pub states: Vec<Choice>,
    pub offices: Vec<Choice>,
    pub elections: Vec<String>,
    pub open_seats: Vec<Gap>,
    pub recruits: Vec<RecruitRow>,
    pub uncontested: usize,
}

impl GapsPage {
    pub fn export_href(&self, what: &str) -> String {
        format!("/staff/races/{what}.csv?{}", self.query.query_string())
    }
}

struct Gaps {
    states: Vec<Choice>,
    offices: Vec<Choice>,
    elections: Vec<String>,
    uncontested: Vec<Gap>,
    recruits: Vec<RecruitRow>,
}

async fn gaps(state: &AppState, q: &GapQuery) -> Result<Gaps, PageError> {
    let want_state = match q.state.trim() {
        "" => None,
        s => Some(
            StateCode::parse(s)
                .map_err(|_| PageError::BadRequest(format!("Unknown state {s:?}")))?
                .as_str()
                .to_ascii_lowercase(),
        ),
    };
    let want_office = match q.office.trim() {
        "" => None,
        o => Some(
            OfficeKind::parse(o)
                .ok_or_else(|| PageError::BadRequest(format!("Unknown office {o:?}")))?,
        ),
    };
    let all = state.store.all_races().await?;
    let latest = latest_by_state(&all);
    let mut states = Vec::new();
    let mut offices = BTreeSet::new();
    let mut elections = Vec::new();
    let mut chosen: Vec<&Race> = Vec::new();
    for (st, (election, races)) in &latest {
        let name = StateCode::parse(st).map(|s| s.name()).unwrap_or(st);
        states.push(Choice {
            value: st.to_uppercase(),
            label: name.to_string(),
        });
        if want_state.as_ref().is_some_and(|w| w != st) {
            continue;
        }
        elections.push(format!("{name}: {}", election_label(election)));
        for r in races {
            // Statewide offices have no district a recruit lives in; they are left out here.
            if r.office.is_statewide() {
                continue;
            }
            offices.insert((r.office.rank(), r.office.clone()));
            if want_office.as_ref().is_none_or(|o| *o == r.office)
                && r.competition().uncontested == Some(true)
            {
                chosen.push(r);
            }
        }
    }
    let counts = state.store.recruit_counts().await?;
    let uncontested: Vec<Gap> = chosen
        .iter()
        .map(|r| Gap {
            state: r.election.state.to_uppercase(),
            race: RaceView::of(r),
            office_slug: r.office.slug().to_string(),
            recruits: counts.get(&r.division).copied().unwrap_or(0),
        })
        .collect();
    let divisions: Vec<String> = chosen
        .iter()
        .map(|r| r.division.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let by_division: HashMap<&str, Vec<&Race>> = chosen.iter().fold(HashMap::new(), |mut m, r| {
        m.entry(r.division.as_str()).or_default().push(*r);
        m
    });
    let mut recruits = Vec::new();
    for rec in state.store.recruits_in(&divisions).await? {
        for r in by_division.get(rec.ocd_id.as_str()).into_iter().flatten() {
            recruits.push(RecruitRow {
                state: r.election.state.to_uppercase(),
                race: RaceView::of(r),
                recruit: rec.clone(),
            });
        }
    }
    Ok(Gaps {
        states,
        offices: offices
            .into_iter()
            .map(|(_, o)| Choice {
                value: o.slug().to_string(),
                label: o.label(),
            })
            .collect(),
        elections,
        uncontested,
        recruits,
    })
}

pub async fn show(
    staff: Staff,
    State(state): State<AppState>,
    Query(query): Query<GapQuery>,
) -> Result<GapsPage, PageError> {
    let g = gaps(&state, &query).await?;
    let count = g.uncontested.len();
    Ok(GapsPage {
        nav: Nav::new(&staff, "races"),
        query,
        states: g.states,
        offices: g.offices,
        elections: g.elections,
        open_seats: g
            .uncontested
            .into_iter()
            .filter(|x| x.recruits == 0)
            .collect(),
        recruits: g.recruits,
        uncontested: count,
    })
}

/// Uncontested seats with no recruit living in the district.
pub async fn open_seats_csv(
    _staff: Staff,
    State(state): State<AppState>,
    Query(query): Query<GapQuery>,
) -> Result<Response, PageError> {
    let g = gaps(&state, &query).await?;
    let mut rows = vec![
        [
            "state",
            "election",
            "office",
            "district",
            "division",
            "seats",
            "status",
            "candidates",
            "filing_deadline",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for x in g.uncontested.into_iter().filter(|x| x.recruits == 0) {
        rows.push(vec![
            x.state,
            x.race.election.clone(),
            x.office_slug,
            x.race.district.clone(),
            x.race.division.clone(),
            x.race.seats.clone(),
            x.race.status.to_string(),
            x.race.candidate_summary(),
            x.race.filing_deadline.clone().unwrap_or_default(),
        ]);
    }
    crate::view::csv_download("uncontested-seats-without-recruits.csv", rows)
}

/// Recruits who live where a seat is uncontested: personal data, so the export is audited.
pub async fn recruits_csv(
    staff: Staff,
    State(state): State<AppState>,
    Query(query): Query<GapQuery>,
) -> Result<Response, PageError> {
    let g = gaps(&state, &query).await?;
    state
        .store
        .audit(
            staff.user.user_id,
            "export",
            None,
            Some(format!(
                "recruits in uncontested districts ?{}",
                query.query_string()
            )),
            now_millis(),
        )
        .await?;
    let mut rows = vec![
        [
            "person_id",
            "name",
            "email",
            "state",
            "interest",
            "office",
            "district",
            "division",
            "status",
            "candidates",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for x in g.recruits {
        rows.push(vec![
            x.recruit.person_id.to_string(),
            x.recruit.name,
            x.recruit.email.unwrap_or_default(),
            x.state,
            x.recruit.interest,
            x.race.office.clone(),
            x.race.district.clone(),
            x.race.division.clone(),
            x.race.status.to_string(),
            x.race.candidate_summary(),
        ]);
    }
    crate::view::csv_download("recruits-in-uncontested-districts.csv", rows)
}
