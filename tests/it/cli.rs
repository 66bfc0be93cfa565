//! The `downballot` binary as a user runs it.

use std::io::Write;
use std::process::{Command, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_downballot"))
}

/// Runs the CLI with `DATABASE_URL=db` and `stdin`; (succeeded, stdout, stderr).
pub fn run(db: &str, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = bin()
        .args(args)
        .env("DATABASE_URL", db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn downballot");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn import_reports_bad_rows_and_export_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    let db = db.to_str().unwrap();
    let (ok, _, err) = run(db, &["migrate"], "");
    assert!(ok, "{err}");

    let (ok, out, err) = run(
        db,
        &[
            "user",
            "add",
            "--email",
            "Boss@Example.org",
            "--role",
            "admin",
            "--password-stdin",
        ],
        "a long enough password\n",
    );
    assert!(ok, "{err}");
    assert!(out.contains("created admin account boss@example.org"));
    let (ok, _, err) = run(
        db,
        &[
            "user",
            "add",
            "--email",
            "boss@example.org",
            "--password-stdin",
        ],
        "a long enough password\n",
    );
    assert!(!ok && err.contains("already exists"), "{err}");
    let (ok, _, err) = run(
        db,
        &[
            "user",
            "add",
            "--email",
            "x@example.org",
            "--password-stdin",
        ],
        "short\n",
    );
    assert!(!ok && err.contains("at least 12"), "{err}");

    let csv_path = dir.path().join("people.csv");
    std::fs::write(
        &csv_path,
        "First Name,Last Name,Email,Phone,ZIP,State,interest\n\
         Tia,Park,tia@example.org,,43215,OH,run\n\
         Uma,,uma@example.org,,43215,VT,volunteer\n\
         Vic,,,,05401,VT,both\n\
         \"Wes, Jr\",Lo,wes@example.org,(802) 863-1234,05401-1234,VT,\n\
         Tia,Park,TIA@EXAMPLE.ORG,614-555-0123,43215,OH,both\n\
         too,few\n",
    )
    .unwrap();
    let (ok, out, err) = run(db, &["people", "import", csv_path.to_str().unwrap()], "");
    assert!(ok, "{err}");
    assert!(out.contains("6 rows"), "{out}");
    assert!(out.contains("1 created, 1 updated, 4 rejected"), "{out}");
    let rejects = std::fs::read_to_string(dir.path().join("people.csv.rejected.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(rejects.as_bytes());
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    let lines: Vec<&str> = rows.iter().map(|r| r.get(0).unwrap()).collect();
    assert_eq!(lines, ["3", "4", "5", "7"], "{rejects}");
    assert!(
        rows[0][1].contains("Vermont") || rows[0][1].contains("VT"),
        "{rejects}"
    );
    assert!(rows[1][1].contains("email"), "{rejects}");
    assert!(rows[2][1].contains("default-interest"), "{rejects}");
    assert!(rows[3][1].contains("expected 7 fields"), "{rejects}");

    // With a default interest the missing-interest row goes in.
    let (ok, out, _) = run(
        db,
        &[
            "people",
            "import",
            "--default-interest",
            "run",
            csv_path.to_str().unwrap(),
        ],
        "",
    );
    assert!(ok);
    assert!(out.contains("1 created, 2 updated, 3 rejected"), "{out}");

    let (ok, out, err) = run(db, &["people", "export", "--format", "csv"], "");
    assert!(ok, "{err}");
    let mut rdr = csv::Reader::from_reader(out.as_bytes());
    assert_eq!(rdr.headers().unwrap().get(3), Some("email"));
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    let tia = rows
        .iter()
        .find(|r| &r[3] == "tia@example.org")
        .expect("tia");
    assert_eq!(&tia[4], "+16145550123");
    assert_eq!(&tia[9], "both");
    let wes = rows
        .iter()
        .find(|r| &r[3] == "wes@example.org")
        .expect("wes");
    assert_eq!(&wes[1], "Wes, Jr");
    assert_eq!(&wes[8], "05401-1234");

    let (ok, out, _) = run(db, &["people", "export", "--region", "VT"], "");
    assert!(ok);
    assert_eq!(out.lines().count(), 2, "header and Wes");
    let (ok, _, err) = run(db, &["people", "export", "--region", "ZZ"], "");
    assert!(!ok && err.contains("Unknown state"), "{err}");

    // Our own export imports back without creating anyone new.
    let export = dir.path().join("export.csv");
    let (_, out, _) = run(db, &["people", "export"], "");
    std::fs::write(&export, out).unwrap();
    let (ok, out, err) = run(db, &["people", "import", export.to_str().unwrap()], "");
    assert!(ok, "{err}");
    assert!(out.contains("0 created, 2 updated, 0 rejected"), "{out}");
}

#[test]
fn bad_database_urls_and_missing_files_fail_clearly() {
    let (ok, _, err) = run("mysql://x", &["migrate"], "");
    assert!(!ok && err.contains("unsupported database URL"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let (ok, _, err) = run(
        db.to_str().unwrap(),
        &["people", "import", "/nonexistent.csv"],
        "",
    );
    assert!(!ok && err.contains("/nonexistent.csv"), "{err}");
}
