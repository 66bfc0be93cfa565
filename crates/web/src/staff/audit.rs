//! The audit log (admin only): who looked at whom, merges, consent changes, exports, imports.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use downballot_store::model::AuditEntry;
use uuid::Uuid;

use super::Nav;
use crate::AppState;
use crate::auth::Staff;
use crate::error::PageError;

const PAGE_SIZE: i64 = 100;

#[derive(serde::Deserialize)]
pub struct AuditQuery {
    page: Option<i64>,
    person: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "audit.html")]
pub struct AuditPage {
    pub nav: Nav,
    pub entries: Vec<AuditEntry>,
    pub page: i64,
    pub person: String,
    pub more: bool,
}

pub async fn show(
    staff: Staff,
    State(state): State<AppState>,
    Query(q): Query<AuditQuery>,
) -> Result<AuditPage, PageError> {
    staff.require_admin()?;
    let page = q.page.unwrap_or(1).max(1);
    let person = q
        .person
        .as_deref()
        .and_then(|p| Uuid::parse_str(p.trim()).ok());
    let mut entries = state
        .store
        .audit_log(person, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE)
        .await?;
    let more = entries.len() as i64 > PAGE_SIZE;
    entries.truncate(PAGE_SIZE as usize);
    Ok(AuditPage {
        nav: Nav::new(&staff, "audit"),
        entries,
        page,
        person: person.map(|p| p.to_string()).unwrap_or_default(),
        more,
    })
}
