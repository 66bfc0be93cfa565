//! People: the dashboard, the filtered list and export, the person page, merges and consents.

use anyhow::Result;
use uuid::Uuid;

use crate::model::*;
use crate::sql::{self, PERSON_COLUMNS};
use crate::value::{Statement, Value};
use crate::{Store, StoreError};

/// The filters of the people list, shared by the page, the export and the CLI.
/// Values arrive already checked (state codes, enum values) by the caller.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PeopleFilter {
    /// Name, e-mail or phone, matched as a substring.
    pub q: Option<String>,
    pub region: Option<String>,
    /// `run` matches run and both; `volunteer` matches volunteer and both; `both` only both.
    pub interest: Option<String>,
    pub office: Option<String>,
    /// First sign-up at or after (ms).
    pub from: Option<Millis>,
    /// First sign-up before (ms).
    pub to: Option<Millis>,
    /// Any of the person's submissions came with this `?source=`.
    pub source: Option<String>,
    /// Lives in this division (an OCD-ID, e.g. `ocd-division/country:us/state:oh/sldl:12`).
    pub division: Option<String>,
}

impl PeopleFilter {
    fn where_clause(&self, params: &mut Vec<Value>) -> String {
        let mut clauses = vec!["merged_into IS NULL".to_owned()];
        let bind = |v: Value, params: &mut Vec<Value>| {
            params.push(v);
            format!("${}", params.len())
        };
        if let Some(q) = self.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            let q = q.to_lowercase();
            let digits: String = q.chars().filter(char::is_ascii_digit).collect();
            let mostly_digits = digits.len() >= 4
                && q.chars()
                    .all(|c| c.is_ascii_digit() || " +-().".contains(c));
            if mostly_digits {
                let p = bind(format!("%{digits}%").into(), params);
                clauses.push(format!(
                    "person_id IN (SELECT person_id FROM person_identity WHERE kind = 'phone' AND value LIKE {p})"
                ));
            } else {
                let like = format!("%{}%", q.replace(['%', '_'], ""));
                let p = bind(like.into(), params);
                clauses.push(format!(
                    "(lower(given_name || ' ' || COALESCE(family_name, '')) LIKE {p} \
                     OR person_id IN (SELECT person_id FROM person_identity WHERE kind = 'email' AND value LIKE {p}))"
                ));
            }
        }
        if let Some(r) = &self.region {
            let p = bind(r.clone().into(), params);
            clauses.push(format!("region = {p}"));
        }
        match self.interest.as_deref() {
            Some("run") => clauses.push("interest IN ('run', 'both')".into()),
            Some("volunteer") => clauses.push("interest IN ('volunteer', 'both')".into()),
            Some(other) => {
                let p = bind(other.into(), params);
                clauses.push(format!("interest = {p}"));
            }
            None => {}
        }
        if let Some(o) = &self.office {
            let p = bind(format!("%,{o},%").into(), params);
            clauses.push(format!("(',' || COALESCE(offices, '') || ',') LIKE {p}"));
        }
        if let Some(from) = self.from {
            let p = bind(from.into(), params);
            clauses.push(format!("created_at >= {p}"));
        }
        if let Some(to) = self.to {
            let p = bind(to.into(), params);
            clauses.push(format!("created_at < {p}"));
        }
        if let Some(d) = &self.division {
            let p = bind(d.clone().into(), params);
            clauses.push(format!(
                "person_id IN (SELECT person_id FROM person_division WHERE ocd_id = {p})"
            ));
        }
        if let Some(s) = &self.source {
            let p = bind(s.clone().into(), params);
            clauses.push(format!(
                "person_id IN (SELECT person_id FROM submission WHERE source = {p})"
            ));
        }
        clauses.join(" AND ")
    }
}

fn int0(r: &dyn crate::value::RowAccess) -> Result<i64> {
    Ok(r.int(0)?.unwrap_or(0))
}

impl Store {
    /// Totals, per-state counts, sign-ups per day for the last `days` days, the latest sign-ups.
    pub async fn dashboard(&self, days: i64, now: Millis) -> Result<Dashboard> {
        let mut d = Dashboard::default();
        let by_interest = self
            .query(
                "SELECT region, interest, COUNT(*) FROM person WHERE merged_into IS NULL \
                 GROUP BY region, interest ORDER BY region"
                    .into(),
                vec![],
                |r| Ok((r.req_text(0)?, r.req_text(1)?, r.req_int(2)?)),
            )
            .await?;
        for (region, interest, n) in by_interest {
            if d.by_state
                .last()
                .is_none_or(|s: &StateCounts| s.region != region)
            {
                d.by_state.push(StateCounts {
                    region: region.clone(),
                    ..Default::default()
                });
            }
            let s = d.by_state.last_mut().expect("pushed above");
            match interest.as_str() {
                "run" => {
                    s.run += n;
                    d.run += n;
                }
                "volunteer" => {
                    s.volunteer += n;
                    d.volunteer += n;
                }
                _ => {
                    s.both += n;
                    d.both += n;
                }
            }
            d.people += n;
        }
        d.submissions = self
            .query("SELECT COUNT(*) FROM submission".into(), vec![], int0)
            .await?
            .first()
            .copied()
            .unwrap_or(0);
        let today = now.div_euclid(86_400_000);
        let first_day = today - days + 1;
        d.per_day = self
            .query(
                "SELECT received_at / 86400000 AS day, COUNT(*) FROM submission \
                 WHERE received_at >= $1 GROUP BY received_at / 86400000 ORDER BY day"
                    .into(),
                vec![(first_day * 86_400_000).into()],
                |r| Ok((r.req_int(0)?, r.req_int(1)?)),
            )
            .await?;
        d.latest = self
            .query(
                "SELECT s.person_id, s.given_name || COALESCE(' ' || s.family_name, ''), s.region, \
                 s.interest, s.received_at, s.source FROM submission s \
                 ORDER BY s.received_at DESC, s.submission_id DESC LIMIT 10"
                    .into(),
                vec![],
                |r| {
                    Ok(LatestSignup {
                        person_id: r.req_uuid(0)?,
                        name: r.req_text(1)?,
                        region: r.req_text(2)?,
                        interest: r.req_text(3)?,
                        received_at: r.req_int(4)?,
                        source: r.text(5)?,
                    })
                },
            )
            .await?;
        d.open_merge_candidates = self
            .query(
                "SELECT COUNT(*) FROM merge_candidate WHERE status = 'open'".into(),
                vec![],
                int0,
            )
            .await?
            .first()
            .copied()
            .unwrap_or(0);
        Ok(d)
    }

    /// One page of people matching `filter`, newest first, and the total count.
    pub async fn list_people(
        &self,
        filter: &PeopleFilter,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<Person>, i64)> {
        let mut params = Vec::new();
        let wh = filter.where_clause(&mut params);
        let total = self
            .query(
                format!("SELECT COUNT(*) FROM person WHERE {wh}"),
                params.clone(),
                int0,
            )
            .await?
            .first()
            .copied()
            .unwrap_or(0);
        let n = params.len();
        params.push(limit.into());
        params.push(offset.into());
        let people = self
            .query(
                format!(
                    "SELECT {PERSON_COLUMNS} FROM person WHERE {wh} \
                     ORDER BY created_at DESC, person_id DESC LIMIT ${} OFFSET ${}",
                    n + 1,
                    n + 2
                ),
                params,
                sql::map_person,
            )
            .await?;
        Ok((people, total))
    }

    /// Every person matching `filter`, oldest first, streamed in constant memory.
    pub fn export_people(
        &self,
        filter: &PeopleFilter,
    ) -> tokio::sync::mpsc::Receiver<Result<Person>> {
        let mut params = Vec::new();
        let wh = filter.where_clause(&mut params);
        self.stream(
            format!(
                "SELECT {PERSON_COLUMNS} FROM person WHERE {wh} ORDER BY created_at, person_id"
            ),
            params,
            sql::map_person,
        )
    }

    pub async fn person(&self, id: Uuid) -> Result<Option<Person>> {
        self.query_one(
            format!("SELECT {PERSON_COLUMNS} FROM person WHERE person_id = $1"),
            vec![id.into()],
            sql::map_person,
        )
        .await
    }

    /// The person page: current fields, identities, every submission, consents, merge candidates.
    pub async fn person_detail(&self, id: Uuid) -> Result<Option<PersonDetail>> {
        let Some(person) = self.person(id).await? else {
            return Ok(None);
        };
        let identities = self
            .query(
                "SELECT kind, value FROM person_identity WHERE person_id = $1 ORDER BY kind, created_at"
                    .into(),
                vec![id.into()],
                |r| Ok((r.req_text(0)?, r.req_text(1)?)),
            )
            .await?;
        let submissions = self
            .query(
                format!(
                    "SELECT {} FROM submission WHERE person_id = $1 ORDER BY received_at DESC, submission_id DESC",
                    sql::SUBMISSION_COLUMNS
                ),
                vec![id.into()],
                sql::map_submission,
            )
            .await?;
        let consents = self
            .query(
                format!(
                    "SELECT {} FROM consent WHERE person_id = $1 ORDER BY recorded_at DESC, consent_id DESC",
                    sql::CONSENT_COLUMNS
                ),
                vec![id.into()],
                sql::map_consent,
            )
            .await?;
        let merge_candidates = self
            .query(
                format!(
                    "{} WHERE m.person_id = $1 OR m.other_person_id = $1 ORDER BY m.created_at DESC",
                    sql::MERGE_CANDIDATE_SELECT
                ),
                vec![id.into()],
                sql::map_merge_candidate,
            )
            .await?;
        let divisions = self.person_divisions(id).await?;
        let location = self.person_location(id).await?;
        Ok(Some(PersonDetail {
            person,
            identities,
            submissions,
            consents,
            merge_candidates,
            divisions,
            location,
        }))
    }

    pub async fn merge_candidate(&self, id: Uuid) -> Result<Option<MergeCandidate>> {
        self.query_one(
            format!(
                "{} WHERE m.merge_candidate_id = $1",
                sql::MERGE_CANDIDATE_SELECT
            ),
            vec![id.into()],
            sql::map_merge_candidate,
        )
        .await
    }

    /// Merges the candidate's other person into its person: identities, submissions and
    /// consents move over, empty fields are filled from the other, the other becomes a tombstone
    /// pointing at the survivor. Returns the survivor's id.
    pub async fn merge(
        &self,
        candidate_id: Uuid,
        by: Uuid,
        now: Millis,
    ) -> Result<Uuid, StoreError> {
        let c = self
            .merge_candidate(candidate_id)
            .await?
            .filter(|c| c.status == "open")
            .ok_or(StoreError::NotFound)?;
        let (keep, gone) = (c.person_id, c.other_person_id);
        let fill = |col: &str| {
            format!(
                "{col} = COALESCE(person.{col}, (SELECT g.{col} FROM person g WHERE g.person_id = $2))"
            )
        };
        let update_keep = format!(
            "UPDATE person SET {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, \
             consent_email = (consent_email OR (SELECT g.consent_email FROM person g WHERE g.person_id = $2)), \
             consent_sms = (consent_sms OR (SELECT g.consent_sms FROM person g WHERE g.person_id = $2)), \
             consent_share = (consent_share OR (SELECT g.consent_share FROM person g WHERE g.person_id = $2)), \
             submission_count = submission_count + (SELECT g.submission_count FROM person g WHERE g.person_id = $2), \
             created_at = (SELECT MIN(x.created_at) FROM person x WHERE x.person_id IN ($1, $2)), \
             updated_at = $3 WHERE person_id = $1",
            fill("family_name"),
            fill("email"),
            fill("phone"),
            fill("address_line"),
            fill("locality"),
            fill("offices"),
            fill("timeframe"),
            fill("involvement"),
            fill("involvement_detail"),
            fill("birth_year"),
        );
        let ids = || vec![Value::from(keep), Value::from(gone)];
        let statements = vec![
            Statement::new(update_keep, vec![keep.into(), gone.into(), now.into()]),
            Statement::new(
                "UPDATE person_identity SET person_id = $1 WHERE person_id = $2",
                ids(),
            ),
            Statement::new(
                "UPDATE submission SET person_id = $1 WHERE person_id = $2",
                ids(),
            ),
            Statement::new(
                "UPDATE consent SET person_id = $1 WHERE person_id = $2",
                ids(),
            ),
            // Referrals follow, unless the kept person already has one with that partner (one
            // referral per person and partner): that one stays, the other stays on the tombstone.
            Statement::new(
                "UPDATE referral SET person_id = $1, updated_at = $3 WHERE person_id = $2 \
                 AND partner_id NOT IN (SELECT partner_id FROM referral WHERE person_id = $1)",
                vec![keep.into(), gone.into(), now.into()],
            ),
            Statement::new(
                "UPDATE person SET merged_into = $1, submission_count = 0, updated_at = $3 WHERE person_id = $2",
                vec![keep.into(), gone.into(), now.into()],
            ),
            Statement::new(
                "UPDATE merge_candidate SET status = 'merged', resolved_at = $2, resolved_by = $3 \
                 WHERE merge_candidate_id = $1 AND status = 'open'",
                vec![candidate_id.into(), now.into(), by.into()],
            ),
            audit_statement(
                by,
                "merge",
                Some(keep),
                Some(format!("merged {gone} into {keep}")),
                now,
            ),
        ];
        let counts = self.transaction(statements).await?;
        if counts[7] != 1 {
            return Err(StoreError::NotFound);
        }
        Ok(keep)
    }

    pub async fn dismiss_merge(
        &self,
        candidate_id: Uuid,
        by: Uuid,
        now: Millis,
    ) -> Result<(), StoreError> {
        let c = self
            .merge_candidate(candidate_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let counts = self
            .transaction(vec![
                Statement::new(
                    "UPDATE merge_candidate SET status = 'dismissed', resolved_at = $2, resolved_by = $3 \
                     WHERE merge_candidate_id = $1 AND status = 'open'",
                    vec![candidate_id.into(), now.into(), by.into()],
                ),
                audit_statement(
                    by,
                    "dismiss_merge",
                    Some(c.person_id),
                    Some(format!("kept {} and {} apart", c.person_id, c.other_person_id)),
                    now,
                ),
            ])
            .await?;
        if counts[0] != 1 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Records that the person withdrew a consent (told staff), and clears it on the person.
    pub async fn withdraw_consent(
        &self,
        person_id: Uuid,
        channel: &'static str,
        text: &str,
        by: Uuid,
        now: Millis,
    ) -> Result<(), StoreError> {
        let column = match channel {
            "email" => "consent_email",
            "sms" => "consent_sms",
            "share" => "consent_share",
            _ => return Err(StoreError::NotFound),
        };
        let counts = self
            .transaction(vec![
                Statement::new(
                    format!("UPDATE person SET {column} = FALSE, updated_at = $2 WHERE person_id = $1"),
                    vec![person_id.into(), now.into()],
                ),
                Statement::new(
                    "INSERT INTO consent (consent_id, person_id, submission_id, channel, granted, text, \
                     text_version, lang, recorded_at, recorded_by) VALUES ($1, $2, NULL, $3, FALSE, $4, 'staff', 'en', $5, $6)",
                    vec![
                        Uuid::now_v7().into(),
                        person_id.into(),
                        channel.into(),
                        text.into(),
                        now.into(),
                        by.into(),
                    ],
                ),
                audit_statement(by, "withdraw_consent", Some(person_id), Some(channel.into()), now),
            ])
            .await?;
        if counts[0] != 1 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Counts for tests and checks: (people not merged away, submissions).
    pub async fn counts(&self) -> Result<(i64, i64)> {
        let p = self
            .query(
                "SELECT COUNT(*) FROM person WHERE merged_into IS NULL".into(),
                vec![],
                int0,
            )
            .await?;
        let s = self
            .query("SELECT COUNT(*) FROM submission".into(), vec![], int0)
            .await?;
        Ok((p[0], s[0]))
    }

    /// Every submission id, for the surge and crash checks.
    pub async fn submission_ids(&self) -> Result<Vec<Uuid>> {
        self.query("SELECT submission_id FROM submission".into(), vec![], |r| {
            r.req_uuid(0)
        })
        .await
    }
}

pub(crate) fn audit_statement(
    by: Uuid,
    action: &str,
    person_id: Option<Uuid>,
    detail: Option<String>,
    now: Millis,
) -> Statement {
    Statement::new(
        "INSERT INTO audit_log (audit_id, at, user_id, action, person_id, detail) VALUES ($1, $2, $3, $4, $5, $6)",
        vec![
            Uuid::now_v7().into(),
            now.into(),
            by.into(),
            action.into(),
            person_id.into(),
            detail.into(),
        ],
    )
}
