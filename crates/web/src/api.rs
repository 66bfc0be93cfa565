//! The partner API: JSON over HTTPS with a per-partner token (`Authorization: Bearer <token>`,
//! or OSDI's `OSDI-API-Token: <token>`). A partner lists its referrals (paged, with
//! `modified_since` for syncing), reads one, and sets a stage. Nothing else is reachable with a
//! token, and another partner's referral answers 404 like one that does not exist.

use axum::Json;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use downballot_store::model::now_millis;
use downballot_store::partners::{ReferralFilter, referral_json};
use serde_json::json;
use uuid::Uuid;

use crate::AppState;

/// The API's one error type: a status and a message, as JSON.
#[derive(Debug)]
pub struct ApiError(pub StatusCode, pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (self.0, Json(json!({ "error": self.1 }))).into_response();
        if self.0 == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"downballot\""),
            );
        }
        res
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        tracing::error!(error = format!("{e:#}"), "API request failed");
        ApiError(StatusCode::INTERNAL_SERVER_ERROR, "internal error".into())
    }
}

fn not_found() -> ApiError {
    ApiError(StatusCode::NOT_FOUND, "no such referral".into())
}

/// The partner a request's token belongs to.
#[derive(Clone, Copy, Debug)]
pub struct ApiPartner {
    pub token_id: Uuid,
    pub partner_id: Uuid,
}

impl FromRequestParts<AppState> for ApiPartner {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let h = &parts.headers;
        let token = h
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .or_else(|| h.get("osdi-api-token").and_then(|v| v.to_str().ok()))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError(StatusCode::UNAUTHORIZED, "an API token is required".into()))?;
        match state.store.token_partner(token, now_millis()).await? {
            Some((token_id, partner_id)) => Ok(ApiPartner {
                token_id,
                partner_id,
            }),
            None => Err(ApiError(
                StatusCode::UNAUTHORIZED,
                "the API token is not valid or was revoked".into(),
            )),
        }
    }
}

#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    page: Option<i64>,
    per_page: Option<i64>,
    /// RFC 3339 time or YYYY-MM-DD: only referrals changed since.
    modified_since: Option<String>,
    stage: Option<String>,
}

fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some(ms) = crate::view::parse_day(s) {
        return Some(ms);
    }
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
}

pub async fn list(
    partner: ApiPartner,
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let per_page = q.per_page.unwrap_or(25).clamp(1, 100);
    let page = q.page.unwrap_or(1).max(1);
    let bad = |m: String| ApiError(StatusCode::BAD_REQUEST, m);
    let filter = ReferralFilter {
        stage: q
            .stage
            .as_deref()
            .map(|s| {
                downballot_domain::partner::Stage::parse(s)
                    .ok_or_else(|| bad(format!("unknown stage {s:?}")))
            })
            .transpose()?,
        modified_since: q
            .modified_since
            .as_deref()
            .map(|s| {
                parse_time(s)
                    .ok_or_else(|| bad(format!("modified_since {s:?} is not an RFC 3339 time")))
            })
            .transpose()?,
        // One more than a page tells whether there is a next one.
        limit: per_page + 1,
        offset: (page - 1) * per_page,
        ..ReferralFilter::default()
    };
    let mut rows = state
        .store
        .partner_referrals(partner.partner_id, &filter)
        .await?;
    let more = rows.len() as i64 > per_page;
    rows.truncate(per_page as usize);
    let mut links =
        json!({ "self": { "href": format!("/api/v1/referrals?page={page}&per_page={per_page}") } });
    if more {
        let mut next = format!("/api/v1/referrals?page={}&per_page={per_page}", page + 1);
        if let Some(m) = &q.modified_since {
            next.push_str("&modified_since=");
            next.extend(form_urlencoded::byte_serialize(m.as_bytes()));
        }
        links["next"] = json!({ "href": next });
    }
    Ok(Json(json!({
        "page": page,
        "per_page": per_page,
        "_links": links,
        "_embedded": { "referrals": rows.iter().map(referral_json).collect::<Vec<_>>() },
    })))
}

fn parse_id(s: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(s).map_err(|_| not_found())
}

pub async fn show(
    partner: ApiPartner,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (r, history) = state
        .store
        .partner_referral(partner.partner_id, parse_id(&id)?)
        .await?
        .ok_or_else(not_found)?;
    state
        .store
        .audit_api(
            partner.token_id,
            "api_view_person",
            Some(r.person_id),
            &format!("referral {}", r.referral_id),
            now_millis(),
        )
        .await?;
    let mut body = referral_json(&r);
    body["history"] = history
        .iter()
        .map(|h| {
            json!({
                "stage": h.stage.as_str(),
                "stage_date": h.stage_date,
                "note": h.note,
                "by": h.by,
                "at": downballot_store::partners::rfc3339(h.at),
            })
        })
        .collect();
    Ok(Json(body))
}

#[derive(serde::Deserialize)]
pub struct StageBody {
    stage: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    note: String,
}

pub async fn set_stage(
    partner: ApiPartner,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<StageBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = parse_id(&id)?;
    let Json(body) = body.map_err(|e| ApiError(StatusCode::BAD_REQUEST, e.body_text()))?;
    let (stage, date, note) =
        crate::portal::parse_stage_change(&body.stage, &body.date, &body.note)
            .map_err(|e| ApiError(StatusCode::UNPROCESSABLE_ENTITY, e))?;
    let ok = state
        .store
        .set_stage(
            partner.partner_id,
            id,
            stage,
            &date,
            note.as_deref(),
            None,
            Some(partner.token_id),
            now_millis(),
        )
        .await?;
    if !ok {
        return Err(not_found());
    }
    let (r, _) = state
        .store
        .partner_referral(partner.partner_id, id)
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(referral_json(&r)))
}

/// Unknown API paths answer JSON too.
pub async fn fallback() -> ApiError {
    ApiError(StatusCode::NOT_FOUND, "no such endpoint".into())
}
