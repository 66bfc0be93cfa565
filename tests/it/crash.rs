//! SIGKILL in the middle of a surge: no cleanup runs, requests are cut off mid-flight, and yet
//! every sign-up the server acknowledged (303) is in the database after a restart. Run against a
//! SQLite file and against PostgreSQL.

use std::collections::HashSet;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::helpers::{process_client as client, start_server, wait_healthy};

/// Concurrent clients posting sign-ups.
const CLIENTS: usize = 32;
/// How long the load runs before the kill.
const LOAD: Duration = Duration::from_millis(1500);
/// Below this many acknowledged sign-ups before the kill, the test proves nothing.
const MIN_ACKED: usize = 200;

async fn sign_up(client: &reqwest::Client, addr: &str, email: &str) -> reqwest::Result<u16> {
    let res = client
        .post(format!("http://{addr}/join"))
        .form(&[
            ("given_name", "Ana"),
            ("email", email),
            ("postal_code", "05401"),
            ("interest", "run"),
        ])
        .send()
        .await?;
    let status = res.status().as_u16();
    // Read the body so the connection is reused.
    let _ = res.bytes().await;
    Ok(status)
}

/// What the clients saw.
#[derive(Default)]
struct Seen {
    /// Answered 303: the server promised these are stored.
    acked: HashSet<String>,
    /// Sent, then cut off by the kill (or answered otherwise): no promise either way.
    unacked: HashSet<String>,
}

/// Surges the server at `database`, SIGKILLs it mid-flight, restarts it on the same database and
/// returns what the clients saw; the restarted server is stopped again before returning.
async fn surge_then_kill(database: &str, tag: &str) -> Seen {
    let (mut child, addr) = start_server(database);
    let client = client();
    wait_healthy(&client, &addr).await;

    let seen = Arc::new(Mutex::new(Seen::default()));
    let mut tasks = Vec::new();
    for t in 0..CLIENTS {
        let (client, addr, seen) = (client.clone(), addr.clone(), Arc::clone(&seen));
        let tag = tag.to_owned();
        tasks.push(tokio::spawn(async move {
            for n in 0.. {
                let email = format!("crash-{tag}-{t}-{n}@example.org");
                match sign_up(&client, &addr, &email).await {
                    Ok(303) => {
                        seen.lock().unwrap().acked.insert(email);
                    }
                    // 503 (queue full) is a clear "not stored"; try the next one.
                    Ok(503) => {
                        seen.lock().unwrap().unacked.insert(email);
                    }
                    Ok(status) => panic!("unexpected status {status} for {email}"),
                    // The server is gone: this request was in flight when it died.
                    Err(_) => {
                        seen.lock().unwrap().unacked.insert(email);
                        break;
                    }
                }
            }
        }));
    }

    tokio::time::sleep(LOAD).await;
    let before = seen.lock().unwrap().acked.len();
    // `Child::kill` is SIGKILL on unix: no graceful shutdown, no flush, nothing.
    child.kill().expect("SIGKILL the server");
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(
        !status.success(),
        "the server was killed, not stopped: {status:?}"
    );
    for t in tasks {
        tokio::time::timeout(Duration::from_secs(30), t)
            .await
            .expect("clients notice the dead server")
            .expect("client task");
    }
    assert!(
        before >= MIN_ACKED,
        "only {before} sign-ups acknowledged before the kill (need {MIN_ACKED}): the load did not run"
    );

    // The restarted server recovers the database (WAL replay on SQLite) and takes sign-ups again.
    let (mut child, addr) = start_server(database);
    wait_healthy(&client, &addr).await;
    let after = format!("crash-{tag}-after-restart@example.org");
    assert_eq!(
        sign_up(&client, &addr, &after)
            .await
            .expect("sign up after restart"),
        303,
        "the restarted server takes sign-ups"
    );
    Command::new("sh")
        .args(["-c", r#"kill -TERM "$1""#, "kill-server"])
        .arg(child.id().to_string())
        .status()
        .expect("send SIGTERM");
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(
        status.success(),
        "the restarted server stops cleanly: {status:?}"
    );

    let mut seen = Arc::try_unwrap(seen)
        .ok()
        .expect("all clients finished")
        .into_inner()
        .unwrap();
    seen.acked.insert(after);
    seen
}

/// Compares what was acknowledged with what is stored, prints the counts, and fails on any loss.
fn check(backend: &str, seen: &Seen, stored: &HashSet<String>) {
    let lost: Vec<&String> = seen.acked.difference(stored).collect();
    let in_flight_stored = seen.unacked.intersection(stored).count();
    let in_flight_lost = seen.unacked.len() - in_flight_stored;
    println!(
        "SIGKILL ({backend}): {} acknowledged, {} stored, {} lost; of {} unacknowledged \
         (in flight at the kill, or 503), {} were stored anyway and {} were not",
        seen.acked.len(),
        stored.len(),
        lost.len(),
        seen.unacked.len(),
        in_flight_stored,
        in_flight_lost
    );
    assert!(
        lost.is_empty(),
        "{} acknowledged sign-ups are missing after the crash, e.g. {:?}",
        lost.len(),
        lost.iter().take(10).collect::<Vec<_>>()
    );
    let unexpected: Vec<&String> = stored
        .iter()
        .filter(|e| !seen.acked.contains(*e) && !seen.unacked.contains(*e))
        .collect();
    assert!(
        unexpected.is_empty(),
        "stored sign-ups nobody sent: {unexpected:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_surge_loses_no_acknowledged_signup() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("crash.db");
    let seen = surge_then_kill(db.to_str().expect("utf-8 path"), "sqlite").await;

    let conn = rusqlite::Connection::open(&db).expect("open the SQLite file");
    let stored: HashSet<String> = conn
        .prepare("SELECT email FROM submission")
        .unwrap()
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    check("sqlite", &seen, &stored);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_surge_loses_no_acknowledged_signup_postgres() {
    let url = crate::support::pg::shared()
        .create_database()
        .await
        .expect("create PostgreSQL database");
    let seen = surge_then_kill(&url, "postgres").await;

    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("connect to PostgreSQL");
    let conn = tokio::spawn(connection);
    let stored: HashSet<String> = client
        .query("SELECT email FROM submission", &[])
        .await
        .expect("read submissions")
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect();
    drop(client);
    let _ = conn.await;
    check("postgres", &seen, &stored);
}
