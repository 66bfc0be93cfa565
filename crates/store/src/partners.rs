//! Partners and the candidate pipeline in the database: partner organizations, per-partner
//! consents and the referrals resting on them, stage changes, API tokens, the webhook outbox
//! (written in the same transaction as the change it reports) and the server's secrets.

use std::collections::HashMap;

use anyhow::{Context, Result};
use downballot_domain::partner::{Eligibility, Offer, Prospect, ShareMode, Stage, parse_list};
use downballot_domain::signup::{Interest, Office};
use serde::Serialize;
use uuid::Uuid;

use crate::model::{Millis, StaffUser};
use crate::people::audit_statement;
use crate::sql::placeholders;
use crate::value::{RowAccess, Statement, Value};
use crate::{Store, StoreError};

/// A partner organization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partner {
    pub partner_id: Uuid,
    /// URL key and `?referrer=` value; fixed once created (consent records name it).
    pub slug: String,
    pub name: String,
    pub description: String,
    pub offers: Vec<Offer>,
    pub contact_email: Option<String>,
    pub rules: Eligibility,
    pub share_mode: ShareMode,
    pub webhook_url: Option<String>,
    pub webhook_secret: Option<String>,
    pub active: bool,
    pub created_at: Millis,
    pub updated_at: Millis,
}

impl Partner {
    /// The consent channel of this partner: `partner:<slug>`.
    pub fn channel(&self) -> String {
        format!("partner:{}", self.slug)
    }

    pub fn offers_label(&self) -> String {
        self.offers
            .iter()
            .map(|o| o.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What an admin types for a partner (already parsed).
#[derive(Clone, Debug, Default)]
pub struct PartnerInput {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub offers: Vec<Offer>,
    pub contact_email: Option<String>,
    pub rules: Eligibility,
    pub share_mode: Option<ShareMode>,
    pub webhook_url: Option<String>,
    pub active: bool,
}

/// The fields a person agrees to share with a partner (the consent text lists them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SharedPerson {
    pub given_name: String,
    pub family_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub locality: Option<String>,
    pub region: String,
    pub postal_code: String,
    pub interest: String,
    pub offices: Option<String>,
    pub timeframe: Option<String>,
    pub signed_up_at: Millis,
}

impl SharedPerson {
    pub fn full_name(&self) -> String {
        match &self.family_name {
            Some(f) => format!("{} {f}", self.given_name),
            None => self.given_name.clone(),
        }
    }
}

/// One referral of a person to a partner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Referral {
    pub referral_id: Uuid,
    pub person_id: Uuid,
    pub partner_id: Uuid,
    pub partner_name: String,
    pub partner_slug: String,
    pub source: Option<String>,
    pub created_at: Millis,
    pub stage: Stage,
    pub stage_date: String,
    pub first_contact_at: Option<Millis>,
    pub updated_at: Millis,
    pub revoked_at: Option<Millis>,
    pub person: SharedPerson,
}

/// One stage change, with who made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageChange {
    pub at: Millis,
    pub stage: Stage,
    pub stage_date: String,
    pub note: Option<String>,
    /// The user's e-mail, `API token "<name>"`, or `system`.
    pub by: String,
}

/// Filters of a partner's referral list.
#[derive(Clone, Debug, Default)]
pub struct ReferralFilter {
    pub stage: Option<Stage>,
    pub region: Option<String>,
    /// Referred at or after (ms).
    pub from: Option<Millis>,
    /// Referred before (ms).
    pub to: Option<Millis>,
    /// Changed at or after (ms): for syncing.
    pub modified_since: Option<Millis>,
    /// Only `new` referrals, oldest first: who has waited longest for a first contact.
    pub waiting: bool,
    pub limit: i64,
    pub offset: i64,
}

/// An API token's row (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiToken {
    pub token_id: Uuid,
    pub partner_id: Uuid,
    pub name: String,
    pub created_at: Millis,
    pub last_used_at: Option<Millis>,
    pub revoked_at: Option<Millis>,
}

/// A webhook event waiting, delivered or failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxEvent {
    pub event_id: Uuid,
    pub partner_id: Uuid,
    pub partner_name: String,
    pub event_type: String,
    pub payload: String,
    pub created_at: Millis,
    pub next_attempt_at: Millis,
    pub attempts: i64,
    pub delivered_at: Option<Millis>,
    pub failed_at: Option<Millis>,
    pub last_error: Option<String>,
    pub url: Option<String>,
    pub secret: Option<String>,
}

impl OutboxEvent {
    pub fn status(&self) -> &'static str {
        if self.delivered_at.is_some() {
            "delivered"
        } else if self.failed_at.is_some() {
            "failed"
        } else {
            "pending"
        }
    }
}

/// A referral as counted by the funnel.
#[derive(Clone, Debug)]
pub struct FunnelRow {
    pub referral_id: Uuid,
    pub person_id: Uuid,
    pub person_name: String,
    pub partner_id: Uuid,
    pub partner_name: String,
    pub region: String,
    pub stage: Stage,
    pub signed_up_at: Millis,
    pub referred_at: Millis,
    pub first_contact_at: Option<Millis>,
}

/// The public headline counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Headline {
    pub want_to_run: i64,
    pub want_to_volunteer: i64,
    pub connected: i64,
    pub on_ballot: i64,
    pub won: i64,
}

const PARTNER_COLUMNS: &str = "partner_id, slug, name, description, offers, contact_email, states, offices, \
     interests, born_from, born_to, languages, share_mode, webhook_url, webhook_secret, active, created_at, updated_at";

fn csv_of<T: Copy>(items: &[T], f: impl Fn(T) -> &'static str) -> String {
    items.iter().map(|x| f(*x)).collect::<Vec<_>>().join(",")
}

fn map_partner(r: &dyn RowAccess) -> Result<Partner> {
    let list = |i: usize| -> Result<String> { Ok(r.text(i)?.unwrap_or_default()) };
    Ok(Partner {
        partner_id: r.req_uuid(0)?,
        slug: r.req_text(1)?,
        name: r.req_text(2)?,
        description: list(3)?,
        offers: parse_list(&list(4)?, Offer::parse, "offer").map_err(anyhow::Error::msg)?,
        contact_email: r.text(5)?,
        rules: Eligibility {
            states: list(6)?
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            offices: parse_list(&list(7)?, Office::parse, "office").map_err(anyhow::Error::msg)?,
            interests: parse_list(&list(8)?, Interest::parse, "interest")
                .map_err(anyhow::Error::msg)?,
            born_from: r.int(9)?.map(|y| y as i32),
            born_to: r.int(10)?.map(|y| y as i32),
            languages: list(11)?
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        },
        share_mode: ShareMode::parse(&r.req_text(12)?).unwrap_or(ShareMode::Eligible),
        webhook_url: r.text(13)?,
        webhook_secret: r.text(14)?,
        active: r.boolean(15)?,
        created_at: r.req_int(16)?,
        updated_at: r.req_int(17)?,
    })
}

const REFERRAL_COLUMNS: &str = "r.referral_id, r.person_id, r.partner_id, pa.name, pa.slug, r.source, r.created_at, \
     r.stage, r.stage_date, r.first_contact_at, r.updated_at, r.revoked_at, \
     p.given_name, p.family_name, p.email, p.phone, p.locality, p.region, p.postal_code, p.interest, \
     p.offices, p.timeframe, p.created_at";

const REFERRAL_FROM: &str = "referral r JOIN partner pa ON pa.partner_id = r.partner_id JOIN person p ON p.person_id = r.person_id";

fn map_referral(r: &dyn RowAccess) -> Result<Referral> {
    let stage = r.req_text(7)?;
    Ok(Referral {
        referral_id: r.req_uuid(0)?,
        person_id: r.req_uuid(1)?,
        partner_id: r.req_uuid(2)?,
        partner_name: r.req_text(3)?,
        partner_slug: r.req_text(4)?,
        source: r.text(5)?,
        created_at: r.req_int(6)?,
        stage: Stage::parse(&stage).with_context(|| format!("stage {stage:?}"))?,
        stage_date: r.req_text(8)?,
        first_contact_at: r.int(9)?,
        updated_at: r.req_int(10)?,
        revoked_at: r.int(11)?,
        person: SharedPerson {
            given_name: r.req_text(12)?,
            family_name: r.text(13)?,
            email: r.text(14)?,
            phone: r.text(15)?,
            locality: r.text(16)?,
            region: r.req_text(17)?,
            postal_code: r.req_text(18)?,
            interest: r.req_text(19)?,
            offices: r.text(20)?,
            timeframe: r.text(21)?,
            signed_up_at: r.req_int(22)?,
        },
    })
}

const OUTBOX_COLUMNS: &str = "o.event_id, o.partner_id, pa.name, o.event_type, o.payload, o.created_at, o.next_attempt_at, \
     o.attempts, o.delivered_at, o.failed_at, o.last_error, pa.webhook_url, pa.webhook_secret";

fn map_outbox(r: &dyn RowAccess) -> Result<OutboxEvent> {
    Ok(OutboxEvent {
        event_id: r.req_uuid(0)?,
        partner_id: r.req_uuid(1)?,
        partner_name: r.req_text(2)?,
        event_type: r.req_text(3)?,
        payload: r.req_text(4)?,
        created_at: r.req_int(5)?,
        next_attempt_at: r.req_int(6)?,
        attempts: r.req_int(7)?,
        delivered_at: r.int(8)?,
        failed_at: r.int(9)?,
        last_error: r.text(10)?,
        url: r.text(11)?,
        secret: r.text(12)?,
    })
}

fn utc(ms: Millis) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// `YYYY-MM-DD` of a UTC millisecond.
pub fn day_of(ms: Millis) -> String {
    utc(ms)
        .format(time::macros::format_description!("[year]-[month]-[day]"))
        .unwrap_or_default()
}

/// RFC 3339 of a UTC millisecond, to the second, for JSON.
pub fn rfc3339(ms: Millis) -> String {
    utc(ms)
        .format(time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
        ))
        .unwrap_or_default()
}

/// The JSON partners receive for a referral (API and webhooks): the person in OSDI's shape,
/// only the fields the consent text lists.
pub fn referral_json(r: &Referral) -> serde_json::Value {
    let p = &r.person;
    serde_json::json!({
        "id": r.referral_id,
        "partner": r.partner_slug,
        "stage": r.stage.as_str(),
        "stage_date": r.stage_date,
        "created_at": rfc3339(r.created_at),
        "modified_at": rfc3339(r.updated_at),
        "source": r.source,
        "person": {
            "given_name": p.given_name,
            "family_name": p.family_name,
            "email_addresses": p.email.iter().map(|e| serde_json::json!({"address": e, "primary": true})).collect::<Vec<_>>(),
            "phone_numbers": p.phone.iter().map(|n| serde_json::json!({"number": n, "primary": true})).collect::<Vec<_>>(),
            "postal_addresses": [{"locality": p.locality, "region": p.region, "postal_code": p.postal_code, "country": "US"}],
            "interest": p.interest,
            "offices": p.offices.as_deref().unwrap_or("").split(',').filter(|s| !s.is_empty()).collect::<Vec<_>>(),
            "timeframe": p.timeframe,
            "signed_up_at": rfc3339(p.signed_up_at),
        }
    })
}

/// A webhook event row for the outbox; its id is the idempotency key and is in the body too.
fn outbox_statement(
    partner: Uuid,
    event_type: &str,
    data: serde_json::Value,
    now: Millis,
) -> Statement {
    let id = Uuid::now_v7();
    let body = serde_json::json!({
        "id": id,
        "type": event_type,
        "created_at": rfc3339(now),
        "data": data,
    });
    Statement::new(
        "INSERT INTO webhook_outbox (event_id, partner_id, event_type, payload, created_at, next_attempt_at, attempts) \
         VALUES ($1, $2, $3, $4, $5, $5, 0)",
        vec![
            id.into(),
            partner.into(),
            event_type.into(),
            body.to_string().into(),
            now.into(),
        ],
    )
}

fn stage_statement(
    referral: Uuid,
    stage: Stage,
    date: &str,
    note: Option<&str>,
    by_user: Option<Uuid>,
    by_token: Option<Uuid>,
    now: Millis,
) -> Statement {
    Statement::new(
        "INSERT INTO referral_stage (stage_id, referral_id, at, stage, stage_date, note, by_user, by_token) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        vec![
            Uuid::now_v7().into(),
            referral.into(),
            now.into(),
            stage.as_str().into(),
            date.into(),
            note.map(str::to_owned).into(),
            by_user.into(),
            by_token.into(),
        ],
    )
}

impl Store {
    // ----- partners -------------------------------------------------------------------------

    pub async fn create_partner(
        &self,
        input: &PartnerInput,
        now: Millis,
    ) -> Result<Partner, StoreError> {
        if self.partner_by_slug(&input.slug).await?.is_some() {
            return Err(StoreError::Duplicate("a partner with this short name"));
        }
        let id = Uuid::now_v7();
        let secret = hex::encode(rand_bytes());
        let mut params = partner_params(input);
        params.extend([
            id.into(),
            input.slug.clone().into(),
            secret.into(),
            now.into(),
        ]);
        self.transaction(vec![Statement::new(
            "INSERT INTO partner (name, description, offers, contact_email, states, offices, interests, born_from, \
             born_to, languages, share_mode, webhook_url, active, partner_id, slug, webhook_secret, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17)",
            params,
        )])
        .await?;
        self.partner(id).await?.ok_or(StoreError::NotFound)
    }

    /// Updates everything but the slug (consent records name the partner by it).
    pub async fn update_partner(&self, id: Uuid, input: &PartnerInput, now: Millis) -> Result<()> {
        let mut params = partner_params(input);
        params.extend([id.into(), now.into()]);
        self.transaction(vec![Statement::new(
            "UPDATE partner SET name = $1, description = $2, offers = $3, contact_email = $4, states = $5, \
             offices = $6, interests = $7, born_from = $8, born_to = $9, languages = $10, share_mode = $11, \
             webhook_url = $12, active = $13, updated_at = $15 WHERE partner_id = $14",
            params,
        )])
        .await?;
        Ok(())
    }

    /// Replaces a partner's webhook signing secret (the old one stops verifying at once).
    pub async fn rotate_webhook_secret(&self, id: Uuid, now: Millis) -> Result<String> {
        let secret = hex::encode(rand_bytes());
        self.transaction(vec![Statement::new(
            "UPDATE partner SET webhook_secret = $2, updated_at = $3 WHERE partner_id = $1",
            vec![id.into(), secret.clone().into(), now.into()],
        )])
        .await?;
        Ok(secret)
    }

    pub async fn partners(&self) -> Result<Vec<Partner>> {
        self.query(
            format!("SELECT {PARTNER_COLUMNS} FROM partner ORDER BY name"),
            vec![],
            map_partner,
        )
        .await
    }

    pub async fn partner(&self, id: Uuid) -> Result<Option<Partner>> {
        self.query_one(
            format!("SELECT {PARTNER_COLUMNS} FROM partner WHERE partner_id = $1"),
            vec![id.into()],
            map_partner,
        )
        .await
    }

    pub async fn partner_by_slug(&self, slug: &str) -> Result<Option<Partner>> {
        self.query_one(
            format!("SELECT {PARTNER_COLUMNS} FROM partner WHERE slug = $1"),
            vec![slug.into()],
            map_partner,
        )
        .await
    }

    /// Creates a partner user (role `partner`) tied to one partner.
    pub async fn create_partner_user(
        &self,
        email: &str,
        password_hash: &str,
        partner_id: Uuid,
        now: Millis,
    ) -> Result<StaffUser, StoreError> {
        let user = self
            .create_user(email, "partner", password_hash, now)
            .await?;
        self.transaction(vec![Statement::new(
            "UPDATE staff_user SET partner_id = $2 WHERE user_id = $1",
            vec![user.user_id.into(), partner_id.into()],
        )])
        .await?;
        self.user(user.user_id).await?.ok_or(StoreError::NotFound)
    }

    /// The partners a person may choose from now: active, admitting them by the rules, and for
    /// `referred_only` partners only if one of their sign-ups came through the partner's link.
    pub async fn eligible_partners(&self, person_id: Uuid) -> Result<Vec<Partner>> {
        let person = self
            .query_one(
                "SELECT region, offices, interest, birth_year FROM person WHERE person_id = $1 AND merged_into IS NULL"
                    .into(),
                vec![person_id.into()],
                |r| Ok((r.req_text(0)?, r.text(1)?, r.req_text(2)?, r.int(3)?)),
            )
            .await?;
        let Some((region, offices, interest, birth_year)) = person else {
            return Ok(Vec::new());
        };
        let subs = self
            .query(
                "SELECT referrer, lang FROM submission WHERE person_id = $1".into(),
                vec![person_id.into()],
                |r| Ok((r.text(0)?, r.req_text(1)?)),
            )
            .await?;
        let langs: Vec<&str> = subs.iter().map(|(_, l)| l.as_str()).collect();
        let referrers: Vec<String> = subs
            .iter()
            .filter_map(|(r, _)| r.as_ref().map(|r| r.to_ascii_lowercase()))
            .collect();
        let prospect = Prospect {
            region: &region,
            offices: offices
                .as_deref()
                .unwrap_or("")
                .split(',')
                .filter_map(Office::parse)
                .collect(),
            interest: Interest::parse(&interest),
            birth_year: birth_year.map(|y| y as i32),
            languages: langs,
        };
        Ok(self
            .partners()
            .await?
            .into_iter()
            .filter(|p| p.active && p.rules.admits(&prospect))
            .filter(|p| p.share_mode == ShareMode::Eligible || referrers.contains(&p.slug))
            .collect())
    }

    /// The person's current answer per partner consent channel (`partner:<slug>` → granted).
    pub async fn partner_consents(&self, person_id: Uuid) -> Result<HashMap<String, bool>> {
        let rows = self
            .query(
                "SELECT channel, granted FROM consent WHERE person_id = $1 AND channel LIKE 'partner:%' \
                 ORDER BY recorded_at, consent_id"
                    .into(),
                vec![person_id.into()],
                |r| Ok((r.req_text(0)?, r.boolean(1)?)),
            )
            .await?;
        Ok(rows.into_iter().collect())
    }

    /// Records the person's choice for every partner shown: a consent record each (granted for
    /// the chosen, refused for the others), and for each chosen partner a referral (created, or
    /// made active again) with its `referral.created` webhook, in one transaction. Returns the
    /// referrals made active.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_partner_choices(
        &self,
        person_id: Uuid,
        shown: &[(Partner, bool)],
        text: &(dyn Fn(&Partner) -> String + Sync),
        version: &str,
        lang: &str,
        source: Option<&str>,
        now: Millis,
    ) -> Result<Vec<Uuid>> {
        let existing: HashMap<Uuid, (Uuid, bool)> = self
            .query(
                "SELECT partner_id, referral_id, revoked_at FROM referral WHERE person_id = $1"
                    .into(),
                vec![person_id.into()],
                |r| Ok((r.req_uuid(0)?, (r.req_uuid(1)?, r.int(2)?.is_none()))),
            )
            .await?
            .into_iter()
            .collect();
        // Where the person came from: the partner's own link if they used it, else the first
        // `?source=` of their sign-ups (unless the caller says).
        let subs = self
            .query(
                "SELECT source, referrer FROM submission WHERE person_id = $1 ORDER BY received_at"
                    .into(),
                vec![person_id.into()],
                |r| Ok((r.text(0)?, r.text(1)?)),
            )
            .await?;
        let source_for = |p: &Partner| -> Option<String> {
            if let Some(s) = source {
                return Some(s.to_owned());
            }
            if subs.iter().any(|(_, r)| {
                r.as_deref()
                    .is_some_and(|r| r.eq_ignore_ascii_case(&p.slug))
            }) {
                return Some(format!("referrer:{}", p.slug));
            }
            subs.iter().find_map(|(s, _)| s.clone())
        };
        let mut statements = Vec::new();
        let mut activated = Vec::new();
        for (partner, chosen) in shown {
            let consent_id = Uuid::now_v7();
            statements.push(Statement::new(
                "INSERT INTO consent (consent_id, person_id, submission_id, channel, granted, text, text_version, lang, recorded_at) \
                 VALUES ($1, $2, NULL, $3, $4, $5, $6, $7, $8)",
                vec![
                    consent_id.into(),
                    person_id.into(),
                    partner.channel().into(),
                    (*chosen).into(),
                    text(partner).into(),
                    version.into(),
                    lang.into(),
                    now.into(),
                ],
            ));
            match (chosen, existing.get(&partner.partner_id)) {
                (false, Some((referral, true))) => {
                    statements.extend(revoke_statements(partner, *referral, now));
                }
                (false, _) | (true, Some((_, true))) => {}
                (true, Some((referral, false))) => {
                    statements.push(Statement::new(
                        "UPDATE referral SET revoked_at = NULL, consent_id = $2, updated_at = $3 WHERE referral_id = $1",
                        vec![(*referral).into(), consent_id.into(), now.into()],
                    ));
                    activated.push((partner, *referral));
                }
                (true, None) => {
                    let referral = Uuid::now_v7();
                    statements.push(Statement::new(
                        "INSERT INTO referral (referral_id, person_id, partner_id, consent_id, source, created_at, stage, \
                         stage_date, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'new', $7, $6) \
                         ON CONFLICT (person_id, partner_id) DO NOTHING",
                        vec![
                            referral.into(),
                            person_id.into(),
                            partner.partner_id.into(),
                            consent_id.into(),
                            source_for(partner).into(),
                            now.into(),
                            day_of(now).into(),
                        ],
                    ));
                    statements.push(stage_statement(
                        referral,
                        Stage::New,
                        &day_of(now),
                        None,
                        None,
                        None,
                        now,
                    ));
                    activated.push((partner, referral));
                }
            }
        }
        // The webhook bodies need the stored referral; write them in the same transaction by
        // building them from what this transaction writes.
        let person = self
            .query_one(
                "SELECT p.given_name, p.family_name, p.email, p.phone, p.locality, p.region, p.postal_code, \
                 p.interest, p.offices, p.timeframe, p.created_at FROM person p WHERE p.person_id = $1"
                    .into(),
                vec![person_id.into()],
                |r| {
                    Ok(SharedPerson {
                        given_name: r.req_text(0)?,
                        family_name: r.text(1)?,
                        email: r.text(2)?,
                        phone: r.text(3)?,
                        locality: r.text(4)?,
                        region: r.req_text(5)?,
                        postal_code: r.req_text(6)?,
                        interest: r.req_text(7)?,
                        offices: r.text(8)?,
                        timeframe: r.text(9)?,
                        signed_up_at: r.req_int(10)?,
                    })
                },
            )
            .await?
            .context("the person is gone")?;
        for (partner, referral) in &activated {
            if partner.webhook_url.is_some() {
                let r = Referral {
                    referral_id: *referral,
                    person_id,
                    partner_id: partner.partner_id,
                    partner_name: partner.name.clone(),
                    partner_slug: partner.slug.clone(),
                    source: source_for(partner),
                    created_at: now,
                    stage: Stage::New,
                    stage_date: day_of(now),
                    first_contact_at: None,
                    updated_at: now,
                    revoked_at: None,
                    person: person.clone(),
                };
                statements.push(outbox_statement(
                    partner.partner_id,
                    "referral.created",
                    referral_json(&r),
                    now,
                ));
            }
        }
        self.transaction(statements).await?;
        Ok(activated.into_iter().map(|(_, r)| r).collect())
    }

    /// The person withdrew consent for a partner: a refusal record, the referral revoked (the
    /// partner loses access at once) and `referral.revoked` queued, in one transaction.
    pub async fn withdraw_partner_consent(
        &self,
        person_id: Uuid,
        partner_id: Uuid,
        text: &str,
        by: Option<Uuid>,
        now: Millis,
    ) -> Result<bool> {
        let partner = self.partner(partner_id).await?.context("no such partner")?;
        let referral = self
            .query_one(
                "SELECT referral_id FROM referral WHERE person_id = $1 AND partner_id = $2 AND revoked_at IS NULL"
                    .into(),
                vec![person_id.into(), partner_id.into()],
                |r| r.req_uuid(0),
            )
            .await?;
        let mut statements = vec![Statement::new(
            "INSERT INTO consent (consent_id, person_id, submission_id, channel, granted, text, text_version, lang, \
             recorded_at, recorded_by) VALUES ($1, $2, NULL, $3, $4, $5, 'withdrawal', 'en', $6, $7)",
            vec![
                Uuid::now_v7().into(),
                person_id.into(),
                partner.channel().into(),
                false.into(),
                text.into(),
                now.into(),
                by.into(),
            ],
        )];
        if let Some(referral) = referral {
            statements.extend(revoke_statements(&partner, referral, now));
        }
        if let Some(by) = by {
            statements.push(audit_statement(
                by,
                "withdraw_consent",
                Some(person_id),
                Some(partner.channel()),
                now,
            ));
        }
        self.transaction(statements).await?;
        Ok(referral.is_some())
    }

    /// After a person's sign-up changed their record: referrals for partners they consented
    /// to and now qualify for are created, and every partner with an active referral gets
    /// `person.updated`.
    pub async fn reevaluate_referrals(&self, person_id: Uuid, now: Millis) -> Result<()> {
        let consents = self.partner_consents(person_id).await?;
        if consents.is_empty() {
            return Ok(());
        }
        let active = self.referrals_of_person(person_id).await?;
        let with_webhook: std::collections::HashSet<Uuid> = self
            .partners()
            .await?
            .into_iter()
            .filter(|p| p.webhook_url.is_some())
            .map(|p| p.partner_id)
            .collect();
        let mut statements = Vec::new();
        for r in active.iter().filter(|r| r.revoked_at.is_none()) {
            statements.push(Statement::new(
                "UPDATE referral SET updated_at = $2 WHERE referral_id = $1",
                vec![r.referral_id.into(), now.into()],
            ));
            if with_webhook.contains(&r.partner_id) {
                let mut r = r.clone();
                r.updated_at = now;
                statements.push(outbox_statement(
                    r.partner_id,
                    "person.updated",
                    referral_json(&r),
                    now,
                ));
            }
        }
        if !statements.is_empty() {
            self.transaction(statements).await?;
        }
        let missing: Vec<(Partner, bool)> = self
            .eligible_partners(person_id)
            .await?
            .into_iter()
            .filter(|p| consents.get(&p.channel()) == Some(&true))
            .filter(|p| !active.iter().any(|r| r.partner_id == p.partner_id))
            .map(|p| (p, true))
            .collect();
        if !missing.is_empty() {
            let texts: HashMap<String, String> = self
                .query(
                    "SELECT channel, text FROM consent WHERE person_id = $1 AND granted AND channel LIKE 'partner:%' \
                     ORDER BY recorded_at"
                        .into(),
                    vec![person_id.into()],
                    |r| Ok((r.req_text(0)?, r.req_text(1)?)),
                )
                .await?
                .into_iter()
                .collect();
            self.record_partner_choices(
                person_id,
                &missing,
                &|p| texts.get(&p.channel()).cloned().unwrap_or_default(),
                "re-evaluated",
                "en",
                None,
                now,
            )
            .await?;
        }
        Ok(())
    }

    // ----- referrals and stages -------------------------------------------------------------

    /// A partner's active referrals, filtered and paged.
    pub async fn partner_referrals(
        &self,
        partner_id: Uuid,
        f: &ReferralFilter,
    ) -> Result<Vec<Referral>> {
        let mut params: Vec<Value> = vec![partner_id.into()];
        let mut clauses = vec![
            "r.partner_id = $1".to_owned(),
            "r.revoked_at IS NULL".to_owned(),
        ];
        let bind = |v: Value, params: &mut Vec<Value>| {
            params.push(v);
            format!("${}", params.len())
        };
        if let Some(s) = f.stage {
            let p = bind(s.as_str().into(), &mut params);
            clauses.push(format!("r.stage = {p}"));
        }
        if f.waiting {
            clauses.push("r.stage = 'new'".into());
        }
        if let Some(region) = &f.region {
            let p = bind(region.clone().into(), &mut params);
            clauses.push(format!("p.region = {p}"));
        }
        if let Some(from) = f.from {
            let p = bind(from.into(), &mut params);
            clauses.push(format!("r.created_at >= {p}"));
        }
        if let Some(to) = f.to {
            let p = bind(to.into(), &mut params);
            clauses.push(format!("r.created_at < {p}"));
        }
        if let Some(m) = f.modified_since {
            let p = bind(m.into(), &mut params);
            clauses.push(format!("r.updated_at >= {p}"));
        }
        let order = if f.waiting {
            "r.created_at ASC, r.referral_id"
        } else if f.modified_since.is_some() {
            "r.updated_at ASC, r.referral_id"
        } else {
            "r.created_at DESC, r.referral_id"
        };
        let limit = bind(f.limit.clamp(1, 1000).into(), &mut params);
        let offset = bind(f.offset.max(0).into(), &mut params);
        self.query(
            format!(
                "SELECT {REFERRAL_COLUMNS} FROM {REFERRAL_FROM} WHERE {} ORDER BY {order} LIMIT {limit} OFFSET {offset}",
                clauses.join(" AND ")
            ),
            params,
            map_referral,
        )
        .await
    }

    /// One referral of this partner, with its stage history; `None` for another partner's or
    /// a revoked one.
    pub async fn partner_referral(
        &self,
        partner_id: Uuid,
        referral_id: Uuid,
    ) -> Result<Option<(Referral, Vec<StageChange>)>> {
        let r = self
            .query_one(
                format!(
                    "SELECT {REFERRAL_COLUMNS} FROM {REFERRAL_FROM} WHERE r.referral_id = $1 AND r.partner_id = $2 \
                     AND r.revoked_at IS NULL"
                ),
                vec![referral_id.into(), partner_id.into()],
                map_referral,
            )
            .await?;
        match r {
            Some(r) => {
                let history = self.stage_history(r.referral_id).await?;
                Ok(Some((r, history)))
            }
            None => Ok(None),
        }
    }

    /// The partner's active referral of the person with this e-mail (CSV stage uploads).
    pub async fn partner_referral_by_email(
        &self,
        partner_id: Uuid,
        email: &str,
    ) -> Result<Option<Uuid>> {
        self.query_one(
            "SELECT r.referral_id FROM referral r JOIN person_identity i ON i.person_id = r.person_id \
             WHERE i.kind = 'email' AND i.value = $1 AND r.partner_id = $2 AND r.revoked_at IS NULL"
                .into(),
            vec![email.to_lowercase().into(), partner_id.into()],
            |r| r.req_uuid(0),
        )
        .await
    }

    async fn stage_history(&self, referral_id: Uuid) -> Result<Vec<StageChange>> {
        self.query(
            "SELECT s.at, s.stage, s.stage_date, s.note, u.email, t.name FROM referral_stage s \
             LEFT JOIN staff_user u ON u.user_id = s.by_user LEFT JOIN api_token t ON t.token_id = s.by_token \
             WHERE s.referral_id = $1 ORDER BY s.at, s.stage_id"
                .into(),
            vec![referral_id.into()],
            |r| {
                let stage = r.req_text(1)?;
                Ok(StageChange {
                    at: r.req_int(0)?,
                    stage: Stage::parse(&stage).with_context(|| format!("stage {stage:?}"))?,
                    stage_date: r.req_text(2)?,
                    note: r.text(3)?,
                    by: match (r.text(4)?, r.text(5)?) {
                        (Some(email), _) => email,
                        (None, Some(token)) => format!("API token \"{token}\""),
                        (None, None) => "system".into(),
                    },
                })
            },
        )
        .await
    }

    /// Moves a partner's referral to `stage` (dated `date`, with a note), by a user or a token.
    /// `false` when the referral is not this partner's or was revoked.
    #[allow(clippy::too_many_arguments)]
    pub async fn set_stage(
        &self,
        partner_id: Uuid,
        referral_id: Uuid,
        stage: Stage,
        date: &str,
        note: Option<&str>,
        by_user: Option<Uuid>,
        by_token: Option<Uuid>,
        now: Millis,
    ) -> Result<bool> {
        // Checked first (the history row is written only for a referral this partner holds);
        // the update repeats the check, so a revocation in between leaves the referral alone.
        if self
            .partner_referral(partner_id, referral_id)
            .await?
            .is_none()
        {
            return Ok(false);
        }
        let counts = self
            .transaction(vec![
                Statement::new(
                    "UPDATE referral SET stage = $3, stage_date = $4, updated_at = $5, \
                     first_contact_at = CASE WHEN first_contact_at IS NULL AND $3 <> 'new' THEN $5 ELSE first_contact_at END \
                     WHERE referral_id = $1 AND partner_id = $2 AND revoked_at IS NULL",
                    vec![
                        referral_id.into(),
                        partner_id.into(),
                        stage.as_str().into(),
                        date.into(),
                        now.into(),
                    ],
                ),
                stage_statement(referral_id, stage, date, note, by_user, by_token, now),
            ])
            .await?;
        Ok(counts.first().copied().unwrap_or(0) == 1)
    }

    /// Every referral of a person (revoked ones too), with stage histories: the staff view.
    pub async fn person_referrals(
        &self,
        person_id: Uuid,
    ) -> Result<Vec<(Referral, Vec<StageChange>)>> {
        let rows = self.referrals_of_person(person_id).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let h = self.stage_history(r.referral_id).await?;
            out.push((r, h));
        }
        Ok(out)
    }

    /// Every referral of a person (revoked ones too), without histories.
    async fn referrals_of_person(&self, person_id: Uuid) -> Result<Vec<Referral>> {
        self.query(
            format!("SELECT {REFERRAL_COLUMNS} FROM {REFERRAL_FROM} WHERE r.person_id = $1 ORDER BY pa.name"),
            vec![person_id.into()],
            map_referral,
        )
        .await
    }

    /// Every active referral, for the funnel (counts per partner, state and stage).
    pub async fn funnel_rows(&self) -> Result<Vec<FunnelRow>> {
        self.query(
            "SELECT r.partner_id, pa.name, p.region, r.stage, p.created_at, r.created_at, r.first_contact_at, \
             r.referral_id, r.person_id, p.given_name, p.family_name \
             FROM referral r JOIN partner pa ON pa.partner_id = r.partner_id JOIN person p ON p.person_id = r.person_id \
             WHERE r.revoked_at IS NULL"
                .into(),
            vec![],
            |r| {
                let stage = r.req_text(3)?;
                let given = r.req_text(9)?;
                Ok(FunnelRow {
                    referral_id: r.req_uuid(7)?,
                    person_id: r.req_uuid(8)?,
                    person_name: match r.text(10)? {
                        Some(f) => format!("{given} {f}"),
                        None => given,
                    },
                    partner_id: r.req_uuid(0)?,
                    partner_name: r.req_text(1)?,
                    region: r.req_text(2)?,
                    stage: Stage::parse(&stage).with_context(|| format!("stage {stage:?}"))?,
                    signed_up_at: r.req_int(4)?,
                    referred_at: r.req_int(5)?,
                    first_contact_at: r.int(6)?,
                })
            },
        )
        .await
    }

    /// The public counts: who wants to run or volunteer, who is connected to a partner, who
    /// got onto the ballot and who won (distinct people).
    pub async fn headline(&self) -> Result<Headline> {
        let row = self
            .query_one(
                "SELECT \
                 (SELECT COUNT(*) FROM person WHERE merged_into IS NULL AND interest IN ('run', 'both')), \
                 (SELECT COUNT(*) FROM person WHERE merged_into IS NULL AND interest IN ('volunteer', 'both')), \
                 (SELECT COUNT(DISTINCT person_id) FROM referral WHERE revoked_at IS NULL), \
                 (SELECT COUNT(DISTINCT person_id) FROM referral WHERE revoked_at IS NULL AND stage IN ('on_ballot', 'won', 'lost')), \
                 (SELECT COUNT(DISTINCT person_id) FROM referral WHERE revoked_at IS NULL AND stage = 'won')"
                    .into(),
                vec![],
                |r| {
                    Ok(Headline {
                        want_to_run: r.req_int(0)?,
                        want_to_volunteer: r.req_int(1)?,
                        connected: r.req_int(2)?,
                        on_ballot: r.req_int(3)?,
                        won: r.req_int(4)?,
                    })
                },
            )
            .await?;
        Ok(row.unwrap_or_default())
    }

    /// Whether any active partner or any race is stored: the thank-you page offers its next step
    /// only then.
    pub async fn has_partners_or_races(&self) -> Result<bool> {
        let n = self
            .query_one(
                "SELECT (SELECT COUNT(*) FROM partner WHERE active) + (SELECT COUNT(*) FROM race)"
                    .into(),
                vec![],
                |r| r.req_int(0),
            )
            .await?;
        Ok(n.unwrap_or(0) > 0)
    }

    // ----- API tokens -----------------------------------------------------------------------

    /// Creates a token for a partner; returns its id and the token itself, which is not stored.
    pub async fn create_token(
        &self,
        partner_id: Uuid,
        name: &str,
        now: Millis,
    ) -> Result<(Uuid, String)> {
        let token = format!("dbt_{}", hex::encode(rand_bytes()));
        let id = Uuid::now_v7();
        self.transaction(vec![Statement::new(
            "INSERT INTO api_token (token_id, partner_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
            vec![
                id.into(),
                partner_id.into(),
                name.into(),
                sha256_hex(&token).into(),
                now.into(),
            ],
        )])
        .await?;
        Ok((id, token))
    }

    /// The (token, partner) a presented token belongs to, if it is live; notes its use.
    pub async fn token_partner(&self, token: &str, now: Millis) -> Result<Option<(Uuid, Uuid)>> {
        let hit = self
            .query_one(
                "SELECT t.token_id, t.partner_id, t.last_used_at FROM api_token t \
                 JOIN partner p ON p.partner_id = t.partner_id \
                 WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND p.active"
                    .into(),
                vec![sha256_hex(token).into()],
                |r| Ok((r.req_uuid(0)?, r.req_uuid(1)?, r.int(2)?)),
            )
            .await?;
        let Some((id, partner, last_used)) = hit else {
            return Ok(None);
        };
        // "Last used" to the minute: a partner syncing page after page does not write per request.
        if last_used.is_none_or(|at| now - at >= 60_000) {
            self.transaction(vec![Statement::new(
                "UPDATE api_token SET last_used_at = $2 WHERE token_id = $1",
                vec![id.into(), now.into()],
            )])
            .await?;
        }
        Ok(Some((id, partner)))
    }

    pub async fn tokens(&self, partner_id: Uuid) -> Result<Vec<ApiToken>> {
        self.query(
            "SELECT token_id, partner_id, name, created_at, last_used_at, revoked_at FROM api_token \
             WHERE partner_id = $1 ORDER BY created_at DESC"
                .into(),
            vec![partner_id.into()],
            |r| {
                Ok(ApiToken {
                    token_id: r.req_uuid(0)?,
                    partner_id: r.req_uuid(1)?,
                    name: r.req_text(2)?,
                    created_at: r.req_int(3)?,
                    last_used_at: r.int(4)?,
                    revoked_at: r.int(5)?,
                })
            },
        )
        .await
    }

    pub async fn revoke_token(&self, partner_id: Uuid, token_id: Uuid, now: Millis) -> Result<()> {
        self.transaction(vec![Statement::new(
            "UPDATE api_token SET revoked_at = $3 WHERE token_id = $1 AND partner_id = $2 AND revoked_at IS NULL",
            vec![token_id.into(), partner_id.into(), now.into()],
        )])
        .await?;
        Ok(())
    }

    // ----- webhook outbox -------------------------------------------------------------------

    /// Events due for delivery (pending, next attempt reached), oldest first.
    pub async fn due_events(&self, now: Millis, limit: i64) -> Result<Vec<OutboxEvent>> {
        self.query(
            format!(
                "SELECT {OUTBOX_COLUMNS} FROM webhook_outbox o JOIN partner pa ON pa.partner_id = o.partner_id \
                 WHERE o.delivered_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= $1 \
                 ORDER BY o.next_attempt_at, o.event_id LIMIT $2"
            ),
            vec![now.into(), limit.into()],
            map_outbox,
        )
        .await
    }

    /// Takes an event for one delivery attempt: moves its next attempt to `lease_until` only
    /// if no other process did since it was read. `true` when this process has it.
    pub async fn claim_event(
        &self,
        event_id: Uuid,
        seen_next: Millis,
        lease_until: Millis,
    ) -> Result<bool> {
        let n = self
            .transaction(vec![Statement::new(
                "UPDATE webhook_outbox SET next_attempt_at = $3 WHERE event_id = $1 AND next_attempt_at = $2 \
                 AND delivered_at IS NULL AND failed_at IS NULL",
                vec![event_id.into(), seen_next.into(), lease_until.into()],
            )])
            .await?;
        Ok(n.first().copied() == Some(1))
    }

    pub async fn event_delivered(&self, event_id: Uuid, attempts: i64, now: Millis) -> Result<()> {
        self.transaction(vec![Statement::new(
            "UPDATE webhook_outbox SET delivered_at = $2, attempts = $3, last_error = NULL WHERE event_id = $1",
            vec![event_id.into(), now.into(), attempts.into()],
        )])
        .await?;
        Ok(())
    }

    /// Records a failed attempt: retried at `next_at`, or given up when `next_at` is `None`.
    pub async fn event_failed(
        &self,
        event_id: Uuid,
        attempts: i64,
        error: &str,
        next_at: Option<Millis>,
        now: Millis,
    ) -> Result<()> {
        let statement = match next_at {
            Some(at) => Statement::new(
                "UPDATE webhook_outbox SET attempts = $2, last_error = $3, next_attempt_at = $4 WHERE event_id = $1",
                vec![event_id.into(), attempts.into(), error.into(), at.into()],
            ),
            None => Statement::new(
                "UPDATE webhook_outbox SET attempts = $2, last_error = $3, failed_at = $4 WHERE event_id = $1",
                vec![event_id.into(), attempts.into(), error.into(), now.into()],
            ),
        };
        self.transaction(vec![statement]).await?;
        Ok(())
    }

    /// Recent events for the admin page, newest first; `status` is pending, delivered or failed.
    pub async fn outbox(&self, status: Option<&str>, limit: i64) -> Result<Vec<OutboxEvent>> {
        let clause = match status {
            Some("pending") => "WHERE o.delivered_at IS NULL AND o.failed_at IS NULL",
            Some("delivered") => "WHERE o.delivered_at IS NOT NULL",
            Some("failed") => "WHERE o.failed_at IS NOT NULL",
            _ => "",
        };
        self.query(
            format!(
                "SELECT {OUTBOX_COLUMNS} FROM webhook_outbox o JOIN partner pa ON pa.partner_id = o.partner_id \
                 {clause} ORDER BY o.created_at DESC, o.event_id DESC LIMIT $1"
            ),
            vec![limit.into()],
            map_outbox,
        )
        .await
    }

    /// Makes an undelivered event due now (an admin's "retry now"), failed ones included.
    pub async fn retry_event(&self, event_id: Uuid, now: Millis) -> Result<()> {
        self.transaction(vec![Statement::new(
            "UPDATE webhook_outbox SET next_attempt_at = $2, failed_at = NULL WHERE event_id = $1 AND delivered_at IS NULL",
            vec![event_id.into(), now.into()],
        )])
        .await?;
        Ok(())
    }

    // ----- secrets ----------------------------------------------------------------------------

    /// A 32-byte secret of this installation, made on first use and shared by every process.
    pub async fn app_secret(&self, name: &str) -> Result<Vec<u8>> {
        self.transaction(vec![Statement::new(
            "INSERT INTO app_secret (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            vec![name.into(), hex::encode(rand_bytes()).into()],
        )])
        .await?;
        let v = self
            .query_one(
                "SELECT value FROM app_secret WHERE name = $1".into(),
                vec![name.into()],
                |r| r.req_text(0),
            )
            .await?
            .context("the secret was not stored")?;
        Ok(hex::decode(v)?)
    }

    /// Partner ids by slug, for a list of slugs.
    pub async fn partners_by_slugs(&self, slugs: &[String]) -> Result<Vec<Partner>> {
        if slugs.is_empty() {
            return Ok(Vec::new());
        }
        self.query(
            format!(
                "SELECT {PARTNER_COLUMNS} FROM partner WHERE slug IN ({})",
                placeholders(slugs.len())
            ),
            slugs.iter().map(|s| s.clone().into()).collect(),
            map_partner,
        )
        .await
    }
}

fn revoke_statements(partner: &Partner, referral: Uuid, now: Millis) -> Vec<Statement> {
    let mut out = vec![Statement::new(
        "UPDATE referral SET revoked_at = $2, updated_at = $2 WHERE referral_id = $1",
        vec![referral.into(), now.into()],
    )];
    if partner.webhook_url.is_some() {
        out.push(outbox_statement(
            partner.partner_id,
            "referral.revoked",
            serde_json::json!({"id": referral, "partner": partner.slug, "revoked_at": rfc3339(now)}),
            now,
        ));
    }
    out
}

fn partner_params(input: &PartnerInput) -> Vec<Value> {
    vec![
        input.name.clone().into(),
        input.description.clone().into(),
        csv_of(&input.offers, Offer::as_str).into(),
        input.contact_email.clone().into(),
        input.rules.states.join(",").into(),
        csv_of(&input.rules.offices, Office::as_str).into(),
        csv_of(&input.rules.interests, Interest::as_str).into(),
        input.rules.born_from.map(i64::from).into(),
        input.rules.born_to.map(i64::from).into(),
        input.rules.languages.join(",").into(),
        input
            .share_mode
            .unwrap_or(ShareMode::Eligible)
            .as_str()
            .into(),
        input.webhook_url.clone().into(),
        input.active.into(),
    ]
}

fn rand_bytes() -> [u8; 32] {
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    b
}

fn sha256_hex(s: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_times() {
        assert_eq!(day_of(0), "1970-01-01");
        assert_eq!(day_of(1_795_392_000_000), "2026-11-23");
        assert_eq!(
            rfc3339(1_795_392_000_000 + 3_723_000),
            "2026-11-23T01:02:03Z"
        );
        assert_eq!(day_of(951_782_400_000), "2000-02-29");
    }
}
