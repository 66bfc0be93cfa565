//! Race imports: each OpenElections file of the shared data read, rolled up and analysed
//! (parse + `summarize`), then imported into a fresh SQLite database through the store (the
//! work `downballot races import` does, migrations excluded), and re-imported unchanged.
//!
//! Run with `dev/bench-races` (or `cargo bench --bench races`); needs the shared data
//! (`DOWNBALLOT_DATA`, default `../shared/data`). Figures go to docs/PERFORMANCE.md, "Races".

use std::path::PathBuf;
use std::time::{Duration, Instant};

use downballot_races::{Election, ElectionKind, openelections, summarize};
use downballot_store::model::now_millis;
use downballot_store::{DatabaseUrl, Store};

const RUNS: usize = 11;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let data = std::env::var_os("DOWNBALLOT_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data")));
    let elections = data.join("elections");
    if !elections.is_dir() {
        println!(
            "races: no election files at {} (set DOWNBALLOT_DATA)",
            elections.display()
        );
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let files = [
        ("oh", "2016-11-08", "oh/20161108__oh__general.csv"),
        ("oh", "2014-11-04", "oh/20141104__oh__general.csv"),
        ("mi", "2016-11-08", "mi/20161108__mi__general__county.csv"),
        ("vt", "2016-11-08", "vt/20161108__vt__general__precinct.csv"),
    ];
    println!(
        "file\trows\traces\tparse+analyse (median of {RUNS})\timport into SQLite\tre-import unchanged"
    );
    for (state, date, path) in files {
        let path = elections.join(path);
        let bytes = std::fs::read(&path).unwrap();
        let election = Election::new(state, date, ElectionKind::General).unwrap();
        let mut parse = Vec::new();
        let mut rows = 0;
        let mut races = Vec::new();
        for _ in 0..RUNS {
            let t = Instant::now();
            let report = openelections::read(&election, bytes.as_slice()).unwrap();
            let summary = summarize(&report.races);
            parse.push(t.elapsed());
            std::hint::black_box(summary);
            rows = report.rows;
            races = report.races;
        }
        let mut import = Vec::new();
        let mut reimport = Vec::new();
        for _ in 0..RUNS {
            let dir = tempfile::tempdir().unwrap();
            let url = DatabaseUrl::parse(dir.path().join("bench.db").to_str().unwrap()).unwrap();
            runtime.block_on(async {
                let store = Store::open(&url).await.unwrap();
                let t = Instant::now();
                let c = store
                    .import_races(&races, "bench", now_millis())
                    .await
                    .unwrap();
                import.push(t.elapsed());
                assert_eq!(c.added, races.len());
                let t = Instant::now();
                let c = store
                    .import_races(&races, "bench", now_millis())
                    .await
                    .unwrap();
                reimport.push(t.elapsed());
                assert_eq!(c.unchanged, races.len());
                store.close().await;
            });
        }
        println!(
            "{}\t{rows}\t{}\t{}\t{}\t{}",
            path.file_name().unwrap().to_string_lossy(),
            races.len(),
            ms(median(parse)),
            ms(median(import)),
            ms(median(reimport)),
        );
    }
}
