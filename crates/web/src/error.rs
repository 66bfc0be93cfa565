//! The HTML surface's one error type.
//!
//! Use [`PageError`] in every page handler: `NotFound` and `Forbidden` become short pages, a
//! `BadRequest` shows its message, and anything else is logged with its full cause chain and
//! shown as a plain "something went wrong" without internals (never echo database errors).

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use downballot_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("{0}")]
    BadRequest(String),
    #[error("busy")]
    Busy,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => PageError::NotFound,
            StoreError::Overloaded | StoreError::Unavailable => PageError::Busy,
            StoreError::Duplicate(what) => PageError::BadRequest(format!("{what} already exists")),
            StoreError::Database(e) => PageError::Internal(e),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage {
    title: &'static str,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, title, message) = match self {
            PageError::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is no page here.".to_owned(),
            ),
            PageError::Forbidden => (
                StatusCode::FORBIDDEN,
                "Not allowed",
                "Your account cannot open this page.".to_owned(),
            ),
            PageError::BadRequest(m) => (StatusCode::BAD_REQUEST, "Please check your request", m),
            PageError::Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Busy",
                "The server is very busy. Please try again in a moment.".to_owned(),
            ),
            PageError::Internal(e) => {
                tracing::error!(error = ?e, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "Something went wrong on our side. It has been logged; please try again."
                        .to_owned(),
                )
            }
        };
        (status, ErrorPage { title, message }).into_response()
    }
}

pub async fn not_found() -> PageError {
    PageError::NotFound
}
