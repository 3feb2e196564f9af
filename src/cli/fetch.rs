//! `galley fetch`: one run of the engine, reported on the terminal.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use anyhow::{Context, bail};
use tokio_util::sync::CancellationToken;

use super::report::Reporter;
use super::{EXIT_FAILED, EXIT_USAGE, FetchArgs};
use crate::archive;
use crate::demo::{DEMO_CLIENT_ID, DemoConfig, DemoServer};
use crate::engine::{
    ClientId, Ending, EventSink, FatalKind, Job, JobInput, MovingPictures, RunChoices, RunOrigin, Source,
    read_link_list, read_link_text, run_job,
};
use crate::library::ThumbnailCache;
use crate::signals::StopSignals;

/// Runs `galley fetch` and says how it went as an exit status.
pub fn fetch(args: &FetchArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(fetch_async(args))
}

async fn fetch_async(args: &FetchArgs) -> anyhow::Result<ExitCode> {
    // Usage errors are found before anything is touched, so they exit 2 with no side effects.
    let demo = match args.demo {
        true => Some(start_demo(args).await?),
        false => None,
    };
    let job = match build_job(args, demo.as_ref()) {
        Ok(job) => job,
        Err(error) => {
            super::print_error(&error);
            return Ok(ExitCode::from(EXIT_USAGE));
        }
    };

    // Listening before the run starts, so a signal that comes at once is not missed.
    let signals = StopSignals::listen().context("cannot listen for signals")?;
    let cancel = CancellationToken::new();
    let (events, receiver) = EventSink::channel();
    let run = tokio::spawn(run_job(1, job.clone(), events, cancel.clone()));
    let stopped_by = Arc::new(AtomicU8::new(0));
    tokio::spawn(cancel_on_signal(signals, cancel.clone(), stopped_by.clone()));

    let reporter = Reporter::new(args.json, &job);
    reporter.follow(receiver).await;
    let report = run.await.context("the run stopped unexpectedly")?;
    if let Some(demo) = demo {
        demo.shutdown().await;
    }
    reporter.summary(&report)?;

    Ok(ExitCode::from(match &report.ending {
        Ending::Failed(fatal) if is_usage_error(fatal.kind) => EXIT_USAGE,
        Ending::Failed(_) => EXIT_FAILED,
        Ending::Cancelled if stopped_by.load(Ordering::SeqCst) != 0 => 128 + stopped_by.load(Ordering::SeqCst),
        _ if report.summary.failed > 0 => EXIT_FAILED,
        _ if report.sources.iter().any(|source| source.error().is_some()) => EXIT_FAILED,
        _ => 0,
    }))
}

/// DESIGN.md: usage, authentication and destination errors exit 2.
pub(super) fn is_usage_error(kind: FatalKind) -> bool {
    matches!(kind, FatalKind::Auth | FatalKind::Destination | FatalKind::Usage | FatalKind::Archive)
}

/// Stops the run cleanly on ctrl-c, SIGTERM (what `kill`, systemd and container runtimes
/// send) or SIGHUP (the terminal closed): downloads in flight stop, their temporary files
/// go, files that landed are recorded, and the archive's row of the run is finished. The
/// exit status is then 128 plus the signal's number, as shells expect.
pub(super) async fn cancel_on_signal(mut signals: StopSignals, cancel: CancellationToken, stopped_by: Arc<AtomicU8>) {
    if let Some(signal) = signals.first().await {
        stopped_by.store(signal, Ordering::SeqCst);
        cancel.cancel();
    }
}

async fn start_demo(args: &FetchArgs) -> anyhow::Result<DemoServer> {
    let config = DemoConfig {
        images: args.demo_images,
        latency: std::time::Duration::from_millis(args.demo_latency_ms),
        album_size: args.demo_album_size,
        ..DemoConfig::default()
    };
    DemoServer::start(config, 0).await.context("cannot start the demo gallery on 127.0.0.1")
}

fn build_job(args: &FetchArgs, demo: Option<&DemoServer>) -> anyhow::Result<Job> {
    let inputs = match &args.urls {
        Some(file) => link_inputs(read_links(file)?, args, demo)?,
        None => source_inputs(args, demo)?,
    };
    let listed_by_api = inputs.iter().any(|input| matches!(input, JobInput::Imgur { .. }));
    let thumbnails = !args.no_thumbnails;
    let choices = RunChoices {
        concurrency: args.concurrency,
        moving: MovingPictures { videos: args.videos || args.animated, gifs_as_mp4: args.gifs_as_mp4 || args.animated },
        naming: args.filename.clone(),
        album_folders: args.album_folders,
        write_metadata: args.write_metadata,
        thumbnails,
        archive: match (&args.archive, args.no_archive) {
            // A listing saves nothing, so it is no run of the history.
            _ if args.list => None,
            (_, true) => None,
            (Some(path), false) => Some(path.clone()),
            (None, false) => archive::default_path(),
        },
        // The thumbnails made while saving go to the desktop's shared cache, so the app
        // (or a file manager) opens the folder without decoding its images again.
        thumbnail_cache: ThumbnailCache::for_user().map(|cache| cache.root().to_owned()),
    };
    let mut job = Job::planned(inputs, out_dir(args)?, choices);
    if demo.is_some() && listed_by_api {
        job.origin = RunOrigin::Demo;
    }
    job.limit = args.limit;
    job.list_only = args.list;
    job.max_image_bytes = args.max_image_mib.saturating_mul(1024 * 1024);
    Ok(job)
}

/// The SOURCE arguments, then the `--source` options, each parsed; hot/viral/day when
/// none is given.
fn source_inputs(args: &FetchArgs, demo: Option<&DemoServer>) -> anyhow::Result<Vec<JobInput>> {
    let mut texts: Vec<&str> = args.sources.iter().chain(&args.source).map(String::as_str).collect();
    if texts.is_empty() {
        texts.push(DEFAULT_SOURCE);
    }
    let sources = texts
        .into_iter()
        .map(|text| text.parse::<Source>().with_context(|| format!("bad source `{text}`")))
        .collect::<anyhow::Result<Vec<Source>>>()?;
    let api = ApiAccess::new(args, demo)?;
    Ok(sources.into_iter().map(|source| api.input(source)).collect())
}

/// The lines of a `--urls` file as sources, in order: each Imgur page link (an album, a
/// post, a user...) is listed through the API; runs of direct links are fetched as they
/// are, with no API, as one source each.
fn link_inputs(lines: Vec<String>, args: &FetchArgs, demo: Option<&DemoServer>) -> anyhow::Result<Vec<JobInput>> {
    let mut inputs: Vec<JobInput> = Vec::new();
    let mut api = None;
    for line in lines {
        match page_link(&line) {
            Some(source) => {
                let api = match &mut api {
                    Some(api) => api,
                    None => api.insert(
                        ApiAccess::new(args, demo)
                            .context(format!("{line} is an Imgur page, listed through the API"))?,
                    ),
                };
                inputs.push(api.input(source));
            }
            None => match inputs.last_mut() {
                Some(JobInput::Urls(links)) => links.push(line),
                _ => inputs.push(JobInput::Urls(vec![line])),
            },
        }
    }
    Ok(inputs)
}

/// The source an Imgur page link names; `None` for a direct link to a file (on
/// i.imgur.com or anywhere else), which is fetched as it is.
fn page_link(line: &str) -> Option<Source> {
    let with_scheme = if line.contains("://") { line.to_owned() } else { format!("https://{line}") };
    let host = url::Url::parse(&with_scheme).ok()?.host_str()?.to_ascii_lowercase();
    let host = host.trim_start_matches("www.").trim_start_matches("m.");
    match host {
        "imgur.com" | "imgur.io" => line.parse().ok(),
        _ => None,
    }
}

const DEFAULT_SOURCE: &str = "hot/viral/day";

/// How sources are listed: the API root, the Client-ID and how many pages.
struct ApiAccess {
    api_base: url::Url,
    client_id: ClientId,
    pages: Option<u32>,
}

impl ApiAccess {
    fn new(args: &FetchArgs, demo: Option<&DemoServer>) -> anyhow::Result<Self> {
        let from_file = args.client_id_file.as_deref().map(read_client_id_file).transpose()?;
        let client_id = match (from_file.as_ref().or(args.client_id.as_ref()), demo) {
            (Some(id), _) if !id.trim().is_empty() => ClientId::new(id.trim()),
            (_, Some(_)) => ClientId::new(DEMO_CLIENT_ID),
            _ => bail!(
                "no Client-ID: pass --client-id or set IMGUR_CLIENT_ID (register one at \
                 https://api.imgur.com/oauth2/addclient), or try --demo"
            ),
        };
        let (api_base, pages) = match demo {
            // The demo gallery is small; list all of it unless told otherwise.
            Some(server) => (server.base_url(), args.pages),
            None => (args.api_base.clone(), Some(args.pages.unwrap_or(1))),
        };
        Ok(Self { api_base, client_id, pages })
    }

    fn input(&self, source: Source) -> JobInput {
        JobInput::Imgur {
            api_base: self.api_base.clone(),
            client_id: self.client_id.clone(),
            source,
            pages: self.pages,
        }
    }
}

/// The links of a `--urls` file (or stdin for `-`): one per line; blank lines and `#`
/// comments ignored.
fn read_links(file: &Path) -> anyhow::Result<Vec<String>> {
    let links = if file == Path::new("-") {
        read_link_text(std::io::stdin().lock(), Path::new("stdin"))?
    } else {
        read_link_list(file)?
    };
    if links.is_empty() {
        bail!("{} lists no links", file.display());
    }
    Ok(links)
}

/// The Client-ID in `path`: its first line, trimmed. The file may be a pipe
/// (`<(pass show imgur)`), so its size is known only by reading, at most 4 KiB of it.
fn read_client_id_file(path: &Path) -> anyhow::Result<String> {
    use std::io::Read;
    const CAP: u64 = 4096;
    let cannot = || format!("cannot read the Client-ID from {}", path.display());
    let mut bytes = Vec::new();
    std::fs::File::open(path).with_context(cannot)?.take(CAP + 1).read_to_end(&mut bytes).with_context(cannot)?;
    if bytes.len() as u64 > CAP {
        bail!("{} is larger than a Client-ID file can be ({CAP} bytes)", path.display());
    }
    let text = String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("{} is not text", path.display()))?;
    let id = text.lines().next().unwrap_or("").trim().to_owned();
    if id.is_empty() {
        bail!("{} holds no Client-ID", path.display());
    }
    Ok(id)
}

fn out_dir(args: &FetchArgs) -> anyhow::Result<PathBuf> {
    match &args.out {
        Some(dir) => Ok(dir.clone()),
        None => default_out_dir(),
    }
}

/// The user's Pictures/galley: where images go unless told otherwise.
pub(super) fn default_out_dir() -> anyhow::Result<PathBuf> {
    dirs::picture_dir()
        .or_else(|| dirs::home_dir().map(|home| home.join("Pictures")))
        .map(|pictures| pictures.join("galley"))
        .context("no Pictures folder is known here; pass --out DIR")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imgur_pages_in_a_link_list_are_sources_and_direct_links_are_not() {
        assert_eq!(page_link("https://imgur.com/a/AbCdE"), Some(Source::Album { id: "AbCdE".into() }));
        assert_eq!(page_link("imgur.com/user/ana"), Some(Source::User { name: "ana".into() }));
        assert_eq!(page_link("https://i.imgur.com/AbCdE12.jpg"), None, "a direct link is fetched as it is");
        assert_eq!(page_link("http://127.0.0.1:8080/i/AbCdE12.jpg"), None);
        assert_eq!(page_link("https://example.com/imgur.com/a/AbCdE"), None);
    }

    #[test]
    fn usage_errors_are_the_documented_kinds() {
        assert!(is_usage_error(FatalKind::Auth));
        assert!(is_usage_error(FatalKind::Destination));
        assert!(!is_usage_error(FatalKind::Offline));
        assert!(!is_usage_error(FatalKind::RateLimited));
    }
}
