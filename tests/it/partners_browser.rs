//! The partner journey in headless Chromium: a person signs up, chooses two of the three
//! partners offered, each chosen partner's user finds them in the portal and moves them to
//! `contacted`, the third partner sees nobody, and the organizer's funnel shows both.

use fantoccini::Locator;

use crate::helpers::{Db, TestApp};
use crate::partners::{PW, partner, partner_user};
use crate::support::browser::{Browser, shots, sign_in, text_of, wait_for_url};

async fn click(c: &fantoccini::Client, css: &str) {
    c.wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

async fn sign_out(c: &fantoccini::Client) {
    // The header's sign-out form (on a phone the button may sit under the wrapped nav).
    c.execute("document.querySelector('header form').submit()", vec![])
        .await
        .unwrap();
    wait_for_url(c, "the login page", |u| u.path() == "/login").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recruit_chooses_two_partners_who_each_contact_them() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let a = partner(&app, "alpha", None).await;
    let b = partner(&app, "beta", None).await;
    let g = partner(&app, "gamma", None).await;
    partner_user(&app, "a@alpha.org", &a).await;
    partner_user(&app, "b@beta.org", &b).await;
    partner_user(&app, "g@gamma.org", &g).await;
    app.staff("org@example.org", "organizer", PW).await;
    let browser = Browser::start().await.expect("start Chromium");
    let c = &browser.client;

    // 1. The sign-up, then the choice of partners on the thank-you page.
    c.goto(&app.url("/join?source=email")).await.unwrap();
    for (css, value) in [
        ("#given_name", "Rosa"),
        ("#family_name", "Parks-Lee"),
        ("#email", "rosa@example.org"),
        ("#postal_code", "43215"),
    ] {
        c.find(Locator::Css(css))
            .await
            .unwrap()
            .send_keys(value)
            .await
            .unwrap();
    }
    click(c, "#interest-run").await;
    click(c, "main form button[type=submit]").await;
    wait_for_url(c, "the thank-you page", |u| u.path() == "/join/thanks").await;
    click(c, "#next-step").await;
    wait_for_url(c, "the next step", |u| u.path() == "/join/partners").await;
    let offered = text_of(c, "#partners-form").await;
    for name in ["ALPHA Trains", "BETA Trains", "GAMMA Trains"] {
        assert!(offered.contains(name), "{name} offered: {offered}");
    }
    click(c, "#partner-alpha").await;
    click(c, "#partner-beta").await;
    browser
        .screenshot(&shots().join("partners-choose.png"))
        .await
        .unwrap();
    click(c, "#partners-form button[type=submit]").await;
    let saved = text_of(c, "#partners-saved").await;
    assert!(
        saved.contains("will receive your details and be in touch: ALPHA Trains, BETA Trains."),
        "{saved}"
    );

    // 2. Each chosen partner finds Rosa and moves her to "contacted".
    for (email, shot) in [
        ("a@alpha.org", "portal-alpha.png"),
        ("b@beta.org", "portal-beta.png"),
    ] {
        c.goto(&app.url("/partner")).await.unwrap();
        sign_in(c, email, PW).await;
        wait_for_url(c, "the portal", |u| u.path() == "/partner").await;
        assert_eq!(text_of(c, "#referral-count").await, "1");
        c.find(Locator::LinkText("Rosa Parks-Lee"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_for_url(c, "the referral", |u| {
            u.path().starts_with("/partner/referrals/")
        })
        .await;
        assert!(text_of(c, "#shared").await.contains("rosa@example.org"));
        c.find(Locator::Css("#new-stage"))
            .await
            .unwrap()
            .select_by_value("contacted")
            .await
            .unwrap();
        c.find(Locator::Css("#note"))
            .await
            .unwrap()
            .send_keys("Called, intro call next week")
            .await
            .unwrap();
        click(c, "#save-stage").await;
        wait_for_url(c, "the history", |u| u.fragment() == Some("history")).await;
        assert!(text_of(c, "#stage").await.starts_with("Contacted"));
        assert!(
            text_of(c, "#stage-history")
                .await
                .contains("Called, intro call next week")
        );
        browser.screenshot(&shots().join(shot)).await.unwrap();
        sign_out(c).await;
    }

    // 3. The partner she did not choose sees nobody.
    c.goto(&app.url("/partner")).await.unwrap();
    sign_in(c, "g@gamma.org", PW).await;
    wait_for_url(c, "the portal", |u| u.path() == "/partner").await;
    assert_eq!(text_of(c, "#referral-count").await, "0");
    assert!(!c.source().await.unwrap().contains("Rosa"));
    sign_out(c).await;

    // 4. The organizer's funnel shows both partners at "contacted".
    c.goto(&app.url("/staff/partners")).await.unwrap();
    sign_in(c, "org@example.org", PW).await;
    wait_for_url(c, "the partners page", |u| u.path() == "/staff/partners").await;
    let funnel = c.find(Locator::Css("#funnel-partners")).await.unwrap();
    let rows = funnel.find_all(Locator::Css("tbody tr")).await.unwrap();
    let mut contacted = Vec::new();
    for row in rows {
        let cells = row.find_all(Locator::Css("th, td")).await.unwrap();
        let name = cells[0].text().await.unwrap();
        // Columns: partner, referred, then one per stage (new, contacted, …).
        let referred = cells[1].text().await.unwrap();
        let at_contacted = cells[3].text().await.unwrap();
        contacted.push((name, referred, at_contacted));
    }
    assert!(
        contacted.contains(&("ALPHA Trains".into(), "1".into(), "1".into())),
        "{contacted:?}"
    );
    assert!(
        contacted.contains(&("BETA Trains".into(), "1".into(), "1".into())),
        "{contacted:?}"
    );
    assert!(
        contacted.contains(&("GAMMA Trains".into(), "0".into(), "0".into())),
        "{contacted:?}"
    );
    browser
        .screenshot(&shots().join("partners-funnel.png"))
        .await
        .unwrap();
    browser.close().await.unwrap();
}
