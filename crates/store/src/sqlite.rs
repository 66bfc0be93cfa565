//! The embedded SQLite backend: one writer thread doing group commit, a small pool of readers.
//!
//! Durability: WAL with `synchronous=FULL`, so a committed transaction survives power loss.
//! Throughput: the writer takes every queued job at once, writes them in one transaction and
//! fsyncs once; a job that fails is rolled back alone (the batch is retried with a savepoint per
//! job), so one bad job cannot take others down with it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use uuid::Uuid;

use crate::fold::{self, IdentityKey, Plan};
use crate::sql;
use crate::value::{MapRow, RowAccess, Statement, Value, sqlite_sql};
use crate::writer::{Batch, JobReceiver};

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/sqlite/0001_init.sql")),
    (2, include_str!("../migrations/sqlite/0002_districts.sql")),
    (3, include_str!("../migrations/sqlite/0003_races.sql")),
    (4, include_str!("../migrations/sqlite/0004_partners.sql")),
];

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Owned(rusqlite::types::Value::Null),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::Int(i) => ToSqlOutput::Owned(rusqlite::types::Value::Integer(*i)),
            Value::Bool(b) => ToSqlOutput::Owned(rusqlite::types::Value::Integer(i64::from(*b))),
            Value::Float(f) => ToSqlOutput::Owned(rusqlite::types::Value::Real(*f)),
            Value::Uuid(u) => ToSqlOutput::Owned(rusqlite::types::Value::Text(u.to_string())),
        })
    }
}

struct Row<'a, 'b>(&'a rusqlite::Row<'b>);

impl RowAccess for Row<'_, '_> {
    fn text(&self, i: usize) -> Result<Option<String>> {
        Ok(self.0.get(i)?)
    }
    fn int(&self, i: usize) -> Result<Option<i64>> {
        Ok(self.0.get(i)?)
    }
    fn boolean(&self, i: usize) -> Result<bool> {
        Ok(self.0.get::<_, i64>(i)? != 0)
    }
    fn float(&self, i: usize) -> Result<Option<f64>> {
        Ok(self.0.get(i)?)
    }
    fn uuid(&self, i: usize) -> Result<Option<Uuid>> {
        let s: Option<String> = self.0.get(i)?;
        s.map(|s| Uuid::parse_str(&s).context("bad uuid in database"))
            .transpose()
    }
}

fn open_connection(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)
        .with_context(|| format!("opening SQLite database {}", path.display()))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 10000;
         PRAGMA cache_size = -16384;
         PRAGMA temp_store = MEMORY;",
    )
    .context("setting SQLite pragmas")?;
    Ok(conn)
}

/// Readers and the path; the writer thread owns its own connection.
pub struct SqliteBackend {
    path: PathBuf,
    readers: Mutex<Vec<Connection>>,
}

impl SqliteBackend {
    pub fn open(path: &Path) -> Result<Arc<Self>> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating directory {}", dir.display()))?;
        }
        let conn = open_connection(path)?;
        migrate(&conn)?;
        Ok(Arc::new(Self {
            path: path.to_owned(),
            readers: Mutex::new(vec![conn]),
        }))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn take(&self) -> Result<Connection> {
        let pooled = self
            .readers
            .lock()
            .map_err(|_| anyhow::anyhow!("pool poisoned"))?
            .pop();
        match pooled {
            Some(c) => Ok(c),
            None => open_connection(&self.path),
        }
    }

    fn give_back(&self, conn: Connection) {
        if let Ok(mut pool) = self.readers.lock()
            && pool.len() < 8
        {
            pool.push(conn);
        }
    }

    /// Runs `f` on a pooled connection on the blocking thread pool.
    pub async fn with_conn<T, F>(self: &Arc<Self>, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let this = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let mut conn = this.take()?;
            let out = f(&mut conn);
            this.give_back(conn);
            out
        })
        .await
        .context("database task panicked")?
    }

    pub async fn query<T: Send + 'static>(
        self: &Arc<Self>,
        sql: String,
        params: Vec<Value>,
        map: MapRow<T>,
    ) -> Result<Vec<T>> {
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare_cached(&sqlite_sql(&sql))
                .with_context(|| format!("preparing {sql}"))?;
            let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(map(&Row(row))?);
            }
            Ok(out)
        })
        .await
    }

    /// Streams rows through a bounded channel so an export of a million people stays small.
    pub fn stream<T: Send + 'static>(
        self: &Arc<Self>,
        sql: String,
        params: Vec<Value>,
        map: MapRow<T>,
    ) -> tokio::sync::mpsc::Receiver<Result<T>> {
        let (tx, rx) = tokio::sync::mpsc::channel(512);
        let this = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let run = || -> Result<()> {
                let conn = this.take()?;
                {
                    let mut stmt = conn.prepare(&sqlite_sql(&sql))?;
                    let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
                    while let Some(row) = rows.next()? {
                        if tx.blocking_send(map(&Row(row))).is_err() {
                            break; // the reader went away (client disconnected)
                        }
                    }
                }
                this.give_back(conn);
                Ok(())
            };
            if let Err(e) = run() {
                let _ = tx.blocking_send(Err(e));
            }
        });
        rx
    }

    pub async fn transaction(self: &Arc<Self>, statements: Vec<Statement>) -> Result<Vec<u64>> {
        self.with_conn(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut counts = Vec::with_capacity(statements.len());
            for s in &statements {
                let n = tx
                    .prepare_cached(&sqlite_sql(&s.sql))
                    .with_context(|| format!("preparing {}", s.sql))?
                    .execute(rusqlite::params_from_iter(s.params.iter()))?;
                counts.push(n as u64);
            }
            tx.commit()?;
            Ok(counts)
        })
        .await
    }

    /// Starts the group-commit writer thread.
    pub fn spawn_writer(
        self: &Arc<Self>,
        jobs: JobReceiver,
    ) -> Result<std::thread::JoinHandle<()>> {
        let conn = open_connection(&self.path)?;
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer_loop(conn, jobs))
            .context("starting the SQLite writer thread")
    }
}

fn migrate(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migration (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
    )?;
    for (version, ddl) in MIGRATIONS {
        let done: Option<i64> = conn
            .query_row(
                "SELECT version FROM schema_migration WHERE version = ?1",
                [version],
                |r| r.get(0),
            )
            .optional()?;
        if done.is_none() {
            let tx = conn.unchecked_transaction()?;
            tx.execute_batch(ddl)
                .with_context(|| format!("applying SQLite migration {version}"))?;
            tx.execute(
                "INSERT INTO schema_migration (version, applied_at) VALUES (?1, ?2)",
                [*version, crate::model::now_millis()],
            )?;
            tx.commit()?;
            tracing::info!(version, "applied migration");
        }
    }
    Ok(())
}

fn writer_loop(mut conn: Connection, mut jobs: JobReceiver) {
    while let Some(first) = jobs.blocking_recv() {
        let (batch, size) = crate::writer::take_batch(first, &mut jobs);
        write_batch(&mut conn, batch, size);
    }
    tracing::info!("SQLite writer stopped: queue closed and drained");
}

fn write_batch(conn: &mut Connection, batch: Batch, size: usize) {
    let started = std::time::Instant::now();
    // Fast path: every job in one transaction without savepoints (a savepoint makes SQLite copy
    // each page it touches to a sub-journal). Jobs almost never fail; when one does, the whole
    // transaction is rolled back and the batch is written again with a savepoint per job, so
    // the failing job leaves no trace and the others still commit.
    let committed = match write_jobs(conn, &batch, false) {
        Ok(results) if results.iter().all(Result::is_ok) => Ok(results),
        Ok(_) | Err(_) => write_jobs(conn, &batch, true),
    };
    crate::writer::record_batch(size, started.elapsed());
    match committed {
        Ok(results) => {
            for (job, result) in batch.into_iter().zip(results) {
                let _ = job.reply.send(result.map_err(Into::into));
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

type JobResults = Vec<Result<Vec<crate::model::SubmitOutcome>>>;

/// Writes the batch in one transaction. Without `isolate`, the first failing job stops the
/// batch and the transaction is rolled back (nothing committed); with it, each job runs in a
/// savepoint and a failing one is rolled back alone. Commits only when it returns `Ok`.
fn write_jobs(conn: &mut Connection, batch: &Batch, isolate: bool) -> Result<JobResults> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut results = Vec::with_capacity(batch.len());
    for job in batch {
        if isolate {
            tx.execute_batch("SAVEPOINT job")?;
        }
        let job_result = plan_job(&tx, &job.items).and_then(|plan| {
            apply(&tx, &plan)?;
            Ok(plan.outcomes)
        });
        match (&job_result, isolate) {
            (Ok(_), true) => tx.execute_batch("RELEASE job")?,
            (Err(_), true) => tx.execute_batch("ROLLBACK TO job; RELEASE job")?,
            (Err(_), false) => {
                results.push(job_result);
                return Ok(results); // dropping `tx` rolls back
            }
            (Ok(_), false) => {}
        }
        results.push(job_result);
    }
    tx.commit()?;
    Ok(results)
}

fn plan_job(conn: &Connection, items: &[crate::model::NewSubmission]) -> Result<Plan> {
    let mut existing: HashMap<IdentityKey, Uuid> = HashMap::new();
    let mut stmt = conn
        .prepare_cached("SELECT person_id FROM person_identity WHERE kind = ?1 AND value = ?2")?;
    for key in fold::keys(items) {
        let found: Option<String> = stmt
            .query_row(rusqlite::params![key.0, key.1], |r| r.get(0))
            .optional()?;
        if let Some(id) = found {
            existing.insert(key, Uuid::parse_str(&id)?);
        }
    }
    Ok(fold::plan(items, &existing))
}

fn exec(conn: &Connection, sql: &str, params: Vec<Value>) -> Result<usize> {
    Ok(conn
        .prepare_cached(sql)?
        .execute(rusqlite::params_from_iter(params.iter()))?)
}

fn insert_sql(table: &str, columns: &str, tail: &str) -> String {
    let n = columns.split(',').count();
    sqlite_sql(&format!(
        "INSERT INTO {table} ({columns}) VALUES ({}) {tail}",
        sql::placeholders(n)
    ))
}

/// The writer's statements, built once: `prepare_cached` looks them up by text.
struct WriterSql {
    person: String,
    identity: String,
    submission: String,
    consent: String,
    merge: String,
    division: String,
}

fn writer_sql() -> &'static WriterSql {
    static SQL: std::sync::OnceLock<WriterSql> = std::sync::OnceLock::new();
    SQL.get_or_init(|| WriterSql {
        person: insert_sql(
            "person",
            sql::PERSON_INSERT_COLUMNS,
            sql::PERSON_ON_CONFLICT,
        ),
        identity: insert_sql(
            "person_identity",
            sql::IDENTITY_INSERT_COLUMNS,
            "ON CONFLICT DO NOTHING",
        ),
        submission: insert_sql("submission", sql::SUBMISSION_INSERT_COLUMNS, ""),
        consent: insert_sql("consent", sql::CONSENT_INSERT_COLUMNS, ""),
        merge: insert_sql(
            "merge_candidate",
            sql::MERGE_INSERT_COLUMNS,
            "ON CONFLICT DO NOTHING",
        ),
        division: sqlite_sql(crate::districts::DIVISION_INSERT),
    })
}

fn apply(conn: &Connection, plan: &Plan) -> Result<()> {
    let q = writer_sql();
    for (_, p) in &plan.persons {
        exec(conn, &q.person, sql::person_params(p))?;
    }
    for i in &plan.identities {
        exec(conn, &q.identity, sql::identity_params(i))?;
    }
    for s in &plan.submissions {
        exec(conn, &q.submission, sql::submission_params(s))?;
    }
    for c in &plan.consents {
        exec(conn, &q.consent, sql::consent_params(c))?;
    }
    for m in &plan.merge_candidates {
        exec(conn, &q.merge, sql::merge_params(m))?;
    }
    for (person_id, new, divisions) in &plan.divisions {
        if !new {
            exec(
                conn,
                "DELETE FROM person_division WHERE person_id = ?1",
                vec![(*person_id).into()],
            )?;
        }
        for d in divisions {
            exec(
                conn,
                &q.division,
                crate::districts::division_params(*person_id, d),
            )?;
        }
    }
    Ok(())
}
