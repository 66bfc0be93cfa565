//! The public sign-up form over HTTP against the real server.

use crate::both_backends;
use crate::helpers::{Db, TestApp};

both_backends!(
    accepted_signup_is_stored_before_the_thank_you,
    rejected_form_keeps_input_and_stores_nothing
);

async fn accepted_signup_is_stored_before_the_thank_you(db: Db) {
    let app = TestApp::spawn(db).await;
    let res = app
        .client
        .post(app.url("/join?source=speech-2026&referrer=rfs"))
        .form(&[
            ("given_name", "  Ana  "),
            ("family_name", "Ruiz"),
            ("email", "Ana@Example.org"),
            ("phone", "(802) 863-1234"),
            ("postal_code", "05401"),
            ("region", "vt"),
            ("interest", "run"),
            ("offices", "school_board"),
            ("offices", "municipal"),
            ("timeframe", "next_cycle"),
            ("involvement", "volunteered"),
            ("involvement_detail", "Canvassed in 2016"),
            ("birth_year", "1990"),
            ("consent_email", "yes"),
            ("consent_share", "yes"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    // The thank-you page, with the signed link for choosing partner organizations.
    let location = res.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with("/join/thanks?lang=en&t="),
        "{location}"
    );
    // Acknowledged means stored: no waiting, no retry.
    let (people, _) = app
        .store
        .list_people(&Default::default(), 10, 0)
        .await
        .unwrap();
    assert_eq!(people.len(), 1);
    let p = &people[0];
    assert_eq!(p.given_name, "Ana");
    assert_eq!(p.email.as_deref(), Some("ana@example.org"));
    assert_eq!(p.phone.as_deref(), Some("+18028631234"));
    assert_eq!(p.offices.as_deref(), Some("school_board,municipal"));
    assert_eq!(p.source.as_deref(), Some("speech-2026"));
    let d = app.store.person_detail(p.person_id).await.unwrap().unwrap();
    assert_eq!(d.submissions[0].referrer.as_deref(), Some("rfs"));
    assert_eq!(d.consents.len(), 2);
    let share = d.consents.iter().find(|c| c.channel == "share").unwrap();
    let shown = downballot_domain::i18n::consent_texts(downballot_domain::i18n::Lang::En);
    let expected = shown.iter().find(|c| c.channel == "share").unwrap();
    assert_eq!(
        share.text, expected.text,
        "the exact words shown are stored"
    );
    assert_eq!(share.text_version, expected.version);

    let thanks = app.get("/join/thanks?lang=en").await;
    assert_eq!(thanks.status(), 200);
}

async fn rejected_form_keeps_input_and_stores_nothing(db: Db) {
    let app = TestApp::spawn(db).await;
    let res = app
        .post_form(
            "/join",
            &[
                ("given_name", ""),
                ("family_name", "Ruíz <b>"),
                ("email", "not-an-email"),
                ("postal_code", "05401"),
                ("region", "OH"),
                ("interest", "run"),
                ("involvement_detail", "I organized my block"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"class="error-summary""#));
    for field in ["given_name", "email", "postal_code"] {
        assert!(
            html.contains(&format!(r##"href="#{field}""##)),
            "summary links to {field}"
        );
        assert!(
            html.contains(&format!(r#"id="{field}-error""#)),
            "message beside {field}"
        );
    }
    assert!(
        html.contains("Vermont"),
        "the ZIP/state message names the ZIP's state"
    );
    assert!(
        html.contains(r#"value="Ruíz &#60;b&#62;""#) || html.contains(r#"value="Ruíz &lt;b&gt;""#),
        "typed value kept, escaped"
    );
    assert!(html.contains(r#"value="not-an-email""#));
    assert!(html.contains("I organized my block"));
    assert!(html.contains(r#"id="interest-run" name="interest" value="run" checked"#));
    assert_eq!(app.store.counts().await.unwrap(), (0, 0), "nothing stored");
}

#[tokio::test]
async fn form_is_accessible_and_bilingual() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let html = app.get("/join").await.text().await.unwrap();
    assert!(html.contains(r#"<html lang="en">"#));
    for field in [
        "given_name",
        "family_name",
        "email",
        "phone",
        "address_line",
        "locality",
        "region",
        "postal_code",
        "involvement_detail",
        "birth_year",
    ] {
        assert!(
            html.contains(&format!(r#"<label for="{field}">"#)),
            "label for {field}"
        );
        assert!(
            html.contains(&format!(r#"name="{field}""#)),
            "field {field}"
        );
    }
    assert!(html.contains("<fieldset") && html.contains("<legend>"));
    for v in [
        "school_board",
        "municipal",
        "county",
        "state_legislature",
        "statewide",
        "congress",
        "judicial",
        "other",
        "not_sure",
    ] {
        assert!(
            html.contains(&format!(r#"name="offices" value="{v}""#)),
            "office {v}"
        );
    }
    for c in ["consent_email", "consent_sms", "consent_share"] {
        assert!(html.contains(&format!(r#"name="{c}""#)));
    }
    assert!(html.contains(r#"name="viewport""#));
    assert!(
        html.contains(r#"<div id="locate" hidden>"#),
        "the location button is hidden unless JavaScript shows it"
    );

    let es = app.get("/join?lang=es").await.text().await.unwrap();
    assert!(es.contains(r#"<html lang="es">"#));
    let header = app
        .client
        .get(app.url("/join"))
        .header("accept-language", "es-MX,es;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(header.contains(r#"<html lang="es">"#));
    // A Spanish sign-up records Spanish consent text.
    app.sign_up(&[
        ("given_name", "Luz"),
        ("email", "luz@example.org"),
        ("postal_code", "05401"),
        ("interest", "both"),
        ("consent_email", "on"),
        ("lang", "es"),
    ])
    .await;
    let (people, _) = app
        .store
        .list_people(&Default::default(), 10, 0)
        .await
        .unwrap();
    let d = app
        .store
        .person_detail(people[0].person_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.consents[0].lang, "es");
    let es_text = downballot_domain::i18n::consent_texts(downballot_domain::i18n::Lang::Es);
    assert_eq!(
        d.consents[0].text,
        es_text.iter().find(|c| c.channel == "email").unwrap().text
    );
}

#[tokio::test]
async fn source_survives_the_round_trip_through_the_form() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let html = app
        .get("/join?source=tv-ad&referrer=partner-7")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"name="source" value="tv-ad""#));
    assert!(html.contains(r#"name="referrer" value="partner-7""#));
    // An invalid post keeps them too.
    let again = app
        .post_form(
            "/join",
            &[
                ("source", "tv-ad"),
                ("referrer", "partner-7"),
                ("given_name", "X"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(again.contains(r#"name="source" value="tv-ad""#));
}

#[tokio::test]
async fn operations_routes() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let h = app.get("/healthz").await;
    assert_eq!(h.status(), 200);
    assert_eq!(app.get("/readyz").await.status(), 200);
    app.sign_up(&[
        ("given_name", "M"),
        ("email", "m@example.org"),
        ("postal_code", "05401"),
        ("interest", "run"),
    ])
    .await;
    let _ = app.post_form("/join", &[("given_name", "")]).await;
    let m = app.get("/metrics").await.text().await.unwrap();
    assert!(m.contains("downballot_http_requests_total"), "{m}");
    assert!(m.contains(r#"route="/join""#));
    assert!(m.contains("downballot_http_request_duration_seconds"));
    assert!(m.contains(r#"downballot_signups_total{outcome="accepted"}"#));
    assert!(m.contains(r#"downballot_signups_total{outcome="rejected"}"#));
    assert!(m.contains("downballot_commit_batch_size"));
    assert!(!m.contains("m@example.org"), "no personal data in metrics");
    assert_eq!(app.get("/nope").await.status(), 404);
}
