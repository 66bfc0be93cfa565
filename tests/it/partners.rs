//! Partners and the pipeline over HTTP: choosing partners after signing up, the partner portal,
//! the partner API, withdrawal, signed webhooks through a receiver that goes down and comes
//! back, and the access matrix of every route against every role.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use downballot_domain::partner::{Eligibility, Offer, Stage};
use downballot_domain::signup::Interest;
use downballot_store::model::now_millis;
use downballot_store::partners::{Partner, PartnerInput};
use downballot_web::webhooks::WebhookConfig;
use serde_json::Value;

use crate::helpers::{Db, TestApp};

pub const PW: &str = "correct horse battery staple";

pub async fn partner(app: &TestApp, slug: &str, webhook: Option<&str>) -> Partner {
    app.store
        .create_partner(
            &PartnerInput {
                slug: slug.into(),
                name: format!("{} Trains", slug.to_uppercase()),
                description: format!("{slug} trains first-time candidates"),
                offers: vec![Offer::Training, Offer::Mentoring],
                rules: Eligibility {
                    interests: vec![Interest::Run],
                    ..Eligibility::default()
                },
                webhook_url: webhook.map(str::to_owned),
                active: true,
                ..PartnerInput::default()
            },
            now_millis(),
        )
        .await
        .expect("create partner")
}

pub async fn partner_user(app: &TestApp, email: &str, p: &Partner) {
    let hash = downballot_web::auth::hash_password(PW).unwrap();
    app.store
        .create_partner_user(email, &hash, p.partner_id, now_millis())
        .await
        .expect("partner user");
}

/// Signs up through the form; returns the thank-you page's path (with its signed link).
async fn sign_up(app: &TestApp, name: &str, email: &str, interest: &str) -> String {
    let res = app
        .post_form(
            "/join",
            &[
                ("given_name", name),
                ("email", email),
                ("postal_code", "43215"),
                ("interest", interest),
                ("consent_email", "yes"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    res.headers()["location"].to_str().unwrap().to_owned()
}

/// The thank-you page's link to the next step (races and partners), which it must offer.
pub async fn next_step(app: &TestApp, thanks: &str) -> String {
    let page = app.get(thanks).await.text().await.unwrap();
    let href = page
        .split("id=\"next-step\"")
        .next()
        .and_then(|before| before.rsplit("href=\"").next())
        .and_then(|h| h.split('"').next())
        .filter(|h| h.starts_with("/join/partners?"))
        .unwrap_or_else(|| panic!("no next step on the thank-you page: {page}"));
    href.replace("&#38;", "&").replace("&amp;", "&")
}

/// A partner's referral of the person with this e-mail: (referral, person).
async fn referral_of(app: &TestApp, p: &Partner, email: &str) -> (uuid::Uuid, uuid::Uuid) {
    let r = app
        .store
        .partner_referral_by_email(p.partner_id, email)
        .await
        .unwrap()
        .expect("a referral");
    let person = app
        .store
        .partner_referral(p.partner_id, r)
        .await
        .unwrap()
        .unwrap()
        .0
        .person_id;
    (r, person)
}

fn token_of(thanks: &str) -> String {
    let url = url::Url::parse(&format!("http://x{thanks}")).unwrap();
    url.query_pairs()
        .find(|(k, _)| k == "t")
        .map(|(_, v)| v.into_owned())
        .expect("a partner-choice link")
}

async fn choose(app: &TestApp, token: &str, slugs: &[&str]) -> reqwest::Response {
    let mut pairs = vec![("t", token), ("lang", "en")];
    pairs.extend(slugs.iter().map(|s| ("partner", *s)));
    app.post_form("/join/partners", &pairs).await
}

async fn json(res: reqwest::Response) -> Value {
    let status = res.status();
    let text = res.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status}: not JSON ({e}): {text}"))
}

async fn api_get(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn choose_partners_then_portal_api_and_withdrawal() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let a = partner(&app, "alpha", None).await;
    let b = partner(&app, "beta", None).await;
    let c = partner(&app, "gamma", None).await;
    partner_user(&app, "a@alpha.org", &a).await;
    partner_user(&app, "b@beta.org", &b).await;
    partner_user(&app, "c@gamma.org", &c).await;
    app.staff("org@example.org", "organizer", PW).await;

    // A volunteer is eligible for nobody (the partners take people who want to run).
    let vol = sign_up(&app, "Val", "val@example.org", "volunteer").await;
    let page = app
        .get(&next_step(&app, &vol).await)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("id=\"no-partners\"") && !page.contains("partners-form"),
        "no partner offered to a volunteer"
    );
    // The thank-you page itself offers the next step without reading the database per view.
    let thanks_page = app.get(&vol).await.text().await.unwrap();
    assert!(!thanks_page.contains("partners-form"));

    let thanks = sign_up(&app, "Rosa", "rosa@example.org", "run").await;
    let choices = next_step(&app, &thanks).await;
    let page = app.get(&choices).await.text().await.unwrap();
    for slug in ["alpha", "beta", "gamma"] {
        assert!(
            page.contains(&format!("id=\"partner-{slug}\"")),
            "{slug} offered"
        );
    }
    assert!(page.contains("ALPHA Trains may receive my name, e-mail, phone"));
    let token = token_of(&thanks);
    // The same link in Spanish: the choice and its consent words in Spanish.
    let es = app
        .get(&choices.replace("lang=en", "lang=es"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        es.contains("Acepto que ALPHA Trains reciba mi nombre"),
        "{es}"
    );

    // An altered link is refused and stores nothing.
    let forged = token.replacen('.', ".9", 1);
    assert_eq!(choose(&app, &forged, &["alpha"]).await.status(), 400);
    assert!(app.store.outbox(None, 10).await.unwrap().is_empty());

    let res = choose(&app, &token, &["alpha", "beta"]).await;
    assert_eq!(res.status(), 303);
    let saved = app
        .get(res.headers()["location"].to_str().unwrap())
        .await
        .text()
        .await
        .unwrap();
    assert!(
        saved.contains("will receive your details and be in touch: ALPHA Trains, BETA Trains."),
        "{saved}"
    );

    // Each partner's user sees the person; the third sees nothing.
    let ca = app.login("a@alpha.org", PW).await;
    let cb = app.login("b@beta.org", PW).await;
    let cc = app.login("c@gamma.org", PW).await;
    let list_a = app.get_as("/partner", &ca).await.text().await.unwrap();
    assert!(
        list_a.contains("Rosa") && list_a.contains("id=\"referral-count\">1<"),
        "{list_a}"
    );
    assert!(
        app.get_as("/partner", &cb)
            .await
            .text()
            .await
            .unwrap()
            .contains("Rosa")
    );
    let list_c = app.get_as("/partner", &cc).await.text().await.unwrap();
    assert!(!list_c.contains("Rosa") && list_c.contains("id=\"referral-count\">0<"));
    // Partner users never reach staff pages; staff never reach the portal.
    assert_eq!(app.get_as("/staff/people", &ca).await.status(), 403);
    let org = app.login("org@example.org", PW).await;
    assert_eq!(app.get_as("/partner", &org).await.status(), 403);

    // Alpha moves Rosa to contacted from the person page.
    let ra = app
        .store
        .partner_referral_by_email(a.partner_id, "rosa@example.org")
        .await
        .unwrap()
        .unwrap();
    let person = app
        .get_as(&format!("/partner/referrals/{ra}"), &ca)
        .await
        .text()
        .await
        .unwrap();
    assert!(person.contains("rosa@example.org"));
    assert!(person.contains("OH 43215"), "the shared place");
    let res = app
        .post_as(
            &format!("/partner/referrals/{ra}/stage"),
            &ca,
            &[
                ("stage", "contacted"),
                ("date", ""),
                ("note", "left a voicemail"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let bad = app
        .post_as(
            &format!("/partner/referrals/{ra}/stage"),
            &ca,
            &[("stage", "elected"), ("date", "")],
        )
        .await;
    assert_eq!(bad.status(), 400);
    // Beta cannot touch alpha's referral.
    let res = app
        .post_as(
            &format!("/partner/referrals/{ra}/stage"),
            &cb,
            &[("stage", "won")],
        )
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(
        app.get_as(&format!("/partner/referrals/{ra}"), &cb)
            .await
            .status(),
        404
    );

    // CSV upload: every refused line reported.
    let csv = "email,stage,date,note\nrosa@example.org,intro_call,2026-11-01,first call\nnobody@example.org,contacted,,\nrosa@example.org,flying,,\nrosa@example.org,filed,2999-01-01,\n";
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("stages.csv"),
    );
    let res = app
        .client
        .post(app.url("/partner/stages"))
        .header("cookie", &ca)
        .header("origin", format!("http://{}", app.addr))
        .header("sec-fetch-site", "same-origin")
        .multipart(form)
        .send()
        .await
        .unwrap();
    let page = res.text().await.unwrap();
    assert!(page.contains("1 updated, 3 refused"), "{page}");
    assert!(
        page.contains("<td>3</td><td>no referral of yours has the e-mail"),
        "{page}"
    );
    assert!(page.contains("<td>4</td><td>Unknown stage"), "{page}");
    assert!(
        page.contains("<td>5</td><td>Date 2999-01-01 is in the future"),
        "{page}"
    );
    let export = app
        .get_as("/partner/referrals.csv", &ca)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(export.lines().count(), 2);
    assert!(
        export.contains("rosa@example.org") && export.contains("intro_call"),
        "{export}"
    );

    // The API with alpha's token.
    let (_, token_a) = app
        .store
        .create_token(a.partner_id, "CRM", now_millis())
        .await
        .unwrap();
    let (_, token_b) = app
        .store
        .create_token(b.partner_id, "CRM", now_millis())
        .await
        .unwrap();
    let list = json(api_get(&app, "/api/v1/referrals", &token_a).await).await;
    let refs = list["_embedded"]["referrals"].as_array().unwrap();
    assert_eq!(refs.len(), 1);
    assert_eq!(
        refs[0]["person"]["email_addresses"][0]["address"],
        "rosa@example.org"
    );
    assert_eq!(refs[0]["stage"], "intro_call");
    assert!(
        refs[0]["person"].get("birth_year").is_none()
            && refs[0]["person"].get("address_line").is_none()
    );
    let one = json(api_get(&app, &format!("/api/v1/referrals/{ra}"), &token_a).await).await;
    assert_eq!(
        one["history"].as_array().unwrap().len(),
        3,
        "new, contacted, intro_call"
    );
    assert_eq!(
        api_get(&app, &format!("/api/v1/referrals/{ra}"), &token_b)
            .await
            .status(),
        404
    );
    let res = app
        .client
        .post(app.url(&format!("/api/v1/referrals/{ra}/stage")))
        .header("osdi-api-token", &token_a)
        .json(&serde_json::json!({"stage": "in_training", "note": "cohort 3"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(json(res).await["stage"], "in_training");
    let since = json(
        api_get(
            &app,
            "/api/v1/referrals?modified_since=2999-01-01",
            &token_a,
        )
        .await,
    )
    .await;
    assert!(
        since["_embedded"]["referrals"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        api_get(&app, "/api/v1/referrals", "dbt_wrong")
            .await
            .status(),
        401
    );
    assert_eq!(app.get("/api/v1/referrals").await.status(), 401);

    // The organizer's funnel counts both partners' referrals.
    let funnel = app
        .get_as("/staff/partners", &org)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        funnel.contains("ALPHA Trains") && funnel.contains("BETA Trains"),
        "{funnel}"
    );
    let numbers = app.get("/numbers").await.text().await.unwrap();
    assert!(numbers.contains("id=\"connected\">1<"), "{numbers}");

    // Rosa withdraws consent for alpha (recorded by staff): gone from portal and API at once.
    let (_, person_id) = referral_of(&app, &b, "rosa@example.org").await;
    let res = app
        .post_as(
            &format!(
                "/staff/people/{person_id}/partners/{}/withdraw",
                a.partner_id
            ),
            &org,
            &[],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        app.get_as(&format!("/partner/referrals/{ra}"), &ca)
            .await
            .status(),
        404
    );
    assert!(
        app.get_as("/partner", &ca)
            .await
            .text()
            .await
            .unwrap()
            .contains("id=\"referral-count\">0<")
    );
    assert_eq!(
        api_get(&app, &format!("/api/v1/referrals/{ra}"), &token_a)
            .await
            .status(),
        404
    );
    // Beta still has Rosa; the staff page shows both, one withdrawn.
    assert!(
        app.get_as("/partner", &cb)
            .await
            .text()
            .await
            .unwrap()
            .contains("Rosa")
    );
    let staff_page = app
        .get_as(&format!("/staff/people/{person_id}"), &org)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        staff_page.contains("consent withdrawn") && staff_page.contains("BETA Trains"),
        "{staff_page}"
    );
    // Through her own link, unticking beta withdraws that one too.
    assert_eq!(choose(&app, &token, &[]).await.status(), 303);
    assert!(
        !app.get_as("/partner", &cb)
            .await
            .text()
            .await
            .unwrap()
            .contains("Rosa")
    );
}

/// What the stand-in partner server received.
#[derive(Default)]
struct Received {
    /// Idempotency key → (event type, referral id, body), first delivery only.
    events: BTreeMap<String, (String, String)>,
    deliveries: usize,
    refused: usize,
    bad_signatures: usize,
}

/// A partner's webhook endpoint that answers 503 while `down`, checks signatures, and records
/// each event once by its idempotency key.
async fn receiver(
    secret: Arc<Mutex<String>>,
    down: Arc<Mutex<bool>>,
    got: Arc<Mutex<Received>>,
) -> String {
    use axum::http::{HeaderMap, StatusCode};
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let (secret, down, got) = (secret.clone(), down.clone(), got.clone());
            async move {
                let mut got = got.lock().unwrap();
                got.deliveries += 1;
                if *down.lock().unwrap() {
                    got.refused += 1;
                    return StatusCode::SERVICE_UNAVAILABLE;
                }
                let sig = headers["x-downballot-signature"]
                    .to_str()
                    .unwrap()
                    .to_owned();
                let (t, v1) = sig.split_once(",v1=").unwrap();
                let t = t.trim_start_matches("t=");
                let want = downballot_web::signing::sign_hex(
                    secret.lock().unwrap().as_bytes(),
                    format!("{t}.{body}").as_bytes(),
                );
                if want != v1 {
                    got.bad_signatures += 1;
                    return StatusCode::UNAUTHORIZED;
                }
                let key = headers["idempotency-key"].to_str().unwrap().to_owned();
                let v: Value = serde_json::from_str(&body).unwrap();
                assert_eq!(v["id"], key, "the key is the event id");
                let referral = v["data"]["id"].as_str().unwrap_or_default().to_owned();
                got.events
                    .entry(key)
                    .or_insert((v["type"].as_str().unwrap().to_owned(), referral));
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/hook")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_arrive_once_each_after_the_receiver_comes_back() {
    let app = TestApp::spawn_with(Db::Sqlite, |s| {
        s.with_webhooks(WebhookConfig {
            poll: Duration::from_millis(50),
            base_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(400),
            max_attempts: 1000,
            timeout: Duration::from_secs(2),
        })
    })
    .await;
    let secret = Arc::new(Mutex::new(String::new()));
    let down = Arc::new(Mutex::new(true));
    let got = Arc::new(Mutex::new(Received::default()));
    let url = receiver(secret.clone(), down.clone(), got.clone()).await;
    let a = partner(&app, "alpha", Some(&url)).await;
    *secret.lock().unwrap() = a.webhook_secret.clone().unwrap();

    // Twelve people choose alpha while its server is down.
    const PEOPLE: usize = 12;
    let mut tokens = Vec::new();
    for i in 0..PEOPLE {
        let thanks = sign_up(&app, &format!("P{i}"), &format!("p{i}@example.org"), "run").await;
        let token = token_of(&thanks);
        assert_eq!(choose(&app, &token, &["alpha"]).await.status(), 303);
        tokens.push(token);
    }
    // Saving the same choice again must not send a second referral.created.
    assert_eq!(choose(&app, &tokens[0], &["alpha"]).await.status(), 303);
    tokio::time::sleep(Duration::from_millis(800)).await;
    {
        let g = got.lock().unwrap();
        assert!(
            g.refused >= PEOPLE,
            "deliveries were tried while down: {}",
            g.refused
        );
        assert!(g.events.is_empty());
    }
    let pending = app.store.outbox(Some("pending"), 100).await.unwrap();
    assert_eq!(pending.len(), PEOPLE);
    assert!(
        pending
            .iter()
            .all(|e| e.attempts >= 1 && e.last_error.as_deref() == Some("HTTP 503"))
    );

    // Back up: every event arrives, each once by its key, one per referral.
    *down.lock().unwrap() = false;
    for _ in 0..100 {
        if app
            .store
            .outbox(Some("delivered"), 100)
            .await
            .unwrap()
            .len()
            == PEOPLE
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    {
        let g = got.lock().unwrap();
        assert_eq!(g.bad_signatures, 0);
        assert_eq!(g.events.len(), PEOPLE, "one event per referral");
        let mut per_referral: HashMap<&str, usize> = HashMap::new();
        for (kind, referral) in g.events.values() {
            assert_eq!(kind, "referral.created");
            *per_referral.entry(referral.as_str()).or_default() += 1;
        }
        assert_eq!(per_referral.len(), PEOPLE);
        assert!(per_referral.values().all(|n| *n == 1));
        println!(
            "webhooks: {} deliveries tried, {} refused while down, {} distinct events received",
            g.deliveries,
            g.refused,
            g.events.len()
        );
    }

    // A withdrawal sends referral.revoked.
    assert_eq!(choose(&app, &tokens[1], &[]).await.status(), 303);
    for _ in 0..100 {
        if got
            .lock()
            .unwrap()
            .events
            .values()
            .any(|(k, _)| k == "referral.revoked")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        got.lock()
            .unwrap()
            .events
            .values()
            .any(|(k, _)| k == "referral.revoked")
    );
}

/// Every route against every role; prints the matrix it checked.
#[tokio::test]
async fn access_matrix() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let a = partner(&app, "alpha", None).await;
    let b = partner(&app, "beta", None).await;
    partner_user(&app, "a@alpha.org", &a).await;
    partner_user(&app, "b@beta.org", &b).await;
    app.staff("admin@example.org", "admin", PW).await;
    app.staff("org@example.org", "organizer", PW).await;
    let thanks = sign_up(&app, "Ann", "ann@example.org", "run").await;
    assert_eq!(
        choose(&app, &token_of(&thanks), &["alpha"]).await.status(),
        303
    );
    let thanks = sign_up(&app, "Bo", "bo@example.org", "run").await;
    assert_eq!(
        choose(&app, &token_of(&thanks), &["beta"]).await.status(),
        303
    );
    let (ra, ann) = referral_of(&app, &a, "ann@example.org").await;
    let (rb, _) = referral_of(&app, &b, "bo@example.org").await;
    let (_, token_a) = app
        .store
        .create_token(a.partner_id, "A", now_millis())
        .await
        .unwrap();

    #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
    enum Who {
        Anonymous,
        Organizer,
        Admin,
        PartnerA,
        PartnerB,
        TokenA,
    }
    use Who::*;
    let everyone = [Anonymous, Organizer, Admin, PartnerA, PartnerB, TokenA];
    let mut cookies = HashMap::new();
    cookies.insert(Organizer, app.login("org@example.org", PW).await);
    cookies.insert(Admin, app.login("admin@example.org", PW).await);
    cookies.insert(PartnerA, app.login("a@alpha.org", PW).await);
    cookies.insert(PartnerB, app.login("b@beta.org", PW).await);

    // (method, path, [(who, expected status)]); 303 = sent to the login page.
    let staff_page = |path: String| -> (&'static str, String, Vec<(Who, u16)>) {
        (
            "GET",
            path,
            vec![
                (Anonymous, 303),
                (Organizer, 200),
                (Admin, 200),
                (PartnerA, 403),
                (PartnerB, 403),
                (TokenA, 303),
            ],
        )
    };
    let admin_page = |path: String| -> (&'static str, String, Vec<(Who, u16)>) {
        (
            "GET",
            path,
            vec![
                (Anonymous, 303),
                (Organizer, 403),
                (Admin, 200),
                (PartnerA, 403),
                (PartnerB, 403),
                (TokenA, 303),
            ],
        )
    };
    let public = |path: &str| -> (&'static str, String, Vec<(Who, u16)>) {
        (
            "GET",
            path.to_owned(),
            everyone.iter().map(|w| (*w, 200)).collect(),
        )
    };
    let mut routes = vec![
        public("/join"),
        public("/races"),
        public("/numbers"),
        staff_page("/staff".into()),
        staff_page("/staff/people".into()),
        staff_page("/staff/people/export.csv".into()),
        staff_page(format!("/staff/people/{ann}")),
        staff_page("/staff/partners".into()),
        staff_page("/staff/races".into()),
        staff_page("/staff/races/recruits.csv".into()),
        admin_page("/staff/users".into()),
        admin_page("/staff/audit".into()),
        admin_page("/staff/import".into()),
        admin_page("/staff/partners/new".into()),
        admin_page(format!("/staff/partners/{}", a.partner_id)),
        admin_page("/staff/webhooks".into()),
    ];
    let portal =
        |path: String, a_sees: u16, b_sees: u16| -> (&'static str, String, Vec<(Who, u16)>) {
            (
                "GET",
                path,
                vec![
                    (Anonymous, 303),
                    (Organizer, 403),
                    (Admin, 403),
                    (PartnerA, a_sees),
                    (PartnerB, b_sees),
                    (TokenA, 303),
                ],
            )
        };
    routes.push(portal("/partner".into(), 200, 200));
    routes.push(portal("/partner/referrals.csv".into(), 200, 200));
    routes.push(portal("/partner/stages".into(), 200, 200));
    routes.push(portal(format!("/partner/referrals/{ra}"), 200, 404));
    routes.push(portal(format!("/partner/referrals/{rb}"), 404, 200));
    let api = |path: String, a_sees: u16| -> (&'static str, String, Vec<(Who, u16)>) {
        (
            "GET",
            path,
            vec![
                (Anonymous, 401),
                (Organizer, 401),
                (Admin, 401),
                (PartnerA, 401),
                (PartnerB, 401),
                (TokenA, a_sees),
            ],
        )
    };
    routes.push(api("/api/v1/referrals".into(), 200));
    routes.push(api(format!("/api/v1/referrals/{ra}"), 200));
    routes.push(api(format!("/api/v1/referrals/{rb}"), 404));
    // Writes.
    routes.push((
        "POST",
        format!("/partner/referrals/{rb}/stage"),
        vec![
            (Anonymous, 303),
            (Organizer, 403),
            (Admin, 403),
            (PartnerA, 404),
            (PartnerB, 303),
            (TokenA, 303),
        ],
    ));
    routes.push((
        "POST",
        format!("/api/v1/referrals/{rb}/stage"),
        vec![
            (Anonymous, 401),
            (Organizer, 401),
            (Admin, 401),
            (PartnerA, 401),
            (PartnerB, 401),
            (TokenA, 404),
        ],
    ));
    routes.push((
        "POST",
        format!("/staff/partners/{}/tokens", b.partner_id),
        vec![
            (Anonymous, 303),
            (Organizer, 403),
            (Admin, 200),
            (PartnerA, 403),
            (PartnerB, 403),
            (TokenA, 303),
        ],
    ));

    let mut report =
        String::from("method path | anonymous organizer admin partner-A partner-B token-A\n");
    let mut failures = Vec::new();
    for (method, path, expect) in &routes {
        let mut line = format!("{method} {path} |");
        for (who, want) in expect {
            let mut req = match *method {
                "GET" => app.client.get(app.url(path)),
                _ => app
                    .client
                    .post(app.url(path))
                    .header("origin", format!("http://{}", app.addr))
                    .header("sec-fetch-site", "same-origin"),
            };
            if *method == "POST" && path.starts_with("/api/") {
                req = req.json(&serde_json::json!({"stage": "won"}));
            } else if *method == "POST" {
                req = req.form(&[("stage", "contacted"), ("name", "x")]);
            }
            if let Some(c) = cookies.get(who) {
                req = req.header("cookie", c);
            }
            if *who == TokenA {
                req = req.header("authorization", format!("Bearer {token_a}"));
            }
            let got = req.send().await.unwrap().status().as_u16();
            line.push_str(&format!(" {got}"));
            if got != *want {
                failures.push(format!(
                    "{method} {path} as {who:?}: {got}, expected {want}"
                ));
            }
        }
        report.push_str(&line);
        report.push('\n');
    }
    println!("{report}");
    assert!(failures.is_empty(), "{}\n{report}", failures.join("\n"));
    // Nothing of beta's leaked through alpha's token, and beta's referral kept its stage.
    assert_eq!(
        app.store
            .partner_referral(b.partner_id, rb)
            .await
            .unwrap()
            .unwrap()
            .0
            .stage,
        Stage::Contacted
    );
    let list = json(api_get(&app, "/api/v1/referrals", &token_a).await).await;
    assert!(!list.to_string().contains("bo@example.org"));
    println!("checked {} routes × {} roles", routes.len(), everyone.len());
}

/// An admin manages partners through the pages: a refused form keeps what was typed, then the
/// partner, its user, and an API token shown once, then revoked.
#[tokio::test]
async fn admins_create_and_edit_partners_users_and_tokens() {
    let app = TestApp::spawn(Db::Sqlite).await;
    app.staff("admin@example.org", "admin", PW).await;
    let admin = app.login("admin@example.org", PW).await;

    let bad = app
        .post_as(
            "/staff/partners",
            &admin,
            &[
                ("slug", "Run For Something!"),
                ("name", "Run for Something"),
                ("states", "OH, Narnia"),
                ("born_from", "nineteen"),
                ("languages", "english"),
                ("webhook_url", "ftp://x"),
                ("offers", "training"),
            ],
        )
        .await;
    assert_eq!(bad.status(), 400);
    let page = bad.text().await.unwrap();
    for problem in [
        "lower-case letters, digits and dashes",
        "unknown state &#34;Narnia&#34;",
        "Born from must be a year",
        "two-letter codes",
        "must start with https://",
    ] {
        assert!(page.contains(problem), "{problem}: {page}");
    }
    assert!(
        page.contains("value=\"Run for Something\""),
        "what was typed stays"
    );
    assert!(
        app.store.partners().await.unwrap().is_empty(),
        "nothing half-stored"
    );

    let res = app
        .post_as(
            "/staff/partners",
            &admin,
            &[
                ("slug", "rfs"),
                ("name", "Run for Something"),
                ("description", "Young progressives running down-ballot"),
                ("offers", "training"),
                ("offers", "mentoring"),
                ("states", "OH, pa"),
                ("interests", "run"),
                ("born_from", "1984"),
                ("share_mode", "referred_only"),
                ("webhook_url", "https://hooks.example.org/db"),
                ("active", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let p = app.store.partner_by_slug("rfs").await.unwrap().unwrap();
    assert_eq!(p.rules.states, ["OH", "PA"]);
    assert_eq!(p.rules.born_from, Some(1984));
    assert_eq!(
        p.share_mode,
        downballot_domain::partner::ShareMode::ReferredOnly
    );
    assert_eq!(p.offers, [Offer::Training, Offer::Mentoring]);
    assert!(p.webhook_secret.as_ref().is_some_and(|s| s.len() == 64));
    let dup = app
        .post_as(
            "/staff/partners",
            &admin,
            &[("slug", "rfs"), ("name", "Again")],
        )
        .await;
    assert_eq!(dup.status(), 400);
    assert!(dup.text().await.unwrap().contains("already exists"));

    // Edit: the slug stays whatever is posted.
    let path = format!("/staff/partners/{}", p.partner_id);
    let res = app
        .post_as(
            &path,
            &admin,
            &[
                ("slug", "other"),
                ("name", "RFS"),
                ("states", ""),
                ("interests", "run"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let p = app.store.partner(p.partner_id).await.unwrap().unwrap();
    assert_eq!(
        (p.slug.as_str(), p.name.as_str(), p.active),
        ("rfs", "RFS", false)
    );
    assert!(p.rules.states.is_empty());

    // A user for the partner, then a token shown once.
    let res = app
        .post_as(
            &format!("{path}/users"),
            &admin,
            &[("email", "lead@rfs.org"), ("password", PW)],
        )
        .await;
    assert_eq!(res.status(), 303);
    let short = app
        .post_as(
            &format!("{path}/users"),
            &admin,
            &[("email", "two@rfs.org"), ("password", "short")],
        )
        .await;
    assert_eq!(short.status(), 400);
    let lead = app.login("lead@rfs.org", PW).await;
    assert_eq!(app.get_as("/partner", &lead).await.status(), 200);
    let page = app
        .post_as(&format!("{path}/tokens"), &admin, &[("name", "CRM sync")])
        .await
        .text()
        .await
        .unwrap();
    let token = page
        .split("<code id=\"new-token\">")
        .nth(1)
        .and_then(|t| t.split('<').next())
        .expect("the token, shown once")
        .to_owned();
    assert!(token.starts_with("dbt_"));
    let again = app.get_as(&path, &admin).await.text().await.unwrap();
    assert!(!again.contains(&token), "never shown again");
    assert!(again.contains("CRM sync"));
    // The partner is inactive: its token opens nothing until it is active again.
    assert_eq!(
        api_get(&app, "/api/v1/referrals", &token).await.status(),
        401
    );
    app.post_as(&path, &admin, &[("name", "RFS"), ("active", "1")])
        .await;
    assert_eq!(
        api_get(&app, "/api/v1/referrals", &token).await.status(),
        200
    );
    let id = app.store.tokens(p.partner_id).await.unwrap()[0].token_id;
    let res = app
        .post_as(&format!("{path}/tokens/{id}/revoke"), &admin, &[])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        api_get(&app, "/api/v1/referrals", &token).await.status(),
        401
    );
    let log = app.store.audit_log(None, 50, 0).await.unwrap();
    for action in [
        "create_partner",
        "update_partner",
        "create_user",
        "create_token",
        "revoke_token",
    ] {
        assert!(log.iter().any(|a| a.action == action), "{action} audited");
    }
}
