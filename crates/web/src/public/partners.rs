//! After the sign-up. The thank-you page itself reads nothing from the database (a surge loads
//! it once per sign-up); when partners or races exist it links, through a signed link naming the
//! person (no login), to `/join/partners`: the races where they live, and the partner
//! organizations they are eligible for, to choose which may receive their details. Each choice —
//! given or not — is a consent record, and each chosen partner gets a referral. Coming back
//! through the link, unticking a partner withdraws that consent: the partner loses access at once.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use downballot_domain::i18n::{self, Lang, Texts};
use downballot_store::model::now_millis;
use downballot_store::partners::Partner;
use uuid::Uuid;

use super::join::lang_of;
use crate::AppState;
use crate::error::PageError;
use crate::signing::{CHOICE_LINK_MS, choice_token, verify_choice_token};

/// The version of the per-partner consent wording below.
pub const PARTNER_CONSENT_VERSION: &str = "partner-2026-11";

/// The exact words a person agrees to for one partner, in their language.
pub fn consent_text(p: &Partner, lang: Lang) -> String {
    let offers = if p.offers.is_empty() {
        match lang {
            Lang::Es => "postularse a un cargo".to_owned(),
            _ => "running for office".to_owned(),
        }
    } else {
        p.offers_label()
    };
    i18n::texts(lang)
        .partners_consent
        .replace("{partner}", &p.name)
        .replace("{offers}", &offers)
}

/// The link a person uses to choose partners after signing up.
pub async fn choice_link(state: &AppState, person: Uuid) -> anyhow::Result<String> {
    let key = state.choice_key().await?;
    Ok(choice_token(key, person, now_millis() + CHOICE_LINK_MS))
}

#[derive(serde::Deserialize, Default)]
pub struct ThanksQuery {
    lang: Option<String>,
    /// The signed partner-choice link.
    t: Option<String>,
    /// Set after the choices were saved.
    saved: Option<String>,
}

pub struct PartnerOption {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub offers: String,
    pub consent: String,
    pub chosen: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "thanks.html")]
pub struct ThanksPage {
    pub t: &'static Texts,
    pub lang: &'static str,
    /// The link to the next step, when there is one to offer.
    pub next: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "join_partners.html")]
pub struct ChoicesPage {
    pub t: &'static Texts,
    pub lang: &'static str,
    pub token: String,
    pub partners: Vec<PartnerOption>,
    pub saved: bool,
    pub sharing: Vec<String>,
    /// The races where the person lives, in the most recent election on record there.
    pub races: Vec<crate::races::RaceView>,
}

async fn person_of(state: &AppState, token: Option<&str>) -> Result<Option<Uuid>, PageError> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let key = state.choice_key().await?;
    Ok(verify_choice_token(key, token, now_millis()))
}

fn choices_href(lang: Lang, token: &str) -> String {
    let t: String = form_urlencoded::byte_serialize(token.as_bytes()).collect();
    format!("/join/partners?lang={}&t={t}", lang.as_str())
}

/// `GET /join/thanks`: no database query per view (the link is checked by its signature, the
/// "is there a next step" answer is cached).
pub async fn thanks(
    State(state): State<AppState>,
    Query(q): Query<ThanksQuery>,
    headers: HeaderMap,
) -> Result<ThanksPage, PageError> {
    let lang = lang_of(q.lang.as_deref(), &headers);
    let next = match (q.t.as_deref(), person_of(&state, q.t.as_deref()).await?) {
        (Some(t), Some(_)) if state.has_next_step().await => Some(choices_href(lang, t)),
        _ => None,
    };
    Ok(ThanksPage {
        t: i18n::texts(lang),
        lang: lang.as_str(),
        next,
    })
}

/// `GET /join/partners`: the races where the person lives and the partners they may choose.
pub async fn choices(
    State(state): State<AppState>,
    Query(q): Query<ThanksQuery>,
    headers: HeaderMap,
) -> Result<ChoicesPage, PageError> {
    let lang = lang_of(q.lang.as_deref(), &headers);
    let Some(person) = person_of(&state, q.t.as_deref()).await? else {
        return Err(PageError::BadRequest(
            "This link has expired or is not valid. Sign up again to choose partner organizations."
                .into(),
        ));
    };
    let mut page = ChoicesPage {
        t: i18n::texts(lang),
        lang: lang.as_str(),
        token: q.t.clone().unwrap_or_default(),
        partners: Vec::new(),
        saved: q.saved.is_some(),
        sharing: Vec::new(),
        races: Vec::new(),
    };
    let races = state.store.person_races(person).await?;
    if let Some(latest) = races.iter().map(|r| r.election.date.clone()).max() {
        page.races = races
            .iter()
            .filter(|r| r.election.date == latest)
            .map(crate::races::RaceView::of)
            .collect();
    }
    let consents = state.store.partner_consents(person).await?;
    for p in state.store.eligible_partners(person).await? {
        let chosen = consents.get(&p.channel()) == Some(&true);
        if chosen {
            page.sharing.push(p.name.clone());
        }
        page.partners.push(PartnerOption {
            consent: consent_text(&p, lang),
            slug: p.slug,
            name: p.name,
            description: p.description,
            offers: p
                .offers
                .iter()
                .map(|o| o.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            chosen,
        });
    }
    Ok(page)
}

/// `POST /join/partners`: `t` (the link), `lang`, and one `partner` field per ticked partner.
pub async fn choose(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    let mut token = String::new();
    let mut lang = String::from("en");
    let mut chosen: Vec<String> = Vec::new();
    for (k, v) in form_urlencoded::parse(&body) {
        match k.as_ref() {
            "t" => token = v.into_owned(),
            "lang" => lang = v.into_owned(),
            "partner" => chosen.push(v.into_owned()),
            _ => {}
        }
    }
    let lang = Lang::from_query_or_header(Some(&lang), None);
    let Some(person) = person_of(&state, Some(&token)).await? else {
        return Err(PageError::BadRequest(
            "This link has expired or is not valid. Sign up again to choose partner organizations."
                .into(),
        ));
    };
    // Every partner the person was shown is answered: ticked means yes, unticked means no.
    let shown: Vec<(Partner, bool)> = state
        .store
        .eligible_partners(person)
        .await?
        .into_iter()
        .map(|p| {
            let yes = chosen.contains(&p.slug);
            (p, yes)
        })
        .collect();
    state
        .store
        .record_partner_choices(
            person,
            &shown,
            &|p| consent_text(p, lang),
            PARTNER_CONSENT_VERSION,
            lang.as_str(),
            None,
            now_millis(),
        )
        .await?;
    state.webhooks.wake();
    Ok(Redirect::to(&format!("{}&saved=1", choices_href(lang, &token))).into_response())
}
