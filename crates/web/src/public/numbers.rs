//! `/numbers`: the headline counts organizers link to ("N people want to run; N connected to
//! partners; N on the ballot"). Counts only, never people.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use downballot_store::partners::Headline;

use crate::AppState;
use crate::error::PageError;

#[derive(Template, WebTemplate)]
#[template(path = "numbers.html")]
pub struct NumbersPage {
    pub h: Headline,
}

pub async fn show(State(state): State<AppState>) -> Result<NumbersPage, PageError> {
    Ok(NumbersPage {
        h: state.store.headline().await?,
    })
}
