//! People resolved to districts: at sign-up (ZIP centroid, approximate), on the person page, in
//! the list filter and the export; the `geo` CLI import, lookup and reassign.

use crate::helpers::{Db, TestApp, load_boundaries, vermont_boundaries};

const CHITTENDEN_6_2: &str = "ocd-division/country:us/state:vt/sldl:chittenden-6-2";
const PW: &str = "correct horse battery staple";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zip_05401_resolves_to_chittenden_6_2_and_the_list_filters_by_it() {
    let app = TestApp::spawn(Db::Sqlite).await;
    load_boundaries(&app, &vermont_boundaries()).await;
    app.staff("org@example.org", "organizer", PW).await;
    let org = app.login("org@example.org", PW).await;
    app.sign_up(&[
        ("given_name", "Val"),
        ("email", "val@example.org"),
        ("postal_code", "05401"),
        ("interest", "run"),
    ])
    .await;
    app.sign_up(&[
        ("given_name", "Col"),
        ("email", "col@example.org"),
        ("postal_code", "43215"),
        ("interest", "run"),
    ])
    .await;

    let (people, _) = app
        .store
        .list_people(
            &downballot_store::PeopleFilter {
                division: Some(CHITTENDEN_6_2.into()),
                ..Default::default()
            },
            10,
            0,
        )
        .await
        .unwrap();
    assert_eq!(
        people
            .iter()
            .map(|p| p.given_name.as_str())
            .collect::<Vec<_>>(),
        ["Val"]
    );
    let id = people[0].person_id;
    let d = app.store.person_detail(id).await.unwrap().unwrap();
    let (lat, lon, accuracy) = d.location.clone().expect("located at sign-up");
    assert_eq!(accuracy, "approximate");
    assert!(
        (lat - 44.48).abs() < 0.05 && (lon + 73.22).abs() < 0.05,
        "ZIP centroid {lat},{lon}"
    );
    let house = d
        .divisions
        .iter()
        .find(|x| x.kind == "sldl")
        .expect("a house district");
    assert_eq!(house.ocd_id, CHITTENDEN_6_2);
    assert!(!house.map.is_empty(), "says which map");

    let page = app
        .get_as(&format!("/staff/people/{id}"), &org)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(CHITTENDEN_6_2),
        "the person page shows the district"
    );
    assert!(page.contains(r#"<strong id="location-accuracy">approximate</strong>"#));
    let encoded: String = url_encode(CHITTENDEN_6_2);
    let list = app
        .get_as(&format!("/staff/people?division={encoded}"), &org)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        list.contains(r#"<span id="result-count">1</span>"#),
        "filtered list"
    );
    let csv = app
        .get_as(
            &format!("/staff/people/export.csv?division={encoded}"),
            &org,
        )
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 2);
    assert!(csv.contains("val@example.org"));

    // The Ohio sign-up has a point but no Vermont district.
    let col = app
        .store
        .list_people(
            &downballot_store::PeopleFilter {
                q: Some("col".into()),
                ..Default::default()
            },
            1,
            0,
        )
        .await
        .unwrap()
        .0;
    let cd = app
        .store
        .person_detail(col[0].person_id)
        .await
        .unwrap()
        .unwrap();
    assert!(cd.location.is_some() && cd.divisions.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_coordinates_are_precise() {
    let app = TestApp::spawn(Db::Sqlite).await;
    load_boundaries(&app, &vermont_boundaries()).await;
    app.sign_up(&[
        ("given_name", "Pia"),
        ("email", "pia@example.org"),
        ("postal_code", "05401"),
        ("interest", "volunteer"),
        ("latitude", "44.4759"),
        ("longitude", "-73.2121"),
    ])
    .await;
    let (people, _) = app
        .store
        .list_people(&Default::default(), 1, 0)
        .await
        .unwrap();
    let (lat, lon, accuracy) = app
        .store
        .person_location(people[0].person_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (lat, lon, accuracy.as_str()),
        (44.4759, -73.2121, "precise")
    );
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn cli_import_lookup_and_reassign() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("geo.db");
    let db = db.to_str().unwrap();
    let run = |args: &[&str], stdin: &str| {
        let (ok, o, e) = crate::cli::run(db, args, stdin);
        assert!(ok, "{args:?} failed: {e}");
        (o, e)
    };
    // A person signs up (imported) before any boundaries exist.
    let csv = dir.path().join("p.csv");
    std::fs::write(&csv, "first_name,email,zip,interest\nWyn,wyn@example.org,05401,run\nXo,xo@example.org,43215,run\n").unwrap();
    run(&["people", "import", csv.to_str().unwrap()], "");
    let (out, _) = run(&["people", "export", "--division", CHITTENDEN_6_2], "");
    assert_eq!(out.lines().count(), 1, "nobody resolved yet");

    let vt = vermont_boundaries();
    let (out, _) = run(&["geo", "import", vt.to_str().unwrap()], "");
    assert!(out.contains("sldl"), "{out}");
    let (out, err) = run(&["geo", "lookup"], "id,lat,lon\nb,44.484,-73.2199\na,0,0\n");
    assert!(err.contains("map:"), "the maps used are reported: {err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "id,division,accuracy");
    assert_eq!(
        lines[1], "a,,precise",
        "a point in no district gives one row with an empty division"
    );
    assert!(
        lines
            .iter()
            .any(|l| *l == format!("b,{CHITTENDEN_6_2},precise")),
        "{out}"
    );
    let (out, _) = run(&["geo", "lookup"], "id,zip\nz,05401\n");
    assert!(
        out.contains(&format!("z,{CHITTENDEN_6_2},approximate")),
        "{out}"
    );
    let (out, _) = run(
        &["geo", "lookup", "--boundaries", vt.to_str().unwrap()],
        "id,zip\nz,05401\n",
    );
    assert!(
        out.contains(&format!("z,{CHITTENDEN_6_2},approximate")),
        "{out}"
    );

    let (out, _) = run(&["geo", "reassign"], "");
    assert!(out.contains("re-resolved 2 people"), "{out}");
    let (out, _) = run(&["people", "export", "--division", CHITTENDEN_6_2], "");
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(out.contains("wyn@example.org"));
}
