//! One person: everything we hold, every submission, consents and merge candidates.
//! Every view is written to the audit log before the page is sent.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use downballot_store::model::{PersonDetail, now_millis};
use uuid::Uuid;

use super::Nav;
use crate::AppState;
use crate::auth::Staff;
use crate::error::PageError;

#[derive(Template, WebTemplate)]
#[template(path = "person.html")]
pub struct PersonPage {
    pub nav: Nav,
    pub p: PersonDetail,
    /// Races in the person's districts and statewide, newest election first.
    pub races: Vec<crate::races::RaceView>,
    /// Referrals to partners (revoked ones too), with their stage histories.
    pub referrals: Vec<(
        downballot_store::partners::Referral,
        Vec<downballot_store::partners::StageChange>,
    )>,
}

impl PersonPage {
    /// (channel, label, currently given) for the consent table.
    pub fn consent_rows(&self) -> Vec<(&'static str, &'static str, bool)> {
        let p = &self.p.person;
        vec![
            ("email", "E-mail", p.consent_email),
            ("sms", "Text messages", p.consent_sms),
            ("share", "Share with partner organizations", p.consent_share),
        ]
    }
}

fn parse_id(s: &str) -> Result<Uuid, PageError> {
    Uuid::parse_str(s).map_err(|_| PageError::NotFound)
}

pub async fn show(
    staff: Staff,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let detail = state
        .store
        .person_detail(id)
        .await?
        .ok_or(PageError::NotFound)?;
    if let Some(survivor) = detail.person.merged_into {
        return Ok(Redirect::to(&format!("/staff/people/{survivor}")).into_response());
    }
    state
        .store
        .audit(
            staff.user.user_id,
            "view_person",
            Some(id),
            None,
            now_millis(),
        )
        .await?;
    // The divisions and state are on the page already: no second look-up.
    let divisions: Vec<String> = detail.divisions.iter().map(|d| d.ocd_id.clone()).collect();
    let races = state
        .store
        .races_where_living(&divisions, Some(&detail.person.region))
        .await?
        .iter()
        .map(crate::races::RaceView::of)
        .collect();
    let referrals = state.store.person_referrals(id).await?;
    Ok(PersonPage {
        nav: Nav::new(&staff, "people"),
        p: detail,
        races,
        referrals,
    }
    .into_response())
}

pub async fn withdraw_consent(
    staff: Staff,
    State(state): State<AppState>,
    Path((id, channel)): Path<(String, String)>,
) -> Result<Redirect, PageError> {
    let id = parse_id(&id)?;
    let channel: &'static str = match channel.as_str() {
        "email" => "email",
        "sms" => "sms",
        "share" => "share",
        _ => return Err(PageError::NotFound),
    };
    let text = format!(
        "The person withdrew consent ({channel}); recorded by {}",
        staff.user.email
    );
    state
        .store
        .withdraw_consent(id, channel, &text, staff.user.user_id, now_millis())
        .await?;
    Ok(Redirect::to(&format!("/staff/people/{id}#consents")))
}

pub async fn merge(
    staff: Staff,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Redirect, PageError> {
    let id = parse_id(&id)?;
    let keep = state
        .store
        .merge(id, staff.user.user_id, now_millis())
        .await?;
    Ok(Redirect::to(&format!("/staff/people/{keep}")))
}

pub async fn dismiss(
    staff: Staff,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Redirect, PageError> {
    let id = parse_id(&id)?;
    let c = state
        .store
        .merge_candidate(id)
        .await?
        .ok_or(PageError::NotFound)?;
    state
        .store
        .dismiss_merge(id, staff.user.user_id, now_millis())
        .await?;
    Ok(Redirect::to(&format!(
        "/staff/people/{}#merges",
        c.person_id
    )))
}
