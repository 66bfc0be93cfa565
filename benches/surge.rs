//! Surge benchmark and durability check for `POST /join`.
//!
//! Usage (normally through `dev/bench-surge`, which builds the release binary first):
//!
//! ```text
//! cargo bench --bench surge -- [--backend sqlite|postgres|both] [--runs N] [--seconds S]
//!                              [--connections C] [--worker-threads LIST] [--client-threads T]
//!                              [--keep] [--postgres-url URL]
//! ```
//!
//! For every backend, every server worker-thread count in LIST (comma-separated, default `2`)
//! and every run, it starts `target/release/downballot serve` (or `$DOWNBALLOT_BIN`) on an
//! empty database and a free 127.0.0.1 port, then:
//!
//! 1. drives `GET /healthz` for S seconds over C keep-alive HTTP/1.1 connections: the ceiling of
//!    this machine, at this moment, for a request that does nothing;
//! 2. drives `POST /join` with a distinct person per request for S seconds over C connections,
//!    recording every latency and status; at the deadline it stops issuing and waits for every
//!    request in flight;
//! 3. stops the server with SIGTERM, then reads the database directly and checks that
//!    `submission` holds exactly one row per 303 answered and every acknowledged e-mail.
//!
//! It prints one line per run and the median per backend, and exits non-zero when anything
//! acknowledged is missing. The client is a few hyper connections on one thread (by default),
//! because it shares the CPU with the server under test.

#[allow(
    dead_code,
    reason = "the test helper also carries accessors only the integration tests use"
)]
#[path = "../tests/it/support/pg.rs"]
mod pg;

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper::Request;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

struct Options {
    backends: Vec<Backend>,
    runs: usize,
    seconds: f64,
    connections: usize,
    worker_threads: Vec<usize>,
    client_threads: usize,
    bin: PathBuf,
    /// Keep each run's temp dir (SQLite file, server log) instead of deleting it.
    keep: bool,
    /// Use this PostgreSQL server instead of a throwaway one: a URL of a database the role can
    /// run CREATE DATABASE from; each run gets a new database beside it.
    postgres_url: Option<String>,
}

const USAGE: &str = "usage: surge [--backend sqlite|postgres|both] [--runs N] [--seconds S] \
[--connections C] [--worker-threads 2|1,2] [--client-threads T] [--keep] [--postgres-url URL] \
[--follow-thanks]";

/// `--follow-thanks`: after each acknowledged sign-up, load the thank-you page it redirects to,
/// as a browser does (the page reads the person's partners and races).
static FOLLOW_THANKS: AtomicBool = AtomicBool::new(false);

fn parse_options() -> Result<Options> {
    let mut o = Options {
        backends: vec![Backend::Sqlite, Backend::Postgres],
        runs: 3,
        seconds: 10.0,
        connections: 64,
        worker_threads: vec![2],
        client_threads: 1,
        keep: false,
        postgres_url: None,
        bin: std::env::var_os("DOWNBALLOT_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/downballot")
            }),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f.to_owned(), Some(v.to_owned())),
            None => (arg.clone(), None),
        };
        let mut value = || -> Result<String> {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| anyhow!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            // `cargo bench` passes `--bench` to every bench binary.
            "--bench" => {}
            "--backend" => {
                o.backends = match value()?.as_str() {
                    "sqlite" => vec![Backend::Sqlite],
                    "postgres" => vec![Backend::Postgres],
                    "both" => vec![Backend::Sqlite, Backend::Postgres],
                    other => bail!("unknown backend {other:?}\n{USAGE}"),
                }
            }
            "--runs" => o.runs = value()?.parse().context("--runs")?,
            "--seconds" => o.seconds = value()?.parse().context("--seconds")?,
            "--connections" => o.connections = value()?.parse().context("--connections")?,
            "--client-threads" => {
                o.client_threads = value()?.parse().context("--client-threads")?;
            }
            "--worker-threads" => {
                o.worker_threads = value()?
                    .split(',')
                    .map(|s| s.trim().parse::<usize>())
                    .collect::<Result<_, _>>()
                    .context("--worker-threads")?;
            }
            "--keep" => o.keep = true,
            "--follow-thanks" => FOLLOW_THANKS.store(true, Ordering::Relaxed),
            "--postgres-url" => o.postgres_url = Some(value()?),
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => bail!("unknown argument {other:?}\n{USAGE}"),
        }
    }
    if o.runs == 0 || o.connections == 0 || o.seconds <= 0.0 || o.worker_threads.is_empty() {
        bail!("--runs, --connections and --seconds must be positive\n{USAGE}");
    }
    Ok(o)
}

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("surge: {e:#}");
            return ExitCode::from(2);
        }
    };
    let runtime = if options.client_threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(options.client_threads)
            .enable_all()
            .build()
    };
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => {
            eprintln!("surge: cannot build the client runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run_all(&options)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("surge: FAILED: acknowledged sign-ups are missing from the database");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("surge: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// What one run measured.
struct RunResult {
    backend: Backend,
    workers: usize,
    run: usize,
    healthz_rps: f64,
    healthz_p99_ms: f64,
    accepted: u64,
    accepted_rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    /// Statuses other than 303, and transport errors as status 0.
    others: BTreeMap<u16, u64>,
    rows: u64,
    lost: u64,
}

impl RunResult {
    fn ratio(&self) -> f64 {
        self.accepted_rps / self.healthz_rps
    }

    fn others_text(&self) -> String {
        if self.others.is_empty() {
            return "none".into();
        }
        self.others
            .iter()
            .map(|(s, n)| {
                if *s == 0 {
                    format!("error:{n}")
                } else {
                    format!("{s}:{n}")
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

async fn run_all(o: &Options) -> Result<bool> {
    if !o.bin.is_file() {
        bail!(
            "no server binary at {} (run `cargo build --release --bin downballot`, or set DOWNBALLOT_BIN)",
            o.bin.display()
        );
    }
    println!(
        "surge: {} · {} run(s) × {} s per phase · {} connections · server worker threads {:?} · client threads {}",
        o.bin.display(),
        o.runs,
        o.seconds,
        o.connections,
        o.worker_threads,
        o.client_threads
    );
    let postgres = if !o.backends.contains(&Backend::Postgres) {
        None
    } else if let Some(url) = &o.postgres_url {
        println!("surge: PostgreSQL at {url} (a new database per run)");
        Some(Postgres::External(url.clone()))
    } else {
        let started = Instant::now();
        let pg = tokio::task::spawn_blocking(pg::TempPostgres::start)
            .await?
            .context("starting a throwaway PostgreSQL")?;
        println!(
            "surge: throwaway PostgreSQL on 127.0.0.1:{} ({:.1} s to start)",
            pg.port(),
            started.elapsed().as_secs_f64()
        );
        Some(Postgres::Temp(pg))
    };

    let mut results = Vec::new();
    for &backend in &o.backends {
        for &workers in &o.worker_threads {
            for run in 1..=o.runs {
                let r = one_run(o, backend, workers, run, postgres.as_ref()).await?;
                print_run(&r);
                results.push(r);
            }
        }
    }

    println!();
    println!(
        "| backend | workers | run | accepted/s | p50 ms | p99 ms | max ms | healthz/s | ratio | non-303 | rows | lost |"
    );
    println!("|---|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|");
    for &backend in &o.backends {
        for &workers in &o.worker_threads {
            let group: Vec<&RunResult> = results
                .iter()
                .filter(|r| r.backend == backend && r.workers == workers)
                .collect();
            for r in &group {
                println!(
                    "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.0} | {:.2} | {} | {} | {} |",
                    r.backend.name(),
                    r.workers,
                    r.run,
                    r.accepted_rps,
                    r.p50_ms,
                    r.p99_ms,
                    r.max_ms,
                    r.healthz_rps,
                    r.ratio(),
                    r.others_text(),
                    r.rows,
                    r.lost
                );
            }
            let med = |f: fn(&RunResult) -> f64| median(group.iter().map(|r| f(r)).collect());
            println!(
                "| **{} median** | {} | – | **{:.0}** | {:.2} | **{:.2}** | {:.2} | {:.0} | {:.2} | | | {} |",
                backend.name(),
                workers,
                med(|r| r.accepted_rps),
                med(|r| r.p50_ms),
                med(|r| r.p99_ms),
                med(|r| r.max_ms),
                med(|r| r.healthz_rps),
                med(|r| r.ratio()),
                group.iter().map(|r| r.lost).sum::<u64>()
            );
        }
    }
    let ok = results.iter().all(|r| r.lost == 0);
    println!();
    println!(
        "surge: {}",
        if ok {
            "every acknowledged sign-up was found in the database (lost = 0)"
        } else {
            "LOST acknowledged sign-ups"
        }
    );
    Ok(ok)
}

fn print_run(r: &RunResult) {
    println!(
        "{:<8} w{} run {}: {:>7.0} accepted/s  p50 {:>6.2} ms  p99 {:>6.2} ms  max {:>7.2} ms  \
         | healthz {:>7.0}/s (p99 {:.2} ms)  ratio {:.2}  | non-303: {}  rows {}  accepted {}  lost {}",
        r.backend.name(),
        r.workers,
        r.run,
        r.accepted_rps,
        r.p50_ms,
        r.p99_ms,
        r.max_ms,
        r.healthz_rps,
        r.healthz_p99_ms,
        r.ratio(),
        r.others_text(),
        r.rows,
        r.accepted,
        r.lost
    );
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

async fn one_run(
    o: &Options,
    backend: Backend,
    workers: usize,
    run: usize,
    postgres: Option<&Postgres>,
) -> Result<RunResult> {
    let dir = tempfile::Builder::new()
        .prefix("downballot-surge-")
        .tempdir()
        .context("creating a temp dir")?;
    let database = match backend {
        Backend::Sqlite => dir.path().join("surge.db").display().to_string(),
        Backend::Postgres => postgres
            .ok_or_else(|| anyhow!("PostgreSQL was not started"))?
            .create_database()
            .await
            .context("creating the run's database")?,
    };
    let log_path = dir.path().join("server.log");
    let mut server = Server::start(&o.bin, &database, workers, &log_path)?;
    let addr = server.addr.clone();
    wait_healthy(&addr, &log_path).await?;

    let seconds = Duration::from_secs_f64(o.seconds);
    let health = drive(&addr, o.connections, seconds, None).await;
    let tag = format!(
        "{}{}w{}-{}",
        backend.name(),
        run,
        workers,
        std::process::id()
    );
    let join = drive(&addr, o.connections, seconds, Some(&tag)).await;

    let stop_started = Instant::now();
    server.terminate()?;
    let stop_secs = stop_started.elapsed().as_secs_f64();
    if stop_secs > 2.0 {
        eprintln!("surge: the server took {stop_secs:.1} s to stop");
    }

    let stored = match backend {
        Backend::Sqlite => stored_sqlite(&dir.path().join("surge.db"))?,
        Backend::Postgres => stored_postgres(&database).await?,
    };
    let rows = stored.len() as u64;
    let stored: HashSet<String> = stored.into_iter().collect();
    let mut lost = 0u64;
    for (conn, numbers) in join.accepted_by_conn.iter().enumerate() {
        for n in numbers {
            if !stored.contains(&email(&tag, conn, *n)) {
                lost += 1;
            }
        }
    }
    let accepted = join.count_of(303);
    if rows != accepted {
        eprintln!(
            "surge: {} rows in submission but {} sign-ups acknowledged (a request that failed in \
             transport may have committed without its answer arriving: {} transport errors)",
            rows,
            accepted,
            join.statuses.get(&0).copied().unwrap_or(0)
        );
        if rows < accepted {
            lost = lost.max(accepted - rows);
        }
    }
    if o.keep {
        println!("surge: kept {}", dir.keep().display());
    }
    let mut others = join.statuses.clone();
    others.remove(&303);

    let mut lat = join.latencies_us;
    lat.sort_unstable();
    let mut hlat = health.latencies_us;
    hlat.sort_unstable();
    Ok(RunResult {
        backend,
        workers,
        run,
        healthz_rps: health.statuses.get(&200).copied().unwrap_or(0) as f64 / health.elapsed,
        healthz_p99_ms: pct_ms(&hlat, 0.99),
        accepted,
        accepted_rps: accepted as f64 / join.elapsed,
        p50_ms: pct_ms(&lat, 0.50),
        p99_ms: pct_ms(&lat, 0.99),
        max_ms: lat.last().map_or(f64::NAN, |us| f64::from(*us) / 1000.0),
        others,
        rows,
        lost,
    })
}

/// The `q` quantile of sorted microseconds, in milliseconds.
fn pct_ms(sorted_us: &[u32], q: f64) -> f64 {
    if sorted_us.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted_us.len() as f64 * q).ceil() as usize).clamp(1, sorted_us.len()) - 1;
    f64::from(sorted_us[i]) / 1000.0
}

fn email(tag: &str, conn: usize, n: u32) -> String {
    format!("surge-{tag}-{conn}-{n}@example.org")
}

/// What one phase of load measured.
#[derive(Default)]
struct Phase {
    /// Every request's latency (including those that failed), microseconds.
    latencies_us: Vec<u32>,
    /// Count per status; 0 = transport error.
    statuses: BTreeMap<u16, u64>,
    /// For sign-ups: the request numbers that got a 303, per connection.
    accepted_by_conn: Vec<Vec<u32>>,
    /// From the start until the last in-flight request finished, seconds.
    elapsed: f64,
}

impl Phase {
    fn count_of(&self, status: u16) -> u64 {
        self.statuses.get(&status).copied().unwrap_or(0)
    }
}

/// What one connection measured.
#[derive(Default)]
struct ConnStats {
    latencies_us: Vec<u32>,
    statuses: BTreeMap<u16, u64>,
    accepted: Vec<u32>,
}

/// Drives `connections` keep-alive connections for `duration`: `GET /healthz` when `tag` is
/// `None`, otherwise `POST /join` with distinct e-mails derived from `tag`. Stops issuing at the
/// deadline and returns once every request in flight has been answered.
async fn drive(addr: &str, connections: usize, duration: Duration, tag: Option<&str>) -> Phase {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(connections);
    for conn in 0..connections {
        let addr = addr.to_owned();
        let tag = tag.map(str::to_owned);
        let stop = Arc::clone(&stop);
        tasks.push(tokio::spawn(async move {
            connection_loop(&addr, conn, tag.as_deref(), &stop).await
        }));
    }
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    let mut phase = Phase::default();
    for t in tasks {
        let stats = t.await.unwrap_or_default();
        phase.latencies_us.extend(stats.latencies_us);
        for (s, n) in stats.statuses {
            *phase.statuses.entry(s).or_default() += n;
        }
        phase.accepted_by_conn.push(stats.accepted);
    }
    phase.elapsed = started.elapsed().as_secs_f64();
    phase
}

type Sender<B> = http1::SendRequest<B>;

async fn connect<B>(addr: &str) -> Result<Sender<B>>
where
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

async fn connection_loop(
    addr: &str,
    conn: usize,
    tag: Option<&str>,
    stop: &AtomicBool,
) -> ConnStats {
    match tag {
        None => health_loop(addr, stop).await,
        Some(tag) => join_loop(addr, conn, tag, stop).await,
    }
}

fn record(stats: &mut ConnStats, started: Instant, status: u16) {
    let us = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
    stats.latencies_us.push(us);
    *stats.statuses.entry(status).or_default() += 1;
}

async fn health_loop(addr: &str, stop: &AtomicBool) -> ConnStats {
    let mut stats = ConnStats::default();
    let mut sender: Option<Sender<Empty<Bytes>>> = None;
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        let s = match &mut sender {
            Some(s) => s,
            None => match connect(addr).await {
                Ok(s) => sender.insert(s),
                Err(_) => {
                    record(&mut stats, started, 0);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let req = Request::get("/healthz")
            .header(hyper::header::HOST, addr)
            .body(Empty::<Bytes>::new())
            .expect("a valid request");
        let outcome = async {
            s.ready().await?;
            let res = s.send_request(req).await?;
            let status = res.status().as_u16();
            res.into_body().collect().await?;
            Ok::<_, hyper::Error>(status)
        }
        .await;
        match outcome {
            Ok(status) => record(&mut stats, started, status),
            Err(_) => {
                record(&mut stats, started, 0);
                sender = None;
            }
        }
    }
    stats
}

async fn join_loop(addr: &str, conn: usize, tag: &str, stop: &AtomicBool) -> ConnStats {
    let mut stats = ConnStats::default();
    let mut sender: Option<Sender<Full<Bytes>>> = None;
    let mut n: u32 = 0;
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        let s = match &mut sender {
            Some(s) => s,
            None => match connect(addr).await {
                Ok(s) => sender.insert(s),
                Err(_) => {
                    record(&mut stats, started, 0);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        n += 1;
        let body = format!(
            "given_name=Ana&email=surge-{tag}-{conn}-{n}%40example.org&postal_code=05401&interest=run"
        );
        let req = Request::post("/join")
            .header(hyper::header::HOST, addr)
            .header(
                hyper::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(Full::new(Bytes::from(body)))
            .expect("a valid request");
        let outcome = async {
            s.ready().await?;
            let res = s.send_request(req).await?;
            let status = res.status().as_u16();
            let location = res
                .headers()
                .get(hyper::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            res.into_body().collect().await?;
            Ok::<_, hyper::Error>((status, location))
        }
        .await;
        match outcome {
            Ok((status, location)) => {
                if status == 303 {
                    stats.accepted.push(n);
                    // Like a browser: the thank-you page, counted in this sign-up's latency.
                    if let (true, Some(location)) =
                        (FOLLOW_THANKS.load(Ordering::Relaxed), location)
                    {
                        let get = Request::get(location.as_str())
                            .header(hyper::header::HOST, addr)
                            .body(Full::new(Bytes::new()))
                            .expect("a valid request");
                        let thanks = async {
                            s.ready().await?;
                            let res = s.send_request(get).await?;
                            let status = res.status().as_u16();
                            res.into_body().collect().await?;
                            Ok::<_, hyper::Error>(status)
                        }
                        .await;
                        match thanks {
                            Ok(200) => {}
                            Ok(other) => *stats.statuses.entry(10_000 + other).or_default() += 1,
                            Err(_) => {
                                *stats.statuses.entry(10_000).or_default() += 1;
                                sender = None;
                            }
                        }
                    }
                }
                record(&mut stats, started, status);
            }
            Err(_) => {
                record(&mut stats, started, 0);
                sender = None;
            }
        }
    }
    stats
}

/// `downballot serve` under test.
struct Server {
    child: Option<Child>,
    addr: String,
}

impl Server {
    fn start(bin: &Path, database: &str, workers: usize, log_path: &Path) -> Result<Server> {
        let log = std::fs::File::create(log_path)
            .with_context(|| format!("creating {}", log_path.display()))?;
        let mut child = Command::new(bin)
            .args(["serve", "--listen", "127.0.0.1:0", "--database", database])
            .arg("--worker-threads")
            .arg(workers.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let stdout = child.stdout.take().context("the server's stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let Some(line) = lines.next() else {
                let _ = child.kill();
                let _ = child.wait();
                bail!(
                    "the server exited before printing its address; its log:\n{}",
                    std::fs::read_to_string(log_path).unwrap_or_default()
                );
            };
            let line = line.context("reading the server's stdout")?;
            if let Some(addr) = line
                .split("http://")
                .nth(1)
                .and_then(|rest| rest.split('/').next())
            {
                break addr.to_owned();
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Ok(Server {
            child: Some(child),
            addr,
        })
    }

    /// SIGTERM, then waits (up to a minute) for a clean exit.
    fn terminate(&mut self) -> Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        // std can only send SIGKILL; the shell's `kill` builtin sends SIGTERM without unsafe.
        let sent = Command::new("sh")
            .args(["-c", r#"kill -TERM "$1""#, "kill-server"])
            .arg(child.id().to_string())
            .status()
            .context("sending SIGTERM")?;
        if !sent.success() {
            bail!("could not send SIGTERM to the server");
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = child.try_wait()? {
                if !status.success() {
                    bail!("the server exited with {status} after SIGTERM");
                }
                return Ok(());
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                bail!("the server did not stop within 60 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

async fn wait_healthy(addr: &str, log_path: &Path) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let attempt = async {
            let mut s: Sender<Empty<Bytes>> = connect(addr).await?;
            let res = s
                .send_request(
                    Request::get("/healthz")
                        .header(hyper::header::HOST, addr)
                        .body(Empty::new())?,
                )
                .await?;
            anyhow::Ok(res.status().as_u16())
        }
        .await;
        if let Ok(200) = attempt {
            return Ok(());
        }
        if Instant::now() >= deadline {
            bail!(
                "/healthz did not answer 200 within 30 s ({attempt:?}); server log:\n{}",
                std::fs::read_to_string(log_path).unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn stored_sqlite(path: &Path) -> Result<Vec<String>> {
    let conn =
        rusqlite::Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut stmt = conn.prepare("SELECT email FROM submission")?;
    let rows = stmt
        .query_map([], |r| r.get::<_, Option<String>>(0))?
        .map(|r| r.map(Option::unwrap_or_default))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Where PostgreSQL runs come from.
enum Postgres {
    /// A cluster started for this bench (`tests/it/support/pg.rs`).
    Temp(pg::TempPostgres),
    /// `--postgres-url`: an existing server.
    External(String),
}

impl Postgres {
    async fn create_database(&self) -> Result<String> {
        let url = match self {
            Postgres::Temp(pg) => return pg.create_database().await,
            Postgres::External(url) => url,
        };
        let (base, query) = url
            .split_once('?')
            .map_or((url.as_str(), ""), |(b, q)| (b, q));
        let (server, _) = base
            .rsplit_once('/')
            .filter(|(server, _)| server.contains("//"))
            .ok_or_else(|| {
                anyhow!("--postgres-url needs a database: postgres://USER@HOST:PORT/DB")
            })?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!("surge_{}_{nanos}", std::process::id());
        pg::create_database_at(url, &name).await?;
        Ok(if query.is_empty() {
            format!("{server}/{name}")
        } else {
            format!("{server}/{name}?{query}")
        })
    }
}

async fn stored_postgres(url: &str) -> Result<Vec<String>> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    let conn = tokio::spawn(connection);
    let rows = client
        .query("SELECT email FROM submission", &[])
        .await
        .context("reading submissions")?
        .iter()
        .map(|r| r.get::<_, Option<String>>(0).unwrap_or_default())
        .collect();
    drop(client);
    let _ = conn.await;
    Ok(rows)
}
