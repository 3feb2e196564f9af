//! The desktop app: an egui window over the engine. It holds no HTTP, disk or decoding code:
//! clicks become engine [`Command`]s, and each frame folds the engine's [`Event`]s (read
//! without waiting) into what is drawn. The engine wakes the window with
//! `request_repaint()` when it has something new.
//!
//! A frame has three steps: take in what came back (engine events, the demo server, the
//! desktop's answers); draw, collecting every click as an [`Action`]; then apply the
//! actions. What the app is doing is one [`RunState`], so drawing never acts and an
//! impossible combination of flags cannot arise.
//!
//! The files: `window.rs` sets the window up; this file holds the app's types and state;
//! `draw.rs` draws a frame, `apply.rs` applies its actions, `fold.rs` folds the engine's
//! events, `inspect.rs` answers the tests' queries; a file per panel or view beside them.
//!
//! The window is laid out around what a person does: the box at the top takes sources
//! (pasted links, the Galleries menu) into the queue on the left, whose Start downloads
//! them; the middle shows one of the [`View`]s (the pictures of the download folder, or a
//! preview to pick from); the activity is at the bottom; settings open from the gear.

mod browse;
mod desktop;
mod following;
mod grid;
mod icon;
mod persistence;
mod picker;
mod preview;
mod progress;
mod queue;
mod reposts;
mod runs;
mod settings;
mod sources;
mod startup;
mod state;
mod stop;
mod viewer;

// The app itself, split as its frame runs: set-up, drawing, applying actions, folding
// events, and what tests look at. The types and the state are here.
mod apply;
mod draw;
mod fold;
mod inspect;
mod window;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc as std_mpsc;

use anyhow::Context as _;
use tokio::sync::mpsc::Receiver;

pub use browse::BrowseAction;
pub use following::{Following, FollowingAction};
pub use grid::{
    FOCUS_RING_WIDTH, GridAction, GridOutput, MAX_PENDING, TEXTURE_BUDGET, ThumbnailGrid, UPLOADS_PER_FRAME,
};
pub use persistence::{SecretStore, load_queue, load_settings, save_queue, save_settings};
pub use preview::{Preview, PreviewAction};
pub use progress::{Notice, RunProgress};
pub use queue::{EntryId, EntryStatus, Halt, Queue, QueueAction, QueueState, QueuedSource, SavedSource};
pub use runs::COMPARE_LEVELS;
pub use settings::{Settings, Theme};
pub use sources::{GalleryKind, SOURCES_BOX};
pub use state::{RunState, StartKind};
pub use window::{AppConfig, AppOptions, run, tune_allocator};

use crate::archive;
use crate::demo::{DEMO_CLIENT_ID, DemoConfig, DemoServer};
use crate::engine::{
    self, ClientId, Engine, Event, IMGUR_API_BASE, Job, JobInput, PreviewId, RunChoices, RunCommand, RunEvent, RunId,
    RunOrigin, RunRecord, Source,
};
use crate::library::{LibraryCommand, LibraryEvent, LibraryPlaces};
use crate::media::{ViewEvent, ViewRequest};
use browse::TrashRequest;
use desktop::{Desktop, DesktopAnswer};
use runs::Comparison;
use settings::{ClientIdField, SettingsAction};
use sources::{GalleryForm, SourcesAction};
use state::{Demo, DemoServerState, Server};
pub use viewer::{MAX_ZOOM, MIN_ZOOM, Placement, SLIDESHOW_INTERVAL, VIEW_CACHE_ENTRIES, Viewer, ViewerAction};

/// Events folded in per frame at most, so a flood never makes one frame long.
const EVENTS_PER_FRAME: usize = 2000;

/// Where a starting demo server is sent once it is up (or could not start).
type DemoServerReady = std_mpsc::Sender<Result<DemoServer, String>>;

/// What opening the app leaves to start after the first frame (see [`startup`]).
pub(crate) struct PendingWork {
    /// The demo server to start, with `--demo`.
    demo_server: Option<DemoServerReady>,
    /// Press Start once it is up (`GALLEY_DEMO_AUTOSTART=1`).
    autostart: bool,
}

/// Everything a click can ask for. Collected while drawing, applied after.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Start(StartKind),
    Cancel,
    /// Run the demo gallery into its own folder, whatever the settings say.
    TryDemo,
    /// Leave the demo: runs go to Imgur, with the user's own settings back.
    UseImgur,
    ChooseFolder,
    /// The folder field was edited and left: downloads go there, and the grid shows it.
    FolderEdited,
    /// A folder of the Recent menu: downloads go there, and the grid shows it.
    UseFolder(PathBuf),
    /// The box at the top, or the Galleries menu and its form.
    Sources(SourcesAction),
    /// Open or close the settings view.
    ToggleSettings,
    Settings(SettingsAction),
    /// Show this view in the middle of the window.
    ShowView(View),
    Preview(PreviewAction),
    /// A click in galley's own folder picker.
    Picker(picker::PickerAction),
    ClearHistory,
    /// Thumbnails the grid dropped and needs again (scrolled back into view).
    Rethumbnail(Vec<PathBuf>),
    Grid(GridAction),
    Browse(BrowseAction),
    ToggleActivity,
    /// Open the viewer on the grid's tile at this index.
    OpenViewer(usize),
    Viewer(ViewerAction),
    /// Decode these images for the viewer (the one on show first, then its neighbours),
    /// at most `max_side` pixels a side.
    DecodeForViewer {
        paths: Vec<PathBuf>,
        max_side: u32,
    },
    Queue(QueueAction),
    /// Files dropped on the window: lists of links to queue.
    Dropped(Vec<PathBuf>),
    /// Text pasted onto the window (not into a field): links to queue.
    PastedLinks(String),
    Reposts(reposts::RepostsAction),
    /// The Following view, and the Follow buttons.
    Following(FollowingAction),
}

/// What the middle of the window shows. Each view is a file of its own (the grid's
/// [`grid`] and [`browse`], the preview's [`preview`]); a new view is a variant here, a
/// tab in [`GalleyApp::views_ui`] and its own `*_ui` function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// The pictures in the download folder.
    Pictures,
    /// A queued source's pictures, to pick from.
    Preview,
    /// The followed sources ([`following`]).
    Following,
}

/// Which button gets the keyboard focus once it can take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FocusTarget {
    Start,
    Cancel,
}

/// The Client-ID: the field, the one saved by an earlier session, and its private file.
struct Credentials {
    field: ClientIdField,
    /// Read once at start (not in a frame); filled in on turning to Imgur.
    saved: String,
    store: SecretStore,
}

/// The folder on show: its thumbnails, the open viewer, and what the library says.
#[derive(Default)]
struct FolderView {
    shown: Option<PathBuf>,
    grid: ThumbnailGrid,
    viewer: Option<Viewer>,
    /// Why the folder cannot be shown, or what happened to it last (trash, cache).
    status: Option<Notice>,
    /// Background thumbnailing: made of total.
    thumbnailing: Option<(usize, usize)>,
    /// Files waiting for the user to confirm the move to the trash.
    confirm_trash: Option<TrashRequest>,
    /// What the last move to the trash moved (for Undo).
    trashed: Vec<PathBuf>,
    /// `status` says the folder does not exist (yet).
    missing: bool,
    /// `status` says the folder could not be listed (so a listing that comes clears it).
    listing_failed: bool,
    /// The search for reposts in it, and its groups view.
    reposts: reposts::Reposts,
}

impl FolderView {
    /// A run saved a file into the folder: a "does not exist yet" is no longer true.
    fn exists_now(&mut self) {
        if std::mem::take(&mut self.missing) {
            self.status = None;
        }
    }
}

/// Which panels and views are open.
struct Panels {
    /// The settings view (a window over the main one).
    settings: bool,
    activity: bool,
    view: View,
}

/// The preview on show, and the queued source it previews (all of them: `None`).
struct Previewing {
    preview: Preview,
    scope: Option<EntryId>,
}

/// The run history and whether it could be read.
#[derive(Default)]
struct History {
    runs: Vec<RunRecord>,
    problem: Option<Notice>,
}

/// The whole app state.
pub struct GalleyApp {
    engine: Engine,
    events: Receiver<Event>,
    /// What the settings panel shows and edits.
    pub settings: Settings,
    credentials: Credentials,
    config: AppConfig,
    server: Server,
    run_state: RunState,
    /// The latest run's progress (kept after it ends, until the next one starts).
    progress: Option<RunProgress>,
    /// Events of runs older than this are stragglers of a replaced run: not shown.
    latest_run: RunId,
    comparison: Comparison,
    history: History,
    folder: FolderView,
    desktop: Desktop,
    /// galley's own folder picker, open where no system dialog can be.
    picker: Option<picker::FolderPicker>,
    /// A problem (or news) that is not a run's: bad settings, no folder dialog, ...
    notice: Option<Notice>,
    /// The sources queued for the next run (the demo's own while runs go to the demo).
    queue: Queue,
    /// The short form the Galleries menu opened.
    form: Option<GalleryForm>,
    previewing: Option<Previewing>,
    /// The last preview asked for: events of older ones are dropped.
    latest_preview: PreviewId,
    /// The theme last handed to egui.
    applied_theme: Option<Theme>,
    actions: Vec<Action>,
    focus: Option<FocusTarget>,
    panels: Panels,
    /// The followed sources and their checks.
    following: Following,
}

impl GalleyApp {
    /// The app, with its background work (demo server, runs table, folder scan) started.
    pub fn new(ctx: &egui::Context, config: AppConfig, settings: Settings) -> anyhow::Result<Self> {
        let (mut app, pending) = Self::open(ctx, config, settings)?;
        app.start_background_work(ctx, pending);
        Ok(app)
    }

    /// The app as its first frame shows it (the demo's settings already, with `--demo`),
    /// and the work it has yet to start: the window opens with this, and
    /// [`startup::FirstFrameFirst`] starts the rest once the first frame is on screen.
    fn open(ctx: &egui::Context, config: AppConfig, settings: Settings) -> anyhow::Result<(Self, PendingWork)> {
        let repaint = ctx.clone();
        let (engine, events) = Engine::start(Arc::new(move || repaint.request_repaint()), config.library.clone())
            .context("cannot start the download engine")?;
        let store = SecretStore::new(&config.config_dir);
        let saved = store.load();
        // The demo needs no Client-ID; a saved one is filled in when the user turns to Imgur.
        let field = ClientIdField { text: if config.demo_mode { String::new() } else { saved.clone() }, shown: false };
        let mut app = Self {
            engine,
            events,
            settings,
            credentials: Credentials { field, saved, store },
            config,
            server: Server::Imgur,
            run_state: RunState::Idle,
            progress: None,
            latest_run: 0,
            comparison: Comparison::default(),
            history: History::default(),
            folder: FolderView::default(),
            desktop: Desktop::default(),
            picker: None,
            notice: None,
            queue: Queue::default(),
            form: None,
            previewing: None,
            latest_preview: 0,
            applied_theme: None,
            actions: Vec::new(),
            focus: None,
            panels: Panels { settings: false, activity: true, view: View::Pictures },
            following: Following::default(),
        };
        let pending =
            PendingWork { demo_server: app.config.demo_mode.then(|| app.show_demo()), autostart: app.config.autostart };
        Ok((app, pending))
    }

    /// What opening the app sets going on the engine: none of it is needed to draw the
    /// first frame, and all of it competes with that frame for the CPU.
    fn start_background_work(&mut self, ctx: &egui::Context, pending: PendingWork) {
        if let Some(ready) = pending.demo_server {
            self.spawn_demo_server(ctx, ready);
        }
        if let Some(archive) = &self.config.archive {
            self.engine.send(RunCommand::LoadRuns(archive.clone()));
            self.engine.send(RunCommand::LoadFollows(archive.clone()));
        }
        // One folder at a time: the folder on show is where downloads go, so `galley
        // FOLDER` makes FOLDER the download folder too.
        match self.config.browse.clone() {
            Some(folder) => self.change_folder(folder),
            None => self.show_folder(PathBuf::from(self.settings.folder.trim())),
        }
        if pending.autostart {
            self.start(ctx, StartKind::Run);
        }
    }
}

/// Why runs cannot go anywhere yet.
enum NoServer {
    /// The demo server is starting.
    Starting,
    Failed(Notice),
}

/// "1 file", "3 files".
fn files(count: usize) -> String {
    match count {
        1 => "1 file".to_owned(),
        _ => format!("{} files", grid::thousands(count as u64)),
    }
}

/// The demo server could not start: say so, and what to do.
fn demo_failed(reason: &str) -> Notice {
    Notice::error("The demo gallery could not start. Restart galley to try again.", reason)
}
