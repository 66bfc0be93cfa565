//! Staff pages over HTTP: sign-in, roles, the audit trail, CSRF, merges, import and export.

use crate::helpers::{Db, TestApp};

const PW: &str = "correct horse battery staple";

#[tokio::test]
async fn pages_need_a_session_and_login_is_rate_limited() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let res = app.get("/staff/people").await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/login?next=%2Fstaff%2Fpeople");
    app.staff("org@example.org", "organizer", PW).await;
    let bad = app
        .post_form(
            "/login",
            &[("email", "org@example.org"), ("password", "wrong")],
        )
        .await;
    assert_eq!(bad.status(), 401);
    let unknown = app
        .post_form(
            "/login",
            &[("email", "nobody@example.org"), ("password", "wrong")],
        )
        .await;
    assert_eq!(unknown.status(), 401, "same answer for unknown accounts");
    for _ in 0..4 {
        let _ = app
            .post_form(
                "/login",
                &[("email", "org@example.org"), ("password", "wrong")],
            )
            .await;
    }
    let limited = app
        .post_form("/login", &[("email", "org@example.org"), ("password", PW)])
        .await;
    assert_eq!(
        limited.status(),
        429,
        "even the right password waits after 5 failures"
    );
    // Another account from the same address still works (per-account limit below the per-address one).
    app.staff("other@example.org", "organizer", PW).await;
    let cookie = app.login("other@example.org", PW).await;
    assert_eq!(app.get_as("/staff", &cookie).await.status(), 200);
    // An open redirect is refused.
    let res = app
        .post_form(
            "/login",
            &[
                ("email", "other@example.org"),
                ("password", PW),
                ("next", "//evil.example"),
            ],
        )
        .await;
    assert_eq!(res.headers()["location"], "/staff");
    // Logging out ends the session in the database.
    let out = app.post_as("/logout", &cookie, &[]).await;
    assert_eq!(out.status(), 303);
    assert_eq!(app.get_as("/staff", &cookie).await.status(), 303);
}

#[tokio::test]
async fn roles_csrf_and_the_audit_log() {
    let app = TestApp::spawn(Db::Sqlite).await;
    app.staff("admin@example.org", "admin", PW).await;
    app.staff("org@example.org", "organizer", PW).await;
    let admin = app.login("admin@example.org", PW).await;
    let org = app.login("org@example.org", PW).await;
    for path in ["/staff/users", "/staff/audit", "/staff/import"] {
        assert_eq!(
            app.get_as(path, &org).await.status(),
            403,
            "{path} is admin only"
        );
        assert_eq!(app.get_as(path, &admin).await.status(), 200, "{path}");
    }
    assert_eq!(
        app.post_as(
            "/staff/users",
            &org,
            &[
                ("email", "x@example.org"),
                ("role", "admin"),
                ("password", PW)
            ]
        )
        .await
        .status(),
        403
    );
    // A cross-site form post is refused before it reaches the handler.
    let forged = app
        .client
        .post(app.url("/staff/users"))
        .header("cookie", &admin)
        .header("sec-fetch-site", "cross-site")
        .header("origin", "https://evil.example")
        .form(&[
            ("email", "evil@example.org"),
            ("role", "admin"),
            ("password", PW),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert!(
        app.store
            .user_by_email("evil@example.org")
            .await
            .unwrap()
            .is_none()
    );
    // An admin creates an account; a short password is refused with a message.
    let short = app
        .post_as(
            "/staff/users",
            &admin,
            &[
                ("email", "new@example.org"),
                ("role", "organizer"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(short.status(), 422);
    assert!(
        short
            .text()
            .await
            .unwrap()
            .contains("at least 12 characters")
    );
    let ok = app
        .post_as(
            "/staff/users",
            &admin,
            &[
                ("email", "new@example.org"),
                ("role", "organizer"),
                ("password", PW),
            ],
        )
        .await;
    assert_eq!(ok.status(), 200);
    assert!(
        app.store
            .user_by_email("new@example.org")
            .await
            .unwrap()
            .is_some()
    );

    // Viewing a person is audited, with who and whom.
    app.sign_up(&[
        ("given_name", "Nia"),
        ("email", "nia@example.org"),
        ("postal_code", "05401"),
        ("interest", "run"),
        ("consent_share", "yes"),
    ])
    .await;
    let (people, _) = app
        .store
        .list_people(&Default::default(), 1, 0)
        .await
        .unwrap();
    let id = people[0].person_id;
    let page = app.get_as(&format!("/staff/people/{id}"), &org).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("nia@example.org"));
    assert!(html.contains("Share with partner organizations"));
    let audit = app
        .get_as("/staff/audit", &admin)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        audit.contains("view_person")
            && audit.contains("org@example.org")
            && audit.contains(&id.to_string())
    );
    // Withdrawing consent from the person page is recorded.
    let w = app
        .post_as(
            &format!("/staff/people/{id}/consents/share/withdraw"),
            &org,
            &[],
        )
        .await;
    assert_eq!(w.status(), 303);
    let d = app.store.person_detail(id).await.unwrap().unwrap();
    assert!(!d.person.consent_share);
    assert!(
        d.consents
            .iter()
            .any(|c| !c.granted && c.channel == "share")
    );
}

#[tokio::test]
async fn dashboard_list_merge_and_export() {
    let app = TestApp::spawn(Db::Sqlite).await;
    app.staff("org@example.org", "organizer", PW).await;
    let org = app.login("org@example.org", PW).await;
    app.sign_up(&[
        ("given_name", "Omar"),
        ("email", "omar@example.org"),
        ("postal_code", "43215"),
        ("interest", "run"),
        ("offices", "county"),
    ])
    .await;
    app.sign_up(&[
        ("given_name", "Pat"),
        ("phone", "6145550199"),
        ("postal_code", "43215"),
        ("interest", "volunteer"),
    ])
    .await;
    app.sign_up(&[
        ("given_name", "Omar"),
        ("email", "OMAR@example.org"),
        ("phone", "614-555-0199"),
        ("postal_code", "43215"),
        ("interest", "both"),
    ])
    .await;
    let dash = app.get_as("/staff", &org).await.text().await.unwrap();
    assert!(
        dash.contains(r#"<strong id="total-people">2</strong>"#),
        "{dash}"
    );
    assert!(dash.contains("Ohio"));
    assert!(dash.contains("<svg class=\"chart\""));
    assert!(dash.contains(r#"<strong>1</strong> possible duplicates"#));

    let list = app
        .get_as("/staff/people?q=omar&region=OH", &org)
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains(r#"<span id="result-count">1</span>"#));
    let bad = app
        .get_as("/staff/people?region=ZZ", &org)
        .await
        .text()
        .await
        .unwrap();
    assert!(bad.contains("Unknown state"));

    let (people, _) = app
        .store
        .list_people(
            &downballot_store::PeopleFilter {
                q: Some("omar".into()),
                ..Default::default()
            },
            1,
            0,
        )
        .await
        .unwrap();
    let d = app
        .store
        .person_detail(people[0].person_id)
        .await
        .unwrap()
        .unwrap();
    let m = &d.merge_candidates[0];
    let res = app
        .post_as(
            &format!("/staff/merges/{}/merge", m.merge_candidate_id),
            &org,
            &[],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.store.counts().await.unwrap(), (1, 3));
    // The merged-away record's page forwards to the survivor.
    let fwd = app
        .get_as(&format!("/staff/people/{}", m.other_person_id), &org)
        .await;
    assert_eq!(
        fwd.headers()["location"],
        format!("/staff/people/{}", m.person_id).as_str()
    );

    let csv = app.get_as("/staff/people/export.csv?region=OH", &org).await;
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let body = csv.text().await.unwrap();
    let mut rdr = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = rdr.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(
        header[..5],
        ["person_id", "given_name", "family_name", "email", "phone"]
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][3], "omar@example.org");
    assert_eq!(&rows[0][4], "+16145550199");
    let none = app
        .get_as("/staff/people/export.csv?region=VT", &org)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(none.lines().count(), 1, "header only");
}

#[tokio::test]
async fn admin_uploads_a_csv_and_sees_every_rejected_row() {
    let app = TestApp::spawn(Db::Sqlite).await;
    app.staff("admin@example.org", "admin", PW).await;
    let admin = app.login("admin@example.org", PW).await;
    let csv = "first_name,last_name,email,phone,zip,state\n\
               Quinn,Ng,quinn@example.org,,05401,VT\n\
               Rae,,not-an-email,,05401,VT\n\
               Sol,,sol@example.org,,99999,VT\n\
               Quinn,Ng,QUINN@example.org,8028631234,05401,VT\n";
    let form = reqwest::multipart::Form::new()
        .text("default_interest", "run")
        .part(
            "file",
            reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("list.csv"),
        );
    let res = app
        .client
        .post(app.url("/staff/import"))
        .header("cookie", &admin)
        .header("sec-fetch-site", "same-origin")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("<strong>1</strong> new people"), "{html}");
    assert!(html.contains("<strong>1</strong> updated"));
    assert!(html.contains("<strong>2</strong> rejected"));
    assert!(
        html.contains("<td>3</td>") && html.contains("<td>4</td>"),
        "line numbers"
    );
    assert_eq!(app.store.counts().await.unwrap(), (1, 2));
}
