//! `suture serve`: flags and environment → `app::serve::ServeConfig`, a tokio runtime, signals, JSON logs.
//!
//! Secrets come from files or the environment, never from flag values (which `ps` shows to every user).
//! Environment variables are read here rather than through clap's `env` feature so that the flag help can
//! say which variable backs each flag without printing its value. The bound address is printed on stdout
//! (one line, `listening on http://ADDR`) so that scripts and tests can use `--listen 127.0.0.1:0`; logs go
//! to stderr as JSON lines.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use app::serve::{Secret, ServeConfig};
use pipeline::Library;

pub(crate) const EXAMPLES: &str = "Examples:
  SUTURE_WEBHOOK_SECRET=... GITHUB_APP_ID=12345 GITHUB_APP_PRIVATE_KEY_PATH=app.pem suture serve
  suture serve --listen 0.0.0.0:8080 --webhook-secret-file /run/secrets/webhook \\
               --app-id 12345 --private-key /run/secrets/app.pem
  DATABASE_URL=postgres://suture@db/suture suture serve --workers 8   several replicas share one queue
  suture serve --listen 127.0.0.1:0 --workers 0                         acknowledge and queue only

Endpoints: POST /webhook (GitHub deliveries), GET /healthz (queue counts as JSON).
The store defaults to the SQLite file .suture/server.db; DATABASE_URL=postgres://… shares one queue
between several processes. SIGINT/SIGTERM stop accepting deliveries and let running jobs finish;
queued jobs stay in the store for the next start. Logs are JSON lines on stderr (filter: SUTURE_LOG,
e.g. SUTURE_LOG=debug). Exit code 2 on a configuration error.";

#[derive(clap::Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (printed on stdout).
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: String,
    /// The store: postgres://… or a SQLite file [env: DATABASE_URL; default: .suture/server.db].
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// A file holding the webhook secret [or env: SUTURE_WEBHOOK_SECRET].
    #[arg(long, value_name = "FILE")]
    webhook_secret_file: Option<PathBuf>,
    /// The GitHub App's id [env: GITHUB_APP_ID].
    #[arg(long, value_name = "ID")]
    app_id: Option<u64>,
    /// The GitHub App's private key, PEM [env: GITHUB_APP_PRIVATE_KEY_PATH].
    #[arg(long, value_name = "FILE")]
    private_key: Option<PathBuf>,
    /// GitHub's REST API [env: GITHUB_API_URL; default: https://api.github.com].
    #[arg(long, value_name = "URL")]
    api_url: Option<String>,
    /// Workers running queued jobs; 0 only acknowledges and queues.
    #[arg(long, default_value_t = 2)]
    workers: usize,
    /// Larger webhook bodies are refused with 413 (GitHub caps payloads at 25 MB).
    #[arg(long, default_value_t = 25 * 1024 * 1024)]
    max_body_bytes: usize,
    /// At most this many suggestions per pull request; the rest go into the check run only.
    #[arg(long, default_value_t = 50)]
    max_suggestions: usize,
    /// Fixes less likely than this to be right (0 to 1) are not suggested; the pattern's merge record is
    /// evidence. The same default as `suture fix`.
    #[arg(long, default_value_t = engine::DEFAULT_MIN_PROBABILITY)]
    min_confidence: f64,
    #[command(flatten)]
    calibration: crate::calibrate_cmd::CalibrationArg,
    /// Pattern library directories to use instead of the shipped library (repeatable).
    #[arg(long = "patterns", value_name = "DIR")]
    patterns: Vec<PathBuf>,
    /// A job failing this many times is dead. Failed jobs wait before their next attempt: 30 s, doubling
    /// per failure up to 10 min, ±25% jitter (at least a minute after a GitHub rate limit), so the default
    /// rides out a GitHub outage of 10 minutes.
    #[arg(long, default_value_t = 8)]
    max_attempts: u32,
    /// Seconds a claimed job belongs to its worker before another may take it over.
    #[arg(long, default_value_t = 300)]
    lease_seconds: u64,
    /// Milliseconds between idle workers' looks at the queue (jobs queued by other processes).
    #[arg(long, default_value_t = 2000)]
    poll_ms: u64,
    /// Seconds running jobs may take to finish after SIGINT/SIGTERM.
    #[arg(long, default_value_t = 30)]
    shutdown_timeout: u64,
}

pub(crate) fn run(args: ServeArgs) -> Result<ExitCode> {
    let config = config(&args)?;
    let library = Arc::new(load_library(&args.patterns)?);
    // Open (and migrate) the store before listening, so a bad URL is an error, not a server that
    // acknowledges nothing. Outside the runtime: the synchronous PostgreSQL client runs its own.
    store::server::connect(&config.database_url).context("cannot open the server store")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // The workers review pull requests on the blocking pool: the engine's stack (see `main`).
        .thread_stack_size(syntax::STACK_BYTES)
        .build()
        .context("cannot start the async runtime")?;
    app::serve::init_logs();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        println!("listening on http://{}", listener.local_addr()?);
        app::serve::run(config, library, listener, signal()).await
    })?;
    Ok(ExitCode::SUCCESS)
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn config(args: &ServeArgs) -> Result<ServeConfig> {
    let secret = match &args.webhook_secret_file {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| {
                format!("cannot read the webhook secret file `{}`", path.display())
            })?;
            // Editors and `echo` add a final newline that is not part of the secret.
            text.trim_end_matches(['\n', '\r']).to_owned()
        }
        None => env("SUTURE_WEBHOOK_SECRET").context(
            "no webhook secret: pass --webhook-secret-file FILE or set SUTURE_WEBHOOK_SECRET",
        )?,
    };
    if secret.is_empty() {
        bail!("the webhook secret is empty");
    }
    let app_id = match args.app_id {
        Some(id) => id,
        None => {
            let text = env("GITHUB_APP_ID")
                .context("no GitHub App id: pass --app-id or set GITHUB_APP_ID")?;
            text.parse()
                .with_context(|| format!("GITHUB_APP_ID `{text}` is not a number"))?
        }
    };
    let key_path = match &args.private_key {
        Some(path) => path.clone(),
        None => PathBuf::from(env("GITHUB_APP_PRIVATE_KEY_PATH").context(
            "no GitHub App private key: pass --private-key FILE or set GITHUB_APP_PRIVATE_KEY_PATH",
        )?),
    };
    let private_key = std::fs::read(&key_path)
        .with_context(|| format!("cannot read the private key `{}`", key_path.display()))?;
    if !(0.0..=1.0).contains(&args.min_confidence) {
        bail!("--min-confidence {} is outside [0, 1]", args.min_confidence);
    }
    let database_url = args
        .database_url
        .clone()
        .or_else(|| env("DATABASE_URL"))
        .unwrap_or_else(|| ".suture/server.db".to_owned());
    let mut config = ServeConfig::new(
        &database_url,
        Secret::new(secret.into_bytes()),
        app_id,
        Secret::new(private_key),
    );
    if let Some(url) = args.api_url.clone().or_else(|| env("GITHUB_API_URL")) {
        config.api_url = url;
    }
    config.workers = args.workers;
    config.max_body_bytes = args.max_body_bytes;
    config.review.max_suggestions = args.max_suggestions;
    // One review per pull request: every suggestion in one request.
    config.review.batch = args.max_suggestions.max(1);
    config.review.min_confidence = args.min_confidence;
    config.review.model = args.calibration.model()?;
    config.max_attempts = args.max_attempts.max(1);
    config.lease = Duration::from_secs(args.lease_seconds.max(1));
    config.poll_interval = Duration::from_millis(args.poll_ms.max(10));
    config.shutdown_timeout = Duration::from_secs(args.shutdown_timeout);
    Ok(config)
}

fn load_library(dirs: &[PathBuf]) -> Result<Library> {
    if dirs.is_empty() {
        return pipeline::library_from_texts(crate::SHIPPED);
    }
    let mut library = Library::default();
    for dir in dirs {
        if !dir.is_dir() {
            bail!("pattern library `{}` is not a directory", dir.display());
        }
        library.extend(pipeline::read_library(dir)?)?;
    }
    Ok(library)
}

/// Resolves on SIGINT or SIGTERM.
async fn signal() {
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
        _ = ctrl_c => {}
        _ = term => {}
    }
}
