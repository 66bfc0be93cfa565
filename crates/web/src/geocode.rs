//! Optional online geocoding of a sign-up's street address, off the surge path.
//!
//! Offline (the default) a person's point is their ZIP code's centroid (`approximate`) or the
//! coordinates their browser sent (`precise`). When `serve --geocoder-url` is set, a sign-up that
//! has a street address and no browser coordinates is geocoded *after* it has been committed and
//! acknowledged: the answer, if any, replaces the ZIP centroid with the address point (accuracy
//! `address`) and its districts. A geocoder that is slow, down, or finds no match changes nothing
//! (the ZIP centroid stays); at most [`IN_FLIGHT`] lookups run at once, and sign-ups beyond that
//! keep their ZIP point, so a surge never queues work behind a remote service.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use futures::future::BoxFuture;
use serde::Deserialize;
use uuid::Uuid;

use downballot_store::Store;
use downballot_store::model::{Location, now_millis};

use crate::districts::{Resolver, divisions_at};

/// Lookups running at once at most.
pub const IN_FLIGHT: usize = 8;
/// How long one lookup may take before the ZIP centroid is kept.
pub const TIMEOUT: Duration = Duration::from_secs(3);

/// A one-line address for a geocoder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressQuery {
    pub line: String,
    pub locality: Option<String>,
    pub region: String,
    pub postal_code: String,
}

impl AddressQuery {
    /// "1 Church St, Burlington, VT 05401".
    pub fn one_line(&self) -> String {
        match &self.locality {
            Some(l) => format!("{}, {l}, {} {}", self.line, self.region, self.postal_code),
            None => format!("{}, {} {}", self.line, self.region, self.postal_code),
        }
    }
}

/// Anything that turns an address into `(lat, lon)`; `Ok(None)` when it finds no match.
pub trait Geocoder: Send + Sync {
    fn geocode<'a>(
        &'a self,
        address: &'a AddressQuery,
    ) -> BoxFuture<'a, Result<Option<(f64, f64)>>>;
}

/// The US Census Bureau's one-line-address geocoder
/// (`GET {base}/geocoder/locations/onelineaddress?address=…&benchmark=Public_AR_Current&format=json`).
pub struct CensusGeocoder {
    client: reqwest::Client,
    base: String,
}

impl CensusGeocoder {
    /// `base` is e.g. `https://geocoding.geo.census.gov`.
    pub fn new(base: &str, timeout: Duration) -> Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("downballot/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("building the geocoder's HTTP client")?;
        Ok(Self {
            client,
            base: base.trim_end_matches('/').to_owned(),
        })
    }
}

#[derive(Deserialize)]
struct CensusResponse {
    result: CensusResult,
}

#[derive(Deserialize)]
struct CensusResult {
    #[serde(rename = "addressMatches")]
    address_matches: Vec<CensusMatch>,
}

#[derive(Deserialize)]
struct CensusMatch {
    coordinates: CensusCoordinates,
}

#[derive(Deserialize)]
struct CensusCoordinates {
    x: f64,
    y: f64,
}

impl Geocoder for CensusGeocoder {
    fn geocode<'a>(
        &'a self,
        address: &'a AddressQuery,
    ) -> BoxFuture<'a, Result<Option<(f64, f64)>>> {
        Box::pin(async move {
            let response = self
                .client
                .get(format!(
                    "{}/geocoder/locations/onelineaddress?{}",
                    self.base,
                    form_urlencoded::Serializer::new(String::new())
                        .append_pair("address", &address.one_line())
                        .append_pair("benchmark", "Public_AR_Current")
                        .append_pair("format", "json")
                        .finish()
                ))
                .send()
                .await
                .and_then(reqwest::Response::error_for_status)
                // Errors name the URL, and the URL holds the address: drop it before logging.
                .map_err(|e| anyhow::Error::new(e.without_url()))
                .context("asking the Census geocoder")?;
            let body: CensusResponse = response
                .json()
                .await
                .map_err(|e| anyhow::Error::new(e.without_url()))
                .context("reading the Census geocoder's answer")?;
            Ok(body
                .result
                .address_matches
                .first()
                .map(|m| (m.coordinates.y, m.coordinates.x))
                .filter(|(lat, lon)| lat.is_finite() && lon.is_finite()))
        })
    }
}

/// The configured geocoder and the limit on lookups in flight.
#[derive(Clone)]
pub struct Geocoding {
    geocoder: Arc<dyn Geocoder>,
    permits: Arc<tokio::sync::Semaphore>,
}

impl Geocoding {
    pub fn new(geocoder: Arc<dyn Geocoder>) -> Self {
        Self {
            geocoder,
            permits: Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT)),
        }
    }

    /// Geocodes the address in the background and, on a match, stores the address point and its
    /// districts on the person. Returns at once; nothing happens when all permits are taken.
    pub fn locate_later(
        &self,
        store: Store,
        resolver: Arc<Resolver>,
        person_id: Uuid,
        address: AddressQuery,
    ) {
        let Ok(permit) = self.permits.clone().try_acquire_owned() else {
            metrics::counter!("downballot_geocode_total", "outcome" => "skipped_busy").increment(1);
            return;
        };
        let geocoder = self.geocoder.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let outcome = match tokio::time::timeout(TIMEOUT, geocoder.geocode(&address)).await {
                Err(_) => Err(anyhow::anyhow!("timed out after {TIMEOUT:?}")),
                Ok(result) => result,
            };
            let label = match outcome {
                Ok(Some((lat, lon))) => {
                    let divisions = resolver
                        .index()
                        .map(|i| divisions_at(&i, lat, lon))
                        .unwrap_or_default();
                    let location = Location {
                        lat,
                        lon,
                        accuracy: "address",
                        divisions,
                    };
                    match store
                        .set_locations(&[(person_id, location)], now_millis())
                        .await
                    {
                        Ok(()) => "located",
                        Err(e) => {
                            tracing::warn!(error = %format!("{e:#}"), "storing a geocoded point failed");
                            "store_failed"
                        }
                    }
                }
                Ok(None) => "no_match",
                Err(e) => {
                    // The address itself is personal data: only the error is logged.
                    tracing::warn!(error = %format!("{e:#}"), "geocoding failed; the ZIP centroid stays");
                    "failed"
                }
            };
            metrics::counter!("downballot_geocode_total", "outcome" => label).increment(1);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_address() {
        let mut q = AddressQuery {
            line: "1 Church St".into(),
            locality: Some("Burlington".into()),
            region: "VT".into(),
            postal_code: "05401".into(),
        };
        assert_eq!(q.one_line(), "1 Church St, Burlington, VT 05401");
        q.locality = None;
        assert_eq!(q.one_line(), "1 Church St, VT 05401");
    }
}
