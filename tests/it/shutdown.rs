//! SIGTERM in the middle of a load: the server stops taking connections, finishes the requests in
//! flight (so their commits), exits 0, and everything it acknowledged is stored.

use std::collections::HashSet;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::helpers::start_server;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_mid_load_finishes_in_flight_commits() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shutdown.db");
    let (mut child, addr) = start_server(db.to_str().unwrap());
    let acked = Arc::new(Mutex::new(HashSet::new()));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut tasks = Vec::new();
    for t in 0..24 {
        let (client, addr, acked) = (client.clone(), addr.clone(), acked.clone());
        tasks.push(tokio::spawn(async move {
            for n in 0.. {
                let email = format!("term-{t}-{n}@example.org");
                let res = client
                    .post(format!("http://{addr}/join"))
                    .form(&[
                        ("given_name", "T"),
                        ("email", email.as_str()),
                        ("postal_code", "05401"),
                        ("interest", "run"),
                    ])
                    .send()
                    .await;
                match res {
                    Ok(r) if r.status() == 303 => {
                        acked.lock().unwrap().insert(email);
                    }
                    _ => break,
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before = acked.lock().unwrap().len();
    assert!(
        before >= 100,
        "only {before} sign-ups before the signal: the load did not run"
    );
    Command::new("sh")
        .args(["-c", &format!("kill -TERM {}", child.id())])
        .status()
        .expect("send SIGTERM");
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(
        status.success(),
        "graceful shutdown exits 0, got {status:?}"
    );
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
    }
    let acked = acked.lock().unwrap().clone();
    let conn = rusqlite::Connection::open(&db).unwrap();
    let stored: HashSet<String> = conn
        .prepare("SELECT email FROM submission")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let lost: Vec<_> = acked.difference(&stored).collect();
    println!(
        "SIGTERM: {} acknowledged, {} stored, {} lost",
        acked.len(),
        stored.len(),
        lost.len()
    );
    assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");
}
