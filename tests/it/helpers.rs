//! Fixtures: a running app on port 0 with its own database, sign-up builders, staff sign-in.

use std::io::BufRead;
use std::net::SocketAddr;

use downballot_domain::signup::{SignupInput, parse_signup};
use downballot_store::model::{Channel, ConsentGrant, NewSubmission, now_millis};
use downballot_store::{DatabaseUrl, Store};
use tempfile::TempDir;

/// Which backend a test runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Generates `sqlite` and `postgres` test functions for one async test body `fn(Db)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::helpers::Db::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::helpers::Db::Postgres).await
                }
            }
        )*
    };
}

/// A fresh, empty database of the given kind, and what keeps it alive.
pub async fn database(db: Db) -> (DatabaseUrl, TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = match db {
        Db::Sqlite => DatabaseUrl::Sqlite(dir.path().join("test.db")),
        Db::Postgres => DatabaseUrl::Postgres(
            crate::support::pg::shared()
                .create_database()
                .await
                .expect("create PostgreSQL database"),
        ),
    };
    (url, dir)
}

pub async fn open_store(db: Db) -> (Store, TempDir) {
    let (url, dir) = database(db).await;
    (Store::open(&url).await.expect("open store"), dir)
}

/// The application, served on 127.0.0.1 with a random port.
pub struct TestApp {
    pub addr: SocketAddr,
    pub store: Store,
    pub districts: std::sync::Arc<downballot_web::districts::Resolver>,
    pub client: reqwest::Client,
    _dir: TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestApp {
    pub async fn spawn(db: Db) -> TestApp {
        Self::spawn_with(db, |state| state).await
    }

    /// As [`TestApp::spawn`], with the application state adjusted first (e.g. a geocoder).
    pub async fn spawn_with(
        db: Db,
        adjust: impl FnOnce(downballot_web::AppState) -> downballot_web::AppState,
    ) -> TestApp {
        let (url, dir) = database(db).await;
        let store = Store::open(&url).await.expect("open store");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let state = adjust(downballot_web::AppState::new(store.clone()));
        let districts = state.districts.clone();
        tokio::spawn(async move {
            downballot_web::serve(listener, state, async {
                let _ = rx.await;
            })
            .await
            .expect("server");
        });
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        TestApp {
            addr,
            store,
            districts,
            client,
            _dir: dir,
            shutdown: Some(tx),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_as(&self, path: &str, cookie: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header("cookie", cookie)
            .send()
            .await
            .expect("GET")
    }

    pub async fn post_form(&self, path: &str, pairs: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(pairs)
            .send()
            .await
            .expect("POST")
    }

    pub async fn post_as(
        &self,
        path: &str,
        cookie: &str,
        pairs: &[(&str, &str)],
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("cookie", cookie)
            .header("origin", format!("http://{}", self.addr))
            .header("sec-fetch-site", "same-origin")
            .form(pairs)
            .send()
            .await
            .expect("POST")
    }

    /// Creates a staff account directly in the store.
    pub async fn staff(&self, email: &str, role: &str, password: &str) {
        let hash = downballot_web::auth::hash_password(password).expect("hash");
        self.store
            .create_user(email, role, &hash, now_millis())
            .await
            .expect("create user");
    }

    /// Signs in and returns the `cookie` header value to send.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let res = self
            .post_form(
                "/login",
                &[("email", email), ("password", password), ("next", "/staff")],
            )
            .await;
        assert_eq!(res.status(), 303, "login should redirect");
        let set = res
            .headers()
            .get("set-cookie")
            .expect("session cookie")
            .to_str()
            .expect("ascii")
            .to_owned();
        assert!(set.starts_with("__Host-downballot_session="), "{set}");
        assert!(
            set.contains("Secure") && set.contains("HttpOnly") && set.contains("Path=/"),
            "{set}"
        );
        set.split(';').next().expect("pair").to_owned()
    }

    /// Signs up through the public form; panics unless it is acknowledged.
    pub async fn sign_up(&self, pairs: &[(&str, &str)]) {
        let res = self.post_form("/join", pairs).await;
        assert_eq!(
            res.status(),
            303,
            "sign-up refused: {}",
            res.text().await.unwrap_or_default()
        );
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The shared reference data folder (`DOWNBALLOT_DATA`, default `../shared/data` beside the
/// repository), when it exists.
pub fn shared_data() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("DOWNBALLOT_DATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    dir.is_dir().then_some(dir)
}

/// Vermont's real 2012 house districts when the shared data is there, else a hand-made fixture
/// with the same OCD-ID around Burlington, so the suite runs anywhere.
pub fn vermont_boundaries() -> std::path::PathBuf {
    match shared_data() {
        Some(d) => d.join("districts/states/VT"),
        None => {
            eprintln!(
                "shared data not found: using the Burlington fixture instead of Vermont's real districts"
            );
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/districts/vt-burlington.geojson")
        }
    }
}

/// Loads boundaries into the app's database and its resolver.
pub async fn load_boundaries(app: &TestApp, path: &std::path::Path) {
    let p = path.to_owned();
    let report = tokio::task::spawn_blocking(move || downballot_geo::load_paths(&[p]))
        .await
        .unwrap()
        .expect("load boundaries");
    let rows = downballot_web::districts::boundary_rows(&report, &path.display().to_string());
    app.store
        .replace_layers(&rows, now_millis())
        .await
        .expect("store boundaries");
    assert!(
        app.districts
            .refresh(&app.store)
            .await
            .expect("refresh index")
    );
}

/// A checked sign-up from form pairs, for store-level tests.
pub fn submission(pairs: &[(&str, &str)]) -> NewSubmission {
    let input = SignupInput::from_pairs(pairs.iter().copied());
    let signup = parse_signup(&input, 2026)
        .unwrap_or_else(|e| panic!("invalid test sign-up {pairs:?}: {e:?}"));
    let consents = [
        ("email", signup.consent_email),
        ("sms", signup.consent_sms),
        ("share", signup.consent_share),
    ]
    .into_iter()
    .filter(|(_, on)| *on)
    .map(|(channel, _)| ConsentGrant {
        channel,
        text: format!("test consent text for {channel}"),
        version: "test-1".into(),
    })
    .collect();
    NewSubmission {
        signup,
        lang: "en",
        channel: Channel::Form,
        received_at: now_millis(),
        consents,
        location: None,
    }
}

/// Starts the debug `downballot serve` on 127.0.0.1 with an OS-chosen port; returns the child
/// and the address it printed.
pub fn start_server(database: &str) -> (std::process::Child, String) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_downballot"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database", database])
        .env("DOWNBALLOT_LOG", "warn")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .expect("spawn downballot serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = std::io::BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("the server prints its address before anything else on stdout")
            .expect("utf-8 line");
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
    (child, addr)
}

pub async fn wait_healthy(client: &reqwest::Client, addr: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if let Ok(r) = client.get(format!("http://{addr}/healthz")).send().await
            && r.status() == 200
        {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{addr}/healthz did not answer 200 within 30 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A client for a server process: no redirects followed, a 30 s timeout.
pub fn process_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("client")
}
