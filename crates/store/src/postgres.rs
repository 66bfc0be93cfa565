//! The PostgreSQL backend: a connection pool for reads, one writer task for group commit.
//!
//! The writer applies a whole batch with one set-based statement per table
//! (`INSERT … SELECT * FROM UNNEST($1::…[], …)`), a few round trips for hundreds of sign-ups.
//! Several `serve` processes may share one database: each batch takes a transaction-level
//! advisory lock first, so folding decisions never race across processes.

use std::collections::HashMap;
use std::str::FromStr;

use anyhow::{Context, Result};
use bytes::BytesMut;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use futures::{StreamExt, pin_mut};
use tokio_postgres::NoTls;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use uuid::Uuid;

use crate::fold::{self, IdentityKey, Plan};
use crate::model::NewSubmission;
use crate::sql;
use crate::value::{MapRow, RowAccess, Statement, Value};
use crate::writer::{Batch, JobReceiver};

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/postgres/0001_init.sql")),
    (2, include_str!("../migrations/postgres/0002_districts.sql")),
    (3, include_str!("../migrations/postgres/0003_races.sql")),
    (4, include_str!("../migrations/postgres/0004_partners.sql")),
];
/// Serializes group commits (and migrations) across processes sharing the database.
pub(crate) const WRITE_LOCK: i64 = 28_270_056_414_798_188;

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Text(s) => s.to_sql(ty, out),
            Value::Int(i) => match *ty {
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                _ => i.to_sql(ty, out),
            },
            Value::Bool(b) => b.to_sql(ty, out),
            Value::Float(f) => match *ty {
                Type::FLOAT4 => (*f as f32).to_sql(ty, out),
                _ => f.to_sql(ty, out),
            },
            Value::Uuid(u) => u.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

struct Row<'a>(&'a tokio_postgres::Row);

impl RowAccess for Row<'_> {
    fn text(&self, i: usize) -> Result<Option<String>> {
        Ok(self.0.try_get(i)?)
    }
    fn int(&self, i: usize) -> Result<Option<i64>> {
        Ok(self.0.try_get(i)?)
    }
    fn boolean(&self, i: usize) -> Result<bool> {
        Ok(self.0.try_get(i)?)
    }
    fn uuid(&self, i: usize) -> Result<Option<Uuid>> {
        Ok(self.0.try_get(i)?)
    }
    fn float(&self, i: usize) -> Result<Option<f64>> {
        Ok(self.0.try_get(i)?)
    }
}

fn refs(params: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

pub struct PgBackend {
    pool: Pool,
    /// Kept for the writer's own connection.
    config: Box<tokio_postgres::Config>,
}

fn pool(config: &tokio_postgres::Config, size: usize) -> Result<Pool> {
    let manager = Manager::from_config(
        config.clone(),
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size)
        .build()
        .context("building the PostgreSQL pool")
}

impl PgBackend {
    pub async fn open(url: &str) -> Result<Self> {
        let config = tokio_postgres::Config::from_str(url).context("parsing the PostgreSQL URL")?;
        let backend = Self {
            pool: pool(&config, 16)?,
            config: Box::new(config),
        };
        backend.migrate().await?;
        Ok(backend)
    }

    async fn client(&self) -> Result<deadpool_postgres::Object> {
        self.pool.get().await.context("connecting to PostgreSQL")
    }

    async fn migrate(&self) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
            .await?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migration (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
        )
        .await?;
        for (version, ddl) in MIGRATIONS {
            let done = tx
                .query_opt(
                    "SELECT version FROM schema_migration WHERE version = $1",
                    &[version],
                )
                .await?;
            if done.is_none() {
                tx.batch_execute(ddl)
                    .await
                    .with_context(|| format!("applying PostgreSQL migration {version}"))?;
                tx.execute(
                    "INSERT INTO schema_migration (version, applied_at) VALUES ($1, $2)",
                    &[version, &crate::model::now_millis()],
                )
                .await?;
                tracing::info!(version, "applied migration");
            }
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn query<T>(
        &self,
        sql: String,
        params: Vec<Value>,
        map: MapRow<T>,
    ) -> Result<Vec<T>> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&sql)
            .await
            .with_context(|| format!("preparing {sql}"))?;
        let rows = client.query(&stmt, &refs(&params)).await?;
        rows.iter().map(|r| map(&Row(r))).collect()
    }

    pub fn stream<T: Send + 'static>(
        &self,
        sql: String,
        params: Vec<Value>,
        map: MapRow<T>,
    ) -> tokio::sync::mpsc::Receiver<Result<T>> {
        let (tx, rx) = tokio::sync::mpsc::channel(512);
        let pool = self.pool.clone();
        tokio::spawn(async move {
            let run = async {
                let client = pool.get().await.context("connecting to PostgreSQL")?;
                let rows = client.query_raw(&sql, params.iter()).await?;
                pin_mut!(rows);
                while let Some(row) = rows.next().await {
                    if tx.send(map(&Row(&row?))).await.is_err() {
                        break;
                    }
                }
                anyhow::Ok(())
            };
            if let Err(e) = run.await {
                let _ = tx.send(Err(e)).await;
            }
        });
        rx
    }

    pub async fn transaction(&self, statements: Vec<Statement>) -> Result<Vec<u64>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let mut counts = Vec::with_capacity(statements.len());
        for s in &statements {
            let stmt = tx
                .prepare_cached(&s.sql)
                .await
                .with_context(|| format!("preparing {}", s.sql))?;
            counts.push(tx.execute(&stmt, &refs(&s.params)).await?);
        }
        tx.commit().await?;
        Ok(counts)
    }

    /// Starts the group-commit writer: a thread with its own single-threaded runtime and its
    /// own connection, so each round trip of a batch resumes at once instead of queueing
    /// behind request handlers on the shared runtime.
    pub fn spawn_writer(&self, jobs: JobReceiver) -> Result<std::thread::JoinHandle<()>> {
        let pool = pool(&self.config, 1)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("building the PostgreSQL writer's runtime")?;
        std::thread::Builder::new()
            .name("pg-writer".into())
            .spawn(move || runtime.block_on(writer_loop(pool, jobs)))
            .context("starting the PostgreSQL writer thread")
    }
}

async fn writer_loop(pool: Pool, mut jobs: JobReceiver) {
    while let Some(first) = jobs.recv().await {
        let (batch, size) = crate::writer::take_batch(first, &mut jobs);
        write_batch(&pool, batch, size).await;
    }
    tracing::info!("PostgreSQL writer stopped: queue closed and drained");
}

async fn write_batch(pool: &Pool, batch: Batch, size: usize) {
    let started = std::time::Instant::now();
    let all: Vec<NewSubmission> = batch.iter().flat_map(|j| j.items.iter().cloned()).collect();
    match commit_items(pool, &all).await {
        Ok(plan) => {
            crate::writer::record_batch(size, started.elapsed());
            let mut outcomes = plan.outcomes.into_iter();
            for job in batch {
                let mine: Vec<_> = outcomes.by_ref().take(job.items.len()).collect();
                let _ = job.reply.send(Ok(mine));
            }
        }
        Err(e) if batch.len() > 1 => {
            // One bad job must not fail the others: retry each in its own transaction.
            tracing::warn!(error = %format!("{e:#}"), jobs = batch.len(), "batch failed; retrying jobs one by one");
            for job in batch {
                let result = commit_items(pool, &job.items)
                    .await
                    .map(|p| p.outcomes)
                    .map_err(crate::StoreError::Database);
                let _ = job.reply.send(result);
            }
        }
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "group commit failed");
            for job in batch {
                let _ = job
                    .reply
                    .send(Err(crate::StoreError::Database(anyhow::anyhow!(
                        "commit failed: {e:#}"
                    ))));
            }
        }
    }
}

async fn commit_items(pool: &Pool, items: &[NewSubmission]) -> Result<Plan> {
    let mut client = pool.get().await.context("connecting to PostgreSQL")?;
    let tx = client.transaction().await?;
    // The lock that serializes folding across `serve` processes, and custom plans for this
    // transaction: a generic plan made while a table was small would keep scanning the whole
    // table for every batch as a surge fills it.
    let lock = tx
        .prepare_cached(
            "SELECT pg_advisory_xact_lock($1), set_config('plan_cache_mode', 'force_custom_plan', true)",
        )
        .await?;
    tx.execute(&lock, &[&WRITE_LOCK]).await?;
    let keys = fold::keys(items);
    let of_kind = |kind: &str| -> Vec<&str> {
        keys.iter()
            .filter(|k| k.0 == kind)
            .map(|k| k.1.as_str())
            .collect()
    };
    // One index probe per key on the primary key (kind, value): `= ANY` keeps the planner on
    // the index even before the table's statistics have caught up with a surge.
    let lookup = tx
        .prepare_cached(
            "SELECT kind, value, person_id FROM person_identity \
             WHERE (kind = 'email' AND value = ANY($1::text[])) \
                OR (kind = 'phone' AND value = ANY($2::text[]))",
        )
        .await?;
    let rows = tx
        .query(&lookup, &[&of_kind("email"), &of_kind("phone")])
        .await?;
    let mut existing: HashMap<IdentityKey, Uuid> = HashMap::new();
    for r in rows {
        let kind: String = r.get(0);
        let kind = if kind == "email" { "email" } else { "phone" };
        existing.insert((kind, r.get(1)), r.get(2));
    }
    let plan = fold::plan(items, &existing);
    apply(&tx, &plan).await?;
    tx.commit().await?;
    Ok(plan)
}

/// Runs a statement prepared once per connection (deadpool keeps the cache): the server parses
/// the writer's statements once, not on every batch (they are still planned per batch, see
/// `commit_items`).
async fn run(
    tx: &deadpool_postgres::Transaction<'_>,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<u64> {
    let statement = tx.prepare_cached(sql).await?;
    Ok(tx.execute(&statement, params).await?)
}

/// Columns as arrays, one `UNNEST` parameter each.
fn column<T, U: ToSql + Sync + 'static>(rows: &[T], f: impl Fn(&T) -> U) -> Vec<U> {
    rows.iter().map(f).collect()
}

async fn apply(tx: &deadpool_postgres::Transaction<'_>, plan: &Plan) -> Result<()> {
    let p: Vec<_> = plan.persons.iter().map(|(_, p)| p).collect();
    if !p.is_empty() {
        let sql = format!(
            "INSERT INTO person ({}) SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], \
             $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], \
             $12::text[], $13::text[], $14::text[], $15::bigint[], $16::bool[], $17::bool[], $18::bool[], \
             $19::text[], $20::bigint[], $21::bigint[], $22::bigint[], $23::float8[], $24::float8[], \
             $25::text[], $26::bigint[]) {}",
            sql::PERSON_INSERT_COLUMNS,
            sql::PERSON_ON_CONFLICT
        );
        run(
            tx,
            &sql,
            &[
                &column(&p, |x| x.person_id),
                &column(&p, |x| x.given_name.clone()),
                &column(&p, |x| x.family_name.clone()),
                &column(&p, |x| x.email.clone()),
                &column(&p, |x| x.phone.clone()),
                &column(&p, |x| x.address_line.clone()),
                &column(&p, |x| x.locality.clone()),
                &column(&p, |x| x.region.clone()),
                &column(&p, |x| x.postal_code.clone()),
                &column(&p, |x| x.interest.clone()),
                &column(&p, |x| x.offices.clone()),
                &column(&p, |x| x.timeframe.clone()),
                &column(&p, |x| x.involvement.clone()),
                &column(&p, |x| x.involvement_detail.clone()),
                &column(&p, |x| x.birth_year),
                &column(&p, |x| x.consent_email),
                &column(&p, |x| x.consent_sms),
                &column(&p, |x| x.consent_share),
                &column(&p, |x| x.source.clone()),
                &column(&p, |x| x.added_submissions),
                &column(&p, |x| x.at),
                &column(&p, |x| x.at),
                &column(&p, |x| x.latitude),
                &column(&p, |x| x.longitude),
                &column(&p, |x| x.location_accuracy.clone()),
                &column(&p, |x| x.located_at),
            ],
        )
        .await
        .context("upserting people")?;
    }
    let ids = &plan.identities;
    if !ids.is_empty() {
        run(
            tx,
            "INSERT INTO person_identity (kind, value, person_id, created_at) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::uuid[], $4::bigint[]) ON CONFLICT DO NOTHING",
            &[
                &column(ids, |x| x.kind.to_owned()),
                &column(ids, |x| x.value.clone()),
                &column(ids, |x| x.person_id),
                &column(ids, |x| x.at),
            ],
        )
        .await
        .context("inserting identities")?;
    }
    let s = &plan.submissions;
    if !s.is_empty() {
        let sql = format!(
            "INSERT INTO submission ({}) SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::bigint[], \
             $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], \
             $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], \
             $18::text[], $19::text[], $20::text[], $21::bigint[], $22::bool[], $23::bool[], $24::bool[])",
            sql::SUBMISSION_INSERT_COLUMNS
        );
        run(
            tx,
            &sql,
            &[
                &column(s, |x| x.submission_id),
                &column(s, |x| x.person_id),
                &column(s, |x| x.received_at),
                &column(s, |x| x.channel.to_owned()),
                &column(s, |x| x.lang.to_owned()),
                &column(s, |x| x.source.clone()),
                &column(s, |x| x.referrer.clone()),
                &column(s, |x| x.given_name.clone()),
                &column(s, |x| x.family_name.clone()),
                &column(s, |x| x.email.clone()),
                &column(s, |x| x.phone.clone()),
                &column(s, |x| x.address_line.clone()),
                &column(s, |x| x.locality.clone()),
                &column(s, |x| x.region.clone()),
                &column(s, |x| x.postal_code.clone()),
                &column(s, |x| x.interest.clone()),
                &column(s, |x| x.offices.clone()),
                &column(s, |x| x.timeframe.clone()),
                &column(s, |x| x.involvement.clone()),
                &column(s, |x| x.involvement_detail.clone()),
                &column(s, |x| x.birth_year),
                &column(s, |x| x.consent_email),
                &column(s, |x| x.consent_sms),
                &column(s, |x| x.consent_share),
            ],
        )
        .await
        .context("inserting submissions")?;
    }
    let c = &plan.consents;
    if !c.is_empty() {
        run(
            tx,
            "INSERT INTO consent (consent_id, person_id, submission_id, channel, granted, text, text_version, lang, recorded_at) \
             SELECT a, b, c, d, TRUE, e, f, g, h FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], \
             $5::text[], $6::text[], $7::text[], $8::bigint[]) AS t(a, b, c, d, e, f, g, h)",
            &[
                &column(c, |x| x.consent_id),
                &column(c, |x| x.person_id),
                &column(c, |x| x.submission_id),
                &column(c, |x| x.channel.to_owned()),
                &column(c, |x| x.text.clone()),
                &column(c, |x| x.version.clone()),
                &column(c, |x| x.lang.to_owned()),
                &column(c, |x| x.at),
            ],
        )
        .await
        .context("inserting consents")?;
    }
    for m in &plan.merge_candidates {
        let sql = format!(
            "INSERT INTO merge_candidate ({}) VALUES ({}) ON CONFLICT DO NOTHING",
            sql::MERGE_INSERT_COLUMNS,
            sql::placeholders(6)
        );
        let params = sql::merge_params(m);
        run(tx, &sql, &refs(&params))
            .await
            .context("inserting merge candidates")?;
    }
    let old: Vec<Uuid> = plan
        .divisions
        .iter()
        .filter(|d| !d.1)
        .map(|d| d.0)
        .collect();
    if !old.is_empty() {
        run(
            tx,
            "DELETE FROM person_division WHERE person_id = ANY($1)",
            &[&old],
        )
        .await
        .context("clearing divisions")?;
    }
    let rows: Vec<(Uuid, &crate::model::DivisionRef)> = plan
        .divisions
        .iter()
        .flat_map(|(id, _, ds)| ds.iter().map(move |d| (*id, d)))
        .collect();
    if !rows.is_empty() {
        run(
            tx,
            "INSERT INTO person_division (person_id, ocd_id, kind, layer_id, map) \
             SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[]) ON CONFLICT DO NOTHING",
            &[
                &column(&rows, |x| x.0),
                &column(&rows, |x| x.1.ocd_id.clone()),
                &column(&rows, |x| x.1.kind.clone()),
                &column(&rows, |x| x.1.layer_id.clone()),
                &column(&rows, |x| x.1.map.clone()),
            ],
        )
        .await
        .context("inserting divisions")?;
    }
    Ok(())
}
