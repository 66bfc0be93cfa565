//! CSV upload (admin only), the same importer as `downballot people import`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use downballot_csv::{ImportOptions, ImportSummary};
use downballot_domain::signup::Interest;
use downballot_store::model::now_millis;

use super::Nav;
use crate::AppState;
use crate::auth::Staff;
use crate::error::PageError;

/// Rejected rows shown on the page at most; all of them are in the downloadable file.
const SHOWN: usize = 500;

#[derive(Template, WebTemplate)]
#[template(path = "import.html")]
pub struct ImportPage {
    pub nav: Nav,
    pub error: Option<String>,
    pub summary: Option<ImportSummary>,
    pub file_name: String,
    pub rejected_csv: String,
}

impl ImportPage {
    pub fn shown(&self) -> usize {
        SHOWN
    }
}

pub async fn form(staff: Staff) -> Result<ImportPage, PageError> {
    staff.require_admin()?;
    Ok(ImportPage {
        nav: Nav::new(&staff, "import"),
        error: None,
        summary: None,
        file_name: String::new(),
        rejected_csv: String::new(),
    })
}

pub async fn upload(
    staff: Staff,
    State(state): State<AppState>,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    staff.require_admin()?;
    let mut file: Option<(String, bytes::Bytes)> = None;
    let mut default_interest = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| PageError::BadRequest(format!("The upload could not be read: {e}")))?
    {
        match field.name() {
            Some("file") => {
                let name = field.file_name().unwrap_or("upload.csv").to_owned();
                let data = field.bytes().await.map_err(|e| {
                    PageError::BadRequest(format!("The upload could not be read: {e}"))
                })?;
                file = Some((name, data));
            }
            Some("default_interest") => {
                let v = field.text().await.unwrap_or_default();
                default_interest = Interest::parse(&v).map(|i| i.as_str().to_owned());
            }
            _ => {}
        }
    }
    let page = |error: Option<String>, summary, file_name: String, rejected_csv| ImportPage {
        nav: Nav::new(&staff, "import"),
        error,
        summary,
        file_name,
        rejected_csv,
    };
    let Some((name, data)) = file.filter(|(_, d)| !d.is_empty()) else {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            page(
                Some("Choose a CSV file to import.".into()),
                None,
                String::new(),
                String::new(),
            ),
        )
            .into_response());
    };
    let options = ImportOptions {
        default_interest,
        file_name: name.clone(),
    };
    let result = downballot_csv::import(&state.store, data.as_ref(), &options, |_| {}).await;
    match result {
        Ok(summary) => {
            state
                .store
                .audit(
                    staff.user.user_id,
                    "import",
                    None,
                    Some(format!(
                        "{name}: {} rows, {} created, {} updated, {} rejected",
                        summary.rows,
                        summary.created,
                        summary.updated,
                        summary.rejected.len()
                    )),
                    now_millis(),
                )
                .await?;
            let mut buf = Vec::new();
            downballot_csv::import::write_rejected(&summary, &mut buf)?;
            let rejected_csv = String::from_utf8_lossy(&buf).into_owned();
            Ok(page(None, Some(summary), name, rejected_csv).into_response())
        }
        Err(e) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            page(Some(format!("{e:#}")), None, name, String::new()),
        )
            .into_response()),
    }
}
