//! Throwaway PostgreSQL servers for tests: `initdb` into a temp dir, a postmaster on a random
//! 127.0.0.1 port with trust auth, and cleanup even when the test process is killed.

use std::fs::{self, File};
use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail};

/// The superuser that `initdb` creates; every URL connects as this role (trust auth).
const SUPERUSER: &str = "postgres";
/// How long a fresh server gets to accept connections before `start` gives up.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// A port found free can be taken by another process before the postmaster binds it: retry.
const START_ATTEMPTS: u32 = 3;

/// Waits for EOF on stdin, which comes when the test process closes its end of the pipe: on
/// `Drop` of [`TempPostgres`], or from the kernel when the process exits or is killed (a nextest
/// timeout's SIGKILL included; a `static`'s destructor never runs, so [`shared`] relies on
/// this). It then stops the postmaster and deletes the temp dir. It ignores INT/TERM/HUP so that
/// a signal sent to the whole process group does not skip the cleanup. `running` treats a zombie
/// as gone: once the test process is dead nobody may reap the postmaster soon, and `kill -0`
/// succeeds on zombies. `$1` is the postmaster pid, `$2` the temp dir.
const WATCHDOG: &str = r#"trap '' INT TERM HUP
while read -r _line; do :; done
kill -QUIT "$1" 2>/dev/null
running() { read -r _pid _comm state _rest < "/proc/$1/stat" && [ "$state" != Z ]; } 2>/dev/null
i=0
while running "$1" && [ "$i" -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
kill -KILL "$1" 2>/dev/null
rm -rf "$2"
"#;

/// A running PostgreSQL server owned by a test. Dropping it stops the server at once (immediate
/// shutdown: nothing to keep) and removes its files.
pub struct TempPostgres {
    port: u16,
    server: Running,
    log_path: PathBuf,
    /// Removed when dropped, after `Drop::drop` has stopped the server.
    _dir: tempfile::TempDir,
}

/// The shared server for this process, started on first use.
///
/// Under `cargo test` every test in the binary shares it; under `cargo nextest` each test is
/// its own process and so starts its own. Give each test its own database with
/// [`TempPostgres::create_database`]. The server stops when the process ends (see [`WATCHDOG`]).
///
/// # Panics
/// If the server cannot be started: there is no test to run without it.
pub fn shared() -> &'static TempPostgres {
    static SHARED: OnceLock<TempPostgres> = OnceLock::new();
    SHARED.get_or_init(|| match TempPostgres::start() {
        Ok(pg) => pg,
        Err(e) => panic!("starting the shared test PostgreSQL: {e:#}"),
    })
}

impl TempPostgres {
    /// Creates a new cluster in a temp dir and starts a server on it; returns once the server
    /// accepts connections. Blocking; callable inside or outside a tokio runtime.
    pub fn start() -> Result<TempPostgres> {
        let bindir = find_bindir()?;
        let user = RunAs::detect()?;
        let dir = tempfile::Builder::new()
            .prefix("downballot-pg-")
            .tempdir()
            .context("creating the temp dir for PostgreSQL")?;
        let data = dir.path().join("data");
        let sockets = dir.path().join("sock");
        fs::create_dir(&sockets).context("creating the socket dir")?;
        if let Some(ids) = &user.ids {
            // initdb and postgres run as that user and must be able to write here.
            for path in [dir.path(), sockets.as_path()] {
                std::os::unix::fs::chown(path, Some(ids.uid), Some(ids.gid))
                    .with_context(|| format!("chown {} to {}", path.display(), ids.name))?;
            }
        }
        let log_path = dir.path().join("postgres.log");

        let initdb = user
            .command(&bindir.join("initdb"), dir.path())
            .arg("--pgdata")
            .arg(&data)
            .args([
                "--username",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                // C collation: the same sort order on every machine.
                "--no-locale",
                // Skips only initdb's final flush of the fresh files; the server itself keeps
                // fsync on, so commits are as durable as in production.
                "--no-sync",
                "--no-instructions",
            ])
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running {}", bindir.join("initdb").display()))?;
        if !initdb.status.success() {
            bail!(
                "initdb failed ({}):\n{}{}",
                initdb.status,
                String::from_utf8_lossy(&initdb.stdout),
                String::from_utf8_lossy(&initdb.stderr)
            );
        }

        let mut attempt = 1;
        loop {
            let port = free_port()?;
            let mut server =
                Running::spawn(&bindir, &user, dir.path(), &data, &sockets, &log_path, port)?;
            match wait_ready(port, &mut server.postmaster, &log_path) {
                Ok(()) => {
                    return Ok(TempPostgres {
                        port,
                        server,
                        log_path,
                        _dir: dir,
                    });
                }
                Err(e) => {
                    server.stop();
                    // Another process took the port between our check and the postmaster's
                    // bind: try another one. Any other failure is real.
                    if attempt >= START_ATTEMPTS || !log_tail(&log_path).contains("could not bind")
                    {
                        return Err(e);
                    }
                    attempt += 1;
                }
            }
        }
    }

    /// The URL of database `dbname` on this server, e.g. `postgres://postgres@127.0.0.1:PORT/x`.
    pub fn url(&self, dbname: &str) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{dbname}", self.port)
    }

    /// The TCP port the server listens on (127.0.0.1 only).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's log file, to read when a test needs to know what the server saw.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Creates a fresh, uniquely named, empty database and returns its URL.
    pub async fn create_database(&self) -> Result<String> {
        // Unique within the process by the counter; pid and time keep names apart across the
        // processes that may share one server.
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "test_{}_{}_{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        create_database_at(&self.url("postgres"), &name).await?;
        Ok(self.url(&name))
    }
}

/// Connects to `admin_url` and runs `CREATE DATABASE name`.
pub async fn create_database_at(admin_url: &str, name: &str) -> Result<()> {
    let (client, connection) = tokio_postgres::connect(admin_url, tokio_postgres::NoTls)
        .await
        .with_context(|| format!("connecting to {admin_url}"))?;
    let conn = tokio::spawn(connection);
    let created = client
        .batch_execute(&format!("CREATE DATABASE \"{name}\""))
        .await
        .with_context(|| format!("CREATE DATABASE {name}"));
    drop(client);
    // The connection task ends once the client is gone; its own error, if any, is moot.
    let _ = conn.await;
    created
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        self.server.stop();
    }
}

/// The postmaster and its watchdog.
struct Running {
    postmaster: Child,
    watchdog: Child,
    /// Kept open so the watchdog keeps waiting; see [`WATCHDOG`].
    _watchdog_stdin: ChildStdin,
}

impl Running {
    fn spawn(
        bindir: &Path,
        user: &RunAs,
        dir: &Path,
        data: &Path,
        sockets: &Path,
        log_path: &Path,
        port: u16,
    ) -> Result<Running> {
        let log = File::options()
            .create(true)
            .append(true)
            .open(log_path)
            .with_context(|| format!("opening {}", log_path.display()))?;
        let log_err = log.try_clone().context("cloning the log file handle")?;
        // Output goes to a file, never to the test's stdout/stderr: a child holding those open
        // makes nextest wait for it and report the test as leaky.
        let mut postmaster = user
            .command(&bindir.join("postgres"), dir)
            .arg("-D")
            .arg(data)
            .arg("-p")
            .arg(port.to_string())
            .arg("-k")
            .arg(sockets)
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "shared_buffers=128MB",
                "-c",
                "max_connections=200",
            ])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .with_context(|| format!("starting {}", bindir.join("postgres").display()))?;

        // Started before waiting for readiness, so a test killed meanwhile leaves nothing behind.
        let watchdog = Command::new("sh")
            .arg("-c")
            .arg(WATCHDOG)
            .arg("pg-watchdog")
            .arg(postmaster.id().to_string())
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting the PostgreSQL watchdog (sh)");
        let mut watchdog = match watchdog {
            Ok(w) => w,
            Err(e) => {
                stop_postmaster(&mut postmaster);
                return Err(e);
            }
        };
        let Some(stdin) = watchdog.stdin.take() else {
            stop_postmaster(&mut postmaster);
            let _ = watchdog.kill();
            let _ = watchdog.wait();
            bail!("the PostgreSQL watchdog has no stdin pipe");
        };
        Ok(Running {
            postmaster,
            watchdog,
            _watchdog_stdin: stdin,
        })
    }

    /// Stops the server now. The watchdog is killed first: left alive, it would wake when its
    /// pipe closes and signal a pid that may by then belong to another process.
    fn stop(&mut self) {
        let _ = self.watchdog.kill();
        let _ = self.watchdog.wait();
        stop_postmaster(&mut self.postmaster);
    }
}

/// Immediate shutdown (SIGQUIT): the postmaster stops its backends and exits without a
/// checkpoint. Falls back to SIGKILL if it hangs.
fn stop_postmaster(postmaster: &mut Child) {
    if let Ok(Some(_)) = postmaster.try_wait() {
        return;
    }
    // std can only send SIGKILL; the shell's `kill` sends the one we want without unsafe code
    // (the shell builtin: /bin/kill comes from procps, which minimal systems lack).
    let _ = Command::new("sh")
        .args(["-c", r#"kill -QUIT "$1""#, "kill-postmaster"])
        .arg(postmaster.id().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        match postmaster.try_wait() {
            Ok(Some(_)) | Err(_) => return,
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    let _ = postmaster.kill();
    let _ = postmaster.wait();
}

/// Polls with real connections until the server accepts one, the postmaster exits, or
/// [`READY_TIMEOUT`] passes. Runs its own small runtime on a scoped thread, because `start` is
/// blocking and may be called from inside a test's runtime, where `block_on` would panic.
fn wait_ready(port: u16, postmaster: &mut Child, log_path: &Path) -> Result<()> {
    let url = format!("postgres://{SUPERUSER}@127.0.0.1:{port}/postgres");
    let outcome = std::thread::scope(|scope| {
        scope
            .spawn(|| -> Result<()> {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .context("building a runtime to wait for PostgreSQL")?;
                rt.block_on(async {
                    let deadline = Instant::now() + READY_TIMEOUT;
                    loop {
                        let attempt = tokio::time::timeout(
                            Duration::from_secs(2),
                            tokio_postgres::connect(&url, tokio_postgres::NoTls),
                        )
                        .await;
                        let last_error = match attempt {
                            Ok(Ok(_)) => return Ok(()),
                            Ok(Err(e)) => e.to_string(),
                            Err(_) => "connect timed out".to_owned(),
                        };
                        if let Ok(Some(status)) = postmaster.try_wait() {
                            bail!("postgres exited ({status}) before accepting connections");
                        }
                        if Instant::now() >= deadline {
                            bail!(
                                "postgres did not accept connections within {READY_TIMEOUT:?}: {last_error}"
                            );
                        }
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                })
            })
            .join()
            .map_err(|_| anyhow!("the thread waiting for PostgreSQL panicked"))?
    });
    outcome.with_context(|| format!("server log {}:\n{}", log_path.display(), log_tail(log_path)))
}

/// The end of the server log, for error messages.
fn log_tail(log_path: &Path) -> String {
    let text = fs::read_to_string(log_path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// A port that was free a moment ago (the OS picks it; we release it for the postmaster).
fn free_port() -> Result<u16> {
    let listener =
        TcpListener::bind("127.0.0.1:0").context("binding 127.0.0.1:0 to find a free port")?;
    Ok(listener
        .local_addr()
        .context("reading the bound port")?
        .port())
}

/// The directory holding `initdb` and `postgres`: Debian's versioned dir (highest version),
/// else `pg_config --bindir`, else `PATH`.
fn find_bindir() -> Result<PathBuf> {
    let has_server = |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();

    let mut debian: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, bin)| has_server(bin))
        .collect();
    debian.sort();
    if let Some((_, bin)) = debian.pop() {
        return Ok(bin);
    }

    if let Ok(out) = Command::new("pg_config")
        .arg("--bindir")
        .stdin(Stdio::null())
        .output()
        && out.status.success()
    {
        let bin = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if has_server(&bin) {
            return Ok(bin);
        }
    }

    if let Some(bin) = std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .find(|dir| has_server(dir))
    {
        return Ok(bin);
    }
    bail!(
        "no PostgreSQL server binaries (initdb, postgres) in /usr/lib/postgresql/*/bin, \
         `pg_config --bindir` or PATH; run dev/install-test-deps"
    )
}

/// Who runs `initdb` and `postgres`: they refuse to run as root, so as root we switch to the
/// `postgres` OS user, or `nobody` where that does not exist.
struct RunAs {
    /// `None`: run as ourselves (we are not root).
    ids: Option<Ids>,
}

struct Ids {
    name: &'static str,
    uid: u32,
    gid: u32,
}

impl RunAs {
    fn detect() -> Result<RunAs> {
        // /proc/self belongs to the effective uid of the process: no libc call needed.
        let euid = fs::metadata("/proc/self")
            .context("reading /proc/self")?
            .uid();
        if euid != 0 {
            return Ok(RunAs { ids: None });
        }
        for name in ["postgres", "nobody"] {
            if let (Some(uid), Some(gid)) = (id_of(name, "-u"), id_of(name, "-g")) {
                return Ok(RunAs {
                    ids: Some(Ids { name, uid, gid }),
                });
            }
        }
        bail!(
            "running as root, and neither the `postgres` nor the `nobody` user exists to run PostgreSQL as"
        )
    }

    /// A command for `program`, switched to the unprivileged user when we are root, run in `cwd`
    /// (the user may not be allowed into our own working directory).
    fn command(&self, program: &Path, cwd: &Path) -> Command {
        let mut cmd = match &self.ids {
            None => Command::new(program),
            Some(ids) => {
                // setpriv execs the program in place (runuser forks and waits), so the Child we
                // hold is the postmaster itself and signals reach it directly.
                let mut cmd = Command::new("setpriv");
                cmd.arg(format!("--reuid={}", ids.uid))
                    .arg(format!("--regid={}", ids.gid))
                    .arg("--clear-groups")
                    .arg("--")
                    .arg(program);
                cmd
            }
        };
        cmd.current_dir(cwd);
        cmd
    }
}

/// `id -u NAME` or `id -g NAME` as a number, `None` if the user does not exist.
fn id_of(name: &str, flag: &str) -> Option<u32> {
    let out = Command::new("id")
        .args([flag, name])
        .stdin(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}
