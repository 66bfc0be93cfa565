//! The partner portal: a partner's users see only their own referrals — the list with filters,
//! one person limited to what they agreed to share, stage updates one by one or by CSV upload,
//! and a CSV export. Every view of a person is audited.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use downballot_domain::address::StateCode;
use downballot_domain::partner::Stage;
use downballot_store::model::{Millis, now_millis};
use downballot_store::partners::{Referral, ReferralFilter, StageChange, day_of};
use uuid::Uuid;

use crate::AppState;
use crate::auth::PartnerUser;
use crate::error::PageError;

pub struct PortalNav {
    pub email: String,
    pub partner: String,
    pub current: &'static str,
}

async fn nav(
    state: &AppState,
    user: &PartnerUser,
    current: &'static str,
) -> Result<PortalNav, PageError> {
    let partner = state
        .store
        .partner(user.partner_id)
        .await?
        .ok_or(PageError::Forbidden)?;
    Ok(PortalNav {
        email: user.user.email.clone(),
        partner: partner.name,
        current,
    })
}

#[derive(serde::Deserialize, Default, Clone)]
pub struct PortalQuery {
    #[serde(default)]
    pub stage: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    /// `1`: new referrals only, oldest first.
    #[serde(default)]
    pub waiting: String,
}

impl PortalQuery {
    fn filter(&self) -> Result<ReferralFilter, String> {
        let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let day = |s: &str, name: &str| -> Result<Option<Millis>, String> {
            some(s)
                .map(|d| {
                    crate::view::parse_day(&d)
                        .ok_or_else(|| format!("{name} must be a date (YYYY-MM-DD)"))
                })
                .transpose()
        };
        Ok(ReferralFilter {
            stage: some(&self.stage)
                .map(|s| Stage::parse(&s).ok_or_else(|| format!("Unknown stage {s:?}")))
                .transpose()?,
            region: some(&self.state)
                .map(|s| {
                    StateCode::parse(&s)
                        .map(|c| c.as_str().to_owned())
                        .map_err(|_| format!("Unknown state {s:?}"))
                })
                .transpose()?,
            from: day(&self.from, "From")?,
            to: day(&self.to, "To")?.map(|t| t + 86_400_000),
            modified_since: None,
            waiting: self.waiting == "1",
            limit: 1000,
            offset: 0,
        })
    }

    fn query_string(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("stage", &self.stage)
            .append_pair("state", &self.state)
            .append_pair("from", &self.from)
            .append_pair("to", &self.to)
            .append_pair("waiting", &self.waiting)
            .finish()
    }
}

pub struct Row {
    pub r: Referral,
    pub days_waiting: Option<i64>,
}

#[derive(Template, WebTemplate)]
#[template(path = "portal_list.html")]
pub struct ListPage {
    pub nav: PortalNav,
    pub query: PortalQuery,
    pub error: Option<String>,
    pub rows: Vec<Row>,
    pub stages: &'static [Stage],
}

impl ListPage {
    pub fn export_href(&self) -> String {
        format!("/partner/referrals.csv?{}", self.query.query_string())
    }
}

pub async fn list(
    user: PartnerUser,
    State(state): State<AppState>,
    Query(query): Query<PortalQuery>,
) -> Result<ListPage, PageError> {
    let nav = nav(&state, &user, "referrals").await?;
    let (rows, error) = match query.filter() {
        Ok(f) => (
            state.store.partner_referrals(user.partner_id, &f).await?,
            None,
        ),
        Err(e) => (Vec::new(), Some(e)),
    };
    let now = now_millis();
    Ok(ListPage {
        nav,
        query,
        error,
        rows: rows
            .into_iter()
            .map(|r| Row {
                days_waiting: (r.stage == Stage::New).then(|| (now - r.created_at) / 86_400_000),
                r,
            })
            .collect(),
        stages: Stage::ALL,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "portal_person.html")]
pub struct PersonPage {
    pub nav: PortalNav,
    pub r: Referral,
    pub history: Vec<StageChange>,
    pub stages: &'static [Stage],
    pub today: String,
    pub error: Option<String>,
}

fn parse_id(s: &str) -> Result<Uuid, PageError> {
    Uuid::parse_str(s).map_err(|_| PageError::NotFound)
}

pub async fn person(
    user: PartnerUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<PersonPage, PageError> {
    let id = parse_id(&id)?;
    let (r, history) = state
        .store
        .partner_referral(user.partner_id, id)
        .await?
        .ok_or(PageError::NotFound)?;
    state
        .store
        .audit(
            user.user.user_id,
            "partner_view_person",
            Some(r.person_id),
            Some(format!("referral {}", r.referral_id)),
            now_millis(),
        )
        .await?;
    Ok(PersonPage {
        nav: nav(&state, &user, "referrals").await?,
        r,
        history,
        stages: Stage::ALL,
        today: day_of(now_millis()),
        error: None,
    })
}

/// A stage, a date (default today, not in the future) and a note, checked.
pub fn parse_stage_change(
    stage: &str,
    date: &str,
    note: &str,
) -> Result<(Stage, String, Option<String>), String> {
    let stage = Stage::parse(stage).ok_or_else(|| format!("Unknown stage {stage:?}"))?;
    let date = match date.trim() {
        "" => day_of(now_millis()),
        d => {
            let ms =
                crate::view::parse_day(d).ok_or_else(|| format!("Date {d:?} is not YYYY-MM-DD"))?;
            if ms > now_millis() {
                return Err(format!("Date {d} is in the future"));
            }
            d.to_owned()
        }
    };
    let note = Some(note.trim().to_owned()).filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > 2000) {
        return Err("The note is longer than 2,000 characters".into());
    }
    Ok((stage, date, note))
}

pub async fn set_stage(
    user: PartnerUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let (mut stage, mut date, mut note) = (String::new(), String::new(), String::new());
    for (k, v) in form_urlencoded::parse(&body) {
        match k.as_ref() {
            "stage" => stage = v.into_owned(),
            "date" => date = v.into_owned(),
            "note" => note = v.into_owned(),
            _ => {}
        }
    }
    match parse_stage_change(&stage, &date, &note) {
        Ok((stage, date, note)) => {
            let ok = state
                .store
                .set_stage(
                    user.partner_id,
                    id,
                    stage,
                    &date,
                    note.as_deref(),
                    Some(user.user.user_id),
                    None,
                    now_millis(),
                )
                .await?;
            if !ok {
                return Err(PageError::NotFound);
            }
            Ok(Redirect::to(&format!("/partner/referrals/{id}#history")).into_response())
        }
        Err(e) => {
            let (r, history) = state
                .store
                .partner_referral(user.partner_id, id)
                .await?
                .ok_or(PageError::NotFound)?;
            Ok((
                axum::http::StatusCode::BAD_REQUEST,
                PersonPage {
                    nav: nav(&state, &user, "referrals").await?,
                    r,
                    history,
                    stages: Stage::ALL,
                    today: day_of(now_millis()),
                    error: Some(e),
                },
            )
                .into_response())
        }
    }
}

pub const EXPORT_HEADER: [&str; 14] = [
    "referral_id",
    "given_name",
    "family_name",
    "email",
    "phone",
    "locality",
    "state",
    "postal_code",
    "interest",
    "offices",
    "stage",
    "stage_date",
    "referred_at",
    "source",
];

pub async fn export(
    user: PartnerUser,
    State(state): State<AppState>,
    Query(query): Query<PortalQuery>,
) -> Result<Response, PageError> {
    let filter = query.filter().map_err(PageError::BadRequest)?;
    let rows = state
        .store
        .partner_referrals(user.partner_id, &filter)
        .await?;
    state
        .store
        .audit(
            user.user.user_id,
            "export",
            None,
            Some(format!("partner referrals.csv ({} rows)", rows.len())),
            now_millis(),
        )
        .await?;
    let mut out = vec![EXPORT_HEADER.map(String::from).to_vec()];
    for r in rows {
        let p = &r.person;
        out.push(vec![
            r.referral_id.to_string(),
            p.given_name.clone(),
            p.family_name.clone().unwrap_or_default(),
            p.email.clone().unwrap_or_default(),
            p.phone.clone().unwrap_or_default(),
            p.locality.clone().unwrap_or_default(),
            p.region.clone(),
            p.postal_code.clone(),
            p.interest.clone(),
            p.offices.clone().unwrap_or_default(),
            r.stage.as_str().to_owned(),
            r.stage_date.clone(),
            day_of(r.created_at),
            r.source.clone().unwrap_or_default(),
        ]);
    }
    crate::view::csv_download("referrals.csv", out)
}

#[derive(Template, WebTemplate)]
#[template(path = "portal_upload.html")]
pub struct UploadPage {
    pub nav: PortalNav,
    pub error: Option<String>,
    pub updated: Option<usize>,
    pub rejected: Vec<(u64, String)>,
}

pub async fn upload_form(
    user: PartnerUser,
    State(state): State<AppState>,
) -> Result<UploadPage, PageError> {
    Ok(UploadPage {
        nav: nav(&state, &user, "upload").await?,
        error: None,
        updated: None,
        rejected: Vec::new(),
    })
}

/// `email,stage,date,note`: every line is checked; good lines are applied, every refused line
/// is reported with its number and reason.
pub async fn upload(
    user: PartnerUser,
    State(state): State<AppState>,
    mut multipart: Multipart,
) -> Result<UploadPage, PageError> {
    let mut data = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| PageError::BadRequest(format!("The upload could not be read: {e}")))?
    {
        if field.name() == Some("file") {
            data = Some(field.bytes().await.map_err(|e| {
                PageError::BadRequest(format!("The upload could not be read: {e}"))
            })?);
        }
    }
    let mut page = UploadPage {
        nav: nav(&state, &user, "upload").await?,
        error: None,
        updated: None,
        rejected: Vec::new(),
    };
    let Some(data) = data.filter(|d| !d.is_empty()) else {
        page.error = Some("Choose a CSV file with the columns email,stage,date,note.".into());
        return Ok(page);
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(&data[..]);
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h
            .iter()
            .map(|c| c.trim_start_matches('\u{feff}').to_ascii_lowercase())
            .collect(),
        Err(e) => {
            page.error = Some(format!("The file is not CSV: {e}"));
            return Ok(page);
        }
    };
    let col = |n: &str| header.iter().position(|h| h == n);
    let (Some(email), Some(stage)) = (col("email"), col("stage")) else {
        page.error = Some(
            "The header must name at least the columns email and stage (then date and note)."
                .into(),
        );
        return Ok(page);
    };
    let (date, note) = (col("date"), col("note"));
    let mut updated = 0;
    for (i, rec) in reader.records().enumerate() {
        let line = i as u64 + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                page.rejected.push((line, format!("unreadable: {e}")));
                continue;
            }
        };
        let get = |c: Option<usize>| c.and_then(|c| rec.get(c)).unwrap_or("").to_owned();
        let change = parse_stage_change(&get(Some(stage)), &get(date), &get(note));
        let (stage, date, note) = match change {
            Ok(c) => c,
            Err(e) => {
                page.rejected.push((line, e));
                continue;
            }
        };
        let addr = get(Some(email));
        let Some(referral) = state
            .store
            .partner_referral_by_email(user.partner_id, addr.trim())
            .await?
        else {
            page.rejected.push((
                line,
                format!("no referral of yours has the e-mail {addr:?}"),
            ));
            continue;
        };
        state
            .store
            .set_stage(
                user.partner_id,
                referral,
                stage,
                &date,
                note.as_deref(),
                Some(user.user.user_id),
                None,
                now_millis(),
            )
            .await?;
        updated += 1;
    }
    page.updated = Some(updated);
    Ok(page)
}
