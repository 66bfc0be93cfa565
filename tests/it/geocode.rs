//! The optional online geocoder: a stand-in for the US Census Bureau's one-line-address service,
//! started by the test on a random port, answering as the real one does. A sign-up with a street
//! address is acknowledged at once with its ZIP centroid, then moved to the address point; a
//! geocoder that times out or finds nothing leaves the ZIP centroid.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::routing::get;
use serde_json::json;

use crate::helpers::{Db, TestApp, load_boundaries, vermont_boundaries};

type Seen = Arc<Mutex<Vec<String>>>;

#[derive(serde::Deserialize)]
struct Params {
    address: String,
    benchmark: String,
    format: String,
}

/// Answers like `geocoding.geo.census.gov`: a match for Church St, a very slow answer for
/// Slow Rd, no match for anything else. Records every address asked.
async fn fake_census(
    State(seen): State<Seen>,
    Query(p): Query<Params>,
) -> axum::Json<serde_json::Value> {
    assert_eq!(
        (p.benchmark.as_str(), p.format.as_str()),
        ("Public_AR_Current", "json")
    );
    seen.lock().unwrap().push(p.address.clone());
    if p.address.contains("Slow Rd") {
        tokio::time::sleep(Duration::from_secs(30)).await;
    }
    let matches = if p.address.starts_with("1 Church St") {
        json!([{
            "matchedAddress": "1 CHURCH ST, BURLINGTON, VT, 05401",
            "coordinates": { "x": -73.2121, "y": 44.4759 }
        }])
    } else {
        json!([])
    };
    axum::Json(json!({ "result": { "input": {}, "addressMatches": matches } }))
}

async fn start_fake_census() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let app = axum::Router::new()
        .route("/geocoder/locations/onelineaddress", get(fake_census))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}

async fn location_of(app: &TestApp, email: &str) -> (f64, f64, String, Vec<String>) {
    let filter = downballot_store::PeopleFilter {
        q: Some(email.into()),
        ..Default::default()
    };
    let (people, _) = app.store.list_people(&filter, 1, 0).await.unwrap();
    let id = people[0].person_id;
    let (lat, lon, accuracy) = app.store.person_location(id).await.unwrap().unwrap();
    let divisions = app
        .store
        .person_divisions(id)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.ocd_id)
        .collect();
    (lat, lon, accuracy, divisions)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn street_addresses_are_geocoded_after_commit_and_failures_keep_the_zip_point() {
    let (base, seen) = start_fake_census().await;
    let census = downballot_web::geocode::CensusGeocoder::new(&base, Duration::from_secs(2))
        .expect("geocoder");
    let app = TestApp::spawn_with(Db::Sqlite, |state| state.with_geocoder(Arc::new(census))).await;
    load_boundaries(&app, &vermont_boundaries()).await;
    let zip_point = downballot_domain::address::PostalCode::parse("05401")
        .unwrap()
        .lat_lon()
        .unwrap();

    for (email, line) in [
        ("church@example.org", "1 Church St"),
        ("slow@example.org", "9 Slow Rd"),
        ("nowhere@example.org", "404 Nowhere Ave"),
    ] {
        let started = Instant::now();
        app.sign_up(&[
            ("given_name", "Geo"),
            ("email", email),
            ("address_line", line),
            ("locality", "Burlington"),
            ("postal_code", "05401"),
            ("interest", "run"),
        ])
        .await;
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "the sign-up waited for the geocoder: {:?}",
            started.elapsed()
        );
        // Acknowledged with the ZIP centroid, before any geocoding.
        let (lat, lon, accuracy, _) = location_of(&app, email).await;
        if accuracy == "approximate" {
            assert_eq!((lat, lon), zip_point);
        }
    }

    // The match moves the person to the address point and its districts.
    let deadline = Instant::now() + Duration::from_secs(10);
    let church = loop {
        let l = location_of(&app, "church@example.org").await;
        if l.2 == "address" || Instant::now() > deadline {
            break l;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        (church.0, church.1, church.2.as_str()),
        (44.4759, -73.2121, "address")
    );
    assert!(
        church
            .3
            .iter()
            .any(|d| d.starts_with("ocd-division/country:us/state:vt/sldl:")),
        "{:?}",
        church.3
    );

    // The slow one times out (2 s here), the unknown one has no match: both keep the ZIP.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for email in ["slow@example.org", "nowhere@example.org"] {
        let (lat, lon, accuracy, divisions) = location_of(&app, email).await;
        assert_eq!(
            (lat, lon, accuracy.as_str()),
            (zip_point.0, zip_point.1, "approximate"),
            "{email}"
        );
        assert!(
            divisions.iter().any(|d| d.contains("chittenden-6-2")),
            "{divisions:?}"
        );
    }
    let asked = seen.lock().unwrap().clone();
    assert!(
        asked.contains(&"1 Church St, Burlington, VT 05401".to_owned()),
        "{asked:?}"
    );
    assert_eq!(asked.len(), 3, "{asked:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_geocoder_nothing_is_asked() {
    let (_, seen) = start_fake_census().await;
    let app = TestApp::spawn(Db::Sqlite).await;
    app.sign_up(&[
        ("given_name", "Off"),
        ("email", "off@example.org"),
        ("address_line", "1 Church St"),
        ("postal_code", "05401"),
        ("interest", "run"),
    ])
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, _, accuracy, _) = location_of(&app, "off@example.org").await;
    assert_eq!(accuracy, "approximate");
    assert!(seen.lock().unwrap().is_empty());
}
