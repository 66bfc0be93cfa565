//! The dashboard: how many want to run or volunteer, where, and how fast they arrive.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use downballot_domain::address::StateCode;
use downballot_store::model::{Dashboard, now_millis};

use super::Nav;
use crate::AppState;
use crate::auth::Staff;
use crate::chart;
use crate::error::PageError;

const DAYS: i64 = 30;

#[derive(Template, WebTemplate)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    pub nav: Nav,
    pub d: Dashboard,
    pub chart_svg: String,
    pub bars: Vec<chart::Bar>,
}

impl DashboardPage {
    pub fn state_name(&self, code: &str) -> &'static str {
        StateCode::parse(code).map_or("Unknown", |s| s.name())
    }
}

pub async fn show(staff: Staff, State(state): State<AppState>) -> Result<DashboardPage, PageError> {
    let now = now_millis();
    let d = state.store.dashboard(DAYS, now).await?;
    let today = now.div_euclid(86_400_000);
    let bars = chart::daily_bars(&d.per_day, today - DAYS + 1, today);
    let chart_svg = chart::svg(&bars, "chart-title");
    Ok(DashboardPage {
        nav: Nav::new(&staff, "dashboard"),
        d,
        chart_svg,
        bars,
    })
}
