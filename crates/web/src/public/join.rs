//! The public sign-up form.
//!
//! The form is plain HTML that works with JavaScript off. `POST /join` parses and checks every
//! field ([`downballot_domain::signup::parse_signup`]); a rejected form comes back as 422 with
//! everything typed still in place. An accepted one is queued for group commit, and the 303 to
//! the thank-you page is sent only after its transaction is durably committed.

use crate::geocode::AddressQuery;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use downballot_domain::address::StateCode;
use downballot_domain::i18n::{self, ConsentText, Lang, Texts};
use downballot_domain::signup::{
    Interest, Involvement, Office, SignupInput, Timeframe, parse_signup,
};
use downballot_store::StoreError;
use downballot_store::model::{Channel, ConsentGrant, NewSubmission, now_millis};

use crate::AppState;

#[derive(serde::Deserialize, Default)]
pub struct JoinQuery {
    lang: Option<String>,
    source: Option<String>,
    referrer: Option<String>,
}

/// The language from `?lang=`, else the browser's `Accept-Language`.
pub(crate) fn lang_of(q: Option<&str>, headers: &HeaderMap) -> Lang {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Lang::from_query_or_header(q, accept)
}

/// One error as shown: the field it belongs to and the message.
pub struct ShownError {
    pub field: &'static str,
    pub message: String,
}

/// One text input as the template draws it.
pub struct TextField {
    pub name: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub value: String,
    pub autocomplete: &'static str,
    pub kind: &'static str,
    pub required: bool,
    pub inputmode: &'static str,
    pub error: Option<String>,
    pub described_by: String,
}

pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "join.html")]
pub struct JoinPage {
    pub t: &'static Texts,
    pub lang: &'static str,
    pub other_lang: &'static str,
    pub other_lang_href: String,
    pub input: SignupInput,
    pub errors: Vec<ShownError>,
    pub busy: bool,
    pub states: Vec<Choice>,
    pub interests: Vec<Choice>,
    pub offices: Vec<Choice>,
    pub timeframes: Vec<Choice>,
    pub involvements: Vec<Choice>,
    pub consents: [ConsentText; 3],
}

impl JoinPage {
    fn new(lang: Lang, input: SignupInput, errors: Vec<ShownError>) -> Self {
        let t = i18n::texts(lang);
        let mut other_q = vec![("lang", lang.other().as_str().to_owned())];
        if !input.source.is_empty() {
            other_q.push(("source", input.source.clone()));
        }
        if !input.referrer.is_empty() {
            other_q.push(("referrer", input.referrer.clone()));
        }
        let other_lang_href = format!(
            "/join?{}",
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs(other_q)
                .finish()
        );
        JoinPage {
            t,
            lang: lang.as_str(),
            other_lang: lang.other().as_str(),
            other_lang_href,
            input,
            errors,
            busy: false,
            states: StateCode::by_name(lang)
                .into_iter()
                .map(|s| Choice {
                    value: s.as_str(),
                    label: s.name_in(lang),
                })
                .collect(),
            interests: Interest::ALL
                .iter()
                .map(|i| Choice {
                    value: i.as_str(),
                    label: t.interest_label(*i),
                })
                .collect(),
            offices: Office::ALL
                .iter()
                .map(|o| Choice {
                    value: o.as_str(),
                    label: t.office_label(*o),
                })
                .collect(),
            timeframes: Timeframe::ALL
                .iter()
                .map(|o| Choice {
                    value: o.as_str(),
                    label: t.timeframe_label(*o),
                })
                .collect(),
            involvements: Involvement::ALL
                .iter()
                .map(|o| Choice {
                    value: o.as_str(),
                    label: t.involvement_label(*o),
                })
                .collect(),
            consents: i18n::consent_texts(lang),
        }
    }

    /// The message for `field`, if it has one.
    pub fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// `aria-describedby` ids for a field: its hint and, when present, its error.
    pub fn described_by(&self, field: &str, has_hint: bool) -> String {
        let mut ids = Vec::new();
        if has_hint {
            ids.push(format!("{field}-hint"));
        }
        if self.error_for(field).is_some() {
            ids.push(format!("{field}-error"));
        }
        ids.join(" ")
    }

    /// Everything one text input needs, for `text_field.html`.
    pub fn field(&self, name: &'static str) -> TextField {
        let t = self.t;
        let i = &self.input;
        let (label, hint, value, autocomplete, kind, required, inputmode) = match name {
            "given_name" => (
                t.given_name_label,
                "",
                &i.given_name,
                "given-name",
                "text",
                true,
                "",
            ),
            "family_name" => (
                t.family_name_label,
                "",
                &i.family_name,
                "family-name",
                "text",
                false,
                "",
            ),
            "email" => (
                t.email_label,
                t.email_hint,
                &i.email,
                "email",
                "email",
                false,
                "email",
            ),
            "phone" => (
                t.phone_label,
                t.phone_hint,
                &i.phone,
                "tel",
                "tel",
                false,
                "tel",
            ),
            "address_line" => (
                t.address_line_label,
                "",
                &i.address_line,
                "street-address",
                "text",
                false,
                "",
            ),
            "locality" => (
                t.locality_label,
                "",
                &i.locality,
                "address-level2",
                "text",
                false,
                "",
            ),
            "postal_code" => (
                t.postal_code_label,
                t.postal_code_hint,
                &i.postal_code,
                "postal-code",
                "text",
                true,
                "numeric",
            ),
            _ => (
                t.birth_year_label,
                t.birth_year_hint,
                &i.birth_year,
                "bday-year",
                "text",
                false,
                "numeric",
            ),
        };
        TextField {
            name,
            label,
            hint,
            value: value.clone(),
            autocomplete,
            kind,
            required,
            inputmode,
            error: self.error_for(name).map(str::to_owned),
            described_by: self.described_by(name, !hint.is_empty()),
        }
    }

    pub fn consent_checked(&self, channel: &str) -> bool {
        match channel {
            "email" => self.input.consent_email,
            "sms" => self.input.consent_sms,
            _ => self.input.consent_share,
        }
    }
}

/// Coordinates the browser supplied with "use my location", when both parse and are plausible.
fn precise_point(pairs: &[(String, String)]) -> Option<(f64, f64)> {
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.trim().parse::<f64>().ok())
            .filter(|f| f.is_finite())
    };
    let (lat, lon) = (get("latitude")?, get("longitude")?);
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some((lat, lon))
}

pub async fn home() -> Redirect {
    Redirect::to("/join")
}

pub async fn form(Query(q): Query<JoinQuery>, headers: HeaderMap) -> JoinPage {
    let lang = lang_of(q.lang.as_deref(), &headers);
    let input = SignupInput {
        source: q.source.unwrap_or_default(),
        referrer: q.referrer.unwrap_or_default(),
        ..Default::default()
    };
    JoinPage::new(lang, input, Vec::new())
}

fn current_year() -> i32 {
    time::OffsetDateTime::now_utc().year()
}

pub async fn submit(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    // Fields come from the body; `source`, `referrer` and `lang` may also ride on the form's URL.
    let query = query.unwrap_or_default();
    let query_pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let body_pairs: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let mut input =
        SignupInput::from_pairs(body_pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let from_query = |name: &str| {
        query_pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    if input.source.is_empty() {
        input.source = from_query("source").unwrap_or_default();
    }
    if input.referrer.is_empty() {
        input.referrer = from_query("referrer").unwrap_or_default();
    }
    let lang_field = body_pairs
        .iter()
        .find(|(k, _)| k == "lang")
        .map(|(_, v)| v.clone())
        .or_else(|| from_query("lang"));
    let lang = lang_of(lang_field.as_deref(), &headers);

    let signup = match parse_signup(&input, current_year()) {
        Ok(s) => s,
        Err(errors) => {
            metrics::counter!("downballot_signups_total", "outcome" => "rejected").increment(1);
            let shown = errors
                .iter()
                .map(|e| ShownError {
                    field: e.field,
                    message: e.message(lang),
                })
                .collect();
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                JoinPage::new(lang, input, shown),
            )
                .into_response();
        }
    };
    let consents = i18n::consent_texts(lang)
        .into_iter()
        .filter(|c| match c.channel {
            "email" => signup.consent_email,
            "sms" => signup.consent_sms,
            _ => signup.consent_share,
        })
        .map(|c| ConsentGrant {
            channel: c.channel,
            text: c.text.to_owned(),
            version: c.version.to_owned(),
        })
        .collect();
    let precise = precise_point(&body_pairs);
    // Geocoded after commit, when configured: only a street address without browser coordinates.
    let geocode = match (&state.geocoding, precise, &signup.address_line) {
        (Some(_), None, Some(line)) => Some(AddressQuery {
            line: line.clone(),
            locality: signup.locality.clone(),
            region: signup.region.as_str().to_owned(),
            postal_code: signup.postal_code.as_str().to_owned(),
        }),
        _ => None,
    };
    let location = state.districts.locate(&signup.postal_code, precise);
    let submission = NewSubmission {
        signup,
        lang: lang.as_str(),
        channel: Channel::Form,
        received_at: now_millis(),
        location,
        consents,
    };
    match state.store.submit(submission).await {
        Ok(outcome) => {
            metrics::counter!("downballot_signups_total", "outcome" => "accepted").increment(1);
            tracing::debug!(submission_id = %outcome.submission_id, created = outcome.created, "sign-up committed");
            if let (Some(geocoding), Some(address)) = (&state.geocoding, geocode) {
                geocoding.locate_later(
                    state.store.clone(),
                    state.districts.clone(),
                    outcome.person_id,
                    address,
                );
            }
            if !outcome.created {
                // A returning person: their partners hear of the change, and partners they
                // agreed to and now qualify for get a referral (after commit, off the surge path).
                let store = state.store.clone();
                let webhooks = state.webhooks.clone();
                let person = outcome.person_id;
                tokio::spawn(async move {
                    match store.reevaluate_referrals(person, now_millis()).await {
                        Ok(()) => webhooks.wake(),
                        Err(e) => tracing::warn!(
                            error = format!("{e:#}"),
                            "re-evaluating referrals failed"
                        ),
                    }
                });
            }
            // The thank-you page offers the partners this person may choose, through a signed
            // link; without the key (database trouble) it is the plain thank-you page.
            let link = match super::partners::choice_link(&state, outcome.person_id).await {
                Ok(t) => format!("&t={t}"),
                Err(e) => {
                    tracing::warn!(error = format!("{e:#}"), "no partner-choice link");
                    String::new()
                }
            };
            Redirect::to(&format!("/join/thanks?lang={}{link}", lang.as_str())).into_response()
        }
        Err(e) => {
            let overloaded = matches!(e, StoreError::Overloaded);
            metrics::counter!("downballot_signups_total", "outcome" => if overloaded { "overloaded" } else { "failed" })
                .increment(1);
            if !overloaded {
                tracing::error!(error = ?e, "sign-up could not be stored");
            }
            // Nothing was stored: give the form back, filled in, so one press retries.
            let mut page = JoinPage::new(lang, input, Vec::new());
            page.busy = true;
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "2")],
                page,
            )
                .into_response()
        }
    }
}
