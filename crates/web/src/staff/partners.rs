//! Partners for staff: the funnel per partner and per state, the referrals waiting longest for
//! a first contact (organizers and admins); creating and editing partners, their users and API
//! tokens, and the webhook outbox (admins).

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use downballot_domain::address::StateCode;
use downballot_domain::contact::Email;
use downballot_domain::partner::{Eligibility, Offer, ShareMode, Stage, parse_list, parse_slug};
use downballot_domain::signup::{Interest, Office};
use downballot_store::model::{StaffUser, now_millis};
use downballot_store::partners::{ApiToken, FunnelRow, OutboxEvent, Partner, PartnerInput};
use uuid::Uuid;

use super::Nav;
use crate::AppState;
use crate::auth::{Staff, hash_password};
use crate::error::PageError;

/// Counts at each stage, and the median days from sign-up to first contact.
pub struct Funnel {
    pub label: String,
    pub counts: Vec<usize>,
    pub total: usize,
    pub median_days: Option<f64>,
}

fn funnel<'a>(label: String, rows: impl Iterator<Item = &'a FunnelRow>) -> Funnel {
    let mut counts = vec![0; Stage::ALL.len()];
    let mut days = Vec::new();
    let mut total = 0;
    for r in rows {
        total += 1;
        if let Some(i) = Stage::ALL.iter().position(|s| *s == r.stage) {
            counts[i] += 1;
        }
        if let Some(c) = r.first_contact_at {
            days.push((c - r.signed_up_at) as f64 / 86_400_000.0);
        }
    }
    days.sort_by(f64::total_cmp);
    let median_days = match days.len() {
        0 => None,
        n if n % 2 == 1 => Some(days[n / 2]),
        n => Some((days[n / 2 - 1] + days[n / 2]) / 2.0),
    };
    Funnel {
        label,
        counts,
        total,
        median_days,
    }
}

impl Funnel {
    pub fn median_label(&self) -> String {
        self.median_days
            .map_or_else(|| "—".into(), |d| format!("{d:.1}"))
    }
}

pub struct Waiting {
    pub row: FunnelRow,
    pub days: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "partners.html")]
pub struct PartnersPage {
    pub nav: Nav,
    pub partners: Vec<Partner>,
    pub stages: &'static [Stage],
    pub by_partner: Vec<Funnel>,
    pub by_state: Vec<Funnel>,
    pub waiting: Vec<Waiting>,
}

pub async fn list(staff: Staff, State(state): State<AppState>) -> Result<PartnersPage, PageError> {
    let partners = state.store.partners().await?;
    let rows = state.store.funnel_rows().await?;
    let by_partner = partners
        .iter()
        .map(|p| {
            funnel(
                p.name.clone(),
                rows.iter().filter(|r| r.partner_id == p.partner_id),
            )
        })
        .collect();
    let mut states: BTreeMap<&str, Vec<&FunnelRow>> = BTreeMap::new();
    for r in &rows {
        states.entry(r.region.as_str()).or_default().push(r);
    }
    let by_state = states
        .into_iter()
        .map(|(st, rs)| funnel(st.to_owned(), rs.into_iter()))
        .collect();
    let now = now_millis();
    let mut waiting: Vec<Waiting> = rows
        .iter()
        .filter(|r| r.stage == Stage::New)
        .map(|r| Waiting {
            row: r.clone(),
            days: (now - r.referred_at) / 86_400_000,
        })
        .collect();
    waiting.sort_by_key(|w| w.row.referred_at);
    waiting.truncate(25);
    Ok(PartnersPage {
        nav: Nav::new(&staff, "partners"),
        partners,
        stages: Stage::ALL,
        by_partner,
        by_state,
        waiting,
    })
}

/// The partner form, as typed (so a refused form comes back filled in).
#[derive(Default, Clone)]
pub struct PartnerForm {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub offers: Vec<String>,
    pub contact_email: String,
    pub states: String,
    pub offices: Vec<String>,
    pub interests: Vec<String>,
    pub born_from: String,
    pub born_to: String,
    pub languages: String,
    pub share_mode: String,
    pub webhook_url: String,
    pub active: bool,
}

impl PartnerForm {
    fn of(p: &Partner) -> PartnerForm {
        PartnerForm {
            slug: p.slug.clone(),
            name: p.name.clone(),
            description: p.description.clone(),
            offers: p.offers.iter().map(|o| o.as_str().to_owned()).collect(),
            contact_email: p.contact_email.clone().unwrap_or_default(),
            states: p.rules.states.join(", "),
            offices: p
                .rules
                .offices
                .iter()
                .map(|o| o.as_str().to_owned())
                .collect(),
            interests: p
                .rules
                .interests
                .iter()
                .map(|o| o.as_str().to_owned())
                .collect(),
            born_from: p.rules.born_from.map(|y| y.to_string()).unwrap_or_default(),
            born_to: p.rules.born_to.map(|y| y.to_string()).unwrap_or_default(),
            languages: p.rules.languages.join(", "),
            share_mode: p.share_mode.as_str().to_owned(),
            webhook_url: p.webhook_url.clone().unwrap_or_default(),
            active: p.active,
        }
    }

    fn read(body: &[u8]) -> PartnerForm {
        let mut f = PartnerForm::default();
        for (k, v) in form_urlencoded::parse(body) {
            let v = v.into_owned();
            match k.as_ref() {
                "slug" => f.slug = v,
                "name" => f.name = v,
                "description" => f.description = v,
                "offers" => f.offers.push(v),
                "contact_email" => f.contact_email = v,
                "states" => f.states = v,
                "offices" => f.offices.push(v),
                "interests" => f.interests.push(v),
                "born_from" => f.born_from = v,
                "born_to" => f.born_to = v,
                "languages" => f.languages = v,
                "share_mode" => f.share_mode = v,
                "webhook_url" => f.webhook_url = v,
                "active" => f.active = true,
                _ => {}
            }
        }
        f
    }

    /// Checks every field; all problems at once.
    fn parse(&self) -> Result<PartnerInput, Vec<String>> {
        let mut errors = Vec::new();
        fn keep<T>(errors: &mut Vec<String>, r: Result<T, String>) -> Option<T> {
            r.map_err(|e| errors.push(e)).ok()
        }
        let slug = keep(&mut errors, parse_slug(&self.slug));
        let name = self.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 200 {
            errors.push("Give the partner's name (up to 200 characters).".into());
        }
        let offers = keep(
            &mut errors,
            parse_list(&self.offers.join(","), Offer::parse, "offer"),
        );
        let offices = keep(
            &mut errors,
            parse_list(&self.offices.join(","), Office::parse, "office"),
        );
        let interests = keep(
            &mut errors,
            parse_list(&self.interests.join(","), Interest::parse, "interest"),
        );
        let states = keep(
            &mut errors,
            parse_list(
                &self.states,
                |s| StateCode::parse(s).ok().map(|c| c.as_str().to_owned()),
                "state",
            ),
        );
        let year = |s: &str, what: &str| -> Result<Option<i32>, String> {
            match s.trim() {
                "" => Ok(None),
                y => y
                    .parse::<i32>()
                    .ok()
                    .filter(|y| (1900..=2100).contains(y))
                    .map(Some)
                    .ok_or_else(|| format!("{what} must be a year such as 1984")),
            }
        };
        let born_from = keep(&mut errors, year(&self.born_from, "Born from"));
        let born_to = keep(&mut errors, year(&self.born_to, "Born to"));
        let languages: Vec<String> = self
            .languages
            .split([',', ' '])
            .map(|l| l.trim().to_ascii_lowercase())
            .filter(|l| !l.is_empty())
            .collect();
        if languages
            .iter()
            .any(|l| l.len() != 2 || !l.bytes().all(|b| b.is_ascii_lowercase()))
        {
            errors.push("Languages are two-letter codes such as en, es.".into());
        }
        let share_mode = match self.share_mode.as_str() {
            "" => Some(ShareMode::Eligible),
            m => ShareMode::parse(m).or_else(|| {
                errors.push("Choose how people are shared.".into());
                None
            }),
        };
        let contact_email = match self.contact_email.trim() {
            "" => None,
            e => match Email::parse(e) {
                Ok(e) => Some(e.as_str().to_owned()),
                Err(_) => {
                    errors.push("The contact e-mail is not an e-mail address.".into());
                    None
                }
            },
        };
        let webhook_url = match self.webhook_url.trim() {
            "" => None,
            u if (u.starts_with("https://") || u.starts_with("http://")) && u.len() <= 2000 => {
                Some(u.to_owned())
            }
            _ => {
                errors.push(
                    "The webhook URL must start with https:// (or http:// for testing).".into(),
                );
                None
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(PartnerInput {
            slug: slug.unwrap_or_default(),
            name,
            description: self.description.trim().to_owned(),
            offers: offers.unwrap_or_default(),
            contact_email,
            rules: Eligibility {
                states: states.unwrap_or_default(),
                offices: offices.unwrap_or_default(),
                interests: interests.unwrap_or_default(),
                born_from: born_from.flatten(),
                born_to: born_to.flatten(),
                languages,
            },
            share_mode,
            webhook_url,
            active: self.active,
        })
    }

    pub fn has(list: &[String], v: &str) -> bool {
        list.iter().any(|x| x == v)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "partner_edit.html")]
pub struct EditPage {
    pub nav: Nav,
    /// `None` for a new partner.
    pub partner: Option<Partner>,
    pub form: PartnerForm,
    pub errors: Vec<String>,
    pub users: Vec<StaffUser>,
    pub tokens: Vec<ApiToken>,
    pub events: Vec<OutboxEvent>,
    /// A token just created: shown this once.
    pub new_token: Option<String>,
    pub offers: &'static [Offer],
    pub offices: &'static [Office],
}

impl EditPage {
    fn new(staff: &Staff, partner: Option<Partner>, form: PartnerForm) -> EditPage {
        EditPage {
            nav: Nav::new(staff, "partners"),
            partner,
            form,
            errors: Vec::new(),
            users: Vec::new(),
            tokens: Vec::new(),
            events: Vec::new(),
            new_token: None,
            offers: Offer::ALL,
            offices: Office::ALL,
        }
    }

    async fn load(mut self, state: &AppState) -> Result<EditPage, PageError> {
        if let Some(p) = &self.partner {
            self.users = state
                .store
                .list_users()
                .await?
                .into_iter()
                .filter(|u| u.partner_id == Some(p.partner_id))
                .collect();
            self.tokens = state.store.tokens(p.partner_id).await?;
            self.events = state
                .store
                .outbox(None, 200)
                .await?
                .into_iter()
                .filter(|e| e.partner_id == p.partner_id)
                .take(20)
                .collect();
        }
        Ok(self)
    }
}

pub async fn new_form(staff: Staff) -> Result<EditPage, PageError> {
    staff.require_admin()?;
    Ok(EditPage::new(
        &staff,
        None,
        PartnerForm {
            active: true,
            share_mode: "eligible".into(),
            ..PartnerForm::default()
        },
    ))
}

pub async fn create(
    staff: Staff,
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    staff.require_admin()?;
    let form = PartnerForm::read(&body);
    let refused = |errors: Vec<String>, form: PartnerForm| {
        let mut page = EditPage::new(&staff, None, form);
        page.errors = errors;
        (axum::http::StatusCode::BAD_REQUEST, page).into_response()
    };
    let input = match form.parse() {
        Ok(i) => i,
        Err(errors) => return Ok(refused(errors, form)),
    };
    match state.store.create_partner(&input, now_millis()).await {
        Ok(p) => {
            state
                .store
                .audit(
                    staff.user.user_id,
                    "create_partner",
                    None,
                    Some(p.slug.clone()),
                    now_millis(),
                )
                .await?;
            Ok(Redirect::to(&format!("/staff/partners/{}", p.partner_id)).into_response())
        }
        Err(downballot_store::StoreError::Duplicate(what)) => {
            Ok(refused(vec![format!("{what} already exists.")], form))
        }
        Err(e) => Err(e.into()),
    }
}

async fn partner_of(state: &AppState, id: &str) -> Result<Partner, PageError> {
    let id = Uuid::parse_str(id).map_err(|_| PageError::NotFound)?;
    state.store.partner(id).await?.ok_or(PageError::NotFound)
}

pub async fn edit(
    staff: Staff,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<EditPage, PageError> {
    staff.require_admin()?;
    let p = partner_of(&state, &id).await?;
    let form = PartnerForm::of(&p);
    EditPage::new(&staff, Some(p), form).load(&state).await
}

pub async fn update(
    staff: Staff,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    staff.require_admin()?;
    let p = partner_of(&state, &id).await?;
    let mut form = PartnerForm::read(&body);
    form.slug = p.slug.clone();
    match form.parse() {
        Ok(input) => {
            state
                .store
                .update_partner(p.partner_id, &input, now_millis())
                .await?;
            state
                .store
                .audit(
                    staff.user.user_id,
                    "update_partner",
                    None,
                    Some(p.slug.clone()),
                    now_millis(),
                )
                .await?;
            Ok(Redirect::to(&format!("/staff/partners/{}", p.partner_id)).into_response())
        }
        Err(errors) => {
            let mut page = EditPage::new(&staff, Some(p), form).load(&state).await?;
            page.errors = errors;
            Ok((axum::http::StatusCode::BAD_REQUEST, page).into_response())
        }
    }
}

pub async fn add_user(
    staff: Staff,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    staff.require_admin()?;
    let p = partner_of(&state, &id).await?;
    let (mut email, mut password) = (String::new(), String::new());
    for (k, v) in form_urlencoded::parse(&body) {
        match k.as_ref() {
            "email" => email = v.into_owned(),
            "password" => password = v.into_owned(),
            _ => {}
        }
    }
    let mut errors = Vec::new();
    let email = Email::parse(&email)
        .map_err(|_| errors.push("Enter the e-mail address of the partner's user.".to_owned()))
        .ok();
    if password.chars().count() < super::users::MIN_PASSWORD {
        errors.push(format!(
            "The password must be at least {} characters.",
            super::users::MIN_PASSWORD
        ));
    }
    if let (Some(email), true) = (email, errors.is_empty()) {
        let hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|e| anyhow::anyhow!("hashing panicked: {e}"))??;
        match state
            .store
            .create_partner_user(email.as_str(), &hash, p.partner_id, now_millis())
            .await
        {
            Ok(u) => {
                state
                    .store
                    .audit(
                        staff.user.user_id,
                        "create_user",
                        None,
                        Some(format!("{} (partner {})", u.email, p.slug)),
                        now_millis(),
                    )
                    .await?;
                return Ok(
                    Redirect::to(&format!("/staff/partners/{}#users", p.partner_id))
                        .into_response(),
                );
            }
            Err(downballot_store::StoreError::Duplicate(what)) => {
                errors.push(format!("{what} already exists."))
            }
            Err(e) => return Err(e.into()),
        }
    }
    let form = PartnerForm::of(&p);
    let mut page = EditPage::new(&staff, Some(p), form).load(&state).await?;
    page.errors = errors;
    Ok((axum::http::StatusCode::BAD_REQUEST, page).into_response())
}

pub async fn create_token(
    staff: Staff,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<EditPage, PageError> {
    staff.require_admin()?;
    let p = partner_of(&state, &id).await?;
    let name = form_urlencoded::parse(&body)
        .find(|(k, _)| k == "name")
        .map(|(_, v)| v.trim().to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "API token".to_owned());
    let (_, token) = state
        .store
        .create_token(p.partner_id, &name, now_millis())
        .await?;
    state
        .store
        .audit(
            staff.user.user_id,
            "create_token",
            None,
            Some(format!("{} for {}", name, p.slug)),
            now_millis(),
        )
        .await?;
    let form = PartnerForm::of(&p);
    let mut page = EditPage::new(&staff, Some(p), form).load(&state).await?;
    page.new_token = Some(token);
    Ok(page)
}

pub async fn revoke_token(
    staff: Staff,
    State(state): State<AppState>,
    Path((id, token)): Path<(String, String)>,
) -> Result<Redirect, PageError> {
    staff.require_admin()?;
    let p = partner_of(&state, &id).await?;
    let token = Uuid::parse_str(&token).map_err(|_| PageError::NotFound)?;
    state
        .store
        .revoke_token(p.partner_id, token, now_millis())
        .await?;
    state
        .store
        .audit(
            staff.user.user_id,
            "revoke_token",
            None,
            Some(format!("{token} of {}", p.slug)),
            now_millis(),
        )
        .await?;
    Ok(Redirect::to(&format!(
        "/staff/partners/{}#tokens",
        p.partner_id
    )))
}

/// A new webhook signing secret for a partner (shown on its page, like the old one).
pub async fn rotate_secret(
    staff: Staff,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Redirect, PageError> {
    staff.require_admin()?;
    let p = partner_of(&state, &id).await?;
    state
        .store
        .rotate_webhook_secret(p.partner_id, now_millis())
        .await?;
    state
        .store
        .audit(
            staff.user.user_id,
            "rotate_webhook_secret",
            None,
            Some(p.slug.clone()),
            now_millis(),
        )
        .await?;
    Ok(Redirect::to(&format!(
        "/staff/partners/{}#webhook",
        p.partner_id
    )))
}

#[derive(serde::Deserialize, Default)]
pub struct OutboxQuery {
    #[serde(default)]
    pub status: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "webhooks.html")]
pub struct WebhooksPage {
    pub nav: Nav,
    pub status: String,
    pub events: Vec<OutboxEvent>,
}

pub async fn webhooks(
    staff: Staff,
    State(state): State<AppState>,
    Query(q): Query<OutboxQuery>,
) -> Result<WebhooksPage, PageError> {
    staff.require_admin()?;
    let status = match q.status.as_str() {
        "" => None,
        s @ ("pending" | "delivered" | "failed") => Some(s),
        other => return Err(PageError::BadRequest(format!("Unknown status {other:?}"))),
    };
    Ok(WebhooksPage {
        nav: Nav::new(&staff, "webhooks"),
        status: q.status.clone(),
        events: state.store.outbox(status, 200).await?,
    })
}

pub async fn retry(
    staff: Staff,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Redirect, PageError> {
    staff.require_admin()?;
    let id = Uuid::parse_str(&id).map_err(|_| PageError::NotFound)?;
    state.store.retry_event(id, now_millis()).await?;
    state.webhooks.wake();
    Ok(Redirect::to("/staff/webhooks"))
}

/// Staff record that a person withdrew consent for one partner.
pub async fn withdraw(
    staff: Staff,
    State(state): State<AppState>,
    Path((person, partner)): Path<(String, String)>,
) -> Result<Redirect, PageError> {
    let person = Uuid::parse_str(&person).map_err(|_| PageError::NotFound)?;
    let p = partner_of(&state, &partner).await?;
    let text = format!(
        "The person withdrew consent to share with {}; recorded by {}",
        p.name, staff.user.email
    );
    state
        .store
        .withdraw_partner_consent(
            person,
            p.partner_id,
            &text,
            Some(staff.user.user_id),
            now_millis(),
        )
        .await?;
    state.webhooks.wake();
    Ok(Redirect::to(&format!("/staff/people/{person}#referrals")))
}
