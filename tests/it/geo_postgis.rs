//! The district index against PostGIS: every shared district loaded into both, random points
//! across the states in the data, and the same set of (OCD-ID, layer) from
//! `downballot_geo::Index::lookup` as from `ST_Covers` (the crate's border rule: districts are
//! closed), except for points within `BORDER_TOLERANCE` of a border, where PostGIS's own
//! floating-point tolerance may decide otherwise.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Instant;

use downballot_geo::{Index, geometry_to_geojson, load_paths};

use crate::support::geo_points::{Rng, random_points, state_boxes};

/// Degrees; the crate docs' tolerance for comparing with PostGIS (about 0.1 mm).
const BORDER_TOLERANCE: f64 = 1e-9;
const RANDOM_POINTS: usize = 20_000;
/// Vertices of the districts themselves: points exactly on a border.
const VERTEX_POINTS: usize = 1_000;
const SEED: u64 = 0x5eed_d157_1c75;

/// The shared data's district folder (`DOWNBALLOT_DATA`, default `../shared/data`).
fn districts_dir() -> Option<PathBuf> {
    let data = std::env::var_os("DOWNBALLOT_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data")));
    let dir = data.join("districts");
    dir.is_dir().then_some(dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_agrees_with_postgis_st_covers() {
    let Some(dir) = districts_dir() else {
        println!("skipped: no shared district data (set DOWNBALLOT_DATA)");
        return;
    };
    let started = Instant::now();
    let report = tokio::task::spawn_blocking(move || load_paths(&[dir]))
        .await
        .unwrap()
        .expect("loading the districts");
    let mut rng = Rng(SEED);
    let mut points = random_points(&state_boxes(&report), RANDOM_POINTS, &mut rng);
    // Rows for PostGIS, and some vertices (exactly on a border) with the district they bound.
    let mut rows = (Vec::new(), Vec::new(), Vec::new());
    let mut vertices = Vec::new();
    for layer in &report.layers {
        for district in &layer.districts {
            rows.0.push(district.ocd_id.clone());
            rows.1.push(layer.id.clone());
            rows.2.push(geometry_to_geojson(&district.geometry));
            for polygon in &district.geometry {
                let ring = &polygon.exterior().0;
                if rng.next_f64() < 0.5 {
                    let c = ring[(rng.next_f64() * ring.len() as f64) as usize];
                    vertices.push((c.x, c.y, district.ocd_id.clone(), layer.id.clone()));
                }
            }
        }
    }
    vertices.truncate(VERTEX_POINTS);
    let index = Index::build(report.layers);
    println!("loaded and indexed in {:?}", started.elapsed());

    let pg = crate::support::pg::shared();
    let url = pg.create_database().await.unwrap();
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .batch_execute(
            "CREATE EXTENSION postgis;
             CREATE TABLE district (ocd_id text NOT NULL, layer text NOT NULL,
                                    geom geometry(MultiPolygon, 4326) NOT NULL);",
        )
        .await
        .expect("PostGIS (dev/install-test-deps installs postgresql-15-postgis-3)");
    let insert = client
        .prepare(
            "INSERT INTO district (ocd_id, layer, geom)
             SELECT o, l, ST_SetSRID(ST_GeomFromGeoJSON(g), 4326)
             FROM unnest($1::text[], $2::text[], $3::text[]) AS t(o, l, g)",
        )
        .await
        .unwrap();
    for chunk in (0..rows.0.len()).collect::<Vec<_>>().chunks(200) {
        let (a, b) = (chunk[0], chunk[chunk.len() - 1] + 1);
        client
            .execute(&insert, &[&&rows.0[a..b], &&rows.1[a..b], &&rows.2[a..b]])
            .await
            .unwrap();
    }
    client
        .batch_execute("CREATE INDEX ON district USING gist (geom); ANALYZE district;")
        .await
        .unwrap();
    println!("loaded PostGIS at {:?}", started.elapsed());

    // Ask PostGIS about every point, random ones and vertices, in batches.
    points.extend(vertices.iter().map(|v| (v.0, v.1)));
    let (lons, lats): (Vec<f64>, Vec<f64>) = points.iter().copied().unzip();
    let covers = client
        .prepare(
            "SELECT p.i, d.ocd_id, d.layer
             FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS p(lon, lat, i)
             JOIN district d ON ST_Covers(d.geom, ST_SetSRID(ST_Point(p.lon, p.lat), 4326))",
        )
        .await
        .unwrap();
    let near_border = client
        .prepare(
            "SELECT DISTINCT p.i
             FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS p(lon, lat, i)
             JOIN district d
               ON d.geom && ST_Expand(ST_SetSRID(ST_Point(p.lon, p.lat), 4326), $3)
              AND ST_DWithin(ST_Boundary(d.geom), ST_SetSRID(ST_Point(p.lon, p.lat), 4326), $3)",
        )
        .await
        .unwrap();
    let mut postgis: Vec<BTreeSet<(String, String)>> = vec![BTreeSet::new(); points.len()];
    let mut near = vec![false; points.len()];
    for start in (0..points.len()).step_by(2_000) {
        let end = (start + 2_000).min(points.len());
        let (lon, lat) = (&lons[start..end], &lats[start..end]);
        for row in client.query(&covers, &[&lon, &lat]).await.unwrap() {
            let i: i64 = row.get(0);
            postgis[start + i as usize - 1].insert((row.get(1), row.get(2)));
        }
        for row in client
            .query(&near_border, &[&lon, &lat, &BORDER_TOLERANCE])
            .await
            .unwrap()
        {
            let i: i64 = row.get(0);
            near[start + i as usize - 1] = true;
        }
    }
    println!("asked PostGIS at {:?}", started.elapsed());

    let random = RANDOM_POINTS;
    let (mut compared, mut excluded, mut mismatches, mut hits) = (0, 0, 0, 0);
    for (i, &(lon, lat)) in points[..random].iter().enumerate() {
        if near[i] {
            excluded += 1;
            continue;
        }
        compared += 1;
        let ours: BTreeSet<(String, String)> = index
            .lookup(lat, lon)
            .iter()
            .map(|h| (h.ocd_id.to_owned(), h.layer.to_owned()))
            .collect();
        hits += ours.len();
        if ours != postgis[i] {
            mismatches += 1;
            if mismatches <= 10 {
                println!(
                    "mismatch at lat {lat}, lon {lon}: index {ours:?}, PostGIS {:?}",
                    postgis[i]
                );
            }
        }
    }
    // On a vertex both must put the point in the district it bounds (its neighbours may be a
    // hair away, within the tolerance, so only the owner is checked).
    let mut vertex_failures = 0;
    for (j, (lon, lat, ocd_id, layer)) in vertices.iter().enumerate() {
        let owner = (ocd_id.clone(), layer.clone());
        let ours = index
            .lookup(*lat, *lon)
            .iter()
            .any(|h| h.ocd_id == ocd_id && h.layer == layer);
        if !ours || !postgis[random + j].contains(&owner) {
            vertex_failures += 1;
            println!(
                "vertex {lat},{lon} of {ocd_id}: index {ours}, PostGIS {:?}",
                postgis[random + j]
            );
        }
    }
    println!(
        "compared {compared} random points ({hits} district hits), excluded {excluded} within \
         {BORDER_TOLERANCE}° of a border, {mismatches} mismatches; {} border vertices, {vertex_failures} \
         failures; {:?} in all",
        vertices.len(),
        started.elapsed()
    );
    assert_eq!(mismatches, 0);
    assert_eq!(vertex_failures, 0);
    assert!(
        excluded * 1000 < random,
        "{excluded} of {random} points excluded"
    );
    assert!(hits > compared, "most points are in some district");
}
