//! `suture jobs`: the operator's view of the server's queue (`suture serve`'s store): list the jobs, put a
//! dead one back after fixing what killed it, purge the finished ones.
//!
//! Why a command and not SQL: the queue lives on SQLite or PostgreSQL with different columns for time, and
//! a retry must reset the attempt count and the backoff together; the store does both the same way.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Subcommand, ValueEnum};

pub(crate) const EXAMPLES: &str = "Examples:
  suture jobs list                        the 50 most recently changed jobs, with their errors
  suture jobs list --state dead           what failed for good
  suture jobs list --format json          machine-readable
  suture jobs retry 17 18                 put dead jobs 17 and 18 back in the queue
  suture jobs retry --all-dead            every dead job
  suture jobs purge --older-than-days 30  delete finished (done and dead) jobs older than 30 days

The store is --database-url, else $DATABASE_URL, else .suture/server.db: the one `suture serve` uses.";

#[derive(Subcommand)]
pub(crate) enum JobsCommand {
    /// List jobs, most recently changed first.
    #[command(after_help = "Example:\n  suture jobs list --state dead --limit 10")]
    List {
        #[command(flatten)]
        store: StoreArg,
        /// Only jobs in this state.
        #[arg(long, value_enum)]
        state: Option<State>,
        /// At most this many jobs.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Output: one line per job, or JSON.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Put dead jobs back in the queue, with a fresh count of attempts.
    #[command(after_help = "Example:\n  suture jobs retry 17")]
    Retry {
        #[command(flatten)]
        store: StoreArg,
        /// The ids of the jobs (from `suture jobs list`).
        ids: Vec<i64>,
        /// Every dead job.
        #[arg(long, conflicts_with = "ids")]
        all_dead: bool,
    },
    /// Delete finished (done and dead) jobs; their deliveries stay recorded, so replays stay deduplicated.
    #[command(after_help = "Example:\n  suture jobs purge --older-than-days 30")]
    Purge {
        #[command(flatten)]
        store: StoreArg,
        /// Only jobs last changed more than this many days ago.
        #[arg(long, default_value_t = 30)]
        older_than_days: u64,
    },
}

#[derive(clap::Args)]
pub(crate) struct StoreArg {
    /// The server store: postgres://… or a SQLite file [env: DATABASE_URL; default: .suture/server.db].
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum State {
    Queued,
    Running,
    Done,
    Dead,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
}

fn connect(arg: &StoreArg) -> Result<Box<dyn store::server::ServerStore>> {
    let url = arg
        .database_url
        .clone()
        .or_else(|| std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| ".suture/server.db".to_owned());
    // Listing a store that does not exist would create an empty one: say so instead.
    let is_postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
    let path = url.strip_prefix("sqlite://").unwrap_or(&url);
    if !is_postgres && !std::path::Path::new(path).exists() {
        bail!("no server store at `{path}` (pass --database-url or set DATABASE_URL)");
    }
    store::server::connect(&url).context("cannot open the server store")
}

pub(crate) fn run(command: JobsCommand) -> Result<ExitCode> {
    match command {
        JobsCommand::List {
            store,
            state,
            limit,
            format,
        } => {
            let state = state.map(|s| match s {
                State::Queued => "queued",
                State::Running => "running",
                State::Done => "done",
                State::Dead => "dead",
            });
            let jobs = connect(&store)?.jobs(state, limit)?;
            match format {
                Format::Json => {
                    let rows: Vec<serde_json::Value> = jobs
                        .iter()
                        .map(|j| {
                            serde_json::json!({
                                "id": j.id,
                                "delivery": j.delivery,
                                "event": j.event,
                                "state": j.state,
                                "attempts": j.attempts,
                                "last_error": j.last_error,
                                "updated_at": j.updated_at,
                                // Unix seconds; only for a queued job waiting out a backoff.
                                "run_after": j.run_after.map(unix_seconds),
                            })
                        })
                        .collect();
                    let json = serde_json::json!({"version": 1, "jobs": rows});
                    println!("{}", serde_json::to_string_pretty(&json)?);
                }
                Format::Text => {
                    for j in &jobs {
                        let waiting = j
                            .run_after
                            .and_then(|at| at.duration_since(std::time::SystemTime::now()).ok())
                            .map(|wait| format!("  next attempt in {} s", wait.as_secs()))
                            .unwrap_or_default();
                        println!(
                            "{:>6}  {:<7}  {} attempt(s)  {}  {}{waiting}{}",
                            j.id,
                            j.state,
                            j.attempts,
                            j.event,
                            j.delivery,
                            j.last_error
                                .as_deref()
                                .map(|e| format!("  last error: {e}"))
                                .unwrap_or_default()
                        );
                    }
                    if jobs.is_empty() {
                        println!("no jobs");
                    }
                }
            }
        }
        JobsCommand::Retry {
            store,
            ids,
            all_dead,
        } => {
            let mut store = connect(&store)?;
            let ids = if all_dead {
                store
                    .jobs(Some("dead"), usize::MAX)?
                    .into_iter()
                    .map(|j| j.id)
                    .collect()
            } else if ids.is_empty() {
                bail!("name the jobs to retry (ids from `suture jobs list`), or pass --all-dead");
            } else {
                ids
            };
            let mut not_dead = Vec::new();
            for id in &ids {
                if !store.retry_job(*id)? {
                    not_dead.push(id.to_string());
                }
            }
            println!("{} job(s) back in the queue", ids.len() - not_dead.len());
            if !not_dead.is_empty() {
                bail!("no dead job with id {}", not_dead.join(", "));
            }
        }
        JobsCommand::Purge {
            store,
            older_than_days,
        } => {
            let age = std::time::Duration::from_secs(older_than_days.saturating_mul(86_400));
            let n = connect(&store)?.purge_jobs(age)?;
            println!("{n} finished job(s) purged");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn unix_seconds(time: std::time::SystemTime) -> u64 {
    time.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
