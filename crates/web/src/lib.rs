//! The HTTP surface: the public sign-up form, the staff pages, and the operations routes.
//!
//! One router ([`router`]); handlers live by audience (`public/`, `staff/`, `ops`), each
//! returning [`error::PageError`] so every failure becomes a page a person can act on.

/// The partner API (JSON, per-partner tokens).
pub mod api;
/// Staff login, sessions, roles and the failed-login limiter.
pub mod auth;
/// The sign-ups-per-day chart, drawn as SVG on the server.
pub mod chart;
/// Resolving people to districts with the in-memory boundary index.
pub mod districts;
/// The error type of the HTML surface.
pub mod error;
/// Optional online geocoding of street addresses, after commit.
pub mod geocode;
/// Request metrics and the Prometheus recorder.
pub mod metrics;
/// `/healthz`, `/readyz`, `/metrics`.
pub mod ops;
/// The partner portal: a partner's own referrals.
pub mod portal;
/// Pages anyone can reach: the sign-up form and its thank-you page.
pub mod public;
/// Public race pages: the national map, states, chambers, races.
pub mod races;
/// HMAC signatures: partner-choice links and webhook bodies.
pub mod signing;
/// Pages for signed-in staff.
pub mod staff;
/// Formatting helpers shared by templates.
pub mod view;
/// Webhook delivery from the durable outbox.
pub mod webhooks;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use downballot_store::Store;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub limiter: Arc<auth::LoginLimiter>,
    pub districts: Arc<districts::Resolver>,
    /// The online geocoder, when `serve --geocoder-url` configured one.
    pub geocoding: Option<geocode::Geocoding>,
    /// The webhook worker's handle and timing.
    pub webhooks: webhooks::Webhooks,
    /// The key signing partner-choice links, read from the database on first use.
    secret: Arc<tokio::sync::OnceCell<Vec<u8>>>,
    /// Whether the thank-you page has a next step to offer (partners or races exist), and when
    /// that was read: the page is loaded once per sign-up, so it must not query per view.
    next_step: Arc<std::sync::Mutex<Option<(std::time::Instant, bool)>>>,
}

impl AppState {
    pub fn new(store: Store) -> Self {
        Self {
            store,
            limiter: Arc::new(auth::LoginLimiter::default()),
            districts: Arc::new(districts::Resolver::default()),
            geocoding: None,
            webhooks: webhooks::Webhooks::default(),
            secret: Arc::new(tokio::sync::OnceCell::new()),
            next_step: Arc::new(std::sync::Mutex::new(None)),
        }
    }

    /// Whether any active partner or any race exists, read at most every 5 seconds.
    pub async fn has_next_step(&self) -> bool {
        const FRESH: std::time::Duration = std::time::Duration::from_secs(5);
        if let Some((at, v)) = *self.next_step.lock().unwrap_or_else(|e| e.into_inner())
            && at.elapsed() < FRESH
        {
            return v;
        }
        let v = match self.store.has_partners_or_races().await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(
                    error = format!("{e:#}"),
                    "cannot tell whether partners or races exist"
                );
                false
            }
        };
        *self.next_step.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((std::time::Instant::now(), v));
        v
    }

    /// With other webhook timing (tests use short backoffs).
    pub fn with_webhooks(mut self, config: webhooks::WebhookConfig) -> Self {
        self.webhooks = webhooks::Webhooks::new(config);
        self
    }

    /// The installation's key for partner-choice links (shared by every `serve` process).
    pub async fn choice_key(&self) -> anyhow::Result<&[u8]> {
        Ok(self
            .secret
            .get_or_try_init(|| self.store.app_secret("partner_choice_link"))
            .await?
            .as_slice())
    }

    /// With an online geocoder for street addresses (used after commit, never on the surge path).
    pub fn with_geocoder(mut self, geocoder: Arc<dyn geocode::Geocoder>) -> Self {
        self.geocoding = Some(geocode::Geocoding::new(geocoder));
        self
    }
}

/// Every route of the application.
pub fn router(state: AppState) -> Router {
    let staff = Router::new()
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/staff", get(staff::dashboard::show))
        .route("/staff/people", get(staff::people::list))
        .route("/staff/people/export.csv", get(staff::people::export))
        .route("/staff/people/{id}", get(staff::person::show))
        .route(
            "/staff/people/{id}/consents/{channel}/withdraw",
            post(staff::person::withdraw_consent),
        )
        .route("/staff/merges/{id}/merge", post(staff::person::merge))
        .route("/staff/merges/{id}/dismiss", post(staff::person::dismiss))
        .route(
            "/staff/users",
            get(staff::users::list).post(staff::users::create),
        )
        .route("/staff/users/{id}/disable", post(staff::users::disable))
        .route("/staff/users/{id}/enable", post(staff::users::enable))
        .route("/staff/audit", get(staff::audit::show))
        .route("/partner", get(portal::list))
        .route("/partner/referrals.csv", get(portal::export))
        .route("/partner/referrals/{id}", get(portal::person))
        .route("/partner/referrals/{id}/stage", post(portal::set_stage))
        .route(
            "/partner/stages",
            get(portal::upload_form)
                .post(portal::upload)
                .layer(DefaultBodyLimit::max(16 * 1024 * 1024)),
        )
        .route(
            "/staff/partners",
            get(staff::partners::list).post(staff::partners::create),
        )
        .route("/staff/partners/new", get(staff::partners::new_form))
        .route(
            "/staff/partners/{id}",
            get(staff::partners::edit).post(staff::partners::update),
        )
        .route(
            "/staff/partners/{id}/users",
            post(staff::partners::add_user),
        )
        .route(
            "/staff/partners/{id}/tokens",
            post(staff::partners::create_token),
        )
        .route(
            "/staff/partners/{id}/tokens/{token}/revoke",
            post(staff::partners::revoke_token),
        )
        .route("/staff/webhooks", get(staff::partners::webhooks))
        .route("/staff/webhooks/{id}/retry", post(staff::partners::retry))
        .route(
            "/staff/people/{id}/partners/{partner}/withdraw",
            post(staff::partners::withdraw),
        )
        .route("/staff/races", get(staff::races::show))
        .route(
            "/staff/races/open-seats.csv",
            get(staff::races::open_seats_csv),
        )
        .route("/staff/races/recruits.csv", get(staff::races::recruits_csv))
        .route(
            "/staff/import",
            get(staff::import::form)
                .post(staff::import::upload)
                .layer(DefaultBodyLimit::max(512 * 1024 * 1024)),
        )
        // Browsers say where a form post came from; a cross-site post to a staff route is refused.
        .layer(tower_http::csrf::CsrfLayer::new());

    Router::new()
        .route("/", get(public::join::home))
        .route("/join", get(public::join::form).post(public::join::submit))
        .route("/join/thanks", get(public::partners::thanks))
        .route(
            "/join/partners",
            get(public::partners::choices).post(public::partners::choose),
        )
        .route("/numbers", get(public::numbers::show))
        .route("/races", get(races::national))
        .route("/races/{state}", get(races::state_page))
        .route("/races/{state}/{election}/{office}", get(races::chamber))
        .route(
            "/races/{state}/{election}/{office}/{district}",
            get(races::race),
        )
        .route("/static/app.css", get(public::assets::css))
        .route("/api/v1/referrals", get(api::list))
        .route("/api/v1/referrals/{id}", get(api::show))
        .route("/api/v1/referrals/{id}/stage", post(api::set_stage))
        .route("/api/{*rest}", axum::routing::any(api::fallback))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .merge(staff)
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(DefaultBodyLimit::max(64 * 1024))
        .with_state(state)
}

/// Serves until `shutdown` resolves, then finishes in-flight requests (and so their commits).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    metrics::install();
    state
        .districts
        .spawn_refresher(state.store.clone(), std::time::Duration::from_secs(30));
    state.webhooks.spawn(state.store.clone());
    let app = router(state);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    Ok(())
}
