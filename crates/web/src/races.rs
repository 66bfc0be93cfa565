//! Public race pages: the national tile map, a state's chambers, a chamber's races, one race.
//! Election results and filed candidates are public records; nothing about people is shown here.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use downballot_domain::address::StateCode;
use downballot_races::analysis::{OfficeSummary, total};
use downballot_races::{Election, ElectionKind, OfficeKind, Race, summarize};

use crate::AppState;
use crate::error::PageError;

/// A race as pages show it.
pub struct RaceView {
    pub href: String,
    pub election: String,
    pub office: String,
    pub district: String,
    /// The district as the source file wrote it (`CHT-6-2`), empty for native rows.
    pub source_district: String,
    pub division: String,
    pub seats: String,
    pub status: &'static str,
    /// `uncontested`, `two_party`, `one_party` or `unknown`: the row's class and filter key.
    pub class: &'static str,
    pub uncontested: bool,
    pub filing_deadline: Option<String>,
    pub candidates: Vec<CandidateView>,
}

pub struct CandidateView {
    pub name: String,
    /// `D/R`, `Ind`, or empty.
    pub lines: String,
    pub party_label: String,
    pub votes: Option<i64>,
    /// Share of the race's votes, `54.2%`.
    pub share: Option<String>,
    pub incumbent: bool,
}

impl RaceView {
    pub fn of(race: &Race) -> RaceView {
        let c = race.competition();
        let total: i64 = race.candidates.iter().filter_map(|c| c.votes).sum();
        RaceView {
            href: race_href(race),
            election: election_label(&race.election),
            office: race.office.label(),
            // The division's own key, so results (`CHT-6-2`) and native rows (an OCD-ID) read alike.
            district: if race.office.is_statewide() {
                "Statewide".into()
            } else {
                race.district_key()
            },
            source_district: race.district.clone(),
            division: race.division.clone(),
            seats: race
                .seats
                .map_or_else(|| "unknown".to_string(), |s| s.to_string()),
            status: c.status(),
            class: c.class(),
            uncontested: c.uncontested == Some(true),
            filing_deadline: race.filing_deadline.clone(),
            candidates: race
                .candidates
                .iter()
                .map(|cand| CandidateView {
                    name: cand.name.clone(),
                    lines: cand.lines_label(),
                    party_label: cand.party_label.clone(),
                    votes: cand.votes,
                    share: cand
                        .votes
                        .filter(|_| total > 0)
                        .map(|v| format!("{:.1}%", v as f64 * 100.0 / total as f64)),
                    incumbent: cand.incumbent == Some(true),
                })
                .collect(),
        }
    }

    /// `Kurt Wright (D/R), Jill Krowinski (D)`.
    pub fn candidate_summary(&self) -> String {
        if self.candidates.is_empty() {
            return "nobody".into();
        }
        self.candidates
            .iter()
            .map(|c| {
                if c.lines.is_empty() {
                    format!("{} (no party)", c.name)
                } else {
                    format!("{} ({})", c.name, c.lines)
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `/races/oh/oh-2016-11-08-general/state_house/12`.
pub fn race_href(race: &Race) -> String {
    format!(
        "/races/{}/{}/{}/{}",
        race.election.state,
        race.election.id(),
        race.office.slug(),
        race.district_key()
    )
}

/// `General election, 2016-11-08`.
pub fn election_label(e: &Election) -> String {
    let kind = match e.kind {
        ElectionKind::General => "General election",
        ElectionKind::Primary => "Primary",
        ElectionKind::Special => "Special election",
    };
    format!("{kind}, {}", e.date)
}

fn state_of(code: &str) -> Result<StateCode, PageError> {
    if code.len() != 2 {
        return Err(PageError::NotFound);
    }
    StateCode::parse(code).map_err(|_| PageError::NotFound)
}

/// Each state's most recent election day with races (general before special on the same day),
/// and its races.
pub fn latest_by_state(races: &[Race]) -> BTreeMap<String, (Election, Vec<&Race>)> {
    let mut latest: BTreeMap<String, Election> = BTreeMap::new();
    for r in races {
        let e = &r.election;
        let better = match latest.get(&e.state) {
            None => true,
            Some(cur) => {
                (e.date.as_str(), std::cmp::Reverse(e.kind))
                    > (cur.date.as_str(), std::cmp::Reverse(cur.kind))
            }
        };
        if better {
            latest.insert(e.state.clone(), e.clone());
        }
    }
    latest
        .into_iter()
        .map(|(st, e)| {
            let rs = races.iter().filter(|r| r.election == e).collect();
            (st, (e, rs))
        })
        .collect()
}

/// Standard tile-grid positions (column, row) of the 50 states and DC.
const TILES: &[(&str, u8, u8)] = &[
    ("AK", 0, 0),
    ("ME", 11, 0),
    ("VT", 10, 1),
    ("NH", 11, 1),
    ("WA", 1, 2),
    ("ID", 2, 2),
    ("MT", 3, 2),
    ("ND", 4, 2),
    ("MN", 5, 2),
    ("IL", 6, 2),
    ("WI", 7, 2),
    ("MI", 8, 2),
    ("NY", 9, 2),
    ("RI", 10, 2),
    ("MA", 11, 2),
    ("OR", 1, 3),
    ("NV", 2, 3),
    ("WY", 3, 3),
    ("SD", 4, 3),
    ("IA", 5, 3),
    ("IN", 6, 3),
    ("OH", 7, 3),
    ("PA", 8, 3),
    ("NJ", 9, 3),
    ("CT", 10, 3),
    ("CA", 1, 4),
    ("UT", 2, 4),
    ("CO", 3, 4),
    ("NE", 4, 4),
    ("MO", 5, 4),
    ("KY", 6, 4),
    ("WV", 7, 4),
    ("VA", 8, 4),
    ("MD", 9, 4),
    ("DE", 10, 4),
    ("AZ", 2, 5),
    ("NM", 3, 5),
    ("KS", 4, 5),
    ("AR", 5, 5),
    ("TN", 6, 5),
    ("NC", 7, 5),
    ("SC", 8, 5),
    ("DC", 9, 5),
    ("OK", 4, 6),
    ("LA", 5, 6),
    ("MS", 6, 6),
    ("AL", 7, 6),
    ("GA", 8, 6),
    ("HI", 0, 7),
    ("TX", 4, 7),
    ("FL", 9, 7),
];

/// Sequential colours for the share of seats uncontested (light: few; dark: many), with the
/// text colour that keeps 4.5:1 contrast on each.
const BINS: &[(f64, &str, &str, &str)] = &[
    (0.10, "#fee5d9", "#1a1a1a", "under 10%"),
    (0.25, "#fcae91", "#1a1a1a", "10–25%"),
    (0.40, "#fb6a4a", "#1a1a1a", "25–40%"),
    (0.60, "#cb181d", "#ffffff", "40–60%"),
    (1.01, "#67000d", "#ffffff", "60% or more"),
];
const NO_DATA: (&str, &str) = ("#e8e8e8", "#4a4a4a");
/// Races imported, but some seat counts unknown (multi-member districts without a seats file).
const SEATS_UNKNOWN: (&str, &str) = ("#9e9e9e", "#1a1a1a");

fn bin(share: f64) -> (&'static str, &'static str) {
    BINS.iter()
        .find(|(max, ..)| share < *max)
        .map_or((BINS[4].1, BINS[4].2), |(_, fill, text, _)| (fill, text))
}

/// One state on the national page.
pub struct StateRow {
    pub code: String,
    pub name: String,
    pub election: String,
    pub summary: OfficeSummary,
    pub share: Option<f64>,
}

impl StateRow {
    pub fn share_label(&self) -> String {
        self.share.map_or_else(
            || "unknown (seat counts missing)".into(),
            |s| format!("{:.0}%", s * 100.0),
        )
    }
}

/// The tile map as SVG: each state a square coloured by its share of seats uncontested, linked
/// to its page when it has data; a `<title>` on each for pointer and screen-reader users.
pub fn tile_map(rows: &[StateRow]) -> String {
    const S: u32 = 44;
    const GAP: u32 = 4;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" role=\"group\" aria-labelledby=\"map-title\" aria-describedby=\"map-desc\" class=\"tile-map\" id=\"tile-map\">\
         <title id=\"map-title\">Share of seats uncontested, by state</title>\
         <desc id=\"map-desc\">One square per state; darker means more seats with a single candidate. Grey states have no race data. The table below lists the same figures.</desc>",
        w = 12 * (S + GAP),
        h = 8 * (S + GAP)
    );
    for (code, col, row) in TILES {
        let x = u32::from(*col) * (S + GAP);
        let y = u32::from(*row) * (S + GAP);
        let data = rows.iter().find(|r| r.code == *code);
        let name = StateCode::parse(code).map(|s| s.name()).unwrap_or(code);
        let (fill, text, title, href) = match data.and_then(|d| d.share.map(|s| (d, s))) {
            Some((d, share)) => {
                let (fill, text) = bin(share);
                (
                    fill,
                    text,
                    format!(
                        "{name}: {} of {} seats uncontested ({:.0}%), {}",
                        d.summary.uncontested_seats,
                        d.summary.seats,
                        share * 100.0,
                        d.election
                    ),
                    Some(format!("/races/{}", code.to_ascii_lowercase())),
                )
            }
            None => match data {
                Some(d) => (
                    SEATS_UNKNOWN.0,
                    SEATS_UNKNOWN.1,
                    format!(
                        "{name}: {} races, seat counts unknown for {} (multi-member districts), {}",
                        d.summary.races, d.summary.seats_unknown, d.election
                    ),
                    Some(format!("/races/{}", code.to_ascii_lowercase())),
                ),
                None => (NO_DATA.0, NO_DATA.1, format!("{name}: no race data"), None),
            },
        };
        // A linked tile is named by its link's label; any other is an image with its own.
        let (wrap_open, wrap_close, name) = match &href {
            Some(h) => (
                format!("<a href=\"{h}\" aria-label=\"{title}\">"),
                "</a>",
                String::new(),
            ),
            None => (
                String::new(),
                "",
                format!(" role=\"img\" aria-label=\"{title}\""),
            ),
        };
        out.push_str(&format!(
            "{wrap_open}<g class=\"tile\" data-state=\"{code}\" data-fill=\"{fill}\"{name}><title>{title}</title>\
             <rect x=\"{x}\" y=\"{y}\" width=\"{S}\" height=\"{S}\" rx=\"4\" fill=\"{fill}\"/>\
             <text x=\"{tx}\" y=\"{ty}\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"600\" fill=\"{text}\" aria-hidden=\"true\">{code}</text></g>{wrap_close}",
            tx = x + S / 2,
            ty = y + S / 2 + 5,
        ));
    }
    out.push_str("</svg>");
    out
}

/// The legend: (fill, label).
pub fn legend() -> Vec<(&'static str, &'static str)> {
    let mut l: Vec<_> = BINS
        .iter()
        .map(|(_, fill, _, label)| (*fill, *label))
        .collect();
    l.push((SEATS_UNKNOWN.0, "seat counts unknown"));
    l.push((NO_DATA.0, "no data"));
    l
}

#[derive(Template, WebTemplate)]
#[template(path = "races_national.html")]
pub struct NationalPage {
    pub map: String,
    pub legend: Vec<(&'static str, &'static str)>,
    pub states: Vec<StateRow>,
    pub total: OfficeSummary,
}

pub async fn national(State(state): State<AppState>) -> Result<NationalPage, PageError> {
    let races = state.store.all_races().await?;
    let mut states = Vec::new();
    for (st, (election, rs)) in latest_by_state(&races) {
        let summary = total(&summarize(rs.iter().copied()));
        states.push(StateRow {
            name: StateCode::parse(&st)
                .map(|s| s.name().to_string())
                .unwrap_or_else(|_| st.to_uppercase()),
            code: st.to_uppercase(),
            election: election_label(&election),
            share: summary.uncontested_share(),
            summary,
        });
    }
    let total = total(states.iter().map(|s| &s.summary));
    Ok(NationalPage {
        map: tile_map(&states),
        legend: legend(),
        states,
        total,
    })
}

#[derive(serde::Deserialize, Default)]
pub struct StateQuery {
    #[serde(default)]
    pub election: String,
}

pub struct ElectionLink {
    pub id: String,
    pub label: String,
    pub races: i64,
    pub current: bool,
}

pub struct ChamberRow {
    pub href: String,
    pub label: String,
    pub s: OfficeSummary,
}

#[derive(Template, WebTemplate)]
#[template(path = "races_state.html")]
pub struct StatePage {
    pub code: String,
    pub name: String,
    pub elections: Vec<ElectionLink>,
    pub election: Option<String>,
    pub chambers: Vec<ChamberRow>,
}

pub async fn state_page(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<StateQuery>,
) -> Result<StatePage, PageError> {
    let st = state_of(&code)?;
    let lower = st.as_str().to_ascii_lowercase();
    let elections: Vec<_> = state
        .store
        .elections()
        .await?
        .into_iter()
        .filter(|e| e.election.state == lower)
        .collect();
    // The chosen election, else the latest general, else the latest.
    let chosen = elections
        .iter()
        .find(|e| e.election.id() == q.election)
        .or_else(|| {
            elections
                .iter()
                .find(|e| e.election.kind == ElectionKind::General)
        })
        .or_else(|| elections.first())
        .map(|e| e.election.clone());
    let mut chambers = Vec::new();
    if let Some(e) = &chosen {
        let races = state.store.election_races(&e.id()).await?;
        for s in summarize(&races) {
            chambers.push(ChamberRow {
                href: format!("/races/{lower}/{}/{}", e.id(), s.office),
                label: OfficeKind::parse(&s.office)
                    .map(|k| k.label())
                    .unwrap_or_default(),
                s,
            });
        }
    }
    Ok(StatePage {
        code: st.as_str().to_string(),
        name: st.name().to_string(),
        elections: elections
            .iter()
            .map(|e| ElectionLink {
                id: e.election.id(),
                label: election_label(&e.election),
                races: e.races,
                current: Some(&e.election) == chosen.as_ref(),
            })
            .collect(),
        election: chosen.as_ref().map(election_label),
        chambers,
    })
}

#[derive(serde::Deserialize, Default)]
pub struct ChamberQuery {
    /// `uncontested`, `two_party`, `one_party`, `unknown` or empty for all.
    #[serde(default)]
    pub show: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "races_chamber.html")]
pub struct ChamberPage {
    pub code: String,
    pub name: String,
    pub state_href: String,
    pub election: String,
    pub office: String,
    pub base_href: String,
    pub show: String,
    pub s: OfficeSummary,
    pub races: Vec<RaceView>,
}

async fn election_races(
    state: &AppState,
    code: &str,
    election_id: &str,
) -> Result<(StateCode, Vec<Race>), PageError> {
    let st = state_of(code)?;
    if !election_id.starts_with(&format!("{}-", st.as_str().to_ascii_lowercase())) {
        return Err(PageError::NotFound);
    }
    let races = state.store.election_races(election_id).await?;
    if races.is_empty() {
        return Err(PageError::NotFound);
    }
    Ok((st, races))
}

pub async fn chamber(
    State(state): State<AppState>,
    Path((code, election_id, office)): Path<(String, String, String)>,
    Query(q): Query<ChamberQuery>,
) -> Result<ChamberPage, PageError> {
    let (st, races) = election_races(&state, &code, &election_id).await?;
    let races: Vec<Race> = races
        .into_iter()
        .filter(|r| r.office.slug() == office)
        .collect();
    let first = races.first().ok_or(PageError::NotFound)?;
    let s = summarize(&races).pop().unwrap_or_default();
    let show = match q.show.as_str() {
        "" | "all" => String::new(),
        k @ ("uncontested" | "two_party" | "one_party" | "unknown") => k.to_string(),
        other => return Err(PageError::BadRequest(format!("Unknown filter {other:?}"))),
    };
    Ok(ChamberPage {
        code: st.as_str().to_string(),
        name: st.name().to_string(),
        state_href: format!(
            "/races/{}?election={election_id}",
            st.as_str().to_ascii_lowercase()
        ),
        election: election_label(&first.election),
        office: first.office.label(),
        base_href: format!(
            "/races/{}/{election_id}/{office}",
            st.as_str().to_ascii_lowercase()
        ),
        races: races
            .iter()
            .map(RaceView::of)
            .filter(|r| show.is_empty() || r.class == show)
            .collect(),
        show,
        s,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "race.html")]
pub struct RacePage {
    pub code: String,
    pub name: String,
    pub chamber_href: String,
    pub division_name: Option<String>,
    pub r: RaceView,
}

pub async fn race(
    State(state): State<AppState>,
    Path((code, election_id, office, district)): Path<(String, String, String, String)>,
) -> Result<RacePage, PageError> {
    let st = state_of(&code)?;
    let race = state
        .store
        .race(&format!("{election_id}/{office}/{district}"))
        .await?
        .filter(|r| r.election.state == st.as_str().to_ascii_lowercase())
        .ok_or(PageError::NotFound)?;
    let names = state
        .store
        .division_names(std::slice::from_ref(&race.division))
        .await?;
    Ok(RacePage {
        code: st.as_str().to_string(),
        name: st.name().to_string(),
        chamber_href: format!(
            "/races/{}/{election_id}/{office}",
            st.as_str().to_ascii_lowercase()
        ),
        division_name: names.get(&race.division).cloned(),
        r: RaceView::of(&race),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_and_dc_has_one_tile() {
        assert_eq!(TILES.len(), 51);
        let mut seen = std::collections::HashSet::new();
        for (code, col, row) in TILES {
            assert!(StateCode::parse(code).is_ok(), "{code}");
            assert!(seen.insert((col, row)), "{code} overlaps");
        }
    }

    #[test]
    fn tiles_link_states_with_data_and_grey_the_rest() {
        let rows = vec![StateRow {
            code: "OH".into(),
            name: "Ohio".into(),
            election: "General election, 2016-11-08".into(),
            summary: OfficeSummary {
                seats: 100,
                uncontested_seats: 25,
                ..OfficeSummary::default()
            },
            share: Some(0.25),
        }];
        let svg = tile_map(&rows);
        assert!(svg.contains(
            "<a href=\"/races/oh\" aria-label=\"Ohio: 25 of 100 seats uncontested (25%)"
        ));
        assert!(svg.contains("Ohio: 25 of 100 seats uncontested (25%)"));
        assert!(svg.contains("data-state=\"OH\" data-fill=\"#fb6a4a\""));
        assert!(svg.contains("data-state=\"TX\" data-fill=\"#e8e8e8\""));
        assert!(svg.contains("role=\"img\" aria-label=\"Texas: no race data\""));
        assert_eq!(svg.matches("<a href=").count(), 1);
    }
}
