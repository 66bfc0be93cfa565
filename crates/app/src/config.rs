//! Configuration: flags with environment-variable fallbacks, documented in `--help`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "downballot",
    version,
    about = "Turns a movement's supporters into candidates and volunteers"
)]
pub struct Cli {
    /// Database: a SQLite file path (the default, `./downballot.db`) or a `postgres://` URL.
    #[arg(
        long,
        env = "DATABASE_URL",
        global = true,
        default_value = "downballot.db",
        hide_env_values = true
    )]
    pub database: String,

    /// Log as JSON lines instead of text.
    #[arg(long, env = "DOWNBALLOT_LOG_JSON", global = true)]
    pub log_json: bool,

    /// Async worker threads (2 measured best on a 2-core machine).
    #[arg(long, env = "DOWNBALLOT_WORKER_THREADS", global = true)]
    pub worker_threads: Option<usize>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the web server (applies migrations first).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "DOWNBALLOT_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Geocode street addresses online after each sign-up commits, with the US Census
        /// Bureau's one-line-address geocoder at this base URL (e.g.
        /// https://geocoding.geo.census.gov). Off by default: points come from the ZIP code
        /// (approximate) or the browser (precise). A slow or failing geocoder keeps the ZIP point.
        #[arg(long, env = "DOWNBALLOT_GEOCODER_URL")]
        geocoder_url: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// People: import and export.
    People {
        #[command(subcommand)]
        command: PeopleCommand,
    },
    /// Districts: boundaries, the OCD-ID catalog, lookups.
    Geo {
        #[command(subcommand)]
        command: GeoCommand,
    },
    /// Races: import election results and upcoming races; who is contesting what.
    Races {
        #[command(subcommand)]
        command: RacesCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum RacesCommand {
    /// Import races and candidates from a CSV file. Rows roll up to races (a district spanning
    /// several counties is one race); write-ins and tallies are left out; every refused line is
    /// reported with its reason. Re-importing the same file changes nothing.
    Import {
        /// `openelections` (results, one row per candidate per county or precinct) or `native`
        /// (upcoming races: office,division,seats,filing_deadline,candidate,party,incumbent).
        #[arg(long)]
        source: String,
        /// Two-letter state code, e.g. OH.
        #[arg(long)]
        state: String,
        /// Election day, YYYY-MM-DD.
        #[arg(long)]
        date: String,
        /// general, primary or special. Partial-term races in a results file go to a special
        /// election on the same day.
        #[arg(long, default_value = "general")]
        kind: String,
        /// A CSV of seat counts (`office,district,seats`) for multi-member districts.
        #[arg(long)]
        seats: Option<PathBuf>,
        /// The CSV file.
        file: PathBuf,
    },
    /// Competition per office kind in one election: races, seats, uncontested, two major
    /// parties, unopposed Democrats and Republicans, races with no Democrat or no Republican.
    Competition {
        #[arg(long)]
        state: String,
        #[arg(long)]
        date: String,
        #[arg(long, default_value = "general")]
        kind: String,
        /// `json` (an array, one object per office kind) or `table`.
        #[arg(long, default_value = "table")]
        format: String,
    },
    /// List the elections stored, with their race counts.
    List,
}

#[derive(Subcommand, Debug)]
pub enum GeoCommand {
    /// Import district boundaries (GeoJSON files or folders laid out like shared/data/districts,
    /// or Census TIGER/Line .zip files) into the database; prints layers, features, vertices and
    /// warnings. Re-importing a layer replaces it.
    Import {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Import the Open Civic Data catalog (a folder of ocd CSV files, or single files) so every
    /// division has a human name.
    Catalog {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Read `id,lat,lon` or `id,zip` CSV on stdin; write `id,division,accuracy` CSV on stdout,
    /// one row per (point, division), sorted by id then division. The maps used go to stderr.
    Lookup {
        /// Read boundaries from these paths instead of the database.
        #[arg(long, num_args = 1..)]
        boundaries: Vec<PathBuf>,
    },
    /// Re-resolve every person's districts with the boundaries in the database.
    Reassign,
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a staff account. The password is read from a prompt, or from stdin.
    Add {
        /// The account's e-mail address (its login).
        #[arg(long)]
        email: String,
        /// `admin` (manages accounts, imports, audit log), `organizer`, or `partner` (with
        /// `--partner`: sees only that partner's referrals, in the portal).
        #[arg(long, default_value = "organizer")]
        role: String,
        /// For `--role partner`: the partner's short name (its `?referrer=` value).
        #[arg(long)]
        partner: Option<String>,
        /// Read the password from the first line of standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List staff accounts.
    List,
}

#[derive(Subcommand, Debug)]
pub enum PeopleCommand {
    /// Import people from a CSV file, de-duplicated like form sign-ups.
    Import {
        /// The CSV file.
        file: PathBuf,
        /// Interest for rows without one: run, volunteer or both (otherwise such rows are rejected).
        #[arg(long)]
        default_interest: Option<String>,
        /// Where to write rejected rows with their line and reason [default: FILE.rejected.csv].
        #[arg(long)]
        rejects: Option<PathBuf>,
    },
    /// Export people as CSV to standard output (one row per person, header first).
    Export {
        /// Output format (only csv).
        #[arg(long, default_value = "csv")]
        format: String,
        #[command(flatten)]
        filter: FilterArgs,
    },
}

/// The same filters as the staff people list.
#[derive(Args, Debug, Default)]
pub struct FilterArgs {
    /// Name, e-mail or phone contains.
    #[arg(long)]
    pub q: Option<String>,
    /// Two-letter state code.
    #[arg(long)]
    pub region: Option<String>,
    /// run (incl. both), volunteer (incl. both) or both.
    #[arg(long)]
    pub interest: Option<String>,
    /// An office kind, e.g. school_board.
    #[arg(long)]
    pub office: Option<String>,
    /// First signed up on or after this day (YYYY-MM-DD, UTC).
    #[arg(long)]
    pub from: Option<String>,
    /// First signed up on or before this day (YYYY-MM-DD, UTC).
    #[arg(long)]
    pub to: Option<String>,
    /// Came at least once with this ?source=.
    #[arg(long)]
    pub source: Option<String>,
    /// Lives in this division (an OCD-ID, e.g. ocd-division/country:us/state:oh/sldl:12).
    #[arg(long)]
    pub division: Option<String>,
}
