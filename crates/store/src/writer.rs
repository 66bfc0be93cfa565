//! The group-commit queue shared by both backends.
//!
//! Handlers parse and check a sign-up on the async workers, then hand it here with a oneshot.
//! One writer thread per backend takes everything queued, commits it
//! in one transaction, and only then answers every oneshot: an acknowledged sign-up is on disk.
//! The queue is bounded; when it is full the caller gets [`StoreError::Overloaded`] at once
//! (the page answers 503 with Retry-After) instead of piling up memory and latency.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::StoreError;
use crate::model::{NewSubmission, SubmitOutcome};

/// Submissions per transaction at most; more waits for the next commit.
pub const MAX_BATCH: usize = 2048;
/// Jobs waiting at most before new ones are refused.
pub const QUEUE_DEPTH: usize = 8192;

pub struct Job {
    pub items: Vec<NewSubmission>,
    pub reply: oneshot::Sender<Result<Vec<SubmitOutcome>, StoreError>>,
}

pub type JobSender = mpsc::Sender<Job>;
pub type JobReceiver = mpsc::Receiver<Job>;
pub type Batch = Vec<Job>;

pub fn queue() -> (JobSender, JobReceiver) {
    mpsc::channel(QUEUE_DEPTH)
}

/// The first job and whatever else is queued right now, up to [`MAX_BATCH`] submissions, with
/// the number of submissions: one group commit's worth. Never waits for more to arrive.
pub fn take_batch(first: Job, jobs: &mut JobReceiver) -> (Batch, usize) {
    let mut size = first.items.len();
    let mut batch = vec![first];
    while size < MAX_BATCH {
        match jobs.try_recv() {
            Ok(job) => {
                size += job.items.len();
                batch.push(job);
            }
            Err(_) => break,
        }
    }
    (batch, size)
}

pub fn record_batch(size: usize, elapsed: Duration) {
    metrics::histogram!("downballot_commit_batch_size").record(size as f64);
    metrics::histogram!("downballot_commit_seconds").record(elapsed.as_secs_f64());
}
