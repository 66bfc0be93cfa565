//! Storage for downballot: embedded SQLite by default, PostgreSQL when the URL says `postgres://`.
//!
//! [`Store`] is the one entry point. Sign-ups go through a group-commit queue ([`writer`]) and are
//! folded into people by [`fold`], identically on both backends; reads and staff writes use SQL
//! written once ([`sql`], [`people`], [`staff`]) over a small value/row layer ([`value`]).

/// Boundary layers, the OCD-ID catalog, people's points and divisions.
pub mod districts;
/// How a batch of sign-ups folds into people (backend-agnostic).
pub mod fold;
/// Plain data the store takes and returns.
pub mod model;
/// Partners, per-partner consent, referrals and stages, API tokens, the webhook outbox.
pub mod partners;
/// People queries: dashboard, list, export, person page, merges, consents.
pub mod people;
/// The PostgreSQL backend.
pub mod postgres;
/// Elections, races and candidates; people joined to them by division.
pub mod races;
/// SQL and row mappers shared by both backends.
pub mod sql;
/// The SQLite backend.
pub mod sqlite;
/// Staff accounts, sessions and the audit log.
pub mod staff;
/// Parameters and rows that work on both backends.
pub mod value;
/// The group-commit queue.
pub mod writer;

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use anyhow::Result;
use tokio::sync::{mpsc, oneshot};

use model::{NewSubmission, SubmitOutcome};
use value::{MapRow, Statement, Value};
use writer::{Job, JobSender};

pub use people::PeopleFilter;

/// Errors callers must tell apart; everything else is [`StoreError::Database`].
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The write queue is full: answer 503 and let the client retry.
    #[error("too many sign-ups are waiting to be written; try again in a moment")]
    Overloaded,
    /// The store is shutting down or its writer stopped.
    #[error("the database writer is not running")]
    Unavailable,
    #[error("not found")]
    NotFound,
    #[error("{0} already exists")]
    Duplicate(&'static str),
    #[error(transparent)]
    Database(#[from] anyhow::Error),
}

/// Where the data lives, parsed from `--database`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    /// `postgres://…` or `postgresql://…` selects PostgreSQL; `sqlite://PATH`, `sqlite:PATH` or a
    /// plain path selects SQLite.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("the database URL is empty".into());
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(s.to_owned()));
        }
        let path = s
            .strip_prefix("sqlite://")
            .or_else(|| s.strip_prefix("sqlite:"))
            .unwrap_or(s);
        if path.contains("://") {
            return Err(format!(
                "unsupported database URL {s:?}: use a postgres:// URL or a SQLite file path"
            ));
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            DatabaseUrl::Sqlite(_) => "sqlite",
            DatabaseUrl::Postgres(_) => "postgres",
        }
    }
}

enum Backend {
    Sqlite(Arc<sqlite::SqliteBackend>),
    Postgres(postgres::PgBackend),
}

/// The writer runs on a thread of its own for both backends: its commits never wait behind
/// request handlers for a turn on the runtime's workers.
struct WriterHandle(std::thread::JoinHandle<()>);

struct Inner {
    backend: Backend,
    jobs: RwLock<Option<JobSender>>,
    writer: std::sync::Mutex<Option<WriterHandle>>,
}

/// A handle to the database; cheap to clone. Must be created inside a Tokio runtime.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

impl Store {
    /// Opens the database, applies migrations and starts the group-commit writer.
    pub async fn open(url: &DatabaseUrl) -> Result<Store> {
        let (tx, rx) = writer::queue();
        let (backend, handle) = match url {
            DatabaseUrl::Sqlite(path) => {
                let path = path.clone();
                let b = tokio::task::spawn_blocking(move || sqlite::SqliteBackend::open(&path))
                    .await??;
                let h = b.spawn_writer(rx)?;
                (Backend::Sqlite(b), WriterHandle(h))
            }
            DatabaseUrl::Postgres(url) => {
                let b = postgres::PgBackend::open(url).await?;
                let h = b.spawn_writer(rx)?;
                (Backend::Postgres(b), WriterHandle(h))
            }
        };
        Ok(Store {
            inner: Arc::new(Inner {
                backend,
                jobs: RwLock::new(Some(tx)),
                writer: std::sync::Mutex::new(Some(handle)),
            }),
        })
    }

    pub fn backend_name(&self) -> &'static str {
        match self.inner.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    fn sender(&self) -> Result<JobSender, StoreError> {
        self.inner
            .jobs
            .read()
            .map_err(|_| StoreError::Unavailable)?
            .clone()
            .ok_or(StoreError::Unavailable)
    }

    /// Queues one sign-up and waits until it is durably committed. Refuses at once when the
    /// queue is full ([`StoreError::Overloaded`]).
    pub async fn submit(&self, item: NewSubmission) -> Result<SubmitOutcome, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.sender()?
            .try_send(Job {
                items: vec![item],
                reply,
            })
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => StoreError::Overloaded,
                mpsc::error::TrySendError::Closed(_) => StoreError::Unavailable,
            })?;
        let mut outcomes = rx.await.map_err(|_| StoreError::Unavailable)??;
        outcomes.pop().ok_or(StoreError::Unavailable)
    }

    /// Commits many sign-ups as one job (imports), waiting for queue space rather than refusing.
    /// All of them commit or none does.
    pub async fn submit_many(
        &self,
        items: Vec<NewSubmission>,
    ) -> Result<Vec<SubmitOutcome>, StoreError> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let (reply, rx) = oneshot::channel();
        self.sender()?
            .send(Job { items, reply })
            .await
            .map_err(|_| StoreError::Unavailable)?;
        rx.await.map_err(|_| StoreError::Unavailable)?
    }

    /// Stops taking sign-ups, lets the writer commit everything queued, and waits for it.
    pub async fn close(&self) {
        if let Ok(mut jobs) = self.inner.jobs.write() {
            jobs.take();
        }
        let handle = self.inner.writer.lock().ok().and_then(|mut h| h.take());
        if let Some(WriterHandle(h)) = handle {
            let _ = tokio::task::spawn_blocking(move || h.join()).await;
        }
    }

    /// Checks the database answers.
    pub async fn ping(&self) -> Result<()> {
        self.query("SELECT 1".into(), vec![], |r| r.req_int(0))
            .await?;
        Ok(())
    }

    pub(crate) async fn query<T: Send + 'static>(
        &self,
        sql: String,
        params: Vec<Value>,
        map: MapRow<T>,
    ) -> Result<Vec<T>> {
        match &self.inner.backend {
            Backend::Sqlite(b) => b.query(sql, params, map).await,
            Backend::Postgres(b) => b.query(sql, params, map).await,
        }
    }

    pub(crate) async fn query_one<T: Send + 'static>(
        &self,
        sql: String,
        params: Vec<Value>,
        map: MapRow<T>,
    ) -> Result<Option<T>> {
        Ok(self.query(sql, params, map).await?.into_iter().next())
    }

    pub(crate) fn stream<T: Send + 'static>(
        &self,
        sql: String,
        params: Vec<Value>,
        map: MapRow<T>,
    ) -> mpsc::Receiver<Result<T>> {
        match &self.inner.backend {
            Backend::Sqlite(b) => b.stream(sql, params, map),
            Backend::Postgres(b) => b.stream(sql, params, map),
        }
    }

    /// Runs statements in one transaction. On PostgreSQL the transaction first takes the
    /// group-commit lock, so staff changes to people never interleave with a batch.
    pub(crate) async fn transaction(&self, mut statements: Vec<Statement>) -> Result<Vec<u64>> {
        match &self.inner.backend {
            Backend::Sqlite(b) => b.transaction(statements).await,
            Backend::Postgres(b) => {
                statements.insert(
                    0,
                    Statement::new(
                        "SELECT pg_advisory_xact_lock($1)",
                        vec![Value::Int(postgres::WRITE_LOCK)],
                    ),
                );
                let mut counts = b.transaction(statements).await?;
                counts.remove(0);
                Ok(counts)
            }
        }
    }
}
