//! Webhook delivery from the durable outbox. Events are written in the same transaction as the
//! change they report; this worker (one per `serve` process) sends each due event to its
//! partner's URL, signed, and records the outcome. Several processes may run it: an event is
//! claimed by a compare-and-set on its next-attempt time before it is sent.
//!
//! Each request carries `Idempotency-Key` (the event id, also `id` in the body; a partner that
//! records it ignores repeats), `X-Downballot-Event` (its type) and
//! `X-Downballot-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
//! A 2xx answer delivers; anything else is retried with exponential backoff, then marked
//! failed (an admin may retry it).

use std::sync::Arc;
use std::time::Duration;

use downballot_store::Store;
use downballot_store::model::now_millis;
use downballot_store::partners::OutboxEvent;
use tokio::sync::Notify;

use crate::signing::sign_hex;

/// Timing of delivery and retries.
#[derive(Clone, Debug)]
pub struct WebhookConfig {
    /// How often the outbox is looked at when nothing wakes the worker.
    pub poll: Duration,
    /// The first retry's delay; each later one doubles, up to `max_backoff`.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// Attempts before an event is marked failed.
    pub max_attempts: i64,
    /// Per request.
    pub timeout: Duration,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            poll: Duration::from_secs(2),
            base_backoff: Duration::from_secs(10),
            max_backoff: Duration::from_secs(3600),
            max_attempts: 15,
            timeout: Duration::from_secs(10),
        }
    }
}

impl WebhookConfig {
    /// The delay after the `attempts`-th failure.
    pub fn backoff(&self, attempts: i64) -> Duration {
        let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
        self.base_backoff
            .saturating_mul(2u32.saturating_pow(exp))
            .min(self.max_backoff)
    }
}

/// The signature header's value for `body` sent at `unix_seconds`.
pub fn signature(secret: &str, unix_seconds: i64, body: &str) -> String {
    let mac = sign_hex(
        secret.as_bytes(),
        format!("{unix_seconds}.{body}").as_bytes(),
    );
    format!("t={unix_seconds},v1={mac}")
}

/// The delivery worker's handle: `wake` after writing events to send them without waiting
/// for the next poll.
#[derive(Clone, Default)]
pub struct Webhooks {
    pub config: WebhookConfig,
    wake: Arc<Notify>,
}

impl Webhooks {
    pub fn new(config: WebhookConfig) -> Self {
        Webhooks {
            config,
            wake: Arc::new(Notify::new()),
        }
    }

    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Runs the worker until the process ends.
    pub fn spawn(&self, store: Store) {
        let this = self.clone();
        tokio::spawn(async move {
            let client = match reqwest::Client::builder()
                .timeout(this.config.timeout)
                .redirect(reqwest::redirect::Policy::none())
                .build()
            {
                Ok(c) => c,
                Err(e) => {
                    tracing::error!(error = %e, "webhook client could not start; webhooks stay queued");
                    return;
                }
            };
            loop {
                if let Err(e) = this.deliver_due(&store, &client).await {
                    tracing::warn!(error = format!("{e:#}"), "webhook delivery pass failed");
                }
                tokio::select! {
                    () = this.wake.notified() => {}
                    () = tokio::time::sleep(this.config.poll) => {}
                }
            }
        });
    }

    /// One pass: every due event, each claimed then sent.
    pub async fn deliver_due(
        &self,
        store: &Store,
        client: &reqwest::Client,
    ) -> anyhow::Result<usize> {
        let mut sent = 0;
        let now = now_millis();
        let lease = now + (self.config.timeout.as_millis() as i64) * 2 + 1000;
        for event in store.due_events(now, 100).await? {
            if !store
                .claim_event(event.event_id, event.next_attempt_at, lease)
                .await?
            {
                continue;
            }
            self.deliver(store, client, &event).await?;
            sent += 1;
        }
        Ok(sent)
    }

    async fn deliver(
        &self,
        store: &Store,
        client: &reqwest::Client,
        event: &OutboxEvent,
    ) -> anyhow::Result<()> {
        let attempts = event.attempts + 1;
        let (Some(url), Some(secret)) = (&event.url, &event.secret) else {
            return store
                .event_failed(
                    event.event_id,
                    attempts,
                    "the partner has no webhook URL",
                    None,
                    now_millis(),
                )
                .await;
        };
        let now = now_millis();
        let result = client
            .post(url)
            .header("content-type", "application/json")
            .header("idempotency-key", event.event_id.to_string())
            .header("x-downballot-event", &event.event_type)
            .header(
                "x-downballot-signature",
                signature(secret, now / 1000, &event.payload),
            )
            .body(event.payload.clone())
            .send()
            .await;
        let error = match result {
            Ok(res) if res.status().is_success() => {
                metrics::counter!("downballot_webhooks_total", "outcome" => "delivered")
                    .increment(1);
                return store
                    .event_delivered(event.event_id, attempts, now_millis())
                    .await;
            }
            Ok(res) => format!("HTTP {}", res.status().as_u16()),
            // The URL may hold a secret of the partner's: say what failed, not where.
            Err(e) if e.is_timeout() => "timed out".to_owned(),
            Err(e) if e.is_connect() => "could not connect".to_owned(),
            Err(_) => "request failed".to_owned(),
        };
        metrics::counter!("downballot_webhooks_total", "outcome" => "failed_attempt").increment(1);
        let next = (attempts < self.config.max_attempts)
            .then(|| now_millis() + self.config.backoff(attempts).as_millis() as i64);
        tracing::info!(event_id = %event.event_id, attempts, error, gave_up = next.is_none(), "webhook not delivered");
        store
            .event_failed(event.event_id, attempts, &error, next, now_millis())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let c = WebhookConfig {
            base_backoff: Duration::from_secs(10),
            max_backoff: Duration::from_secs(60),
            ..WebhookConfig::default()
        };
        assert_eq!(c.backoff(1), Duration::from_secs(10));
        assert_eq!(c.backoff(2), Duration::from_secs(20));
        assert_eq!(c.backoff(3), Duration::from_secs(40));
        assert_eq!(c.backoff(4), Duration::from_secs(60));
        assert_eq!(c.backoff(40), Duration::from_secs(60));
    }

    #[test]
    fn signature_covers_time_and_body() {
        let s = signature("k", 1_700_000_000, "{}");
        assert!(s.starts_with("t=1700000000,v1="));
        assert_ne!(s, signature("k", 1_700_000_001, "{}"));
        assert_ne!(s, signature("k", 1_700_000_000, "{ }"));
    }
}
