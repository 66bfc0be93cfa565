//! Races: the CLI importing OpenElections files and native CSV, and reproducing published
//! figures from the real files in the shared data.

use serde_json::Value;

use crate::cli::run;
use crate::helpers::shared_data;

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/races/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn import(
    db: &str,
    source: &str,
    state: &str,
    date: &str,
    file: &str,
    extra: &[&str],
) -> (String, String) {
    let mut args = vec![
        "races", "import", "--source", source, "--state", state, "--date", date,
    ];
    args.extend_from_slice(extra);
    args.push(file);
    let (ok, out, err) = run(db, &args, "");
    assert!(ok, "races import {file}: {err}");
    (out, err)
}

/// `races competition --format json`, as (office → object).
fn competition(db: &str, state: &str, date: &str) -> Vec<Value> {
    let (ok, out, err) = run(
        db,
        &[
            "races",
            "competition",
            "--state",
            state,
            "--date",
            date,
            "--format",
            "json",
        ],
        "",
    );
    assert!(ok, "{err}");
    serde_json::from_str::<Value>(&out)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
        .as_array()
        .expect("an array")
        .clone()
}

fn office<'a>(summary: &'a [Value], office: &str) -> &'a Value {
    summary
        .iter()
        .find(|o| o["office"] == office)
        .unwrap_or_else(|| panic!("no {office} in {summary:?}"))
}

const KEYS: [&str; 9] = [
    "office",
    "races",
    "seats",
    "uncontested",
    "two_major_party",
    "unopposed_democratic",
    "unopposed_republican",
    "no_democrat",
    "no_republican",
];

#[test]
fn fusion_candidates_count_once_and_write_ins_never() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("races.db");
    let db = db.to_str().unwrap();
    let file = fixture("pa-2016-fusion.csv");
    let (out, err) = import(db, "openelections", "PA", "2016-11-08", &file, &[]);
    assert!(out.contains("pa-2016-11-08-general: 5 races"), "{out}");
    assert!(out.contains("5 added, 0 changed, 0 unchanged"), "{out}");
    // The senate row without a district is refused with its line (CR line endings counted).
    assert!(
        err.contains("line 14: State Senate: a state_senate race needs a district"),
        "{err}"
    );
    assert!(err.contains("1 write-in candidate rows"), "{err}");

    let summary = competition(db, "PA", "2016-11-08");
    for o in &summary {
        for k in KEYS {
            assert!(o.get(k).is_some(), "{k} missing in {o}");
        }
    }
    let house = office(&summary, "state_house");
    // 181: DEMREP alone (+ write-ins); 182: D vs R over two counties; 183: R alone (+ tallies).
    assert_eq!(house["races"], 3);
    assert_eq!(house["seats"], 3);
    assert_eq!(house["uncontested"], 2, "{house}");
    assert_eq!(house["two_major_party"], 1);
    assert_eq!(
        house["unopposed_democratic"], 1,
        "the fusion candidate is on the D line"
    );
    assert_eq!(house["unopposed_republican"], 2);
    assert_eq!(house["no_democrat"], 1);
    assert_eq!(house["no_republican"], 0);
    let senate = office(&summary, "state_senate");
    // REPDEM vs LIB: contested, but not by two major-party candidates.
    assert_eq!(
        (senate["races"].as_u64(), senate["uncontested"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(senate["two_major_party"], 0);
    assert_eq!(office(&summary, "us_house")["unopposed_democratic"], 1);

    // Re-importing the same file changes nothing.
    let (out, _) = import(db, "openelections", "PA", "2016-11-08", &file, &[]);
    assert!(out.contains("0 added, 0 changed, 5 unchanged"), "{out}");
    assert_eq!(competition(db, "PA", "2016-11-08"), summary);
}

#[test]
fn multi_member_seats_are_unknown_until_a_seats_file_says() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("races.db");
    let db = db.to_str().unwrap();
    let file = fixture("vt-2016-house-excerpt.csv");
    let (_, err) = import(db, "openelections", "VT", "2016-11-08", &file, &[]);
    assert!(err.contains("seats unknown for 3 races"), "{err}");
    let house = office(&competition(db, "VT", "2016-11-08"), "state_house").clone();
    assert_eq!(house["races"], 3);
    assert_eq!(house["seats"], 0, "no seat count is guessed");
    assert_eq!(house["seats_unknown"], 3);
    assert_eq!(house["uncontested"], 0);

    let (out, _) = import(
        db,
        "openelections",
        "VT",
        "2016-11-08",
        &file,
        &["--seats", &fixture("vt-2016-seats.csv")],
    );
    assert!(out.contains("0 added, 3 changed"), "{out}");
    let house = office(&competition(db, "VT", "2016-11-08"), "state_house").clone();
    assert_eq!(house["seats"], 5);
    assert_eq!(house["seats_unknown"], 0);
    // ADD-1: three candidates for two seats; ADD-4: two for two; CHT-6-2: two for one.
    assert_eq!(house["uncontested"], 1, "{house}");
    assert_eq!(house["two_major_party"], 3);
}

#[test]
fn native_csv_for_upcoming_races() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("races.db");
    let db = db.to_str().unwrap();
    let file = fixture("oh-2026-upcoming.csv");
    let (out, err) = import(db, "native", "OH", "2026-11-03", &file, &[]);
    assert!(out.contains("4 added"), "{out}");
    assert!(err.contains("line 7: division"), "{err}");
    let summary = competition(db, "OH", "2026-11-03");
    let house = office(&summary, "state_house");
    assert_eq!(house["races"], 2);
    assert_eq!(
        house["uncontested"], 2,
        "one incumbent alone, one seat with nobody"
    );
    assert_eq!(house["no_republican"], 2);
    assert_eq!(office(&summary, "school_board")["seats"], 3);
    let (out, _) = import(db, "native", "OH", "2026-11-03", &file, &[]);
    assert!(out.contains("0 added, 0 changed, 4 unchanged"), "{out}");

    // Refusals a user can act on.
    let (ok, _, err) = run(
        db,
        &[
            "races",
            "import",
            "--source",
            "ap",
            "--state",
            "OH",
            "--date",
            "2026-11-03",
            &file,
        ],
        "",
    );
    assert!(
        !ok && err.contains("--source must be openelections or native"),
        "{err}"
    );
    let (ok, _, err) = run(
        db,
        &[
            "races",
            "competition",
            "--state",
            "OH",
            "--date",
            "2026-13-03",
            "--format",
            "json",
        ],
        "",
    );
    assert!(!ok && err.contains("date must be YYYY-MM-DD"), "{err}");
    let (ok, _, err) = run(
        db,
        &[
            "races",
            "competition",
            "--state",
            "MI",
            "--date",
            "2026-11-03",
            "--format",
            "json",
        ],
        "",
    );
    assert!(
        !ok && err.contains("no races stored for mi-2026-11-03-general"),
        "{err}"
    );
}

/// The published 2016 figures, from the real OpenElections files in the shared data.
#[test]
fn ohio_and_michigan_2016_reproduce_the_published_figures() {
    let Some(data) = shared_data() else {
        println!("skipped: no shared data (set DOWNBALLOT_DATA); the fixtures above still ran");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("races.db");
    let db = db.to_str().unwrap();
    let elections = data.join("elections");

    // The OCD catalog loaded first, so every division is checked against it.
    let (ok, _, err) = run(
        db,
        &["geo", "catalog", data.join("ocd").to_str().unwrap()],
        "",
    );
    assert!(ok, "{err}");

    let oh = elections.join("oh/20161108__oh__general.csv");
    let (_, err) = import(
        db,
        "openelections",
        "OH",
        "2016-11-08",
        oh.to_str().unwrap(),
        &[],
    );
    assert!(!err.contains("not in the OCD catalog"), "{err}");
    assert!(
        !err.contains("division IDs not checked"),
        "the catalog was consulted: {err}"
    );
    let summary = competition(db, "OH", "2016-11-08");
    let house = office(&summary, "state_house");
    assert_eq!(house["races"], 99);
    assert_eq!(house["seats"], 99);
    assert_eq!(house["unopposed_republican"], 17);
    assert_eq!(house["unopposed_democratic"], 8);
    assert_eq!(house["uncontested"], 25);
    assert_eq!(house["two_major_party"], 72);
    // The other two contests: a Republican against an independent (no Democrat, not unopposed).
    let r_vs_i =
        house["no_democrat"].as_u64().unwrap() - house["unopposed_republican"].as_u64().unwrap();
    assert_eq!(r_vs_i, 2, "{house}");
    assert_eq!(house["no_republican"], 8);
    let senate = office(&summary, "state_senate");
    assert_eq!(senate["races"], 16);
    assert_eq!(senate["unopposed_republican"], 3);
    assert_eq!(senate["two_major_party"], 13);
    assert_eq!(senate["uncontested"], 3);

    let mi = elections.join("mi/20161108__mi__general__county.csv");
    let (out, err) = import(
        db,
        "openelections",
        "MI",
        "2016-11-08",
        mi.to_str().unwrap(),
        &[],
    );
    assert!(!err.contains("not in the OCD catalog"), "{err}");
    // Partial-term races are a special election held the same day, not extra seats.
    assert!(out.contains("mi-2016-11-08-special: 3 races"), "{out}");
    let house = office(&competition(db, "MI", "2016-11-08"), "state_house").clone();
    assert_eq!(house["races"], 110);
    assert_eq!(
        house["two_major_party"], 110,
        "both major parties in all 110"
    );
    assert_eq!(house["uncontested"], 0);

    // Vermont: fusion tickets, tallies, county-coded districts that all map to the catalog.
    let vt = elections.join("vt/20161108__vt__general__precinct.csv");
    let (_, err) = import(
        db,
        "openelections",
        "VT",
        "2016-11-08",
        vt.to_str().unwrap(),
        &[],
    );
    assert!(!err.contains("not in the OCD catalog"), "{err}");
    let house = office(&competition(db, "VT", "2016-11-08"), "state_house").clone();
    assert_eq!(house["races"], 104, "Vermont's 104 House districts");
}

mod pages {
    use downballot_races::{Election, ElectionKind, openelections};
    use downballot_store::model::now_millis;

    use crate::helpers::{Db, TestApp};

    const PW: &str = "correct horse battery staple";

    async fn with_fixture() -> TestApp {
        let app = TestApp::spawn(Db::Sqlite).await;
        let e = Election::new("pa", "2016-11-08", ElectionKind::General).unwrap();
        let file = std::fs::File::open(super::fixture("pa-2016-fusion.csv")).unwrap();
        let races = openelections::read(&e, file).unwrap().races;
        app.store
            .import_races(&races, "openelections:test", now_millis())
            .await
            .unwrap();
        app
    }

    #[tokio::test]
    async fn national_page_without_data_greys_every_state() {
        let app = TestApp::spawn(Db::Sqlite).await;
        let res = app.get("/races").await;
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        assert!(html.contains("id=\"no-data\""));
        assert_eq!(html.matches("class=\"tile\"").count(), 51);
        assert_eq!(html.matches("data-fill=\"#e8e8e8\"").count(), 51);
        assert!(
            !html.contains("<a href=\"/races/"),
            "no state is linked without data"
        );
    }

    #[tokio::test]
    async fn public_pages_answer_and_refuse_what_does_not_exist() {
        let app = with_fixture().await;
        let html = app.get("/races").await.text().await.unwrap();
        assert!(html.contains("<a href=\"/races/pa\">"), "{html}");
        assert!(
            html.contains("Pennsylvania: 3 of 5 seats uncontested (60%)"),
            "{html}"
        );

        let state = app.get("/races/PA").await;
        assert_eq!(state.status(), 200);
        let state = state.text().await.unwrap();
        assert!(state.contains("/races/pa/pa-2016-11-08-general/state_house"));

        let chamber = app.get("/races/pa/pa-2016-11-08-general/state_house").await;
        assert_eq!(chamber.status(), 200);
        let chamber = chamber.text().await.unwrap();
        assert_eq!(chamber.matches("class=\"race uncontested\"").count(), 2);
        assert!(
            chamber.contains("Pat Fusion <abbr title=\"DEMREP\">(D/R)</abbr>"),
            "{chamber}"
        );
        assert!(!chamber.contains("Write-In") && !chamber.contains("Joe Sample"));
        assert!(
            chamber.contains("20,000 votes"),
            "votes summed over counties: {chamber}"
        );

        let race = app
            .get("/races/pa/pa-2016-11-08-general/state_house/181")
            .await;
        assert_eq!(race.status(), 200);
        let race = race.text().await.unwrap();
        assert!(
            race.contains("Unopposed (Democratic and Republican lines)"),
            "{race}"
        );
        assert!(race.contains("100.0%"));

        for path in [
            "/races/zz",
            "/races/ohio",
            "/races/oh/pa-2016-11-08-general/state_house",
            "/races/pa/pa-2016-11-08-general/dog_catcher",
            "/races/pa/pa-2020-11-03-general/state_house",
            "/races/pa/pa-2016-11-08-general/state_house/999",
            "/races/oh/pa-2016-11-08-general/state_house/181",
        ] {
            assert_eq!(app.get(path).await.status(), 404, "{path}");
        }
        let bad = app
            .get("/races/pa/pa-2016-11-08-general/state_house?show=bogus")
            .await;
        assert_eq!(bad.status(), 400);
    }

    #[tokio::test]
    async fn organizer_views_need_a_session_and_the_recruit_export_is_audited() {
        let app = with_fixture().await;
        for path in [
            "/staff/races",
            "/staff/races/open-seats.csv",
            "/staff/races/recruits.csv",
        ] {
            assert_eq!(
                app.get(path).await.status(),
                303,
                "{path} without a session"
            );
        }
        app.staff("org@example.org", "organizer", PW).await;
        let org = app.login("org@example.org", PW).await;
        let page = app.get_as("/staff/races?state=PA", &org).await;
        assert_eq!(page.status(), 200);
        let page = page.text().await.unwrap();
        assert!(page.contains("id=\"open-seat-count\">3<"), "{page}");
        let csv = app
            .get_as(
                "/staff/races/open-seats.csv?state=PA&office=state_house",
                &org,
            )
            .await
            .text()
            .await
            .unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3, "{csv}");
        assert!(lines[0].starts_with("state,election,office,district,division,seats,status"));
        assert!(csv.contains("Pat Fusion (D/R)"), "{csv}");
        assert_eq!(
            app.get_as("/staff/races?state=Narnia", &org).await.status(),
            400
        );
        assert_eq!(app.get_as("/staff/races?office=", &org).await.status(), 200);

        let recruits = app.get_as("/staff/races/recruits.csv?state=PA", &org).await;
        assert_eq!(recruits.status(), 200);
        assert_eq!(
            recruits.text().await.unwrap().lines().count(),
            1,
            "header only"
        );
        let log = app.store.audit_log(None, 10, 0).await.unwrap();
        assert!(
            log.iter().any(|a| a.action == "export"
                && a.detail
                    .as_deref()
                    .is_some_and(|d| d.contains("recruits in uncontested"))),
            "{log:?}"
        );
    }

    #[tokio::test]
    async fn after_signing_up_a_person_sees_the_races_where_they_live() {
        let app = TestApp::spawn(Db::Sqlite).await;
        crate::helpers::load_boundaries(&app, &crate::helpers::vermont_boundaries()).await;
        let e = Election::new("vt", "2016-11-08", ElectionKind::General).unwrap();
        let file = std::fs::File::open(super::fixture("vt-2016-house-excerpt.csv")).unwrap();
        let races = openelections::read(&e, file).unwrap().races;
        app.store
            .import_races(&races, "openelections:test", now_millis())
            .await
            .unwrap();
        let res = app
            .post_form(
                "/join",
                &[
                    ("given_name", "Rae"),
                    ("email", "rae@example.org"),
                    ("postal_code", "05401"),
                    ("interest", "run"),
                ],
            )
            .await;
        let thanks = res.headers()["location"].to_str().unwrap().to_owned();
        let next = crate::partners::next_step(&app, &thanks).await;
        let page = app.get(&next).await.text().await.unwrap();
        assert!(page.contains("Races where you live"), "{page}");
        assert!(
            page.contains("State House chittenden-6-2</a> — General election, 2016-11-08"),
            "{page}"
        );
        assert!(!page.contains("addison-1"), "only races where she lives");
        let es = app
            .get(&next.replace("lang=en", "lang=es"))
            .await
            .text()
            .await
            .unwrap();
        assert!(es.contains("Elecciones donde usted vive"));
        // Without the signed link, nothing personal and no next step.
        let plain = app.get("/join/thanks?lang=en").await.text().await.unwrap();
        assert!(!plain.contains("your-races") && !plain.contains("next-step"));
        assert_eq!(
            app.get("/join/partners?lang=en&t=forged").await.status(),
            400
        );
    }
}
