//! The engine as a long-lived service for the desktop app: its own tokio runtime, a
//! command channel in, the event channel out.
//!
//! One controller task owns the current run's cancellation token. Commands are handled in
//! order; a run itself is a separate task, so `Cancel` is served while it goes.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::runtime::Runtime;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::browse::{self, Browser, LibraryPlaces};
use super::error::EngineError;
pub use super::events::Waker;
use super::events::{EVENT_QUEUE, EventSink};
use super::follow;
use super::links::{LinkListError, read_link_list};
use super::preview::preview;
use super::run::{compare, run_job};
use super::types::{Command, Event, HistoryError, RunId};
use super::viewing::Viewing;
use crate::archive::Archive;

/// A running engine. Dropping it cancels all work and stops its threads.
pub struct Engine {
    commands: mpsc::UnboundedSender<Command>,
    runtime: Option<Runtime>,
    shutdown: CancellationToken,
}

impl Engine {
    /// Starts the engine on its own runtime. `wake` is called after every event, from the
    /// engine's threads (the app passes `ctx.request_repaint()`).
    pub fn start(wake: Waker, library: LibraryPlaces) -> Result<(Engine, mpsc::Receiver<Event>), EngineError> {
        Self::start_with_workers(wake, library, browse::worker_counts())
    }

    /// [`Engine::start`] with `workers` thumbnail workers: (all, of which background).
    /// The app keeps a core for the window ([`browse::worker_counts`]); a benchmark may
    /// give the background every core.
    pub fn start_with_workers(
        wake: Waker,
        library: LibraryPlaces,
        workers: (usize, usize),
    ) -> Result<(Engine, mpsc::Receiver<Event>), EngineError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .thread_name("galley-engine")
            .enable_all()
            .build()
            .map_err(EngineError::Runtime)?;
        let (command_tx, command_rx) = mpsc::unbounded_channel();
        let (event_tx, event_rx) = mpsc::channel(EVENT_QUEUE);
        let events = EventSink::new(event_tx, wake);
        let shutdown = CancellationToken::new();
        let browser = {
            let _inside = runtime.enter();
            Browser::start(library, events.clone(), shutdown.clone(), workers)
        };
        runtime.spawn(control(command_rx, events, browser, shutdown.clone()));
        let engine = Engine { commands: command_tx, runtime: Some(runtime), shutdown };
        Ok((engine, event_rx))
    }

    /// Queue a command. Never blocks.
    pub fn send(&self, command: Command) {
        // The controller only stops when the engine is dropped, so this cannot fail while
        // `self` exists; a failure would only mean the command is moot.
        let _ = self.commands.send(command);
    }

    /// The engine's runtime, for front ends that need to start something on it (the
    /// in-process demo server).
    pub fn runtime(&self) -> Option<&tokio::runtime::Handle> {
        self.runtime.as_ref().map(|runtime| runtime.handle())
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.shutdown.cancel();
        if let Some(runtime) = self.runtime.take() {
            // Never wait on the UI thread for workers to wind down; the cancelled tasks
            // remove their own temporary files as they unwind.
            runtime.shutdown_timeout(std::time::Duration::from_millis(500));
        }
    }
}

async fn control(
    mut commands: mpsc::UnboundedReceiver<Command>,
    events: EventSink,
    browser: Browser,
    shutdown: CancellationToken,
) {
    let mut next_run: RunId = 1;
    let mut current = shutdown.child_token();
    let mut current_task: Option<tokio::task::JoinHandle<()>> = None;
    let viewing = Viewing::default();
    // The preview going has a token of its own: runs and previews never stop each other.
    let mut previewing = shutdown.child_token();
    loop {
        let command = tokio::select! {
            _ = shutdown.cancelled() => break,
            command = commands.recv() => match command {
                Some(command) => command,
                None => break,
            },
        };
        match command {
            Command::Start(job) => {
                let (run, cancel) = replace_run(&mut current, &mut current_task, &shutdown, &mut next_run, 1).await;
                let events = events.clone();
                current_task = Some(tokio::spawn(async move {
                    let _ = run_job(run, job, events, cancel).await;
                }));
            }
            Command::Compare { job, levels } => {
                let runs = levels.len() as RunId;
                let (first, cancel) =
                    replace_run(&mut current, &mut current_task, &shutdown, &mut next_run, runs).await;
                current_task = Some(tokio::spawn(compare(first, job, levels, events.clone(), cancel)));
            }
            Command::Cancel => current.cancel(),
            Command::OpenFolder { folder, order } => browser.open(folder, order),
            Command::Reorder(order) => browser.reorder(order),
            Command::Want(paths) => browser.want(paths),
            Command::Trash(paths) => browser.trash(paths),
            Command::Restore(paths) => browser.restore(paths),
            Command::ClearThumbnails => browser.clear_thumbnails(),
            Command::View { paths, max_side } => viewing.request(paths, max_side, &events),
            Command::LoadRuns(archive) => {
                tokio::spawn(send_runs(archive, events.clone(), false));
            }
            Command::ClearRuns(archive) => {
                tokio::spawn(send_runs(archive, events.clone(), true));
            }
            Command::ReadLinks(path) => {
                tokio::spawn(send_link_list(path, events.clone()));
            }
            Command::Preview { preview: id, job } => {
                previewing.cancel();
                previewing = shutdown.child_token();
                tokio::spawn(preview(id, job, events.clone(), previewing.clone()));
            }
            Command::CancelPreview => previewing.cancel(),
            Command::FindReposts { folder, threshold } => browser.find_reposts(folder, threshold, &shutdown),
            Command::CheckFollows(request) => {
                let (run, cancel) = replace_run(&mut current, &mut current_task, &shutdown, &mut next_run, 1).await;
                current_task = Some(tokio::spawn(follow::check_for_window(run, request, events.clone(), cancel)));
            }
            Command::Follow { archive, sources, out_dir } => {
                let change = move |archive: &Archive| follow::follow_all(archive, &sources, &out_dir).map(drop);
                tokio::spawn(follow::change_then_send(archive, events.clone(), change));
            }
            Command::Unfollow { archive, source } => {
                let change = move |archive: &Archive| archive.unfollow(&source).map(drop).map_err(Into::into);
                tokio::spawn(follow::change_then_send(archive, events.clone(), change));
            }
            Command::LoadFollows(archive) => {
                tokio::spawn(follow::change_then_send(archive, events.clone(), |_| Ok(())));
            }
            Command::FollowsLooked { archive, sources } => {
                let change = move |archive: &Archive| {
                    sources.iter().try_for_each(|source| archive.follow_looked(source)).map_err(Into::into)
                };
                tokio::spawn(follow::change_then_send(archive, events.clone(), change));
            }
        }
    }
    current.cancel();
    previewing.cancel();
}

/// Stops the run going (and waits for it), then hands out `runs` run numbers and the
/// token of what starts next: (its first run number, its token).
async fn replace_run(
    current: &mut CancellationToken,
    task: &mut Option<tokio::task::JoinHandle<()>>,
    shutdown: &CancellationToken,
    next_run: &mut RunId,
    runs: RunId,
) -> (RunId, CancellationToken) {
    current.cancel();
    wait_for(task.take()).await;
    *current = shutdown.child_token();
    let first = *next_run;
    *next_run += runs;
    (first, current.clone())
}

async fn wait_for(task: Option<tokio::task::JoinHandle<()>>) {
    if let Some(task) = task {
        let _ = task.await;
    }
}

/// Reads a list of links on the blocking pool and sends it, or why it could not be read.
async fn send_link_list(path: PathBuf, events: EventSink) {
    let file = path.clone();
    let result = match tokio::task::spawn_blocking(move || read_link_list(&file)).await {
        Ok(links) => links.map_err(Arc::new),
        Err(error) => Err(Arc::new(LinkListError::Stopped(error.to_string()))),
    };
    if let Err(error) = &result {
        tracing::warn!("cannot read the list of links: {error}");
    }
    events.send(Event::LinkList { path, result }).await;
}

/// Reads the run history on the blocking pool (clearing it first when asked) and sends
/// it. A failure is sent too, so the window can say so.
async fn send_runs(archive: PathBuf, events: EventSink, clear: bool) {
    let runs = tokio::task::spawn_blocking(move || {
        let archive = Archive::open(&archive)?;
        if clear {
            archive.clear_runs()?;
        }
        archive.runs(200)
    })
    .await;
    let runs = match runs {
        Ok(Ok(runs)) => Ok(runs),
        Ok(Err(error)) => Err(Arc::new(HistoryError::Archive(error))),
        Err(error) => Err(Arc::new(HistoryError::Stopped(error.to_string()))),
    };
    if let Err(error) = &runs {
        tracing::warn!("cannot read the run history: {error}");
    }
    events.send(Event::Runs(runs)).await;
}
