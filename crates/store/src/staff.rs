//! Staff accounts, database sessions and the audit log.

use anyhow::Result;
use uuid::Uuid;

use crate::model::*;
use crate::people::audit_statement;
use crate::sql::{self, STAFF_COLUMNS};
use crate::value::Statement;
use crate::{Store, StoreError};

impl Store {
    pub async fn create_user(
        &self,
        email: &str,
        role: &str,
        password_hash: &str,
        now: Millis,
    ) -> Result<StaffUser, StoreError> {
        if self.user_by_email(email).await?.is_some() {
            return Err(StoreError::Duplicate("a staff account with this e-mail"));
        }
        let id = Uuid::now_v7();
        self.transaction(vec![Statement::new(
            "INSERT INTO staff_user (user_id, email, role, password_hash, created_at, disabled) \
             VALUES ($1, $2, $3, $4, $5, FALSE)",
            vec![
                id.into(),
                email.into(),
                role.into(),
                password_hash.into(),
                now.into(),
            ],
        )])
        .await?;
        self.user(id).await?.ok_or(StoreError::NotFound)
    }

    pub async fn user(&self, id: Uuid) -> Result<Option<StaffUser>> {
        self.query_one(
            format!("SELECT {STAFF_COLUMNS} FROM staff_user WHERE user_id = $1"),
            vec![id.into()],
            sql::map_staff,
        )
        .await
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<StaffCredentials>> {
        self.query_one(
            format!("SELECT {STAFF_COLUMNS}, password_hash FROM staff_user WHERE email = $1"),
            vec![email.into()],
            |r| {
                Ok(StaffCredentials {
                    user: sql::map_staff(r)?,
                    password_hash: r.req_text(7)?,
                })
            },
        )
        .await
    }

    pub async fn list_users(&self) -> Result<Vec<StaffUser>> {
        self.query(
            format!("SELECT {STAFF_COLUMNS} FROM staff_user ORDER BY email"),
            vec![],
            sql::map_staff,
        )
        .await
    }

    /// Disables or re-enables an account; disabling also ends its sessions.
    pub async fn set_user_disabled(
        &self,
        id: Uuid,
        disabled: bool,
        by: Uuid,
        now: Millis,
    ) -> Result<(), StoreError> {
        let counts = self
            .transaction(vec![
                Statement::new(
                    "UPDATE staff_user SET disabled = $2 WHERE user_id = $1",
                    vec![id.into(), disabled.into()],
                ),
                Statement::new(
                    "DELETE FROM staff_session WHERE user_id = $1 AND $2",
                    vec![id.into(), disabled.into()],
                ),
                audit_statement(
                    by,
                    if disabled {
                        "disable_user"
                    } else {
                        "enable_user"
                    },
                    None,
                    Some(id.to_string()),
                    now,
                ),
            ])
            .await?;
        if counts[0] != 1 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: Uuid,
        now: Millis,
        expires_at: Millis,
    ) -> Result<()> {
        self.transaction(vec![
            Statement::new(
                "INSERT INTO staff_session (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
                vec![token_hash.into(), user_id.into(), now.into(), expires_at.into()],
            ),
            Statement::new(
                "UPDATE staff_user SET last_login_at = $2 WHERE user_id = $1",
                vec![user_id.into(), now.into()],
            ),
            Statement::new("DELETE FROM staff_session WHERE expires_at < $1", vec![now.into()]),
        ])
        .await?;
        Ok(())
    }

    /// The user behind a session, if the session exists, has not expired and the user is enabled.
    pub async fn session_user(&self, token_hash: &str, now: Millis) -> Result<Option<StaffUser>> {
        self.query_one(
            format!(
                "SELECT {} FROM staff_session s JOIN staff_user u ON u.user_id = s.user_id \
                 WHERE s.token_hash = $1 AND s.expires_at > $2 AND NOT u.disabled",
                STAFF_COLUMNS
                    .split(", ")
                    .map(|c| format!("u.{c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            vec![token_hash.into(), now.into()],
            sql::map_staff,
        )
        .await
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        self.transaction(vec![Statement::new(
            "DELETE FROM staff_session WHERE token_hash = $1",
            vec![token_hash.into()],
        )])
        .await?;
        Ok(())
    }

    pub async fn audit(
        &self,
        by: Uuid,
        action: &str,
        person_id: Option<Uuid>,
        detail: Option<String>,
        now: Millis,
    ) -> Result<()> {
        self.transaction(vec![audit_statement(by, action, person_id, detail, now)])
            .await?;
        Ok(())
    }

    /// Records an access made with a partner's API token (no staff user: the token and its
    /// partner are in the detail).
    pub async fn audit_api(
        &self,
        token_id: Uuid,
        action: &str,
        person_id: Option<Uuid>,
        detail: &str,
        now: Millis,
    ) -> Result<()> {
        self.transaction(vec![Statement::new(
            "INSERT INTO audit_log (audit_id, at, user_id, action, person_id, detail) VALUES ($1, $2, NULL, $3, $4, $5)",
            vec![
                Uuid::now_v7().into(),
                now.into(),
                action.into(),
                person_id.into(),
                format!("API token {token_id}: {detail}").into(),
            ],
        )])
        .await?;
        Ok(())
    }

    /// Newest first.
    pub async fn audit_log(
        &self,
        person_id: Option<Uuid>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<AuditEntry>> {
        let (wh, params) = match person_id {
            Some(p) => (
                "WHERE a.person_id = $3",
                vec![limit.into(), offset.into(), p.into()],
            ),
            None => ("", vec![limit.into(), offset.into()]),
        };
        self.query(
            format!(
                "SELECT a.audit_id, a.at, u.email, a.action, a.person_id, a.detail FROM audit_log a \
                 LEFT JOIN staff_user u ON u.user_id = a.user_id {wh} \
                 ORDER BY a.at DESC, a.audit_id DESC LIMIT $1 OFFSET $2"
            ),
            params,
            |r| {
                Ok(AuditEntry {
                    audit_id: r.req_uuid(0)?,
                    at: r.req_int(1)?,
                    user_email: r.text(2)?,
                    action: r.req_text(3)?,
                    person_id: r.uuid(4)?,
                    detail: r.text(5)?,
                })
            },
        )
        .await
    }
}
