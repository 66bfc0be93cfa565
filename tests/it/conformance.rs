//! The storage conformance suite: every test runs against SQLite and PostgreSQL and must give
//! the same answers.

use downballot_store::PeopleFilter;
use downballot_store::model::now_millis;

use crate::both_backends;
use crate::helpers::{Db, open_store, submission};

both_backends!(
    same_email_in_other_case_folds_into_one_person,
    phone_alone_folds_and_fills_missing_fields,
    email_and_phone_of_two_people_make_a_merge_candidate,
    dismissing_a_merge_candidate_keeps_both,
    consents_are_records_and_withdrawal_is_recorded,
    filters_search_and_pages,
    dashboard_counts_by_state_and_day,
    export_streams_every_matching_person,
    concurrent_signups_all_commit_in_groups,
    a_failing_signup_is_rolled_back_alone,
    staff_sessions_and_audit_log,
    import_batches_fold_within_the_batch,
    locations_and_divisions_follow_the_newest_signup,
    races_import_only_what_changed_and_meet_people_by_division,
    partners_referrals_stages_tokens_and_the_outbox,
);

async fn same_email_in_other_case_folds_into_one_person(db: Db) {
    let (store, _dir) = open_store(db).await;
    let first = store
        .submit(submission(&[
            ("given_name", "Ana"),
            ("family_name", "Ruiz"),
            ("email", "Ana.Ruiz@Example.org"),
            ("postal_code", "05401"),
            ("interest", "volunteer"),
            ("offices", "school_board"),
            ("source", "speech"),
        ]))
        .await
        .expect("first");
    assert!(first.created);
    let second = store
        .submit(submission(&[
            ("given_name", "Ana María"),
            ("email", "ana.ruiz@EXAMPLE.ORG"),
            ("postal_code", "43215"),
            ("interest", "run"),
            ("source", "email"),
        ]))
        .await
        .expect("second");
    assert!(!second.created);
    assert_eq!(first.person_id, second.person_id);
    assert_eq!(store.counts().await.unwrap(), (1, 2));
    let d = store
        .person_detail(first.person_id)
        .await
        .unwrap()
        .expect("person");
    let p = &d.person;
    assert_eq!(p.given_name, "Ana María", "newest wins");
    assert_eq!(
        p.family_name.as_deref(),
        Some("Ruiz"),
        "a blank field does not erase an earlier answer"
    );
    assert_eq!(p.region, "OH", "the ZIP's state");
    assert_eq!(p.postal_code, "43215");
    assert_eq!(p.interest, "run");
    assert_eq!(p.offices.as_deref(), Some("school_board"));
    assert_eq!(
        p.source.as_deref(),
        Some("speech"),
        "the first source stays"
    );
    assert_eq!(p.email.as_deref(), Some("ana.ruiz@example.org"));
    assert_eq!(p.submission_count, 2);
    assert_eq!(d.submissions.len(), 2);
    assert_eq!(
        d.submissions[1].given_name, "Ana",
        "history keeps the earlier answer"
    );
    assert_eq!(d.submissions[1].source.as_deref(), Some("speech"));
}

async fn phone_alone_folds_and_fills_missing_fields(db: Db) {
    let (store, _dir) = open_store(db).await;
    let a = store
        .submit(submission(&[
            ("given_name", "Bo"),
            ("phone", "(802) 863-1234"),
            ("postal_code", "05401"),
            ("interest", "run"),
        ]))
        .await
        .unwrap();
    let b = store
        .submit(submission(&[
            ("given_name", "Bo"),
            ("phone", "802.863.1234"),
            ("email", "bo@example.org"),
            ("postal_code", "05401"),
            ("interest", "both"),
        ]))
        .await
        .unwrap();
    assert_eq!(a.person_id, b.person_id);
    let d = store.person_detail(a.person_id).await.unwrap().unwrap();
    assert_eq!(d.person.phone.as_deref(), Some("+18028631234"));
    assert_eq!(d.person.email.as_deref(), Some("bo@example.org"));
    assert_eq!(d.identities.len(), 2);
    // The e-mail now finds the same person too.
    let c = store
        .submit(submission(&[
            ("given_name", "Bo"),
            ("email", "BO@example.org"),
            ("postal_code", "05401"),
            ("interest", "run"),
        ]))
        .await
        .unwrap();
    assert_eq!(c.person_id, a.person_id);
    assert_eq!(store.counts().await.unwrap(), (1, 3));
}

async fn email_and_phone_of_two_people_make_a_merge_candidate(db: Db) {
    let (store, _dir) = open_store(db).await;
    let by_email = store
        .submit(submission(&[
            ("given_name", "Cy"),
            ("email", "cy@example.org"),
            ("postal_code", "05401"),
            ("interest", "run"),
        ]))
        .await
        .unwrap();
    let by_phone = store
        .submit(submission(&[
            ("given_name", "Cyrus"),
            ("family_name", "Lee"),
            ("phone", "8028631234"),
            ("postal_code", "05401"),
            ("interest", "volunteer"),
            ("consent_sms", "yes"),
        ]))
        .await
        .unwrap();
    assert_ne!(by_email.person_id, by_phone.person_id);
    let both = store
        .submit(submission(&[
            ("given_name", "Cy"),
            ("email", "cy@example.org"),
            ("phone", "802-863-1234"),
            ("postal_code", "05401"),
            ("interest", "run"),
        ]))
        .await
        .unwrap();
    assert!(both.merge_candidate, "not merged silently");
    assert_eq!(
        both.person_id, by_email.person_id,
        "the submission goes to the e-mail's person"
    );
    assert_eq!(store.counts().await.unwrap(), (2, 3));
    let d = store
        .person_detail(by_email.person_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        d.person.phone, None,
        "the phone still belongs to the other person"
    );
    assert_eq!(d.merge_candidates.len(), 1);
    let candidate = d.merge_candidates[0].clone();
    assert_eq!(candidate.other_person_id, by_phone.person_id);
    assert_eq!(candidate.status, "open");
    // A repeat of the same conflict does not pile up candidates.
    store
        .submit(submission(&[
            ("given_name", "Cy"),
            ("email", "cy@example.org"),
            ("phone", "802-863-1234"),
            ("postal_code", "05401"),
            ("interest", "run"),
        ]))
        .await
        .unwrap();
    let d = store
        .person_detail(by_email.person_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        d.merge_candidates
            .iter()
            .filter(|m| m.status == "open")
            .count(),
        1
    );

    let staff = store
        .create_user("admin@example.org", "admin", "x", now_millis())
        .await
        .unwrap();
    let keep = store
        .merge(candidate.merge_candidate_id, staff.user_id, now_millis())
        .await
        .unwrap();
    assert_eq!(keep, by_email.person_id);
    assert_eq!(store.counts().await.unwrap(), (1, 4));
    let d = store.person_detail(keep).await.unwrap().unwrap();
    assert_eq!(d.submissions.len(), 4);
    assert_eq!(
        d.person.phone.as_deref(),
        Some("+18028631234"),
        "filled from the other record"
    );
    assert_eq!(d.person.family_name.as_deref(), Some("Lee"));
    assert!(d.person.consent_sms);
    assert_eq!(d.person.submission_count, 4);
    let gone = store.person(by_phone.person_id).await.unwrap().unwrap();
    assert_eq!(gone.merged_into, Some(keep));
    // Both identities now find the survivor.
    let again = store
        .submit(submission(&[
            ("given_name", "Cy"),
            ("phone", "8028631234"),
            ("postal_code", "05401"),
            ("interest", "run"),
        ]))
        .await
        .unwrap();
    assert_eq!(again.person_id, keep);
    assert!(!again.merge_candidate);
    let log = store.audit_log(Some(keep), 10, 0).await.unwrap();
    assert!(log.iter().any(|e| e.action == "merge"));
    // Merging twice is refused.
    assert!(
        store
            .merge(candidate.merge_candidate_id, staff.user_id, now_millis())
            .await
            .is_err()
    );
}

async fn dismissing_a_merge_candidate_keeps_both(db: Db) {
    let (store, _dir) = open_store(db).await;
    store
        .submit(submission(&[
            ("given_name", "D"),
            ("email", "d@example.org"),
            ("postal_code", "05401"),
            ("interest", "run"),
        ]))
        .await
        .unwrap();
    store
        .submit(submission(&[
            ("given_name", "E"),
            ("phone", "8028631234"),
            ("postal_code", "05401"),
            ("interest", "run"),
        ]))
        .await
        .unwrap();
    let o = store
        .submit(submission(&[
            ("given_name", "D"),
            ("email", "d@example.org"),
            ("phone", "8028631234"),
            ("postal_code", "05401"),
            ("interest", "run"),
        ]))
        .await
        .unwrap();
    let staff = store
        .create_user("o@example.org", "organizer", "x", now_millis())
        .await
        .unwrap();
    let d = store.person_detail(o.person_id).await.unwrap().unwrap();
    let id = d.merge_candidates[0].merge_candidate_id;
    store
        .dismiss_merge(id, staff.user_id, now_millis())
        .await
        .unwrap();
    assert_eq!(
        store.merge_candidate(id).await.unwrap().unwrap().status,
        "dismissed"
    );
    assert_eq!(store.counts().await.unwrap(), (2, 3));
    assert!(
        store.merge(id, staff.user_id, now_millis()).await.is_err(),
        "a dismissed candidate cannot be merged"
    );
}

async fn consents_are_records_and_withdrawal_is_recorded(db: Db) {
    let (store, _dir) = open_store(db).await;
    let o = store
        .submit(submission(&[
            ("given_name", "F"),
            ("email", "f@example.org"),
            ("postal_code", "05401"),
            ("interest", "run"),
            ("consent_email", "yes"),
            ("consent_share", "yes"),
        ]))
        .await
        .unwrap();
    let d = store.person_detail(o.person_id).await.unwrap().unwrap();
    assert_eq!(d.consents.len(), 2);
    let share = d
        .consents
        .iter()
        .find(|c| c.channel == "share")
        .expect("share consent");
    assert!(share.granted);
    assert_eq!(share.text, "test consent text for share");
    assert_eq!(share.text_version, "test-1");
    assert_eq!(share.lang, "en");
    assert_eq!(share.submission_id, Some(o.submission_id));
    assert!(d.person.consent_share && d.person.consent_email && !d.person.consent_sms);

    let staff = store
        .create_user("s@example.org", "organizer", "x", now_millis())
        .await
        .unwrap();
    store
        .withdraw_consent(
            o.person_id,
            "share",
            "asked us by phone to stop sharing",
            staff.user_id,
            now_millis(),
        )
        .await
        .unwrap();
    let d = store.person_detail(o.person_id).await.unwrap().unwrap();
    assert!(!d.person.consent_share);
    assert!(d.person.consent_email);
    assert_eq!(d.consents.len(), 3);
    let w = &d.consents[0];
    assert!(!w.granted && w.channel == "share" && w.recorded_by == Some(staff.user_id));
    // A later sign-up without the box ticked does not revive or withdraw anything.
    store
        .submit(submission(&[
            ("given_name", "F"),
            ("email", "f@example.org"),
            ("postal_code", "05401"),
            ("interest", "run"),
        ]))
        .await
        .unwrap();
    let d = store.person_detail(o.person_id).await.unwrap().unwrap();
    assert!(!d.person.consent_share && d.person.consent_email);
    assert_eq!(d.consents.len(), 3);
}

async fn filters_search_and_pages(db: Db) {
    let (store, _dir) = open_store(db).await;
    let people: &[&[(&str, &str)]] = &[
        &[
            ("given_name", "Gail"),
            ("family_name", "Ohio"),
            ("email", "gail@example.org"),
            ("postal_code", "43215"),
            ("interest", "run"),
            ("offices", "county"),
            ("source", "tv"),
        ],
        &[
            ("given_name", "Hank"),
            ("email", "hank@example.org"),
            ("postal_code", "43215"),
            ("interest", "volunteer"),
        ],
        &[
            ("given_name", "Ivy"),
            ("email", "ivy@example.org"),
            ("phone", "6145550123"),
            ("postal_code", "05401"),
            ("interest", "both"),
            ("offices", "school_board"),
            ("offices", "county"),
        ],
        &[
            ("given_name", "Jo"),
            ("phone", "8028631234"),
            ("postal_code", "05401"),
            ("interest", "run"),
            ("source", "tv"),
        ],
    ];
    for p in people {
        store.submit(submission(p)).await.unwrap();
    }
    let names = |v: Vec<downballot_store::model::Person>| {
        let mut n: Vec<String> = v.into_iter().map(|p| p.given_name).collect();
        n.sort();
        n
    };
    let list = |f: PeopleFilter| {
        let store = store.clone();
        async move { store.list_people(&f, 50, 0).await.unwrap() }
    };
    let (all, total) = list(PeopleFilter::default()).await;
    assert_eq!(total, 4);
    assert_eq!(all.len(), 4);
    let (v, _) = list(PeopleFilter {
        region: Some("OH".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(names(v), ["Gail", "Hank"]);
    let (v, _) = list(PeopleFilter {
        interest: Some("run".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(names(v), ["Gail", "Ivy", "Jo"], "run includes both");
    let (v, _) = list(PeopleFilter {
        interest: Some("both".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(names(v), ["Ivy"]);
    let (v, _) = list(PeopleFilter {
        office: Some("county".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(names(v), ["Gail", "Ivy"]);
    let (v, _) = list(PeopleFilter {
        office: Some("school_board".into()),
        region: Some("VT".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(names(v), ["Ivy"]);
    let (v, _) = list(PeopleFilter {
        source: Some("tv".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(names(v), ["Gail", "Jo"]);
    let (v, _) = list(PeopleFilter {
        q: Some("gAIL".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(names(v), ["Gail"]);
    let (v, _) = list(PeopleFilter {
        q: Some("hank@".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(names(v), ["Hank"]);
    let (v, _) = list(PeopleFilter {
        q: Some("(802) 863".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(names(v), ["Jo"]);
    let (v, _) = list(PeopleFilter {
        q: Some("ohio".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(names(v), ["Gail"], "family names are searched");
    let now = now_millis();
    let (v, _) = list(PeopleFilter {
        from: Some(now - 3_600_000),
        to: Some(now + 3_600_000),
        ..Default::default()
    })
    .await;
    assert_eq!(v.len(), 4);
    let (v, t) = list(PeopleFilter {
        from: Some(now + 3_600_000),
        ..Default::default()
    })
    .await;
    assert_eq!((v.len(), t), (0, 0));
    // Pages: newest first, no overlap.
    let (p1, t) = store
        .list_people(&PeopleFilter::default(), 3, 0)
        .await
        .unwrap();
    let (p2, _) = store
        .list_people(&PeopleFilter::default(), 3, 3)
        .await
        .unwrap();
    assert_eq!((p1.len(), p2.len(), t), (3, 1, 4));
    assert_eq!(p1[0].given_name, "Jo");
    assert_eq!(p2[0].given_name, "Gail");
}

async fn dashboard_counts_by_state_and_day(db: Db) {
    let (store, _dir) = open_store(db).await;
    for (i, (zip, interest)) in [
        ("43215", "run"),
        ("43215", "both"),
        ("05401", "volunteer"),
        ("05401", "run"),
    ]
    .iter()
    .enumerate()
    {
        let email = format!("p{i}@example.org");
        store
            .submit(submission(&[
                ("given_name", "P"),
                ("email", &email),
                ("postal_code", zip),
                ("interest", interest),
            ]))
            .await
            .unwrap();
    }
    store
        .submit(submission(&[
            ("given_name", "P"),
            ("email", "p0@example.org"),
            ("postal_code", "43215"),
            ("interest", "run"),
        ]))
        .await
        .unwrap();
    let now = now_millis();
    let d = store.dashboard(30, now).await.unwrap();
    assert_eq!((d.people, d.submissions), (4, 5));
    assert_eq!((d.run, d.volunteer, d.both), (2, 1, 1));
    let oh = d.by_state.iter().find(|s| s.region == "OH").unwrap();
    assert_eq!((oh.run, oh.volunteer, oh.both), (1, 0, 1));
    let vt = d.by_state.iter().find(|s| s.region == "VT").unwrap();
    assert_eq!((vt.run, vt.volunteer, vt.both), (1, 1, 0));
    assert_eq!(d.per_day, vec![(now.div_euclid(86_400_000), 5)]);
    assert_eq!(d.latest.len(), 5);
}

async fn export_streams_every_matching_person(db: Db) {
    let (store, _dir) = open_store(db).await;
    let batch: Vec<_> = (0..1500)
        .map(|i| {
            let email = format!("x{i}@example.org");
            let zip = if i % 3 == 0 { "05401" } else { "43215" };
            submission(&[
                ("given_name", "X"),
                ("email", &email),
                ("postal_code", zip),
                ("interest", "run"),
            ])
        })
        .collect();
    store.submit_many(batch).await.unwrap();
    let mut rx = store.export_people(&PeopleFilter {
        region: Some("VT".into()),
        ..Default::default()
    });
    let mut n = 0;
    while let Some(p) = rx.recv().await {
        assert_eq!(p.unwrap().region, "VT");
        n += 1;
    }
    assert_eq!(n, 500);
}

async fn concurrent_signups_all_commit_in_groups(db: Db) {
    let (store, _dir) = open_store(db).await;
    let mut tasks = Vec::new();
    for i in 0..300 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let email = format!("c{i}@example.org");
            store
                .submit(submission(&[
                    ("given_name", "C"),
                    ("email", &email),
                    ("postal_code", "05401"),
                    ("interest", "run"),
                ]))
                .await
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap().expect("acknowledged").submission_id);
    }
    let stored = store.submission_ids().await.unwrap();
    assert_eq!(stored.len(), 300);
    for id in ids {
        assert!(stored.contains(&id));
    }
    assert_eq!(store.counts().await.unwrap(), (300, 300));
}

/// A database error in one sign-up of a group commit: that one is refused and leaves nothing,
/// every other one in the same batch is committed and acknowledged.
async fn a_failing_signup_is_rolled_back_alone(db: Db) {
    let (url, _dir) = crate::helpers::database(db).await;
    let store = downballot_store::Store::open(&url)
        .await
        .expect("open store");
    // A real error from the database itself: a trigger that refuses one given name.
    match &url {
        downballot_store::DatabaseUrl::Sqlite(path) => {
            rusqlite::Connection::open(path)
                .unwrap()
                .execute_batch(
                    "CREATE TRIGGER refuse_doomed BEFORE INSERT ON submission \
                     WHEN NEW.given_name = 'Doomed' BEGIN SELECT RAISE(ABORT, 'doomed'); END;",
                )
                .unwrap();
        }
        downballot_store::DatabaseUrl::Postgres(url) => {
            let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(conn);
            client
                .batch_execute(
                    "CREATE FUNCTION refuse_doomed() RETURNS trigger LANGUAGE plpgsql AS $$ \
                     BEGIN IF NEW.given_name = 'Doomed' THEN RAISE EXCEPTION 'doomed'; END IF; \
                     RETURN NEW; END $$; \
                     CREATE TRIGGER refuse_doomed BEFORE INSERT ON submission \
                     FOR EACH ROW EXECUTE FUNCTION refuse_doomed();",
                )
                .await
                .unwrap();
        }
    }
    let mut tasks = Vec::new();
    for i in 0..200 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let name = if i % 10 == 3 { "Doomed" } else { "Fine" };
            let email = format!("f{i}@example.org");
            let result = store
                .submit(submission(&[
                    ("given_name", name),
                    ("email", &email),
                    ("postal_code", "05401"),
                    ("interest", "run"),
                ]))
                .await;
            (name, result)
        }));
    }
    let mut acknowledged = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            ("Doomed", result) => assert!(result.is_err(), "a doomed sign-up was acknowledged"),
            (_, result) => {
                acknowledged.push(result.expect("a fine sign-up was refused").submission_id)
            }
        }
    }
    assert_eq!(acknowledged.len(), 180);
    let stored = store.submission_ids().await.unwrap();
    assert_eq!(
        stored.len(),
        180,
        "the refused sign-ups left nothing behind"
    );
    for id in acknowledged {
        assert!(stored.contains(&id));
    }
    // No person or identity half-written for the refused ones.
    assert_eq!(store.counts().await.unwrap(), (180, 180));
}

async fn staff_sessions_and_audit_log(db: Db) {
    let (store, _dir) = open_store(db).await;
    let u = store
        .create_user("a@example.org", "admin", "hash", now_millis())
        .await
        .unwrap();
    assert!(matches!(
        store
            .create_user("a@example.org", "admin", "hash", now_millis())
            .await,
        Err(downballot_store::StoreError::Duplicate(_))
    ));
    let creds = store.user_by_email("a@example.org").await.unwrap().unwrap();
    assert_eq!(creds.password_hash, "hash");
    let now = now_millis();
    store
        .create_session("tokenhash", u.user_id, now, now + 1000)
        .await
        .unwrap();
    assert_eq!(
        store
            .session_user("tokenhash", now)
            .await
            .unwrap()
            .unwrap()
            .user_id,
        u.user_id
    );
    assert!(
        store
            .session_user("tokenhash", now + 2000)
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    assert!(store.session_user("other", now).await.unwrap().is_none());
    let o = store
        .create_user("o@example.org", "organizer", "hash", now)
        .await
        .unwrap();
    store
        .create_session("otoken", o.user_id, now, now + 100_000)
        .await
        .unwrap();
    store
        .set_user_disabled(o.user_id, true, u.user_id, now)
        .await
        .unwrap();
    assert!(
        store.session_user("otoken", now).await.unwrap().is_none(),
        "disabling ends sessions"
    );
    store.delete_session("tokenhash").await.unwrap();
    assert!(
        store
            .session_user("tokenhash", now)
            .await
            .unwrap()
            .is_none()
    );
    store
        .audit(u.user_id, "view_person", None, Some("x".into()), now)
        .await
        .unwrap();
    let log = store.audit_log(None, 10, 0).await.unwrap();
    assert_eq!(log[0].action, "view_person");
    assert_eq!(log[0].user_email.as_deref(), Some("a@example.org"));
    assert_eq!(log[1].action, "disable_user");
}

async fn import_batches_fold_within_the_batch(db: Db) {
    let (store, _dir) = open_store(db).await;
    let outcomes = store
        .submit_many(vec![
            submission(&[
                ("given_name", "K"),
                ("email", "k@example.org"),
                ("postal_code", "05401"),
                ("interest", "run"),
            ]),
            submission(&[
                ("given_name", "K2"),
                ("email", "K@example.org"),
                ("phone", "8028631234"),
                ("postal_code", "05401"),
                ("interest", "both"),
            ]),
            submission(&[
                ("given_name", "K3"),
                ("phone", "802 863 1234"),
                ("postal_code", "05401"),
                ("interest", "volunteer"),
            ]),
        ])
        .await
        .unwrap();
    assert!(outcomes[0].created && !outcomes[1].created && !outcomes[2].created);
    assert!(
        outcomes
            .iter()
            .all(|o| o.person_id == outcomes[0].person_id)
    );
    let p = store.person(outcomes[0].person_id).await.unwrap().unwrap();
    assert_eq!(
        (
            p.given_name.as_str(),
            p.interest.as_str(),
            p.submission_count
        ),
        ("K3", "volunteer", 3)
    );
    assert_eq!(p.phone.as_deref(), Some("+18028631234"));
    assert_eq!(store.counts().await.unwrap(), (1, 3));
}

fn located(
    pairs: &[(&str, &str)],
    lat: f64,
    lon: f64,
    ocd: &[&str],
) -> downballot_store::model::NewSubmission {
    let mut s = submission(pairs);
    s.location = Some(downballot_store::model::Location {
        lat,
        lon,
        accuracy: "approximate",
        divisions: ocd
            .iter()
            .map(|id| downballot_store::model::DivisionRef {
                ocd_id: (*id).to_owned(),
                kind: "sldl".into(),
                layer_id: "xx/sldl/2012".into(),
                map: "2012".into(),
            })
            .collect(),
    });
    s
}

async fn locations_and_divisions_follow_the_newest_signup(db: Db) {
    let (store, _dir) = open_store(db).await;
    let a = "ocd-division/country:us/state:vt/sldl:a";
    let b = "ocd-division/country:us/state:vt/sldl:b";
    let first = store
        .submit(located(
            &[
                ("given_name", "L"),
                ("email", "l@example.org"),
                ("postal_code", "05401"),
                ("interest", "run"),
            ],
            44.48,
            -73.22,
            &[a],
        ))
        .await
        .unwrap();
    let d = store.person_detail(first.person_id).await.unwrap().unwrap();
    assert_eq!(d.location, Some((44.48, -73.22, "approximate".to_owned())));
    assert_eq!(
        d.divisions
            .iter()
            .map(|x| x.ocd_id.as_str())
            .collect::<Vec<_>>(),
        [a]
    );
    assert_eq!(d.divisions[0].map, "2012");
    // A later sign-up from elsewhere replaces the divisions; one without a location keeps them.
    store
        .submit(located(
            &[
                ("given_name", "L"),
                ("email", "l@example.org"),
                ("postal_code", "05401"),
                ("interest", "run"),
            ],
            44.5,
            -73.2,
            &[b],
        ))
        .await
        .unwrap();
    store
        .submit(submission(&[
            ("given_name", "L"),
            ("email", "l@example.org"),
            ("postal_code", "05401"),
            ("interest", "run"),
        ]))
        .await
        .unwrap();
    let d = store.person_detail(first.person_id).await.unwrap().unwrap();
    assert_eq!(d.location, Some((44.5, -73.2, "approximate".to_owned())));
    assert_eq!(
        d.divisions
            .iter()
            .map(|x| x.ocd_id.as_str())
            .collect::<Vec<_>>(),
        [b]
    );
    let in_b = store
        .list_people(
            &PeopleFilter {
                division: Some(b.into()),
                ..Default::default()
            },
            10,
            0,
        )
        .await
        .unwrap();
    assert_eq!(in_b.1, 1);
    let in_a = store
        .list_people(
            &PeopleFilter {
                division: Some(a.into()),
                ..Default::default()
            },
            10,
            0,
        )
        .await
        .unwrap();
    assert_eq!(in_a.1, 0);
    // Re-resolving sets them directly.
    store
        .set_locations(
            &[(
                first.person_id,
                downballot_store::model::Location {
                    lat: 1.0,
                    lon: 2.0,
                    accuracy: "precise",
                    divisions: vec![],
                },
            )],
            now_millis(),
        )
        .await
        .unwrap();
    let d = store.person_detail(first.person_id).await.unwrap().unwrap();
    assert_eq!(d.location, Some((1.0, 2.0, "precise".to_owned())));
    assert!(d.divisions.is_empty());
}

async fn races_import_only_what_changed_and_meet_people_by_division(db: Db) {
    use downballot_races::{Election, ElectionKind, openelections};
    let (store, _dir) = open_store(db).await;
    let e = Election::new("vt", "2016-11-08", ElectionKind::General).unwrap();
    let file = "county,office,district,town,precinct,candidate,party,votes\n\
        Chittenden,State House,CHT-6-2,Burlington,,Kurt Wright,Democratic/Republican,900\n\
        Chittenden,State House,CHT-6-2,Burlington,,Write-ins,,9\n\
        Addison,State House,ADD-1,Middlebury,,Amy Sheldon,Democratic/Progressive,2211\n\
        Addison,State House,ADD-1,Middlebury,,Calvin McEathron,Republican,1200\n";
    let races = openelections::read(&e, file.as_bytes()).unwrap().races;
    let counts = store
        .import_races(&races, "openelections:test", 1)
        .await
        .unwrap();
    assert_eq!((counts.added, counts.changed, counts.unchanged), (2, 0, 0));
    let again = store
        .import_races(&races, "openelections:test", 2)
        .await
        .unwrap();
    assert_eq!((again.added, again.changed, again.unchanged), (0, 0, 2));

    // What was stored reads back equal, candidates, lines and votes included.
    let stored = store.election_races(&e.id()).await.unwrap();
    assert_eq!(stored.len(), 2);
    let mut expected = races.clone();
    expected.sort_by_key(|r| r.district_key());
    assert_eq!(stored, expected);
    let fusion = &stored
        .iter()
        .find(|r| r.district_key() == "chittenden-6-2")
        .unwrap();
    assert_eq!(fusion.candidates.len(), 1, "write-ins are not candidates");
    assert_eq!(fusion.competition().uncontested, Some(true));

    // A changed file replaces that race only.
    let mut changed = races.clone();
    changed[0].candidates[0].votes = Some(1);
    let c = store
        .import_races(&changed, "openelections:test", 3)
        .await
        .unwrap();
    assert_eq!((c.added, c.changed, c.unchanged), (0, 1, 1));
    assert_eq!(store.elections().await.unwrap()[0].races, 2);

    // People meet races through their divisions.
    let cht = "ocd-division/country:us/state:vt/sldl:chittenden-6-2";
    let recruit = store
        .submit(located(
            &[
                ("given_name", "Rae"),
                ("email", "rae@example.org"),
                ("postal_code", "05401"),
                ("interest", "run"),
            ],
            44.48,
            -73.22,
            &[cht],
        ))
        .await
        .unwrap();
    store
        .submit(located(
            &[
                ("given_name", "Vic"),
                ("email", "vic@example.org"),
                ("postal_code", "05401"),
                ("interest", "volunteer"),
            ],
            44.48,
            -73.22,
            &[cht],
        ))
        .await
        .unwrap();
    let mine = store.races_in_divisions(&[cht.to_string()]).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].division, cht);
    let counts = store.recruit_counts().await.unwrap();
    assert_eq!(counts.get(cht), Some(&1), "volunteers are not recruits");
    let recruits = store.recruits_in(&[cht.to_string()]).await.unwrap();
    assert_eq!(recruits.len(), 1);
    assert_eq!(recruits[0].person_id, recruit.person_id);
    assert_eq!(recruits[0].name, "Rae");
    assert!(store.race("nope").await.unwrap().is_none());
    assert_eq!(
        store.race(&mine[0].id()).await.unwrap().as_ref(),
        Some(&mine[0])
    );
}

async fn partners_referrals_stages_tokens_and_the_outbox(db: Db) {
    use downballot_domain::partner::{Eligibility, ShareMode, Stage};
    use downballot_domain::signup::Interest;
    use downballot_store::partners::{PartnerInput, ReferralFilter};
    let (store, _dir) = open_store(db).await;
    let now = now_millis();
    let input = |slug: &str, webhook: Option<&str>| PartnerInput {
        slug: slug.into(),
        name: slug.to_uppercase(),
        description: "Trains candidates".into(),
        rules: Eligibility {
            interests: vec![Interest::Run],
            ..Eligibility::default()
        },
        webhook_url: webhook.map(str::to_owned),
        active: true,
        ..PartnerInput::default()
    };
    let a = store
        .create_partner(&input("alpha", Some("http://127.0.0.1:9/hook")), now)
        .await
        .unwrap();
    let b = store
        .create_partner(&input("beta", None), now)
        .await
        .unwrap();
    let mut only_referred = input("gamma", None);
    only_referred.share_mode = Some(ShareMode::ReferredOnly);
    let g = store.create_partner(&only_referred, now).await.unwrap();
    assert!(
        store
            .create_partner(&input("alpha", None), now)
            .await
            .is_err(),
        "slugs are unique"
    );
    let mut ohio_only = input("delta", None);
    ohio_only.rules.states = vec!["OH".into()];
    store.create_partner(&ohio_only, now).await.unwrap();

    let p = store
        .submit(submission(&[
            ("given_name", "Pia"),
            ("email", "pia@example.org"),
            ("postal_code", "05401"),
            ("interest", "run"),
        ]))
        .await
        .unwrap();
    let eligible: Vec<String> = store
        .eligible_partners(p.person_id)
        .await
        .unwrap()
        .into_iter()
        .map(|x| x.slug)
        .collect();
    assert_eq!(
        eligible,
        ["alpha", "beta"],
        "gamma wants referred people only; delta Ohio only"
    );
    // Someone who came through gamma's own link is offered gamma too.
    let q = store
        .submit(submission(&[
            ("given_name", "Quin"),
            ("email", "quin@example.org"),
            ("postal_code", "05401"),
            ("interest", "both"),
            ("referrer", "gamma"),
        ]))
        .await
        .unwrap();
    let offered: Vec<String> = store
        .eligible_partners(q.person_id)
        .await
        .unwrap()
        .into_iter()
        .map(|x| x.slug)
        .collect();
    assert_eq!(offered, ["alpha", "beta", "gamma"]);
    let made = store
        .record_partner_choices(
            q.person_id,
            &[(g.clone(), true)],
            &|_| "yes".into(),
            "v1",
            "en",
            None,
            now,
        )
        .await
        .unwrap();
    let (via, _) = store
        .partner_referral(g.partner_id, made[0])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        via.source.as_deref(),
        Some("referrer:gamma"),
        "the referral says how the person came"
    );

    let shown = vec![(a.clone(), true), (b.clone(), false)];
    let made = store
        .record_partner_choices(
            p.person_id,
            &shown,
            &|x| format!("share with {}", x.name),
            "v1",
            "en",
            Some("speech"),
            now,
        )
        .await
        .unwrap();
    assert_eq!(made.len(), 1);
    // Choosing again never duplicates.
    let again = store
        .record_partner_choices(
            p.person_id,
            &shown,
            &|x| format!("share with {}", x.name),
            "v1",
            "en",
            None,
            now + 1,
        )
        .await
        .unwrap();
    assert!(again.is_empty());
    let consents = store.partner_consents(p.person_id).await.unwrap();
    assert_eq!(consents.get("partner:alpha"), Some(&true));
    assert_eq!(consents.get("partner:beta"), Some(&false));

    let all = ReferralFilter {
        limit: 50,
        ..ReferralFilter::default()
    };
    let mine = store.partner_referrals(a.partner_id, &all).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].person.email.as_deref(), Some("pia@example.org"));
    assert_eq!(mine[0].stage, Stage::New);
    assert!(
        store
            .partner_referrals(b.partner_id, &all)
            .await
            .unwrap()
            .is_empty()
    );
    let gammas = store.partner_referrals(g.partner_id, &all).await.unwrap();
    assert_eq!(gammas.len(), 1, "only Quin, who came through gamma's link");
    assert_eq!(gammas[0].person.given_name, "Quin");
    let r = mine[0].referral_id;
    assert!(
        store
            .partner_referral(b.partner_id, r)
            .await
            .unwrap()
            .is_none(),
        "not beta's"
    );

    // Stages, with history and the first contact.
    assert!(
        !store
            .set_stage(
                b.partner_id,
                r,
                Stage::Contacted,
                "2026-11-20",
                None,
                None,
                None,
                now
            )
            .await
            .unwrap()
    );
    assert!(
        store
            .set_stage(
                a.partner_id,
                r,
                Stage::Contacted,
                "2026-11-20",
                Some("called"),
                None,
                None,
                now + 5
            )
            .await
            .unwrap()
    );
    let (ref_a, history) = store
        .partner_referral(a.partner_id, r)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ref_a.stage, Stage::Contacted);
    assert_eq!(ref_a.first_contact_at, Some(now + 5));
    assert_eq!(
        history.iter().map(|h| h.stage).collect::<Vec<_>>(),
        [Stage::New, Stage::Contacted]
    );
    assert_eq!(history[1].note.as_deref(), Some("called"));
    let waiting = ReferralFilter {
        waiting: true,
        limit: 50,
        ..ReferralFilter::default()
    };
    assert!(
        store
            .partner_referrals(a.partner_id, &waiting)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .partner_referral_by_email(a.partner_id, "PIA@example.org")
            .await
            .unwrap(),
        Some(r)
    );

    let h = store.headline().await.unwrap();
    assert_eq!((h.want_to_run, h.connected, h.on_ballot), (2, 2, 0));
    assert_eq!(h.want_to_volunteer, 1);
    assert_eq!(store.funnel_rows().await.unwrap().len(), 2);

    // Tokens: shown once, stored hashed, revocable.
    let (tid, token) = store.create_token(a.partner_id, "CRM", now).await.unwrap();
    assert_eq!(
        store.token_partner(&token, now).await.unwrap(),
        Some((tid, a.partner_id))
    );
    assert_eq!(
        store.tokens(a.partner_id).await.unwrap()[0].last_used_at,
        Some(now)
    );
    store.revoke_token(a.partner_id, tid, now).await.unwrap();
    assert_eq!(store.token_partner(&token, now).await.unwrap(), None);

    // Withdrawal: the partner loses the referral at once; referral.revoked is queued.
    assert!(
        store
            .withdraw_partner_consent(p.person_id, a.partner_id, "withdrawn", None, now + 10)
            .await
            .unwrap()
    );
    assert!(
        store
            .partner_referrals(a.partner_id, &all)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .partner_referral(a.partner_id, r)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        !store
            .set_stage(
                a.partner_id,
                r,
                Stage::Filed,
                "2026-11-21",
                None,
                None,
                None,
                now
            )
            .await
            .unwrap()
    );
    let events = store.outbox(None, 10).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        kinds,
        ["referral.revoked", "referral.created"],
        "only alpha has a webhook"
    );
    let body: serde_json::Value = serde_json::from_str(&events[1].payload).unwrap();
    assert_eq!(body["id"], events[1].event_id.to_string());
    assert_eq!(
        body["data"]["person"]["email_addresses"][0]["address"],
        "pia@example.org"
    );

    // Delivery bookkeeping: one claimant wins; failures back off; success is final.
    let due = store.due_events(now + 20, 10).await.unwrap();
    assert_eq!(due.len(), 2);
    let e = &due[0];
    assert!(
        store
            .claim_event(e.event_id, e.next_attempt_at, now + 60_000)
            .await
            .unwrap()
    );
    assert!(
        !store
            .claim_event(e.event_id, e.next_attempt_at, now + 60_000)
            .await
            .unwrap(),
        "already taken"
    );
    store
        .event_failed(e.event_id, 1, "503", Some(now + 30), now)
        .await
        .unwrap();
    assert_eq!(store.due_events(now + 20, 10).await.unwrap().len(), 1);
    store
        .event_delivered(e.event_id, 2, now + 40)
        .await
        .unwrap();
    assert_eq!(store.outbox(Some("delivered"), 10).await.unwrap().len(), 1);
    let other = &due[1];
    store
        .event_failed(other.event_id, 9, "gave up", None, now)
        .await
        .unwrap();
    assert_eq!(store.outbox(Some("failed"), 10).await.unwrap().len(), 1);
    store.retry_event(other.event_id, now + 50).await.unwrap();
    assert_eq!(store.outbox(Some("pending"), 10).await.unwrap().len(), 1);

    // Re-consenting makes the same referral active again.
    let back = store
        .record_partner_choices(
            p.person_id,
            &[(a.clone(), true)],
            &|_| "again".into(),
            "v1",
            "en",
            None,
            now + 100,
        )
        .await
        .unwrap();
    assert_eq!(back, [r]);
    assert_eq!(store.person_referrals(p.person_id).await.unwrap().len(), 1);

    // A merge carries referrals over to the kept person.
    let by_phone = store
        .submit(submission(&[
            ("given_name", "Mo"),
            ("phone", "8028631234"),
            ("postal_code", "05401"),
            ("interest", "run"),
        ]))
        .await
        .unwrap();
    store
        .record_partner_choices(
            by_phone.person_id,
            &[(b.clone(), true)],
            &|_| "yes".into(),
            "v1",
            "en",
            None,
            now,
        )
        .await
        .unwrap();
    let conflict = store
        .submit(submission(&[
            ("given_name", "Pia"),
            ("email", "pia@example.org"),
            ("phone", "802-863-1234"),
            ("postal_code", "05401"),
            ("interest", "run"),
        ]))
        .await
        .unwrap();
    assert!(conflict.merge_candidate);
    let candidate = store
        .person_detail(p.person_id)
        .await
        .unwrap()
        .unwrap()
        .merge_candidates[0]
        .clone();
    let admin = store
        .create_user("admin@example.org", "admin", "x", now)
        .await
        .unwrap();
    let kept = store
        .merge(candidate.merge_candidate_id, admin.user_id, now)
        .await
        .unwrap();
    assert_eq!(kept, p.person_id);
    let slugs: Vec<String> = store
        .person_referrals(kept)
        .await
        .unwrap()
        .into_iter()
        .map(|(r, _)| r.partner_slug)
        .collect();
    assert_eq!(
        slugs,
        ["alpha", "beta"],
        "beta's referral moved to the kept person"
    );

    // The installation secret is made once.
    let s1 = store.app_secret("thanks").await.unwrap();
    assert_eq!(s1.len(), 32);
    assert_eq!(store.app_secret("thanks").await.unwrap(), s1);
}
