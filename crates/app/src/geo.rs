//! `downballot geo …`: boundaries, the catalog, lookups and re-resolving people.

use std::collections::HashSet;
use std::io::Write;

use anyhow::{Context, Result, bail};
use downballot_domain::address::PostalCode;
use downballot_store::model::{CatalogDivision, Location, now_millis};
use downballot_store::{DatabaseUrl, Store};
use downballot_web::districts::{boundary_rows, build_index, divisions_at};

use crate::config::GeoCommand;

pub async fn run(url: &DatabaseUrl, command: GeoCommand) -> Result<()> {
    match command {
        GeoCommand::Import { paths } => import(url, paths).await,
        GeoCommand::Catalog { paths } => catalog(url, paths).await,
        GeoCommand::Lookup { boundaries } => lookup(url, boundaries).await,
        GeoCommand::Reassign => reassign(url).await,
    }
}

async fn open(url: &DatabaseUrl) -> Result<Store> {
    Store::open(url)
        .await
        .with_context(|| format!("opening the {} database", url.backend_name()))
}

async fn import(url: &DatabaseUrl, paths: Vec<std::path::PathBuf>) -> Result<()> {
    let started = std::time::Instant::now();
    let source = paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" ");
    let report = tokio::task::spawn_blocking(move || downballot_geo::load_paths(&paths)).await??;
    if report.layers.is_empty() {
        bail!("no district boundaries found in the given paths");
    }
    let store = open(url).await?;
    let known: HashSet<String> = store
        .catalog_entries()
        .await?
        .into_iter()
        .map(|d| d.ocd_id)
        .collect();
    println!("layer\tkind\tmap\tfeatures\tvertices");
    for layer in &report.layers {
        let vertices: usize = layer
            .districts
            .iter()
            .map(|d| geo::CoordsIter::coords_count(&d.geometry))
            .sum();
        println!(
            "{}\t{}\t{}\t{}\t{}",
            layer.id,
            layer.kind.as_str(),
            layer.vintage.map,
            layer.districts.len(),
            vertices
        );
        if !known.is_empty() {
            let unknown: Vec<&str> = layer
                .districts
                .iter()
                .map(|d| d.ocd_id.as_str())
                .filter(|id| !known.contains(*id))
                .collect();
            if !unknown.is_empty() {
                eprintln!(
                    "warning: {} of {} ids in {} are not in the OCD catalog, e.g. {}",
                    unknown.len(),
                    layer.districts.len(),
                    layer.id,
                    unknown[0]
                );
            }
        }
    }
    let rows = boundary_rows(&report, &source);
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    store.replace_layers(&rows, now_millis()).await?;
    store.close().await;
    println!(
        "imported {} layers, {} features, {} vertices in {:.1}s; run `downballot geo reassign` to re-resolve people",
        report.layers.len(),
        report.features(),
        report.vertices(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn catalog(url: &DatabaseUrl, paths: Vec<std::path::PathBuf>) -> Result<()> {
    let mut all = Vec::new();
    for p in paths {
        let divisions = downballot_geo::catalog::load_dir(&p)?;
        all.extend(divisions.into_iter().map(|d| CatalogDivision {
            ocd_id: d.id,
            name: d.name,
            valid_from: d.valid_from,
            valid_through: d.valid_through,
        }));
    }
    let store = open(url).await?;
    store.upsert_catalog(&all).await?;
    store.close().await;
    println!("catalog: {} divisions", all.len());
    Ok(())
}

async fn lookup(url: &DatabaseUrl, boundaries: Vec<std::path::PathBuf>) -> Result<()> {
    let index = if boundaries.is_empty() {
        let store = open(url).await?;
        let layers = store.boundary_layers().await?;
        store.close().await;
        if layers.is_empty() {
            bail!(
                "no boundaries in the database: run `downballot geo import PATH` or pass --boundaries PATH"
            );
        }
        tokio::task::spawn_blocking(move || build_index(layers)).await??
    } else {
        tokio::task::spawn_blocking(move || -> Result<downballot_geo::Index> {
            Ok(downballot_geo::Index::build(
                downballot_geo::load_paths(&boundaries)?.layers,
            ))
        })
        .await??
    };
    for l in index.layers() {
        eprintln!(
            "map: {} ({} {}, {} districts)",
            l.id,
            l.kind.as_str(),
            l.vintage.map,
            l.districts
        );
    }
    let mut rdr = csv::Reader::from_reader(std::io::stdin().lock());
    let header: Vec<String> = rdr
        .headers()?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let (id_col, lat_col, lon_col, zip_col) = (col("id"), col("lat"), col("lon"), col("zip"));
    let Some(id_col) = id_col else {
        bail!("the input needs an id column: id,lat,lon or id,zip");
    };
    if (lat_col.is_none() || lon_col.is_none()) && zip_col.is_none() {
        bail!("the input needs lat and lon columns, or a zip column");
    }
    let mut rows: Vec<(String, String, &'static str)> = Vec::new();
    for (n, record) in rdr.records().enumerate() {
        let record = record.with_context(|| format!("reading input row {}", n + 2))?;
        let id = record.get(id_col).unwrap_or_default().to_owned();
        let point = match (
            lat_col.and_then(|c| record.get(c)),
            lon_col.and_then(|c| record.get(c)),
        ) {
            (Some(lat), Some(lon)) if !lat.trim().is_empty() => {
                let lat: f64 = lat
                    .trim()
                    .parse()
                    .with_context(|| format!("row {}: bad lat {lat:?}", n + 2))?;
                let lon: f64 = lon
                    .trim()
                    .parse()
                    .with_context(|| format!("row {}: bad lon {lon:?}", n + 2))?;
                Some((lat, lon, "precise"))
            }
            _ => match zip_col.and_then(|c| record.get(c)) {
                Some(zip) => {
                    let pc = PostalCode::parse(zip)
                        .map_err(|e| anyhow::anyhow!("row {}: ZIP {zip:?}: {e}", n + 2))?;
                    pc.lat_lon().map(|(a, b)| (a, b, "approximate"))
                }
                None => None,
            },
        };
        let Some((lat, lon, accuracy)) = point else {
            rows.push((id, String::new(), ""));
            continue;
        };
        let hits = divisions_at(&index, lat, lon);
        if hits.is_empty() {
            rows.push((id, String::new(), accuracy));
        } else {
            for h in hits {
                rows.push((id.clone(), h.ocd_id, accuracy));
            }
        }
    }
    rows.sort();
    rows.dedup();
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(std::io::stdout().lock()));
    w.write_record(["id", "division", "accuracy"])?;
    for (id, division, accuracy) in rows {
        w.write_record([id.as_str(), division.as_str(), accuracy])?;
    }
    w.flush()?;
    Ok(())
}

async fn reassign(url: &DatabaseUrl) -> Result<()> {
    let store = open(url).await?;
    let layers = store.boundary_layers().await?;
    if layers.is_empty() {
        bail!("no boundaries in the database: run `downballot geo import PATH` first");
    }
    let index = tokio::task::spawn_blocking(move || build_index(layers)).await??;
    let (people, _) = store.counts().await?;
    let bar = indicatif::ProgressBar::new(people.max(0) as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} people {elapsed} ({eta} left)",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let (mut after, mut done, mut located) = (None, 0u64, 0u64);
    loop {
        let page = store.people_points(after, 5000).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.person_id);
        let mut updates = Vec::with_capacity(page.len());
        for p in &page {
            // Keep a precise point; otherwise use the ZIP centroid again.
            let point = match (p.lat, p.lon, p.accuracy.as_deref()) {
                (Some(lat), Some(lon), Some("precise")) => Some((lat, lon, "precise")),
                _ => PostalCode::parse(&p.postal_code)
                    .ok()
                    .and_then(|pc| pc.lat_lon())
                    .map(|(a, b)| (a, b, "approximate")),
            };
            if let Some((lat, lon, accuracy)) = point {
                updates.push((
                    p.person_id,
                    Location {
                        lat,
                        lon,
                        accuracy,
                        divisions: divisions_at(&index, lat, lon),
                    },
                ));
                located += 1;
            }
        }
        store.set_locations(&updates, now_millis()).await?;
        done += page.len() as u64;
        bar.set_position(done);
    }
    bar.finish_and_clear();
    store.close().await;
    println!(
        "re-resolved {done} people ({located} located) in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    let _ = std::io::stdout().flush();
    Ok(())
}
