//! `galley follow add|list|remove|check`: sources followed in the run archive, checked
//! for what is new (see [`crate::engine::follow`]).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use anyhow::Context;
use clap::{Args, Subcommand, ValueHint};
use serde::Serialize;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::report::Reporter;
use super::terminal::for_terminal;
use super::{EXIT_FAILED, EXIT_USAGE, concurrency_in_range};
use crate::archive::{self, Archive, FollowRecord, Followed};
use crate::engine::follow::{check, follow_all};
use crate::engine::{
    CheckRequest, ClientId, Ending, EventSink, IMGUR_API_BASE, RunOptions, Source, followable, unix_now,
};
use crate::library::ThumbnailCache;
use crate::signals::StopSignals;

#[derive(Debug, Args)]
pub struct FollowArgs {
    /// The SQLite run archive that holds the follows [default: the user's data
    /// folder/galley/archive.sqlite], as for fetch.
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath, global = true)]
    pub archive: Option<PathBuf>,

    #[command(subcommand)]
    pub command: FollowCommand,
}

#[derive(Debug, Subcommand)]
pub enum FollowCommand {
    /// Follow sources: any source fetch takes (a user's posts or favorites, a tag, a
    /// subreddit, a gallery section, an album), listed newest first.
    Add {
        /// What to follow (Imgur URLs or short forms, as for fetch).
        #[arg(value_name = "SOURCE", required = true)]
        sources: Vec<String>,
        /// Where its images go [default: the user's Pictures/galley, as for fetch].
        #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
        out: Option<PathBuf>,
    },
    /// List the followed sources: folder, last check, new and failed at it.
    List {
        /// Print one JSON object {"follows": [...]} on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Stop following sources (their files stay).
    Remove {
        #[arg(value_name = "SOURCE", required = true)]
        sources: Vec<String>,
    },
    /// Download only what is new in every followed source, into each one's folder, with
    /// one shared pool of downloads and listing requests.
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Print fetch's JSON summary line for the whole check on stdout at the end.
    #[arg(long)]
    pub json: bool,
    /// API root.
    #[arg(long, value_name = "URL", value_hint = ValueHint::Url, default_value = IMGUR_API_BASE)]
    pub api_base: Url,
    /// Imgur Client-ID. Never printed or logged; prefer the IMGUR_CLIENT_ID environment
    /// variable (an argument shows in `ps`).
    #[arg(long, env = "IMGUR_CLIENT_ID", hide_env_values = true)]
    pub client_id: Option<String>,
    /// Downloads (and listing requests) at once, shared by every source.
    #[arg(long, default_value_t = 16, value_parser = concurrency_in_range)]
    pub concurrency: usize,
}

/// Runs `galley follow ...`.
pub fn follow(args: &FollowArgs) -> anyhow::Result<ExitCode> {
    let archive_path = match &args.archive {
        Some(path) => path.clone(),
        None => archive::default_path().context("no data folder is known here; pass --archive FILE")?,
    };
    match &args.command {
        FollowCommand::Add { sources, out } => usage_errors(add(&archive_path, sources, out.as_deref())),
        FollowCommand::List { json } => usage_errors(list(&archive_path, *json)),
        FollowCommand::Remove { sources } => usage_errors(remove(&archive_path, sources)),
        FollowCommand::Check(check_args) => {
            let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
            runtime.block_on(check_all(&archive_path, check_args))
        }
    }
}

/// A bad source or an archive that cannot be opened is a usage error: exit 2.
fn usage_errors(outcome: anyhow::Result<ExitCode>) -> anyhow::Result<ExitCode> {
    outcome.or_else(|error| {
        super::print_error(&error);
        Ok(ExitCode::from(EXIT_USAGE))
    })
}

fn open(path: &Path) -> anyhow::Result<Archive> {
    Archive::open(path).with_context(|| format!("cannot open the archive {}", path.display()))
}

fn parse_sources(texts: &[String]) -> anyhow::Result<Vec<Source>> {
    texts.iter().map(|text| followable(text).with_context(|| format!("cannot follow `{text}`"))).collect()
}

fn add(archive_path: &Path, texts: &[String], out: Option<&Path>) -> anyhow::Result<ExitCode> {
    let sources = parse_sources(texts)?;
    let out = match out {
        Some(dir) => dir.to_owned(),
        None => super::fetch::default_out_dir()?,
    };
    let archive = open(archive_path)?;
    let folder = std::path::absolute(&out).unwrap_or(out);
    for (source, followed) in follow_all(&archive, &sources, &folder)? {
        let shown = folder.display();
        let line = match followed {
            Followed::Added => format!("following {source} (newest first) into {shown}"),
            Followed::Moved => format!("following {source}, now into {shown}"),
            Followed::Already => format!("already following {source} into {shown}"),
        };
        println!("{}", for_terminal(&line));
    }
    eprintln!("`galley follow check` downloads what is new in every followed source");
    Ok(ExitCode::SUCCESS)
}

fn remove(archive_path: &Path, texts: &[String]) -> anyhow::Result<ExitCode> {
    let sources = parse_sources(texts)?;
    let archive = open(archive_path)?;
    let mut missing = 0;
    for source in sources {
        let source = source.to_string();
        if archive.unfollow(&source)? {
            println!("stopped following {source} (its files stay)");
        } else {
            missing += 1;
            eprintln!("galley: {source} is not followed (`galley follow list` shows what is)");
        }
    }
    Ok(if missing == 0 { ExitCode::SUCCESS } else { ExitCode::from(EXIT_FAILED) })
}

/// One follow in `follow list --json`.
#[derive(Serialize)]
struct JsonFollow<'a> {
    source: &'a str,
    folder: String,
    added_at: i64,
    checked_at: Option<i64>,
    new_at_last_check: u64,
    failed_at_last_check: u64,
    error: Option<&'a str>,
    caught_up: bool,
}

fn list(archive_path: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let follows = open(archive_path)?.follows()?;
    if json {
        let follows: Vec<JsonFollow> = follows
            .iter()
            .map(|follow| JsonFollow {
                source: &follow.source,
                folder: follow.out_dir.to_string_lossy().into_owned(),
                added_at: follow.added_at,
                checked_at: follow.checked_at,
                new_at_last_check: follow.new_at_check,
                failed_at_last_check: follow.failed_at_check,
                error: follow.error.as_deref(),
                caught_up: follow.caught_up,
            })
            .collect();
        println!("{}", serde_json::json!({ "follows": follows }));
        return Ok(ExitCode::SUCCESS);
    }
    if follows.is_empty() {
        eprintln!("nothing is followed yet: `galley follow add SOURCE` follows one");
    }
    for follow in &follows {
        println!("{}", for_terminal(&follow_line(follow, unix_now())));
    }
    Ok(ExitCode::SUCCESS)
}

/// One follow as `follow list` prints it.
pub fn follow_line(follow: &FollowRecord, now: i64) -> String {
    let checked = match follow.checked_at {
        None => "never checked".to_owned(),
        Some(at) => format!(
            "checked {}: {} new{}",
            crate::engine::followed::ago(at, now),
            follow.new_at_check,
            match follow.failed_at_check {
                0 => String::new(),
                failed => format!(", {failed} failed"),
            }
        ),
    };
    let error = follow.error.as_deref().map(|error| format!("; could not be listed: {error}")).unwrap_or_default();
    format!("{}  {}  {checked}{error}", follow.source, follow.out_dir.display())
}

async fn check_all(archive_path: &Path, args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let client_id = match args.client_id.as_deref().map(str::trim) {
        Some(id) if !id.is_empty() => ClientId::new(id),
        _ => {
            super::print_error(&anyhow::anyhow!(
                "no Client-ID: pass --client-id or set IMGUR_CLIENT_ID (register one at \
                 https://api.imgur.com/oauth2/addclient)"
            ));
            return Ok(ExitCode::from(EXIT_USAGE));
        }
    };
    let request = CheckRequest {
        archive: archive_path.to_owned(),
        api_base: args.api_base.clone(),
        client_id: client_id.clone(),
        concurrency: args.concurrency,
        thumbnails: true,
        thumbnail_cache: ThumbnailCache::for_user().map(|cache| cache.root().to_owned()),
        origin: crate::archive::RunOrigin::Imgur,
    };
    let signals = StopSignals::listen().context("cannot listen for signals")?;
    let cancel = CancellationToken::new();
    let stopped_by = Arc::new(AtomicU8::new(0));
    tokio::spawn(super::fetch::cancel_on_signal(signals, cancel.clone(), stopped_by.clone()));
    let (events, receiver) = EventSink::channel();
    let reporter = Reporter::with_parts(args.json, "the followed sources".to_owned(), 2, vec![client_id]);
    let checking = tokio::spawn(check(1, request, events, cancel, RunOptions::default()));
    reporter.follow(receiver).await;
    let checked = match checking.await.context("the check stopped unexpectedly")? {
        Ok(checked) => checked,
        Err(error) => {
            super::print_error(&anyhow::Error::new(error).context("cannot check the followed sources"));
            return Ok(ExitCode::from(EXIT_USAGE));
        }
    };
    if checked.run.is_none() && checked.follows.is_empty() {
        eprintln!("nothing is followed yet: `galley follow add SOURCE` follows one");
    }
    let run = checked.run.clone().unwrap_or_else(|| crate::engine::RunReport {
        summary: crate::engine::Summary { concurrency: args.concurrency as u64, ..Default::default() },
        ending: Ending::Done,
        sources: Vec::new(),
    });
    reporter.check_summary(&run, &checked.not_checked, checked.resume.as_deref())?;
    if let Some(resume) = &checked.resume
        && run.fatal().is_none()
    {
        eprintln!("galley: {}", for_terminal(resume));
    }
    let signal = stopped_by.load(Ordering::SeqCst);
    Ok(ExitCode::from(match &run.ending {
        Ending::Failed(fatal) if super::fetch::is_usage_error(fatal.kind) => EXIT_USAGE,
        Ending::Failed(_) => EXIT_FAILED,
        Ending::Cancelled if signal != 0 => 128 + signal,
        _ if run.summary.failed > 0 || !checked.not_checked.is_empty() => EXIT_FAILED,
        _ if run.sources.iter().any(|source| source.error().is_some()) => EXIT_FAILED,
        _ => 0,
    }))
}
