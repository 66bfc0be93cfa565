//! Resolving people to districts: the in-memory index built from the boundaries in the database,
//! rebuilt when a `geo import` changes them, and used to locate every sign-up before it is
//! written (a lookup takes microseconds, so the surge path does not wait on it).

use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Result;
use downballot_domain::address::PostalCode;
use downballot_geo::Index;
use downballot_store::Store;
use downballot_store::model::{BoundaryLayer, DivisionRef, Location};

/// The current index, if any boundaries are loaded.
#[derive(Default)]
pub struct Resolver {
    index: RwLock<Option<Arc<Index>>>,
    version: RwLock<(i64, i64)>,
}

/// Builds the index from stored layers (CPU-heavy: call on a blocking thread).
pub fn build_index(layers: Vec<BoundaryLayer>) -> Result<Index> {
    let mut geo_layers = Vec::with_capacity(layers.len());
    for l in layers {
        let kind = match l.kind.as_str() {
            "cd" => downballot_geo::DivisionKind::Cd,
            "sldl" => downballot_geo::DivisionKind::Sldl,
            "sldu" => downballot_geo::DivisionKind::Sldu,
            other => anyhow::bail!("unknown district kind {other:?} in layer {}", l.layer_id),
        };
        let mut districts = Vec::with_capacity(l.districts.len());
        for d in l.districts {
            let state = d
                .ocd_id
                .split("/state:")
                .nth(1)
                .and_then(|s| s.split('/').next())
                .unwrap_or_default()
                .to_owned();
            districts.push(downballot_geo::District {
                geometry: downballot_geo::geometry_from_geojson(&d.geometry)?,
                ocd_id: d.ocd_id,
                name: d.name,
                kind,
                state,
            });
        }
        geo_layers.push(downballot_geo::Layer {
            id: l.layer_id,
            kind,
            vintage: downballot_geo::Vintage {
                map: l.map,
                valid_from: l.valid_from,
                valid_through: l.valid_through,
            },
            districts,
        });
    }
    Ok(Index::build(geo_layers))
}

/// Loaded boundaries as rows to store (geometry as GeoJSON text).
pub fn boundary_rows(report: &downballot_geo::LoadReport, source: &str) -> Vec<BoundaryLayer> {
    report
        .layers
        .iter()
        .map(|layer| BoundaryLayer {
            layer_id: layer.id.clone(),
            kind: layer.kind.as_str().to_owned(),
            map: layer.vintage.map.clone(),
            valid_from: layer.vintage.valid_from.clone(),
            valid_through: layer.vintage.valid_through.clone(),
            source: source.to_owned(),
            districts: layer
                .districts
                .iter()
                .map(|d| downballot_store::model::BoundaryDistrict {
                    ocd_id: d.ocd_id.clone(),
                    name: d.name.clone(),
                    geometry: downballot_geo::geometry_to_geojson(&d.geometry),
                })
                .collect(),
        })
        .collect()
}

/// Every division containing the point, as stored on a person.
pub fn divisions_at(index: &Index, lat: f64, lon: f64) -> Vec<DivisionRef> {
    index
        .lookup(lat, lon)
        .into_iter()
        .map(|h| DivisionRef {
            ocd_id: h.ocd_id.to_owned(),
            kind: h.kind.as_str().to_owned(),
            layer_id: h.layer.to_owned(),
            map: h.vintage.map.clone(),
        })
        .collect()
}

impl Resolver {
    pub fn index(&self) -> Option<Arc<Index>> {
        self.index.read().ok().and_then(|i| i.clone())
    }

    /// The person's point: coordinates from the browser when given (precise), else the ZIP
    /// code's centroid (approximate); with the districts it falls in when boundaries are loaded.
    pub fn locate(&self, postal: &PostalCode, precise: Option<(f64, f64)>) -> Option<Location> {
        let (lat, lon, accuracy) = match precise {
            Some((lat, lon)) => (lat, lon, "precise"),
            None => {
                let (lat, lon) = postal.lat_lon()?;
                (lat, lon, "approximate")
            }
        };
        let divisions = self
            .index()
            .map(|i| divisions_at(&i, lat, lon))
            .unwrap_or_default();
        Some(Location {
            lat,
            lon,
            accuracy,
            divisions,
        })
    }

    /// Loads the index if the stored boundaries changed since the last load.
    pub async fn refresh(&self, store: &Store) -> Result<bool> {
        let version = store.boundaries_version().await?;
        if self.version.read().map(|v| *v == version).unwrap_or(false) {
            return Ok(false);
        }
        let layers = store.boundary_layers().await?;
        let started = std::time::Instant::now();
        let index = if layers.is_empty() {
            None
        } else {
            Some(Arc::new(
                tokio::task::spawn_blocking(move || build_index(layers)).await??,
            ))
        };
        tracing::info!(
            layers = index.as_ref().map_or(0, |i| i.layers().len()),
            ms = started.elapsed().as_millis() as u64,
            "district index loaded"
        );
        if let Ok(mut slot) = self.index.write() {
            *slot = index;
        }
        if let Ok(mut v) = self.version.write() {
            *v = version;
        }
        Ok(true)
    }

    /// Keeps the index current: checks every `every` for new boundaries.
    pub fn spawn_refresher(self: &Arc<Self>, store: Store, every: Duration) {
        let this = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                if let Err(e) = this.refresh(&store).await {
                    tracing::warn!(error = %format!("{e:#}"), "could not refresh the district index");
                }
                tokio::time::sleep(every).await;
            }
        });
    }
}
