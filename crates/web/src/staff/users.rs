//! Staff accounts (admin only): list, create, disable, enable.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use downballot_domain::contact::Email;
use downballot_domain::staff::Role;
use downballot_store::model::{StaffUser, now_millis};
use uuid::Uuid;

use super::Nav;
use crate::AppState;
use crate::auth::{Staff, hash_password};
use crate::error::PageError;

pub const MIN_PASSWORD: usize = 12;

#[derive(Template, WebTemplate)]
#[template(path = "users.html")]
pub struct UsersPage {
    pub nav: Nav,
    pub users: Vec<StaffUser>,
    pub errors: Vec<String>,
    pub email: String,
    pub role: String,
    pub created: Option<String>,
    pub me: Uuid,
}

impl UsersPage {
    pub fn nav_user_id(&self) -> Uuid {
        self.me
    }
}

async fn page(
    staff: &Staff,
    state: &AppState,
    errors: Vec<String>,
    email: String,
    role: String,
    created: Option<String>,
) -> Result<UsersPage, PageError> {
    Ok(UsersPage {
        nav: Nav::new(staff, "users"),
        users: state.store.list_users().await?,
        errors,
        email,
        role,
        created,
        me: staff.user.user_id,
    })
}

pub async fn list(staff: Staff, State(state): State<AppState>) -> Result<UsersPage, PageError> {
    staff.require_admin()?;
    page(
        &staff,
        &state,
        vec![],
        String::new(),
        "organizer".into(),
        None,
    )
    .await
}

pub async fn create(
    staff: Staff,
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    staff.require_admin()?;
    let (mut email, mut role, mut password) = (String::new(), String::new(), String::new());
    for (k, v) in form_urlencoded::parse(&body) {
        match k.as_ref() {
            "email" => email = v.into_owned(),
            "role" => role = v.into_owned(),
            "password" => password = v.into_owned(),
            _ => {}
        }
    }
    let mut errors = Vec::new();
    let parsed_email = Email::parse(&email)
        .map_err(|_| errors.push("Enter the e-mail address of the new account.".to_owned()))
        .ok();
    // Partner users are made on their partner's page, where the partner is known.
    let parsed_role = Role::parse(&role).filter(|r| r.is_staff());
    if parsed_role.is_none() {
        errors.push("Choose a role: admin or organizer.".into());
    }
    if password.chars().count() < MIN_PASSWORD {
        errors.push(format!(
            "The password must be at least {MIN_PASSWORD} characters."
        ));
    }
    if let (Some(e), Some(r), true) = (parsed_email, parsed_role, errors.is_empty()) {
        let hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|e| anyhow::anyhow!("hashing panicked: {e}"))??;
        match state
            .store
            .create_user(e.as_str(), r.as_str(), &hash, now_millis())
            .await
        {
            Ok(user) => {
                state
                    .store
                    .audit(
                        staff.user.user_id,
                        "create_user",
                        None,
                        Some(format!("{} ({})", user.email, user.role)),
                        now_millis(),
                    )
                    .await?;
                let p = page(
                    &staff,
                    &state,
                    vec![],
                    String::new(),
                    "organizer".into(),
                    Some(user.email),
                )
                .await?;
                return Ok(p.into_response());
            }
            Err(downballot_store::StoreError::Duplicate(_)) => {
                errors.push("A staff account with this e-mail already exists.".into());
            }
            Err(e) => return Err(e.into()),
        }
    }
    let p = page(&staff, &state, errors, email, role, None).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, p).into_response())
}

async fn set_disabled(
    staff: Staff,
    state: AppState,
    id: String,
    disabled: bool,
) -> Result<Redirect, PageError> {
    staff.require_admin()?;
    let id = Uuid::parse_str(&id).map_err(|_| PageError::NotFound)?;
    if id == staff.user.user_id && disabled {
        return Err(PageError::BadRequest(
            "You cannot disable your own account.".into(),
        ));
    }
    state
        .store
        .set_user_disabled(id, disabled, staff.user.user_id, now_millis())
        .await?;
    Ok(Redirect::to("/staff/users"))
}

pub async fn disable(
    staff: Staff,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Redirect, PageError> {
    set_disabled(staff, state, id, true).await
}

pub async fn enable(
    staff: Staff,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Redirect, PageError> {
    set_disabled(staff, state, id, false).await
}
