//! What each subcommand does.

use std::io::{BufRead, Write};

use anyhow::{Context, Result, bail};
use downballot_csv::{EXPORT_HEADER, ImportOptions, person_record};
use downballot_domain::contact::Email;
use downballot_domain::staff::Role;
use downballot_store::model::now_millis;
use downballot_store::{DatabaseUrl, Store};
use downballot_web::staff::people::ListQuery;

use crate::config::{Cli, Command, FilterArgs, PeopleCommand, UserCommand};

pub async fn run(cli: Cli) -> Result<()> {
    let url = DatabaseUrl::parse(&cli.database).map_err(anyhow::Error::msg)?;
    match cli.command {
        Command::Serve {
            listen,
            geocoder_url,
        } => serve(&url, listen, geocoder_url.as_deref()).await,
        Command::Migrate => {
            let store = open(&url).await?;
            store.close().await;
            eprintln!("migrations applied ({})", url.backend_name());
            Ok(())
        }
        Command::User { command } => user(&url, command).await,
        Command::People { command } => people(&url, command).await,
        Command::Geo { command } => crate::geo::run(&url, command).await,
        Command::Races { command } => crate::races::run(&url, command).await,
    }
}

async fn open(url: &DatabaseUrl) -> Result<Store> {
    Store::open(url)
        .await
        .with_context(|| format!("opening the {} database", url.backend_name()))
}

async fn serve(
    url: &DatabaseUrl,
    listen: std::net::SocketAddr,
    geocoder_url: Option<&str>,
) -> Result<()> {
    // Decompress the ZIP and phone tables now, not on the first sign-up.
    tokio::task::spawn_blocking(downballot_domain::warm_up).await?;
    let store = open(url).await?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, backend = store.backend_name(), "listening");
    println!("downballot is running at http://{addr}/join (staff: http://{addr}/login)");
    if store.list_users().await?.is_empty() {
        println!(
            "No staff accounts yet. Create the first admin with:\n  downballot user add --email you@example.org --role admin{}",
            match url {
                DatabaseUrl::Sqlite(p) if p.as_os_str() != "downballot.db" =>
                    format!(" --database {}", p.display()),
                _ => String::new(),
            }
        );
    }
    let _ = std::io::stdout().flush();
    let mut state = downballot_web::AppState::new(store.clone());
    if let Some(base) = geocoder_url {
        let census =
            downballot_web::geocode::CensusGeocoder::new(base, downballot_web::geocode::TIMEOUT)?;
        state = state.with_geocoder(std::sync::Arc::new(census));
        tracing::info!("street addresses are geocoded online after commit");
    }
    downballot_web::serve(listener, state, shutdown_signal()).await?;
    tracing::info!("server stopped taking requests; committing what is queued");
    store.close().await;
    tracing::info!("shut down cleanly");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

fn read_password(from_stdin: bool) -> Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        return Ok(line.trim_end_matches(['\n', '\r']).to_owned());
    }
    let first = rpassword::prompt_password("Password: ")?;
    let second = rpassword::prompt_password("Repeat the password: ")?;
    if first != second {
        bail!("the two passwords differ");
    }
    Ok(first)
}

async fn user(url: &DatabaseUrl, command: UserCommand) -> Result<()> {
    match command {
        UserCommand::Add {
            email,
            role,
            partner,
            password_stdin,
        } => {
            let email = Email::parse(&email)
                .map_err(|e| anyhow::anyhow!("invalid e-mail {email:?}: {e}"))?;
            let role = Role::parse(&role).with_context(|| {
                format!("unknown role {role:?}: use admin, organizer or partner")
            })?;
            if (role == Role::Partner) != partner.is_some() {
                bail!("--partner SLUG goes with --role partner, and only with it");
            }
            let password = read_password(password_stdin)?;
            if password.chars().count() < downballot_web::staff::users::MIN_PASSWORD {
                bail!(
                    "the password must be at least {} characters",
                    downballot_web::staff::users::MIN_PASSWORD
                );
            }
            let hash =
                tokio::task::spawn_blocking(move || downballot_web::auth::hash_password(&password))
                    .await??;
            let store = open(url).await?;
            let result = match &partner {
                Some(slug) => match store.partner_by_slug(slug).await? {
                    Some(p) => {
                        store
                            .create_partner_user(email.as_str(), &hash, p.partner_id, now_millis())
                            .await
                    }
                    None => {
                        store.close().await;
                        bail!("no partner with the short name {slug:?}");
                    }
                },
                None => {
                    store
                        .create_user(email.as_str(), role.as_str(), &hash, now_millis())
                        .await
                }
            };
            store.close().await;
            let user = result.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("created {} account {}", user.role, user.email);
            Ok(())
        }
        UserCommand::List => {
            let store = open(url).await?;
            for u in store.list_users().await? {
                println!(
                    "{}\t{}\t{}",
                    u.email,
                    u.role,
                    if u.disabled { "disabled" } else { "active" }
                );
            }
            store.close().await;
            Ok(())
        }
    }
}

fn filter_of(f: FilterArgs) -> Result<downballot_store::PeopleFilter> {
    let q = ListQuery {
        q: f.q.unwrap_or_default(),
        region: f.region.unwrap_or_default(),
        interest: f.interest.unwrap_or_default(),
        office: f.office.unwrap_or_default(),
        from: f.from.unwrap_or_default(),
        to: f.to.unwrap_or_default(),
        source: f.source.unwrap_or_default(),
        division: f.division.unwrap_or_default(),
        page: None,
    };
    q.filter().map_err(anyhow::Error::msg)
}

async fn people(url: &DatabaseUrl, command: PeopleCommand) -> Result<()> {
    match command {
        PeopleCommand::Import {
            file,
            default_interest,
            rejects,
        } => {
            let default_interest = match default_interest {
                Some(d) => Some(
                    downballot_domain::signup::Interest::parse(&d)
                        .with_context(|| {
                            format!("unknown --default-interest {d:?}: use run, volunteer or both")
                        })?
                        .as_str()
                        .to_owned(),
                ),
                None => None,
            };
            let f = std::fs::File::open(&file)
                .with_context(|| format!("opening {}", file.display()))?;
            let size = f.metadata().map(|m| m.len()).unwrap_or(0);
            let bar = indicatif::ProgressBar::new(size);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {bytes}/{total_bytes} {elapsed} ({eta} left)",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let store = open(url).await?;
            let options = ImportOptions {
                default_interest,
                file_name: file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            };
            let started = std::time::Instant::now();
            let result =
                downballot_csv::import(&store, std::io::BufReader::new(f), &options, |pos| {
                    bar.set_position(pos)
                })
                .await;
            bar.finish_and_clear();
            let summary = match result {
                Ok(s) => s,
                Err(e) => {
                    store.close().await;
                    return Err(e);
                }
            };
            store.close().await;
            println!(
                "{} rows in {:.1}s: {} created, {} updated, {} rejected{}",
                summary.rows,
                started.elapsed().as_secs_f64(),
                summary.created,
                summary.updated,
                summary.rejected.len(),
                if summary.merge_candidates > 0 {
                    format!(
                        ", {} possible duplicates to review",
                        summary.merge_candidates
                    )
                } else {
                    String::new()
                }
            );
            if !summary.rejected.is_empty() {
                let path = rejects.unwrap_or_else(|| {
                    let mut p = file.clone().into_os_string();
                    p.push(".rejected.csv");
                    p.into()
                });
                let out = std::fs::File::create(&path)
                    .with_context(|| format!("creating {}", path.display()))?;
                downballot_csv::import::write_rejected(&summary, std::io::BufWriter::new(out))?;
                println!(
                    "rejected rows with line numbers and reasons: {}",
                    path.display()
                );
            }
            Ok(())
        }
        PeopleCommand::Export { format, filter } => {
            if format != "csv" {
                bail!("unknown --format {format:?}: only csv is supported");
            }
            let filter = filter_of(filter)?;
            let store = open(url).await?;
            let mut rows = store.export_people(&filter);
            let stdout = std::io::stdout();
            let mut w = csv::Writer::from_writer(std::io::BufWriter::new(stdout.lock()));
            w.write_record(EXPORT_HEADER)?;
            let mut n = 0u64;
            while let Some(p) = rows.recv().await {
                w.write_record(person_record(&p?))?;
                n += 1;
            }
            w.flush()?;
            drop(w);
            store.close().await;
            eprintln!("exported {n} people");
            Ok(())
        }
    }
}
