//! A headless, phone-sized Chromium driven over WebDriver (chromedriver + fantoccini), for tests
//! that use the site as a person would.

use std::fs::File;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use hyper_util::client::legacy::connect::HttpConnector;

/// Debian's browser; never one a tool downloads (there is no network for that here).
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "chromedriver";
/// A common phone viewport (CSS pixels): pages are checked as most of our visitors see them.
pub const VIEWPORT: (u32, u32) = (412, 915);
const DRIVER_READY_TIMEOUT: Duration = Duration::from_secs(20);
const SESSION_TIMEOUT: Duration = Duration::from_secs(60);

/// Waits for EOF on stdin, which comes when the test process closes its end of the pipe (on
/// `Drop`, or from the kernel when the process exits or is killed), then kills chromedriver's
/// process group, which holds every Chromium process it started, and deletes the temp dir.
/// Ignores INT/TERM/HUP so that a signal sent to the test's process group does not skip the
/// cleanup. (No `--` before the negative pid: dash's `kill` takes it for a pid and fails.)
/// `$1` is chromedriver's pid (= its process group id), `$2` the temp dir.
const WATCHDOG: &str = r#"trap '' INT TERM HUP
while read -r _line; do :; done
kill -KILL "-$1" 2>/dev/null
sleep 0.2
rm -rf "$2"
"#;

/// A browser session. Use `client` directly for everything fantoccini offers; end with
/// [`Browser::close`] (dropping also kills everything, without a clean session end).
pub struct Browser {
    pub client: fantoccini::Client,
    driver: Child,
    watchdog: Child,
    /// Set once the processes are gone, so that `Drop` after `close` signals nothing: the
    /// process group id may have been reused by then.
    stopped: bool,
    /// Kept open so the watchdog keeps waiting; see [`WATCHDOG`].
    _watchdog_stdin: ChildStdin,
    log_path: PathBuf,
    /// Holds Chromium's profile and the driver's log; removed after the processes are killed.
    _dir: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver on a free port and opens a session with a fresh Chromium profile.
    pub async fn start() -> Result<Browser> {
        let dir = tempfile::Builder::new()
            .prefix("downballot-browser-")
            .tempdir()
            .context("creating the temp dir for Chromium")?;
        let profile = dir.path().join("profile");
        std::fs::create_dir(&profile).context("creating Chromium's profile dir")?;
        let log_path = dir.path().join("chromedriver.log");
        let log =
            File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
        let log_err = log.try_clone().context("cloning the log file handle")?;

        let port = free_port()?;
        // Its own process group, so that one signal reaches chromedriver and every Chromium
        // process under it. Output goes to a file, never to the test's stdout/stderr: a child
        // holding those open makes nextest wait for it and report the test as leaky.
        let mut driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .context(
                "starting chromedriver (is chromium-driver installed? run dev/install-test-deps)",
            )?;

        let watchdog = Command::new("sh")
            .arg("-c")
            .arg(WATCHDOG)
            .arg("browser-watchdog")
            .arg(driver.id().to_string())
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting the browser watchdog (sh)");
        let mut watchdog = match watchdog {
            Ok(w) => w,
            Err(e) => {
                kill_group(&mut driver);
                return Err(e);
            }
        };
        let Some(watchdog_stdin) = watchdog.stdin.take() else {
            kill_group(&mut driver);
            let _ = watchdog.kill();
            let _ = watchdog.wait();
            bail!("the browser watchdog has no stdin pipe");
        };

        let client = match connect(port, &mut driver, &profile).await {
            Ok(client) => client,
            Err(e) => {
                let _ = watchdog.kill();
                let _ = watchdog.wait();
                kill_group(&mut driver);
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                return Err(e.context(format!("chromedriver log:\n{}", tail(&log))));
            }
        };
        Ok(Browser {
            client,
            driver,
            watchdog,
            stopped: false,
            _watchdog_stdin: watchdog_stdin,
            log_path,
            _dir: dir,
        })
    }

    /// Saves a PNG of the current viewport to `path`.
    pub async fn screenshot(&self, path: &Path) -> Result<()> {
        let png = self
            .client
            .screenshot()
            .await
            .context("taking a screenshot")?;
        tokio::fs::write(path, png)
            .await
            .with_context(|| format!("writing {}", path.display()))
    }

    /// chromedriver's log (Chromium's stderr included), for diagnosing a failed test.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Ends the WebDriver session (Chromium quits) and stops chromedriver.
    pub async fn close(mut self) -> Result<()> {
        let ended = self
            .client
            .clone()
            .close()
            .await
            .context("ending the WebDriver session");
        self.stop();
        ended
    }

    fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        // The watchdog goes first: left alive, it would wake when its pipe closes and signal a
        // process group id that may by then be reused.
        let _ = self.watchdog.kill();
        let _ = self.watchdog.wait();
        kill_group(&mut self.driver);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Waits for chromedriver to listen on `port`, then opens a session.
async fn connect(port: u16, driver: &mut Child, profile: &Path) -> Result<fantoccini::Client> {
    let deadline = Instant::now() + DRIVER_READY_TIMEOUT;
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        if let Ok(Some(status)) = driver.try_wait() {
            bail!("chromedriver exited ({status}) before listening on 127.0.0.1:{port}");
        }
        if Instant::now() >= deadline {
            bail!(
                "chromedriver did not listen on 127.0.0.1:{port} within {DRIVER_READY_TIMEOUT:?}"
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let args = [
        "--headless=new".to_owned(),
        // Needed as root; the tests only visit our own local pages.
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        // /dev/shm may be small on CI machines and containers; Chromium then crashes.
        "--disable-dev-shm-usage".to_owned(),
        // No traffic to Google's services: there is no network, and it would only add delays.
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--no-first-run".to_owned(),
        "--disable-quic".to_owned(),
        format!("--user-data-dir={}", profile.display()),
        format!("--window-size={},{}", VIEWPORT.0, VIEWPORT.1),
    ];
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".to_owned(), serde_json::json!("chrome"));
    caps.insert(
        "goog:chromeOptions".to_owned(),
        serde_json::json!({
            "binary": CHROMIUM,
            "args": args,
            // Headless Chromium will not make a window narrower than 500 px, so the phone
            // viewport comes from device emulation, which also turns on touch and mobile
            // viewport (`<meta name="viewport">`) handling as on a real phone.
            "mobileEmulation": {
                "deviceMetrics": {
                    "width": VIEWPORT.0,
                    "height": VIEWPORT.1,
                    "pixelRatio": 1.0,
                    "touch": true,
                    "mobile": true,
                },
            },
        }),
    );

    // Plain HTTP to the local driver: no TLS stack, so no dependence on system root
    // certificates or on a rustls crypto provider being chosen.
    let mut builder = fantoccini::ClientBuilder::new(HttpConnector::new());
    builder.capabilities(caps);
    let webdriver = format!("http://127.0.0.1:{port}");
    tokio::time::timeout(SESSION_TIMEOUT, builder.connect(&webdriver))
        .await
        .map_err(|_| anyhow!("no WebDriver session within {SESSION_TIMEOUT:?}"))?
        .context("opening a WebDriver session with Chromium")
}

/// SIGKILLs chromedriver's process group (chromedriver and all of Chromium) and reaps the
/// driver. Nothing there holds state worth a graceful stop once the session is over.
fn kill_group(driver: &mut Child) {
    // std signals only single processes; the shell's `kill` reaches the group without unsafe
    // code (the shell builtin: /bin/kill comes from procps, which minimal systems lack).
    let _ = Command::new("sh")
        .args(["-c", r#"kill -KILL "-$1""#, "kill-group"])
        .arg(driver.id().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let _ = driver.kill();
    let _ = driver.wait();
}

/// A port that was free a moment ago (the OS picks it; we release it for chromedriver).
fn free_port() -> Result<u16> {
    let listener =
        TcpListener::bind("127.0.0.1:0").context("binding 127.0.0.1:0 to find a free port")?;
    Ok(listener
        .local_addr()
        .context("reading the bound port")?
        .port())
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// Where tests write screenshots (`target/tmp/screenshots`).
pub fn shots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// Waits until the browser has navigated to a URL satisfying `pred` (clicks return before the
/// next page loads, and the old page's elements would otherwise be found).
pub async fn wait_for_url(c: &fantoccini::Client, what: &str, pred: impl Fn(&url::Url) -> bool) {
    for _ in 0..100 {
        if let Ok(u) = c.current_url().await
            && pred(&u)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the browser never reached {what}: {:?}",
        c.current_url().await
    );
}

/// Fills in the login form the browser is on (or is being sent to) and submits it.
pub async fn sign_in(c: &fantoccini::Client, email: &str, password: &str) {
    use fantoccini::Locator;
    c.wait()
        .for_element(Locator::Css("#password"))
        .await
        .expect("the login form");
    c.find(Locator::Css("#email"))
        .await
        .unwrap()
        .send_keys(email)
        .await
        .unwrap();
    c.find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys(password)
        .await
        .unwrap();
    c.find(Locator::Css("main button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// The text of the first element matching `css`, waiting for it to appear.
pub async fn text_of(c: &fantoccini::Client, css: &str) -> String {
    c.wait()
        .for_element(fantoccini::Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}
