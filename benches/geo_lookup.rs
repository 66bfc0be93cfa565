//! District lookups: loads every district of the shared data, reports load and index build
//! time and memory, then point → all-districts lookups per second on one thread over random
//! points in the states' bounding boxes, and the same points through PostGIS (GiST index,
//! `ST_Covers`, one prepared query per point over one connection) for comparison.
//!
//! Run with `dev/bench-geo` (or `cargo bench --bench geo_lookup`); needs the shared data
//! (`DOWNBALLOT_DATA`, default `../shared/data`) and, for the PostGIS half, PostgreSQL with
//! PostGIS (`dev/install-test-deps`). Figures go to docs/PERFORMANCE.md, "District lookups".

use std::collections::BTreeSet;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use downballot_geo::{Index, geometry_to_geojson, load_paths};

#[allow(
    dead_code,
    reason = "the shared test helper; this benchmark uses only part of it"
)]
#[path = "../tests/it/support/pg.rs"]
mod pg;

#[path = "../tests/it/support/geo_points.rs"]
mod geo_points;
use geo_points::{Rng, random_points, state_boxes};

const POINTS: usize = 1_000_000;
const POSTGIS_POINTS: usize = 20_000;
const SEED: u64 = 0x5eed_d157_1c75;

fn main() {
    let data = std::env::var_os("DOWNBALLOT_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data")));
    let districts = data.join("districts");
    if !districts.is_dir() {
        println!(
            "geo_lookup: no district data at {} (set DOWNBALLOT_DATA); nothing to measure",
            districts.display()
        );
        return;
    }

    // Load and build, with the memory that stays resident afterwards.
    let rss_before = rss_kib();
    let started = Instant::now();
    let report = load_paths(&[&districts]).expect("loading the districts");
    let load_time = started.elapsed();
    let (features, vertices) = (report.features(), report.vertices());
    let boxes = state_boxes(&report);
    let layers = report.layers.len();
    let building = Instant::now();
    let index = Index::build(report.layers);
    let build_time = building.elapsed();
    let rss_after = rss_kib();
    println!(
        "loaded {features} districts in {layers} layers, {vertices} vertices: load {:.0} ms, \
         index build {:.0} ms, together {:.0} ms",
        ms(load_time),
        ms(build_time),
        ms(load_time + build_time)
    );
    println!(
        "memory: RSS +{:.0} MiB after load and build (the loaded geometry is freed into the \
         allocator, which keeps some); the index's own heap ≈ {:.0} MiB for {} polygons",
        (rss_after - rss_before) as f64 / 1024.0,
        index.heap_bytes() as f64 / (1024.0 * 1024.0),
        index.polygon_count()
    );

    // One thread, the public API (allocates the hit list), fixed random points.
    let points = random_points(&boxes, POINTS, &mut Rng(SEED));
    for &(lon, lat) in points.iter().take(10_000) {
        black_box(index.lookup(lat, lon));
    }
    let timing = Instant::now();
    let mut hits = 0usize;
    let mut empty = 0usize;
    for &(lon, lat) in &points {
        let found = index.lookup(black_box(lat), black_box(lon));
        hits += found.len();
        empty += usize::from(found.is_empty());
        black_box(found);
    }
    let elapsed = timing.elapsed();
    let ours = POINTS as f64 / elapsed.as_secs_f64();
    println!(
        "index: {POINTS} lookups on one thread in {:.0} ms: {:.0} lookups/s, {:.2} µs each; \
         {:.2} districts per point, {:.1}% of points in none (water, Canada)",
        ms(elapsed),
        ours,
        elapsed.as_secs_f64() * 1e6 / POINTS as f64,
        hits as f64 / POINTS as f64,
        empty as f64 * 100.0 / POINTS as f64
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(postgis(&districts, &index, &points[..POSTGIS_POINTS])) {
        Ok(theirs) => println!(
            "ratio: the index answers {:.0}x as many lookups per second as PostGIS",
            ours / theirs
        ),
        Err(e) => println!("postgis: not measured: {e:#}"),
    }
}

/// Loads the districts into a fresh PostGIS and times one prepared `ST_Covers` query per point;
/// returns lookups per second.
async fn postgis(
    districts: &std::path::Path,
    index: &Index,
    points: &[(f64, f64)],
) -> anyhow::Result<f64> {
    let server = pg::TempPostgres::start()?;
    let url = server.create_database().await?;
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    client
        .batch_execute(
            "CREATE EXTENSION postgis;
             CREATE TABLE district (ocd_id text NOT NULL, layer text NOT NULL,
                                    geom geometry(MultiPolygon, 4326) NOT NULL);",
        )
        .await?;
    let loading = Instant::now();
    let report = load_paths(&[districts])?;
    let mut rows: (Vec<String>, Vec<String>, Vec<String>) = Default::default();
    for layer in &report.layers {
        for district in &layer.districts {
            rows.0.push(district.ocd_id.clone());
            rows.1.push(layer.id.clone());
            rows.2.push(geometry_to_geojson(&district.geometry));
        }
    }
    drop(report);
    let insert = client
        .prepare(
            "INSERT INTO district (ocd_id, layer, geom)
             SELECT o, l, ST_SetSRID(ST_GeomFromGeoJSON(g), 4326)
             FROM unnest($1::text[], $2::text[], $3::text[]) AS t(o, l, g)",
        )
        .await?;
    for start in (0..rows.0.len()).step_by(200) {
        let end = (start + 200).min(rows.0.len());
        client
            .execute(
                &insert,
                &[
                    &&rows.0[start..end],
                    &&rows.1[start..end],
                    &&rows.2[start..end],
                ],
            )
            .await?;
    }
    client
        .batch_execute("CREATE INDEX ON district USING gist (geom); ANALYZE district;")
        .await?;
    println!(
        "postgis: loaded {} districts with a GiST index in {:.0} ms",
        rows.0.len(),
        ms(loading.elapsed())
    );

    let query = client
        .prepare(
            "SELECT ocd_id, layer FROM district
             WHERE ST_Covers(geom, ST_SetSRID(ST_Point($1, $2), 4326))",
        )
        .await?;
    for &(lon, lat) in points.iter().take(500) {
        client.query(&query, &[&lon, &lat]).await?;
    }
    let timing = Instant::now();
    let mut answers = Vec::with_capacity(points.len());
    for &(lon, lat) in points {
        answers.push(client.query(&query, &[&lon, &lat]).await?);
    }
    let elapsed = timing.elapsed();
    let theirs = points.len() as f64 / elapsed.as_secs_f64();

    let disagreements = points
        .iter()
        .zip(&answers)
        .filter(|((lon, lat), rows)| {
            let ours: BTreeSet<(String, String)> = index
                .lookup(*lat, *lon)
                .iter()
                .map(|h| (h.ocd_id.to_owned(), h.layer.to_owned()))
                .collect();
            let theirs: BTreeSet<(String, String)> =
                rows.iter().map(|r| (r.get(0), r.get(1))).collect();
            ours != theirs
        })
        .count();
    println!(
        "postgis: {} lookups over one connection in {:.0} ms: {:.0} lookups/s, {:.0} µs each; \
         answers differing from the index: {disagreements}",
        points.len(),
        ms(elapsed),
        theirs,
        elapsed.as_secs_f64() * 1e6 / points.len() as f64
    );
    Ok(theirs)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Resident set size in KiB, from /proc/self/status.
fn rss_kib() -> i64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
