//! Staff sign-in: argon2id password hashes, sessions kept in the database behind a random token
//! in a `__Host-` cookie (only its SHA-256 is stored), roles, and a limiter for failed logins.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Argon2, PasswordHash};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use downballot_domain::staff::Role;
use downballot_store::model::{StaffUser, now_millis};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::PageError;

pub const SESSION_COOKIE: &str = "__Host-downballot_session";
const SESSION_HOURS: i64 = 12;

/// Hashes a password with argon2id and a fresh salt (slow on purpose: call off the async workers).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(h) => Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash to verify against when the account does not exist, so timing does not reveal which
/// e-mails have accounts.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not a real password").unwrap_or_default())
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A signed-in staff member. Extracting it redirects to the login page when nobody is signed in.
#[derive(Clone, Debug)]
pub struct Staff {
    pub user: StaffUser,
    pub role: Role,
}

impl Staff {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn require_admin(&self) -> Result<(), PageError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(PageError::Forbidden)
        }
    }
}

/// Sent when a page needs a signed-in user and there is none.
pub struct LoginRequired(String);

impl IntoResponse for LoginRequired {
    fn into_response(self) -> Response {
        let next: String = form_urlencoded::byte_serialize(self.0.as_bytes()).collect();
        Redirect::to(&format!("/login?next={next}")).into_response()
    }
}

/// The enabled user behind the request's session cookie; without one, a redirect to the login
/// page that comes back to `parts`' path.
async fn session_of(parts: &Parts, state: &AppState, home: &str) -> Result<StaffUser, Response> {
    let next = parts
        .uri
        .path_and_query()
        .map_or(home, |p| p.as_str())
        .to_owned();
    let Some(token) = cookie_value(&parts.headers, SESSION_COOKIE) else {
        return Err(LoginRequired(next).into_response());
    };
    state
        .store
        .session_user(&token_hash(token), now_millis())
        .await
        .map_err(|e| PageError::Internal(e).into_response())?
        .ok_or_else(|| LoginRequired(next).into_response())
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = session_of(parts, state, "/staff").await?;
        // An unknown role gets nothing; a partner user never sees the staff pages.
        match Role::parse(&user.role) {
            Some(role) if role.is_staff() => Ok(Staff { user, role }),
            _ => Err(PageError::Forbidden.into_response()),
        }
    }
}

/// A signed-in partner user, with the partner they belong to: the portal's extractor.
#[derive(Clone, Debug)]
pub struct PartnerUser {
    pub user: StaffUser,
    pub partner_id: uuid::Uuid,
}

impl FromRequestParts<AppState> for PartnerUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = session_of(parts, state, "/partner").await?;
        match (Role::parse(&user.role), user.partner_id) {
            (Some(Role::Partner), Some(partner_id)) => Ok(PartnerUser { user, partner_id }),
            _ => Err(PageError::Forbidden.into_response()),
        }
    }
}

/// Failed sign-ins per client address and per account, in a sliding window. Kept in memory:
/// with several `serve` processes each limits on its own, which still bounds guessing.
#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

const WINDOW: Duration = Duration::from_secs(15 * 60);
const MAX_PER_ACCOUNT: usize = 5;
const MAX_PER_ADDRESS: usize = 20;

impl LoginLimiter {
    fn count(&self, key: &str) -> usize {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        match map.get_mut(key) {
            Some(v) => {
                v.retain(|t| now.duration_since(*t) < WINDOW);
                v.len()
            }
            None => 0,
        }
    }

    pub fn blocked(&self, ip: IpAddr, email: &str) -> bool {
        self.count(&format!("ip:{ip}")) >= MAX_PER_ADDRESS
            || self.count(&format!("account:{email}")) >= MAX_PER_ACCOUNT
    }

    pub fn fail(&self, ip: IpAddr, email: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        for key in [format!("ip:{ip}"), format!("account:{email}")] {
            map.entry(key).or_default().push(now);
        }
        if map.len() > 100_000 {
            map.retain(|_, v| v.iter().any(|t| now.duration_since(*t) < WINDOW));
        }
    }

    pub fn succeed(&self, email: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&format!("account:{email}"));
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub email: String,
    pub next: String,
    pub error: Option<&'static str>,
}

#[derive(serde::Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only local paths: never redirect off-site after login.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") => {
            n.to_owned()
        }
        _ => "/staff".to_owned(),
    }
}

pub async fn login_page(Query(q): Query<NextQuery>) -> LoginPage {
    LoginPage {
        email: String::new(),
        next: safe_next(q.next.as_deref()),
        error: None,
    }
}

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    let mut email = String::new();
    let mut password = String::new();
    let mut next = None;
    for (k, v) in form_urlencoded::parse(&body) {
        match k.as_ref() {
            "email" => email = v.trim().to_lowercase(),
            "password" => password = v.into_owned(),
            "next" => next = Some(v.into_owned()),
            _ => {}
        }
    }
    let next = safe_next(next.as_deref());
    let page = |error| LoginPage {
        email: email.clone(),
        next: next.clone(),
        error: Some(error),
    };
    if state.limiter.blocked(addr.ip(), &email) {
        tracing::warn!(client = %addr.ip(), "login refused: too many failed attempts");
        return Ok((
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "900")],
            page("Too many failed sign-in attempts. Wait 15 minutes and try again."),
        )
            .into_response());
    }
    let creds = state.store.user_by_email(&email).await?;
    let hash = creds
        .as_ref()
        .map_or_else(|| dummy_hash().to_owned(), |c| c.password_hash.clone());
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| anyhow::anyhow!("password check panicked: {e}"))?;
    let user = match creds {
        Some(c) if ok && !c.user.disabled => c.user,
        _ => {
            state.limiter.fail(addr.ip(), &email);
            tracing::info!(client = %addr.ip(), "failed staff login");
            return Ok((
                StatusCode::UNAUTHORIZED,
                page("That e-mail and password do not match an active account."),
            )
                .into_response());
        }
    };
    state.limiter.succeed(&email);
    let token = new_token();
    let now = now_millis();
    state
        .store
        .create_session(
            &token_hash(&token),
            user.user_id,
            now,
            now + SESSION_HOURS * 3_600_000,
        )
        .await?;
    tracing::info!(user_id = %user.user_id, "staff signed in");
    // Partner users land in their portal unless they were sent to a page of it.
    let next = if user.role == Role::Partner.as_str() && !next.starts_with("/partner") {
        "/partner".to_owned()
    } else {
        next
    };
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age={}",
        SESSION_HOURS * 3600
    );
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response())
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    if let Some(token) = cookie_value(&headers, SESSION_COOKIE) {
        state.store.delete_session(&token_hash(token)).await?;
    }
    let cookie = format!("{SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0");
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/login")).into_response())
}
