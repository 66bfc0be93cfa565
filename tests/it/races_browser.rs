//! Races in headless Chromium: the national tile map, a chamber's races with the uncontested
//! seats marked, a recruit's page listing the races where they live, and the organizer view
//! that puts recruits next to uncontested seats.

use downballot_races::{Election, ElectionKind, native, openelections};
use downballot_store::model::now_millis;
use fantoccini::Locator;

use crate::helpers::{Db, TestApp, load_boundaries, shared_data, vermont_boundaries};
use crate::support::browser::{Browser, shots, sign_in, text_of, wait_for_url};

const PW: &str = "correct horse battery staple";

async fn import_results(app: &TestApp, state: &str, date: &str, path: &std::path::Path) {
    let e = Election::new(state, date, ElectionKind::General).unwrap();
    let file = std::fs::File::open(path).unwrap();
    let races = openelections::read(&e, file).unwrap().races;
    app.store
        .import_races(&races, "openelections:test", now_millis())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn national_map_chamber_list_and_a_recruits_races() {
    let app = TestApp::spawn(Db::Sqlite).await;
    app.staff("org@example.org", "organizer", PW).await;
    load_boundaries(&app, &vermont_boundaries()).await;
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/races");

    // Ohio's real 2016 results when the shared data is here; the Pennsylvania fixture always.
    let ohio = shared_data().map(|d| d.join("elections/oh/20161108__oh__general.csv"));
    if let Some(oh) = &ohio {
        import_results(&app, "oh", "2016-11-08", oh).await;
    }
    import_results(
        &app,
        "pa",
        "2016-11-08",
        &fixtures.join("pa-2016-fusion.csv"),
    )
    .await;
    import_results(
        &app,
        "vt",
        "2016-11-08",
        &fixtures.join("vt-2016-house-excerpt.csv"),
    )
    .await;
    // An upcoming Vermont race nobody has filed for, where the recruit lives.
    let upcoming = Election::new("vt", "2026-11-03", ElectionKind::General).unwrap();
    let native = native::read(
        &upcoming,
        "office,division,seats,filing_deadline,candidate,party\n\
         state_house,ocd-division/country:us/state:vt/sldl:chittenden-6-2,1,2026-05-28,,\n"
            .as_bytes(),
    )
    .unwrap();
    app.store
        .import_races(&native.races, "native:test", now_millis())
        .await
        .unwrap();

    // A recruit in Burlington (ZIP 05401 → chittenden-6-2).
    app.sign_up(&[
        ("given_name", "Rae"),
        ("family_name", "Recruit"),
        ("email", "rae@example.org"),
        ("postal_code", "05401"),
        ("interest", "run"),
        ("consent_email", "yes"),
    ])
    .await;

    let browser = Browser::start().await.expect("start Chromium");
    let c = &browser.client;

    // 1. The national map: states with data are linked and coloured; the rest say "no data".
    c.goto(&app.url("/races")).await.unwrap();
    let map = c
        .wait()
        .for_element(Locator::Css("#tile-map"))
        .await
        .unwrap();
    assert_eq!(map.attr("role").await.unwrap().as_deref(), Some("group"));
    // Keyboard and screen-reader users reach each state with data by a named link.
    let link = c
        .find(Locator::Css("#tile-map a[href='/races/pa']"))
        .await
        .unwrap();
    assert!(
        link.attr("aria-label")
            .await
            .unwrap()
            .unwrap_or_default()
            .starts_with("Pennsylvania: 3 of 5 seats uncontested")
    );
    let pa = c
        .find(Locator::Css("g.tile[data-state=PA]"))
        .await
        .unwrap()
        .attr("data-fill")
        .await
        .unwrap();
    assert_ne!(pa.as_deref(), Some("#e8e8e8"), "Pennsylvania has data");
    let tx = c
        .find(Locator::Css("g.tile[data-state=TX]"))
        .await
        .unwrap()
        .attr("data-fill")
        .await
        .unwrap();
    assert_eq!(tx.as_deref(), Some("#e8e8e8"), "Texas has none");
    assert_eq!(
        c.find_all(Locator::Css("#tile-map g.tile"))
            .await
            .unwrap()
            .len(),
        51
    );
    let states = text_of(c, "#states").await;
    assert!(
        states.contains("Pennsylvania") && states.contains("Vermont"),
        "{states}"
    );
    browser
        .screenshot(&shots().join("races-map.png"))
        .await
        .unwrap();

    // 2. A state → its chambers → the State House list with the uncontested seats marked.
    let (state, expected) = if ohio.is_some() {
        ("oh", 25)
    } else {
        ("pa", 2)
    };
    c.goto(&app.url(&format!("/races/{state}"))).await.unwrap();
    c.wait()
        .for_element(Locator::Css("#chambers"))
        .await
        .unwrap()
        .find(Locator::LinkText("State House"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_url(c, "the next page", |u| u.path().ends_with("/state_house")).await;
    let marked = c
        .find_all(Locator::Css(
            "#races tr.uncontested strong.badge.uncontested",
        ))
        .await
        .unwrap();
    assert_eq!(marked.len(), expected, "uncontested seats marked");
    assert_eq!(text_of(c, "#uncontested-count").await, expected.to_string());
    if ohio.is_some() {
        let page = c.source().await.unwrap();
        assert_eq!(page.matches(">Unopposed Republican<").count(), 17);
        assert_eq!(page.matches(">Unopposed Democrat<").count(), 8);
        assert_eq!(
            c.find_all(Locator::Css("#races tr.race"))
                .await
                .unwrap()
                .len(),
            99
        );
    }
    browser
        .screenshot(&shots().join("races-state-house.png"))
        .await
        .unwrap();
    // The filter keeps only the marked rows; a race page opens from the list.
    c.goto(&format!(
        "{}?show=uncontested",
        c.current_url().await.unwrap()
    ))
    .await
    .unwrap();
    assert_eq!(
        c.find_all(Locator::Css("#races tr.race"))
            .await
            .unwrap()
            .len(),
        expected
    );
    c.find(Locator::Css("#races tr.race th a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_url(c, "the next page", |u| u.path().matches('/').count() == 5).await;
    assert!(text_of(c, "#race-status").await.starts_with("Unopposed"));

    // 3. The organizer signs in and opens the recruit's page: the races where they live.
    c.goto(&app.url("/staff/people?q=rae")).await.unwrap();
    sign_in(c, "org@example.org", PW).await;
    wait_for_url(c, "the next page", |u| u.path().starts_with("/staff")).await;
    c.goto(&app.url("/staff/people?q=rae")).await.unwrap();
    c.wait()
        .for_element(Locator::Css("#people a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_url(c, "the next page", |u| {
        u.path().len() > "/staff/people/".len() + 30
    })
    .await;
    let races = text_of(c, "#person-races").await;
    assert!(races.contains("General election, 2026-11-03"), "{races}");
    assert!(races.contains("Nobody running"), "{races}");
    assert_eq!(races.matches("chittenden-6-2").count(), 2, "{races}");
    assert!(
        races.contains("Jill Krowinski (D)") && races.contains("Kurt Wright (D/R)"),
        "{races}"
    );
    c.execute("document.getElementById('races').scrollIntoView()", vec![])
        .await
        .unwrap();
    browser
        .screenshot(&shots().join("person-races.png"))
        .await
        .unwrap();

    // 4. The organizer view: the recruit lives where a seat is uncontested.
    c.goto(&app.url("/staff/races?state=VT")).await.unwrap();
    let recruits = text_of(c, "#recruits-table").await;
    assert!(
        recruits.contains("Rae Recruit") && recruits.contains("Nobody running"),
        "{recruits}"
    );
    assert_eq!(
        text_of(c, "#open-seat-count").await,
        "0",
        "the one open Vermont seat has a recruit"
    );
    c.goto(&app.url("/staff/races?state=PA&office=state_house"))
        .await
        .unwrap();
    assert_eq!(text_of(c, "#open-seat-count").await, "2");
    assert_eq!(text_of(c, "#recruit-count").await, "0");
    browser
        .screenshot(&shots().join("staff-races.png"))
        .await
        .unwrap();
    browser.close().await.unwrap();
}
