//! The engine as a long-lived service for the desktop app: its own tokio runtime, a
//! command channel in, the event channel out.
//!
//! One controller task takes each command to its subsystem: runs (it owns the current
//! run's cancellation token), the library's [`Browser`], the viewer's [`Viewing`]. Each
//! subsystem sends through a sink that wraps its events into [`Event`]. Commands are
//! handled in order; a run itself is a separate task, so `Cancel` is served while it goes.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::runtime::Runtime;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::commands::{Command, RunCommand};
use super::error::EngineError;
use super::events::{Event, EventSink, HistoryError, RunEvent};
use super::follow;
use super::links::{LinkListError, read_link_list};
use super::preview::preview;
use super::run::{compare, run_job};
use super::types::RunId;
use crate::archive::Archive;
use crate::events::{EVENT_QUEUE, Sink, Waker};
use crate::library::{Browser, LibraryPlaces, worker_counts};
use crate::media::Viewing;

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
        Self::start_with_workers(wake, library, worker_counts())
    }

    /// [`Engine::start`] with `workers` thumbnail workers: (all, of which background).
    /// The app keeps a core for the window ([`worker_counts`]); a benchmark may
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
        let events = Sink::<Event>::new(event_tx, wake);
        let shutdown = CancellationToken::new();
        let browser = {
            let _inside = runtime.enter();
            Browser::start(library, events.map(Event::Library), shutdown.clone(), workers)
        };
        runtime.spawn(control(command_rx, events, browser, shutdown.clone()));
        let engine = Engine { commands: command_tx, runtime: Some(runtime), shutdown };
        Ok((engine, event_rx))
    }

    /// Queue a command (a [`RunCommand`], a `LibraryCommand` or a `ViewRequest`). Never
    /// blocks.
    pub fn send(&self, command: impl Into<Command>) {
        // The controller only stops when the engine is dropped, so this cannot fail while
        // `self` exists; a failure would only mean the command is moot.
        let _ = self.commands.send(command.into());
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
    events: Sink<Event>,
    browser: Browser,
    shutdown: CancellationToken,
) {
    let mut runs = Runs::new(events.map(Event::Run), &shutdown);
    let (viewing, view_events) = (Viewing::default(), events.map(Event::View));
    loop {
        let command = tokio::select! {
            _ = shutdown.cancelled() => break,
            command = commands.recv() => match command {
                Some(command) => command,
                None => break,
            },
        };
        match command {
            Command::Run(command) => runs.handle(*command, &shutdown).await,
            Command::Library(command) => browser.handle(command, &shutdown),
            Command::View(request) => viewing.request(request, &view_events),
        }
    }
    runs.current.cancel();
    runs.previewing.cancel();
}

/// The download engine's side of the controller: the run going, the preview going, and
/// the next run's number.
struct Runs {
    events: EventSink,
    next_run: RunId,
    current: CancellationToken,
    current_task: Option<tokio::task::JoinHandle<()>>,
    /// The preview going has a token of its own: runs and previews never stop each other.
    previewing: CancellationToken,
}

impl Runs {
    fn new(events: EventSink, shutdown: &CancellationToken) -> Self {
        Self {
            events,
            next_run: 1,
            current: shutdown.child_token(),
            current_task: None,
            previewing: shutdown.child_token(),
        }
    }

    async fn handle(&mut self, command: RunCommand, shutdown: &CancellationToken) {
        let events = self.events.clone();
        match command {
            RunCommand::Start(job) => {
                let (run, cancel) = self.replace_run(shutdown, 1).await;
                self.current_task = Some(tokio::spawn(async move {
                    let _ = run_job(run, job, events, cancel).await;
                }));
            }
            RunCommand::Compare { job, levels } => {
                let (first, cancel) = self.replace_run(shutdown, levels.len() as RunId).await;
                self.current_task = Some(tokio::spawn(compare(first, job, levels, events, cancel)));
            }
            RunCommand::Cancel => self.current.cancel(),
            RunCommand::LoadRuns(archive) => {
                tokio::spawn(send_runs(archive, events, false));
            }
            RunCommand::ClearRuns(archive) => {
                tokio::spawn(send_runs(archive, events, true));
            }
            RunCommand::ReadLinks(path) => {
                tokio::spawn(send_link_list(path, events));
            }
            RunCommand::Preview { preview: id, job } => {
                self.previewing.cancel();
                self.previewing = shutdown.child_token();
                tokio::spawn(preview(id, job, events, self.previewing.clone()));
            }
            RunCommand::CancelPreview => self.previewing.cancel(),
            RunCommand::CheckFollows(request) => {
                let (run, cancel) = self.replace_run(shutdown, 1).await;
                self.current_task = Some(tokio::spawn(follow::check_for_window(run, request, events, cancel)));
            }
            RunCommand::Follow { archive, sources, out_dir } => {
                let change = move |archive: &Archive| follow::follow_all(archive, &sources, &out_dir).map(drop);
                tokio::spawn(follow::change_then_send(archive, events, change));
            }
            RunCommand::Unfollow { archive, source } => {
                let change = move |archive: &Archive| archive.unfollow(&source).map(drop).map_err(Into::into);
                tokio::spawn(follow::change_then_send(archive, events, change));
            }
            RunCommand::LoadFollows(archive) => {
                tokio::spawn(follow::change_then_send(archive, events, |_| Ok(())));
            }
            RunCommand::FollowsLooked { archive, sources } => {
                let change = move |archive: &Archive| {
                    sources.iter().try_for_each(|source| archive.follow_looked(source)).map_err(Into::into)
                };
                tokio::spawn(follow::change_then_send(archive, events, change));
            }
        }
    }

    /// Stops the run going (and waits for it), then hands out `runs` run numbers and the
    /// token of what starts next: (its first run number, its token).
    async fn replace_run(&mut self, shutdown: &CancellationToken, runs: RunId) -> (RunId, CancellationToken) {
        self.current.cancel();
        if let Some(task) = self.current_task.take() {
            let _ = task.await;
        }
        self.current = shutdown.child_token();
        let first = self.next_run;
        self.next_run += runs;
        (first, self.current.clone())
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
    events.send(RunEvent::LinkList { path, result }).await;
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
    events.send(RunEvent::Runs(runs)).await;
}
