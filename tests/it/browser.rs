//! The whole journey in headless Chromium on a phone-sized screen: a person signs up, makes
//! mistakes, corrects them, sees the thank-you page; an organizer signs in, finds them on the
//! dashboard and the list, opens their page with its consents, and exports.

use fantoccini::Locator;

use crate::helpers::{Db, TestApp, load_boundaries, vermont_boundaries};
use crate::support::browser::{Browser, shots, sign_in, wait_for_url};

const PW: &str = "correct horse battery staple";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_with_mistakes_then_organizer_finds_and_exports() {
    let app = TestApp::spawn(Db::Sqlite).await;
    app.staff("org@example.org", "organizer", PW).await;
    load_boundaries(&app, &vermont_boundaries()).await;
    let browser = Browser::start().await.expect("start Chromium");
    let c = &browser.client;

    // 1. The form, with mistakes.
    c.goto(&app.url("/join?source=browser-test")).await.unwrap();
    c.find(Locator::Css("#given_name"))
        .await
        .unwrap()
        .send_keys("Zoe")
        .await
        .unwrap();
    c.find(Locator::Css("#email"))
        .await
        .unwrap()
        .send_keys("zoe@example")
        .await
        .unwrap();
    c.find(Locator::Css("#postal_code"))
        .await
        .unwrap()
        .send_keys("99999")
        .await
        .unwrap();
    c.find(Locator::Css("#offices-school_board"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("#consent_email"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_url(c, "the rejected form", |u| {
        u.path() == "/join" && u.query().is_none()
    })
    .await;

    let summary = c
        .wait()
        .for_element(Locator::Css(".error-summary"))
        .await
        .unwrap();
    let text = summary.text().await.unwrap();
    assert!(text.contains("email address"), "{text}");
    assert!(text.contains("99999"), "{text}");
    let links = c.find_all(Locator::Css(".error-summary a")).await.unwrap();
    assert_eq!(links.len(), 3, "e-mail, ZIP and interest");
    browser
        .screenshot(&shots().join("join-errors.png"))
        .await
        .unwrap();
    // What was typed is still there.
    let given = c.find(Locator::Css("#given_name")).await.unwrap();
    assert_eq!(given.prop("value").await.unwrap().as_deref(), Some("Zoe"));
    assert!(
        c.find(Locator::Css("#offices-school_board"))
            .await
            .unwrap()
            .prop("checked")
            .await
            .unwrap()
            .is_some_and(|v| v == "true")
    );
    assert_eq!(
        c.find(Locator::Css("#email"))
            .await
            .unwrap()
            .attr("aria-invalid")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );
    // The summary link moves focus to the field.
    links[0].click().await.unwrap();

    // 2. Correct them.
    let email = c.find(Locator::Css("#email")).await.unwrap();
    email.clear().await.unwrap();
    email.send_keys("Zoe@Example.org").await.unwrap();
    let zip = c.find(Locator::Css("#postal_code")).await.unwrap();
    zip.clear().await.unwrap();
    zip.send_keys("05401").await.unwrap();
    c.find(Locator::Css("#interest-run"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_url(c, "the thank-you page", |u| u.path() == "/join/thanks").await;
    let heading = c
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!heading.is_empty());
    browser
        .screenshot(&shots().join("join-thanks.png"))
        .await
        .unwrap();

    // The same person again, e-mail in other case: one person, two submissions.
    c.goto(&app.url("/join")).await.unwrap();
    c.find(Locator::Css("#given_name"))
        .await
        .unwrap()
        .send_keys("Zoe")
        .await
        .unwrap();
    c.find(Locator::Css("#email"))
        .await
        .unwrap()
        .send_keys("ZOE@EXAMPLE.ORG")
        .await
        .unwrap();
    c.find(Locator::Css("#postal_code"))
        .await
        .unwrap()
        .send_keys("05401")
        .await
        .unwrap();
    c.find(Locator::Css("#interest-both"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_url(c, "the thank-you page", |u| u.path() == "/join/thanks").await;
    assert_eq!(app.store.counts().await.unwrap(), (1, 2));

    // 3. The organizer.
    c.goto(&app.url("/staff")).await.unwrap();
    sign_in(c, "org@example.org", PW).await;
    wait_for_url(c, "the dashboard", |u| u.path() == "/staff").await;
    let total = c
        .wait()
        .for_element(Locator::Css("#total-people"))
        .await
        .unwrap();
    assert_eq!(total.text().await.unwrap(), "1");
    let latest = c
        .find(Locator::Css("#latest"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(latest.contains("Zoe"), "{latest}");
    browser
        .screenshot(&shots().join("dashboard.png"))
        .await
        .unwrap();

    c.goto(&app.url("/staff/people")).await.unwrap();
    c.find(Locator::Css("#q"))
        .await
        .unwrap()
        .send_keys("zoe@")
        .await
        .unwrap();
    c.find(Locator::Css(".filters button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_url(c, "the search results", |u| {
        u.query().is_some_and(|q| q.contains("q=zoe"))
    })
    .await;
    assert_eq!(
        c.find(Locator::Css("#result-count"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "1"
    );
    c.find(Locator::Css("#people a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_url(c, "the person page", |u| {
        u.path().starts_with("/staff/people/") && u.path().len() > "/staff/people/".len() + 30
    })
    .await;
    let history = c
        .wait()
        .for_element(Locator::Css("#consent-history"))
        .await
        .unwrap();
    let history = history.text().await.unwrap();
    assert!(
        history.contains("email") && history.contains("given"),
        "{history}"
    );
    let page = c.source().await.unwrap();
    assert!(
        page.contains("Every sign-up (2)"),
        "two submissions on the person page"
    );
    assert!(page.contains("source browser-test"));
    let divisions = c
        .find(Locator::Css("#divisions"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        divisions.contains("ocd-division/country:us/state:vt/sldl:chittenden-6-2"),
        "{divisions}"
    );
    assert_eq!(
        c.find(Locator::Css("#location-accuracy"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "approximate"
    );
    browser
        .screenshot(&shots().join("person.png"))
        .await
        .unwrap();
    c.execute(
        "document.getElementById('divisions').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    browser
        .screenshot(&shots().join("person-districts.png"))
        .await
        .unwrap();

    // 4. Export with the browser's own session cookie.
    c.goto(&app.url("/staff/people")).await.unwrap();
    let href = c
        .find(Locator::Css("#export"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let cookie = c
        .get_named_cookie("__Host-downballot_session")
        .await
        .expect("session cookie set in Chromium");
    let csv = app
        .client
        .get(app.url(&href))
        .header("cookie", format!("{}={}", cookie.name(), cookie.value()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.contains("zoe@example.org"));

    browser.close().await.unwrap();
}
