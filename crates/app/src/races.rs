//! `downballot races …`: import results files and upcoming races, and summarize competition.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use downballot_races::analysis::total;
use downballot_races::{Election, ElectionKind, Race, Rejected, native, openelections, summarize};
use downballot_store::model::now_millis;
use downballot_store::{DatabaseUrl, Store};

use crate::config::RacesCommand;

pub async fn run(url: &DatabaseUrl, command: RacesCommand) -> Result<()> {
    match command {
        RacesCommand::Import {
            source,
            state,
            date,
            kind,
            seats,
            file,
        } => {
            let election = election(&state, &date, &kind)?;
            import(url, &source, election, seats.as_deref(), &file).await
        }
        RacesCommand::Competition {
            state,
            date,
            kind,
            format,
        } => {
            let election = election(&state, &date, &kind)?;
            competition(url, &election, &format).await
        }
        RacesCommand::List => list(url).await,
    }
}

fn election(state: &str, date: &str, kind: &str) -> Result<Election> {
    let kind = ElectionKind::parse(kind)
        .with_context(|| format!("--kind must be general, primary or special (got {kind:?})"))?;
    Ok(Election::new(state, date, kind)?)
}

async fn open(url: &DatabaseUrl) -> Result<Store> {
    Store::open(url)
        .await
        .with_context(|| format!("opening the {} database", url.backend_name()))
}

fn open_file(path: &Path) -> Result<BufReader<File>> {
    Ok(BufReader::new(
        File::open(path).with_context(|| format!("opening {}", path.display()))?,
    ))
}

fn print_rejected(what: &str, rejected: &[Rejected]) {
    if rejected.is_empty() {
        return;
    }
    eprintln!("{what}: {} line(s) refused:", rejected.len());
    for r in rejected.iter().take(20) {
        eprintln!("  line {}: {}", r.line, r.reason);
    }
    if rejected.len() > 20 {
        eprintln!("  … and {} more", rejected.len() - 20);
    }
}

async fn import(
    url: &DatabaseUrl,
    source: &str,
    election: Election,
    seats: Option<&Path>,
    file: &Path,
) -> Result<()> {
    let started = Instant::now();
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut races = match source {
        "openelections" => {
            let report = openelections::read(&election, open_file(file)?)
                .with_context(|| format!("reading {}", file.display()))?;
            eprintln!(
                "{name}: {} rows; left out {} tally rows (write-ins, blanks, totals …) and {} write-in candidate rows",
                report.rows, report.pseudo_rows, report.write_in_rows
            );
            for (office, rows) in &report.skipped_offices {
                eprintln!("  not imported: {office:?} ({rows} rows)");
            }
            print_rejected(&name, &report.rejected);
            report.races
        }
        "native" => {
            let report = native::read(&election, open_file(file)?)
                .with_context(|| format!("reading {}", file.display()))?;
            eprintln!("{name}: {} rows", report.rows);
            print_rejected(&name, &report.rejected);
            report.races
        }
        other => bail!("--source must be openelections or native (got {other:?})"),
    };
    if let Some(path) = seats {
        let (rows, rejected) = native::read_seats(&election.state, open_file(path)?)
            .with_context(|| format!("reading {}", path.display()))?;
        let mut rejected = rejected;
        rejected.extend(native::apply_seats(&mut races, &rows));
        rejected.sort_by_key(|r| r.line);
        eprintln!("seats: {} rows", rows.len());
        print_rejected(&path.display().to_string(), &rejected);
    }
    if races.is_empty() {
        bail!("{} holds no races this importer recognizes", file.display());
    }
    let parsed = started.elapsed();
    let store = open(url).await?;
    check_catalog(&store, &election, &races).await?;
    let counts = store
        .import_races(&races, &format!("{source}:{name}"), now_millis())
        .await?;
    store.close().await;
    let mut by_election: HashMap<String, usize> = HashMap::new();
    for r in &races {
        *by_election.entry(r.election.id()).or_default() += 1;
    }
    let mut ids: Vec<_> = by_election.into_iter().collect();
    ids.sort();
    for (id, n) in ids {
        println!("{id}: {n} races");
    }
    println!(
        "{} added, {} changed, {} unchanged (read in {} ms, total {} ms)",
        counts.added,
        counts.changed,
        counts.unchanged,
        parsed.as_millis(),
        started.elapsed().as_millis()
    );
    let unknown: Vec<&Race> = races
        .iter()
        .filter(|r| r.seats.is_none() && r.candidates.len() > 1)
        .collect();
    if !unknown.is_empty() {
        let mut kinds: Vec<&str> = unknown.iter().map(|r| r.office.slug()).collect();
        kinds.sort();
        kinds.dedup();
        eprintln!(
            "seats unknown for {} races with several candidates ({}: multi-member districts); whether they are contested is unknown until a seats file (--seats, office,district,seats) says",
            unknown.len(),
            kinds.join(", ")
        );
    }
    Ok(())
}

/// Warns about divisions the OCD catalog does not know, or knows as not valid on election day.
async fn check_catalog(store: &Store, election: &Election, races: &[Race]) -> Result<()> {
    let prefix = format!("ocd-division/country:us/state:{}", election.state);
    let catalog: HashMap<String, (Option<String>, Option<String>)> = store
        .catalog_under(&prefix)
        .await?
        .into_iter()
        .map(|d| (d.ocd_id, (d.valid_from, d.valid_through)))
        .collect();
    if catalog.is_empty() {
        eprintln!(
            "the OCD catalog has no {} divisions loaded (downballot geo catalog …): division IDs not checked",
            election.state.to_uppercase()
        );
        return Ok(());
    }
    let mut missing = Vec::new();
    let mut out_of_date = Vec::new();
    for r in races {
        match catalog.get(&r.division) {
            None => missing.push(r.division.as_str()),
            Some((from, through)) => {
                let d = r.election.date.as_str();
                if from.as_deref().is_some_and(|f| f > d)
                    || through.as_deref().is_some_and(|t| t < d)
                {
                    out_of_date.push(r.division.as_str());
                }
            }
        }
    }
    missing.sort();
    missing.dedup();
    if !missing.is_empty() {
        eprintln!(
            "{} division(s) not in the OCD catalog: {}",
            missing.len(),
            missing.join(", ")
        );
    }
    if !out_of_date.is_empty() {
        eprintln!(
            "{} division(s) not valid on {} by the catalog: {}",
            out_of_date.len(),
            election.date,
            out_of_date.join(", ")
        );
    }
    Ok(())
}

async fn competition(url: &DatabaseUrl, election: &Election, format: &str) -> Result<()> {
    if !matches!(format, "json" | "table") {
        bail!("--format must be json or table (got {format:?})");
    }
    let store = open(url).await?;
    let races = store.election_races(&election.id()).await?;
    store.close().await;
    if races.is_empty() {
        bail!(
            "no races stored for {} (import them with `downballot races import`)",
            election.id()
        );
    }
    let summaries = summarize(&races);
    if format == "json" {
        println!("{}", serde_json::to_string_pretty(&summaries)?);
        return Ok(());
    }
    println!(
        "office\traces\tseats\tseats_unknown\tuncontested\ttwo_major_party\tunopposed_democratic\tunopposed_republican\tno_democrat\tno_republican"
    );
    let t = total(&summaries);
    for s in summaries.iter().chain(std::iter::once(&t)) {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            s.office,
            s.races,
            s.seats,
            s.seats_unknown,
            s.uncontested,
            s.two_major_party,
            s.unopposed_democratic,
            s.unopposed_republican,
            s.no_democrat,
            s.no_republican
        );
    }
    Ok(())
}

async fn list(url: &DatabaseUrl) -> Result<()> {
    let store = open(url).await?;
    let elections = store.elections().await?;
    store.close().await;
    println!("election\tstate\tdate\tkind\traces");
    for e in elections {
        println!(
            "{}\t{}\t{}\t{}\t{}",
            e.election.id(),
            e.election.state.to_uppercase(),
            e.election.date,
            e.election.kind,
            e.races
        );
    }
    Ok(())
}
