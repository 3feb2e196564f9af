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

use crate::archive;
use crate::demo::{DEMO_CLIENT_ID, DemoConfig, DemoServer};
use crate::engine::{
    self, ClientId, Command, Engine, Event, IMGUR_API_BASE, Job, JobInput, LibraryPlaces, PreviewId, RunId, RunOrigin,
    RunRecord, Source,
};
use browse::TrashRequest;
use desktop::{Desktop, DesktopAnswer};
use runs::Comparison;
use settings::{ClientIdField, SettingsAction};
use sources::{GalleryForm, SourcesAction};
use state::{Demo, DemoServerState, Server};
pub use viewer::{MAX_ZOOM, MIN_ZOOM, Placement, SLIDESHOW_INTERVAL, VIEW_CACHE_ENTRIES, Viewer, ViewerAction};

/// Events folded in per frame at most, so a flood never makes one frame long.
const EVENTS_PER_FRAME: usize = 2000;

/// How `galley` opens the window.
#[derive(Debug, Clone, Default)]
pub struct AppOptions {
    /// Start on the built-in demo gallery.
    pub demo: bool,
    /// Open browsing this folder (`galley FOLDER`), as an image viewer would.
    pub folder: Option<PathBuf>,
}

/// Where the app keeps things and how its demo behaves; tests point these at temp dirs.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Folder of the Client-ID file.
    pub config_dir: PathBuf,
    /// The run archive (history and skip-existing).
    pub archive: Option<PathBuf>,
    /// The demo gallery "Try the demo gallery" serves.
    pub demo: DemoConfig,
    /// Where the demo gallery's images go, away from the user's own.
    pub demo_folder: PathBuf,
    /// Use the demo gallery from the start (`galley --demo`).
    pub demo_mode: bool,
    /// Press Start as soon as the window is up (screenshots, `GALLEY_DEMO_AUTOSTART=1`).
    pub autostart: bool,
    /// The folder index, the thumbnail cache and the trash.
    pub library: LibraryPlaces,
    /// Browse this folder at start instead of the download folder (`galley FOLDER`).
    pub browse: Option<PathBuf>,
}

impl AppConfig {
    /// The real locations in the user's config and data folders.
    pub fn for_user(options: &AppOptions) -> anyhow::Result<Self> {
        let config_dir = dirs::config_dir().context("no config folder is known on this system")?.join("galley");
        let archive = archive::default_path();
        let library = LibraryPlaces::for_user(archive.clone())
            .unwrap_or_else(|| LibraryPlaces::inside(&std::env::temp_dir().join("galley-library")));
        // A folder given on the command line is shown as given, made absolute (the
        // thumbnail cache names files by their absolute paths).
        let browse =
            options.folder.as_deref().map(std::path::absolute).transpose().context("cannot resolve the folder")?;
        if let Some(folder) = browse.as_ref().filter(|folder| !folder.is_dir()) {
            anyhow::bail!("{} is not a folder: give a folder of images to browse", folder.display());
        }
        Ok(Self {
            config_dir,
            archive,
            library,
            browse,
            demo: DemoConfig { images: 120, latency: std::time::Duration::from_millis(150), ..DemoConfig::default() },
            demo_folder: settings::demo_folder(),
            autostart: options.demo && std::env::var_os("GALLEY_DEMO_AUTOSTART").is_some_and(|v| v == "1"),
            demo_mode: options.demo,
        })
    }
}

/// Turns off glibc's fast bins in the window's process. Freeing a folder's listing
/// (200,000 small blocks, on a thread of its own) fills them, and the UI thread's next
/// large allocation then sorts every one into the free lists first: a frame of 20-46 ms
/// instead of 4-11 (`cargo bench --bench ui_frames`, the frame after a reopen's complete
/// listing; with them off, 3-10 ms in every run). Small blocks still come from glibc's
/// per-thread caches.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt changes a setting of glibc's allocator; M_MXFAST 0 is valid.
        let set = unsafe { libc::mallopt(libc::M_MXFAST, 0) };
        if set == 0 {
            tracing::warn!("cannot turn off the allocator's fast bins; big folders may stutter when replaced");
        }
    }
}

/// Opens the window and runs until it is closed.
pub fn run(options: &AppOptions) -> anyhow::Result<()> {
    tune_allocator();
    let config = AppConfig::for_user(options)?;
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("galley")
        // Wayland matches the window to galley.desktop (and so its icon) by this id.
        .with_app_id("galley")
        .with_inner_size([1280.0, 820.0]);
    if let Some(icon) = icon::window_icon() {
        viewport = viewport.with_icon(icon);
    }
    let native = eframe::NativeOptions { viewport, ..Default::default() };
    eframe::run_native(
        "galley",
        native,
        Box::new(move |creation| {
            let settings = persistence::load_settings(creation.storage).unwrap_or_default();
            let (mut app, pending) = GalleyApp::open(&creation.egui_ctx, config, settings)?;
            app.restore_queue(persistence::load_queue(creation.storage));
            let signals = stop::listen(&app, &creation.egui_ctx)?;
            Ok(Box::new(stop::StopOnSignal::new(startup::FirstFrameFirst::new(app, pending), signals)))
        }),
    )
    .map_err(|error| anyhow::anyhow!("cannot open the window: {error}"))
}

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
            self.engine.send(Command::LoadRuns(archive.clone()));
            self.engine.send(Command::LoadFollows(archive.clone()));
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

    // ---- what tests and the benchmark look at (queries: no side effects) ----

    /// Tiles shown in the grid: thumbnails and videos.
    pub fn thumbnails(&self) -> usize {
        self.folder.grid.len()
    }

    pub fn runs(&self) -> &[RunRecord] {
        &self.history.runs
    }

    pub fn progress(&self) -> Option<&RunProgress> {
        self.progress.as_ref()
    }

    pub fn run_state(&self) -> RunState {
        self.run_state
    }

    /// The queue on show (the demo's, while runs go to the demo gallery).
    pub fn queue(&self) -> &Queue {
        &self.queue
    }

    /// The app's own message (not a run's), if it shows one.
    pub fn notice(&self) -> Option<&Notice> {
        self.notice.as_ref()
    }

    pub fn grid(&self) -> &ThumbnailGrid {
        &self.folder.grid
    }

    pub fn grid_mut(&mut self) -> &mut ThumbnailGrid {
        &mut self.folder.grid
    }

    /// The viewer, while it is open.
    pub fn viewer(&self) -> Option<&Viewer> {
        self.folder.viewer.as_ref()
    }

    /// Results of the last compare series: (concurrency, seconds, images saved).
    pub fn comparison(&self) -> &[(usize, f64, u64)] {
        &self.comparison.steps
    }

    /// The demo server, once it is up.
    pub fn demo_server(&self) -> Option<&DemoServer> {
        match &self.server {
            Server::Demo(demo) => demo.ready(),
            Server::Imgur => None,
        }
    }

    /// The folder whose images the grid shows.
    pub fn shown_folder(&self) -> Option<&Path> {
        self.folder.shown.as_deref()
    }

    /// What the window says about the shown folder (cannot be listed, moved to trash...).
    pub fn folder_status(&self) -> Option<&Notice> {
        self.folder.status.as_ref()
    }

    /// Background thumbnailing of the shown folder: (made, total).
    pub fn thumbnailing(&self) -> Option<(usize, usize)> {
        self.folder.thumbnailing
    }

    /// Whether the move-to-trash confirmation is open.
    pub fn confirming_trash(&self) -> bool {
        self.folder.confirm_trash.is_some()
    }

    /// The preview on show, if one was asked for.
    pub fn preview(&self) -> Option<&Preview> {
        self.previewing.as_ref().map(|previewing| &previewing.preview)
    }

    /// What the middle of the window shows.
    pub fn view(&self) -> View {
        self.panels.view
    }

    /// Whether the settings view is open.
    pub fn settings_open(&self) -> bool {
        self.panels.settings
    }

    /// The folder galley's own picker shows, while it is open.
    pub fn picker_folder(&self) -> Option<&Path> {
        self.picker.as_ref().map(|picker| picker.folder.as_path())
    }

    // ---- one frame ----

    /// The whole window's contents; `eframe::App::ui` calls this, tests call it directly.
    pub fn ui_contents(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.take_in(&ctx);
        if let Some(progress) = self.progress.as_mut().filter(|progress| progress.is_running()) {
            progress.sample(std::time::Instant::now());
            // Keep the clock and plot moving while a run goes, without busy-looping.
            ctx.request_repaint_after(std::time::Duration::from_millis(250));
        }

        if self.applied_theme != Some(self.settings.theme) {
            ctx.set_theme(self.settings.theme.preference());
            self.applied_theme = Some(self.settings.theme);
        }

        // The viewer covers the whole window: nothing under it is drawn (or takes keys).
        if !self.viewer_ui(ui) {
            // The grid keeps most of the window: the panels are sized to it (at 800x600 the
            // queue takes 250 points and the activity 150).
            let window = ui.available_size();
            egui::Panel::top("sources-bar").show(ui, |ui| self.top_bar_ui(ui));
            egui::Panel::left("queue-panel")
                .resizable(true)
                .default_size((window.x * 0.26).clamp(230.0, 340.0))
                .min_size(210.0)
                .max_size((window.x * 0.45).max(240.0))
                .show(ui, |ui| self.queue_panel_ui(ui));
            egui::Panel::bottom("activity-panel")
                .resizable(self.panels.activity)
                .default_size((window.y * 0.24).clamp(110.0, 240.0))
                .max_size((window.y * 0.6).max(110.0))
                .min_size(if self.panels.activity { 90.0 } else { 0.0 })
                .show(ui, |ui| self.activity_panel_ui(ui));
            egui::CentralPanel::default().show(ui, |ui| {
                self.views_ui(ui);
                match self.panels.view {
                    View::Preview if self.previewing.is_some() => self.preview_ui(ui),
                    View::Following => self.following_ui(ui),
                    _ => self.main_panel_ui(ui),
                }
            });
            self.dialogs_ui(&ctx);
            self.grid_keys_ui(&ctx);
        }
        // A list dropped (or links pasted) while the viewer is open is queued all the same.
        self.drop_ui(&ctx);
        self.check_follows_when_due(&ctx);

        for action in std::mem::take(&mut self.actions) {
            self.apply(&ctx, action);
        }
    }

    /// Folds in what came back since the last frame, without waiting for anything.
    fn take_in(&mut self, ctx: &egui::Context) {
        self.drain_events(ctx);
        if let Server::Demo(demo) = &mut self.server
            && let Some(answer) = demo.poll()
        {
            self.demo_answered(ctx, answer);
        }
        while let Some(answer) = self.desktop.poll() {
            self.desktop_answered(ctx, answer);
        }
    }

    // ---- drawing (collects actions; changes nothing else) ----

    /// The box at the top: sources in (pasted links, the Galleries menu and its form), the
    /// gear that opens the settings, and what adding said.
    fn top_bar_ui(&mut self, ui: &mut egui::Ui) {
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let gear = ui
                    .button("Settings")
                    .on_hover_text("Client-ID, downloads at once, file names, videos, animated GIFs, theme");
                if gear.clicked() {
                    self.actions.push(Action::ToggleSettings);
                }
                ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                    if let Some(action) = sources::sources_ui(ui, &mut self.queue.typed) {
                        self.actions.push(Action::Sources(action));
                    }
                });
            });
        });
        if let Some(action) = self.form.as_mut().and_then(|form| sources::form_ui(ui, form)) {
            self.actions.push(Action::Sources(action));
        }
        if let Some(notice) = self.queue.notice() {
            notice.ui(ui);
        }
        if let Some(notice) = &self.notice {
            notice.ui(ui);
        }
        ui.add_space(2.0);
    }

    /// The queue on the left: Start and its kin, where runs go, then the queued sources.
    fn queue_panel_ui(&mut self, ui: &mut egui::Ui) {
        ui.add_space(4.0);
        ui.heading(format!("Queue ({})", self.queue.entries().len()));
        self.buttons_ui(ui);
        self.server_ui(ui);
        ui.separator();
        if let Some(action) = queue::queue_ui(ui, &self.queue, self.run_state.is_busy()) {
            self.actions.push(Action::Queue(action));
        }
    }

    /// The tabs of the middle of the window: the folder's pictures, the preview, and room
    /// for more views.
    fn views_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let view = self.panels.view;
            if ui
                .selectable_label(view == View::Pictures, "Pictures")
                .on_hover_text("The pictures in the folder downloads go into")
                .clicked()
            {
                self.actions.push(Action::ShowView(View::Pictures));
            }
            if let Some(previewing) = &self.previewing {
                let label = format!("Preview ({})", grid::thousands(previewing.preview.entries.len() as u64));
                if ui.selectable_label(view == View::Preview, label).clicked() {
                    self.actions.push(Action::ShowView(View::Preview));
                }
            }
            let label = format!("Following ({})", self.following.rows().len());
            let tab = ui.selectable_label(view == View::Following, label);
            if tab.on_hover_text("The followed sources: what each check brought, Check now").clicked() {
                self.actions.push(Action::ShowView(View::Following));
            }
        });
        ui.separator();
    }

    fn preview_ui(&mut self, ui: &mut egui::Ui) {
        self.destination_ui(ui);
        let Some(previewing) = &mut self.previewing else { return };
        if let Some(action) = previewing.preview.ui(ui) {
            self.actions.push(Action::Preview(action));
        }
    }

    /// Where downloads go, which is the folder the grid shows: its path (to type one),
    /// Choose..., and the folders used before.
    fn destination_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let label = ui.strong("Saving to");
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                ui.add_enabled_ui(!self.settings.recent_folders.is_empty(), |ui| {
                    ui.menu_button("Recent", |ui| {
                        for folder in &self.settings.recent_folders {
                            if ui.button(folder).clicked() {
                                self.actions.push(Action::UseFolder(PathBuf::from(folder)));
                                ui.close();
                            }
                        }
                    })
                    .response
                    .on_hover_text("Folders used before");
                });
                let choose =
                    ui.button("Choose...").on_hover_text("Pick the folder downloads go into (and the grid shows)");
                if choose.clicked() {
                    self.actions.push(Action::ChooseFolder);
                }
                let field = egui::TextEdit::singleline(&mut self.settings.folder)
                    .hint_text("a folder for the images")
                    .desired_width(ui.available_width());
                let edit = ui.add(field).labelled_by(label.id);
                if edit.lost_focus() {
                    self.actions.push(Action::FolderEdited);
                }
            });
        });
    }

    /// What floats over the window: the trash confirmation, the folder picker, settings.
    fn dialogs_ui(&mut self, ctx: &egui::Context) {
        if let Some(request) = &self.folder.confirm_trash
            && let Some(action) = browse::confirm_trash_ui(ctx, request)
        {
            self.actions.push(Action::Browse(action));
        }
        if let Some(action) = self.picker.as_ref().and_then(|picker| picker.ui(ctx)) {
            self.actions.push(Action::Picker(action));
        }
        if self.panels.settings {
            let demo = self.server.is_demo();
            let field = &mut self.credentials.field;
            if let Some(action) = settings::settings_window(ctx, &mut self.settings, field, demo) {
                self.actions.push(Action::Settings(action));
            }
        }
    }

    fn server_ui(&mut self, ui: &mut egui::Ui) {
        let idle = !self.run_state.is_busy();
        let Server::Demo(demo) = &self.server else {
            ui.label("Gallery server: Imgur");
            let folder = self.config.demo_folder.display();
            let hover = format!(
                "Downloads the built-in demo gallery (no account needed) into {folder}. \
                 \"Use Imgur instead\" brings your settings back."
            );
            if ui.add_enabled(idle, egui::Button::new("Try the demo gallery")).on_hover_text(hover).clicked() {
                self.actions.push(Action::TryDemo);
            }
            return;
        };
        let status = match &demo.server {
            DemoServerState::Ready(server) => {
                format!("Gallery server: the built-in demo gallery ({})", server.base_url())
            }
            DemoServerState::Failed(_) => "Gallery server: the demo gallery (it could not start)".to_owned(),
            DemoServerState::Starting(_) => "Gallery server: starting the demo gallery...".to_owned(),
        };
        ui.label(status);
        if ui.add_enabled(idle, egui::Link::new("Use Imgur instead")).clicked() {
            self.actions.push(Action::UseImgur);
        }
    }

    fn buttons_ui(&mut self, ui: &mut egui::Ui) {
        let busy = self.run_state.is_busy();
        ui.horizontal_wrapped(|ui| {
            let (hint, can_start) = match (self.queue.runnable().len(), self.queue.entries().len()) {
                (_, 0) => (
                    "Queue a source first: paste an Imgur link into the box at the top, or pick one of Galleries"
                        .to_owned(),
                    false,
                ),
                (0, _) => {
                    ("Download the queued sources again: what is in the folder already is skipped".to_owned(), true)
                }
                (1, _) => ("Download the queued source not yet done".to_owned(), true),
                (n, _) => (format!("Download the {n} queued sources not yet done, as one run"), true),
            };
            let start = ui
                .add_enabled(!busy && can_start, egui::Button::new("Start"))
                .on_disabled_hover_text(&hint)
                .on_hover_text(&hint);
            if start.clicked() {
                self.actions.push(Action::Start(StartKind::Run));
            }
            let cancel = ui.add_enabled(busy, egui::Button::new("Cancel"));
            if cancel.clicked() {
                self.actions.push(Action::Cancel);
            }
            let compare = ui.add_enabled(!busy && can_start, egui::Button::new("Compare 1/4/16/64")).on_hover_text(
                "Time the queue at 1, 4, 16 and 64 downloads at once, into scratch folders (your folder is left alone)",
            );
            if compare.clicked() {
                self.actions.push(Action::Start(StartKind::Compare));
            }
            // Focus moves once the button can take it (it was disabled when asked).
            match self.focus {
                Some(FocusTarget::Cancel) if busy => {
                    cancel.request_focus();
                    self.focus = None;
                }
                Some(FocusTarget::Start) if !busy => {
                    start.request_focus();
                    self.focus = None;
                }
                _ => {}
            }
        });
        match self.run_state {
            RunState::WaitingForDemo(_) => {
                ui.label("Starting the demo gallery; the run begins as soon as it is up.");
            }
            RunState::Launching(_) => {
                ui.label("Starting...");
            }
            _ => {}
        }
    }

    /// The bottom panel: the run's progress on one line when folded; with the runs table
    /// and the compare chart when open. Out of the grid's way either way.
    fn activity_panel_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let label = if self.panels.activity { "Hide activity" } else { "Show activity" };
            let toggle = ui.button(label).on_hover_text("Show or hide the runs table and the chart");
            if toggle.clicked() {
                self.actions.push(Action::ToggleActivity);
            }
            match (&self.progress, self.panels.activity) {
                // Open, the panel shows the whole progress below.
                (Some(_), true) => {}
                (Some(progress), false) => {
                    ui.label(progress.summary_line());
                }
                (None, _) => {
                    ui.label("Press Start to download the queue; thumbnails appear above as images land.");
                }
            }
        });
        if !self.panels.activity {
            return;
        }
        // The run on the left, the history (and the compare chart) on the right: both in
        // sight in a panel a fifth of the window high.
        ui.columns(2, |columns| {
            egui::ScrollArea::vertical().id_salt("activity-run").auto_shrink([false, false]).show(
                &mut columns[0],
                |ui| {
                    if let Some(progress) = &self.progress {
                        progress.ui(ui);
                    }
                },
            );
            egui::ScrollArea::vertical().id_salt("activity-runs").auto_shrink([false, false]).show(
                &mut columns[1],
                |ui| {
                    ui.strong(format!("Runs ({})", self.history.runs.len()));
                    if let Some(problem) = &self.history.problem {
                        problem.ui(ui);
                    }
                    if runs::runs_table_ui(ui, &self.history.runs, !self.run_state.is_busy()) {
                        self.actions.push(Action::ClearHistory);
                    }
                    ui.add_space(4.0);
                    self.comparison.ui(ui, self.run_state.is_comparing());
                },
            );
        });
    }

    /// The grid and its toolbar: all the room the panels leave.
    fn main_panel_ui(&mut self, ui: &mut egui::Ui) {
        self.destination_ui(ui);
        self.folder.grid.refresh_order();
        let grid = &self.folder.grid;
        let view = browse::ToolbarView {
            query: grid.query(),
            cell: grid.cell,
            shown: grid.len(),
            total: grid.total(),
            selected: grid.selection().len(),
            has_folder: self.folder.shown.is_some(),
        };
        if let Some(action) = browse::toolbar_ui(ui, &view) {
            self.actions.push(Action::Browse(action));
        }
        if let Some(action) = self.folder.reposts.bar_ui(ui, self.folder.shown.is_some()) {
            self.actions.push(Action::Reposts(action));
        }
        ui.horizontal_wrapped(|ui| {
            let folder = self.folder.shown.as_ref().map(|f| f.display().to_string()).unwrap_or_default();
            let videos = grid.videos();
            ui.label(browse::count_line(view.shown - videos, videos, view.total, view.selected, &folder));
            let new = grid.new_shown();
            if new > 0 {
                let text = egui::RichText::new(format!("{} new", grid::thousands(new as u64))).strong();
                ui.label(text).on_hover_text("Brought by a check of the followed sources since you last looked");
            }
            if let Some((made, total)) = self.folder.thumbnailing.filter(|(made, total)| made < total) {
                ui.weak(format!(
                    "· making thumbnails {} / {}",
                    grid::thousands(made as u64),
                    grid::thousands(total as u64)
                ));
            }
        });
        if let Some(status) = &self.folder.status {
            let can_undo = !self.folder.trashed.is_empty();
            if let Some(action) = browse::trashed_ui(ui, status, can_undo) {
                self.actions.push(Action::Browse(action));
            }
        }
        if self.folder.shown.is_some() && self.folder.grid.total() == 0 && self.folder.status.is_none() {
            ui.weak("No images here yet. Queue a source and press Start, or Preview it to pick what to download.");
        }
        if self.reposts_view_ui(ui) {
            return;
        }
        let output = self.folder.grid.ui(ui);
        if !output.wanted.is_empty() {
            self.actions.push(Action::Rethumbnail(output.wanted));
        }
        if let Some(action) = output.action {
            self.actions.push(Action::Grid(action));
        }
    }

    /// Keys for the grid when nothing else has the keyboard: Ctrl-A selects all, Delete
    /// asks to move the selection to the trash, Escape clears the selection, Home, End,
    /// Page Up and Page Down move the view.
    fn grid_keys_ui(&mut self, ctx: &egui::Context) {
        // Only a text field keeps these keys: a clicked tile has the keyboard focus too.
        let busy_elsewhere = self.folder.viewer.is_some()
            || self.folder.confirm_trash.is_some()
            || self.picker.is_some()
            || self.panels.view != View::Pictures
            || self.folder.reposts.is_showing()
            || ctx.text_edit_focused();
        if busy_elsewhere {
            return;
        }
        let (select_all, delete, escape, jump) = ctx.input(|input| {
            let jump = [
                (egui::Key::Home, grid::Jump::Start),
                (egui::Key::End, grid::Jump::End),
                (egui::Key::PageUp, grid::Jump::PageUp),
                (egui::Key::PageDown, grid::Jump::PageDown),
            ]
            .into_iter()
            .find_map(|(key, jump)| input.key_pressed(key).then_some(jump));
            (
                input.modifiers.command && input.key_pressed(egui::Key::A),
                input.key_pressed(egui::Key::Delete),
                input.key_pressed(egui::Key::Escape),
                jump,
            )
        });
        if let Some(jump) = jump {
            self.actions.push(Action::Grid(GridAction::Jump(jump)));
        }
        if select_all {
            self.actions.push(Action::Grid(GridAction::SelectAll));
        }
        if delete {
            self.actions.push(Action::Grid(GridAction::DeleteSelection));
        }
        if escape {
            self.actions.push(Action::Browse(BrowseAction::CancelTrash));
        }
    }

    /// Files dragged over the window: says what dropping does; files dropped and text
    /// pasted outside any field become actions (their links join the queue).
    fn drop_ui(&mut self, ctx: &egui::Context) {
        let (hovering, dropped, pasted) = ctx.input(|input| {
            let pasted: Vec<String> = input
                .events
                .iter()
                .filter_map(|event| match event {
                    egui::Event::Paste(text) => Some(text.clone()),
                    _ => None,
                })
                .collect();
            let dropped: Vec<PathBuf> = input.raw.dropped_files.iter().map(|file| file.path().to_owned()).collect();
            (!input.raw.hovered_files.is_empty(), dropped, pasted)
        });
        if hovering {
            let layer = egui::LayerId::new(egui::Order::Foreground, egui::Id::unique("drop-links"));
            let painter = ctx.layer_painter(layer);
            let rect = ctx.content_rect();
            painter.rect_filled(rect, 0.0, egui::Color32::from_black_alpha(180));
            painter.text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                "Drop a .txt file of Imgur links (one a line) to queue them",
                egui::FontId::proportional(22.0),
                egui::Color32::WHITE,
            );
        }
        if !dropped.is_empty() {
            self.actions.push(Action::Dropped(dropped));
        }
        // Paste into a field belongs to the field.
        if !ctx.egui_wants_keyboard_input() {
            self.actions.extend(pasted.into_iter().map(Action::PastedLinks));
        }
    }

    /// Draws the viewer if it is open; returns whether it is. The grid's order may have
    /// changed under it (a sort, a deletion): it follows its image, or takes the one now
    /// in its place.
    fn viewer_ui(&mut self, ui: &mut egui::Ui) -> bool {
        let Some(viewer) = &mut self.folder.viewer else { return false };
        let grid = &self.folder.grid;
        if grid.path(viewer.index()) != Some(viewer.path()) {
            let moved = (0..grid.len()).find(|&index| grid.path(index) == Some(viewer.path()));
            match moved.or_else(|| grid.len().checked_sub(1).map(|last| viewer.index().min(last))) {
                Some(index) => self.actions.push(Action::OpenViewer(index)),
                None => self.actions.push(Action::Viewer(ViewerAction::Close)),
            }
        }
        if let Some(paths) = viewer.requests(grid) {
            self.engine.send(Command::View { paths, max_side: viewer::decode_side(ui.ctx()) });
        }
        if let Some(action) = viewer.ui(ui, grid) {
            self.actions.push(Action::Viewer(action));
        }
        true
    }

    // ---- applying actions (after drawing) ----

    fn apply(&mut self, ctx: &egui::Context, action: Action) {
        match action {
            Action::Start(kind) => self.start(ctx, kind),
            Action::Cancel => self.cancel(),
            Action::TryDemo => {
                self.enter_demo(ctx);
                self.start(ctx, StartKind::Run);
            }
            Action::UseImgur => self.use_imgur(),
            Action::ChooseFolder => match self.engine.runtime() {
                Some(runtime) => {
                    self.desktop.choose_folder(runtime, ctx, PathBuf::from(self.settings.folder.trim()));
                }
                None => self.notice = Some(Notice::error("The folder dialog cannot open: the engine has stopped.", "")),
            },
            Action::FolderEdited => {
                let folder = PathBuf::from(self.settings.folder.trim());
                if !folder.as_os_str().is_empty() {
                    self.change_folder(folder);
                }
            }
            Action::UseFolder(folder) => self.change_folder(folder),
            Action::Picker(action) => self.picker_action(ctx, action),
            Action::Sources(action) => self.sources_action(action),
            Action::ToggleSettings => self.panels.settings = !self.panels.settings,
            Action::Settings(SettingsAction::Close) => {
                self.panels.settings = false;
                if !self.server.is_demo() {
                    self.save_client_id_in_background();
                }
            }
            Action::Settings(SettingsAction::ClearThumbnails) => self.engine.send(Command::ClearThumbnails),
            Action::ShowView(view) => {
                self.panels.view = view;
                self.mark_new_pictures();
            }
            Action::Preview(action) => self.preview_action(ctx, action),
            Action::ClearHistory => {
                if let Some(archive) = &self.config.archive {
                    self.engine.send(Command::ClearRuns(archive.clone()));
                }
            }
            Action::Rethumbnail(paths) => self.engine.send(Command::Want(paths)),
            Action::OpenViewer(index) => self.open_viewer(ctx, index),
            Action::Viewer(action) => self.viewer_action(ctx, action),
            Action::Grid(action) => self.grid_action(ctx, action),
            Action::Browse(action) => self.browse_action(ctx, action),
            Action::ToggleActivity => self.panels.activity = !self.panels.activity,
            Action::Queue(action) => self.queue_action(ctx, action),
            Action::Dropped(paths) => self.dropped(paths),
            Action::PastedLinks(text) => {
                self.queue.add_list("the pasted text", engine::link_lines(&text));
            }
            Action::Reposts(action) => self.reposts_action(action),
            Action::Following(action) => self.following_action(action),
        }
    }

    fn queue_action(&mut self, ctx: &egui::Context, action: QueueAction) {
        match action {
            QueueAction::AddTyped => self.queue.add_typed(),
            QueueAction::MoveUp(id) => self.queue.move_by(id, true),
            QueueAction::MoveDown(id) => self.queue.move_by(id, false),
            QueueAction::Remove(id) => self.queue.remove(id),
            QueueAction::ClearDone => self.queue.clear_done(),
            QueueAction::Pause => {
                if self.queue.pause() {
                    self.cancel();
                }
            }
            QueueAction::Resume => self.start(ctx, StartKind::Run),
            QueueAction::SetOptions { id, pages, limit } => self.queue.set_options(id, pages, limit),
            QueueAction::Preview(id) => self.start_preview(Some(id)),
            QueueAction::PreviewAll => self.start_preview(None),
            QueueAction::Follow(id) => {
                if let Some(entry) = self.queue.entries().iter().find(|entry| entry.id == id) {
                    let text = entry.source.to_string();
                    self.follow_text(&text);
                }
            }
        }
    }

    fn sources_action(&mut self, action: SourcesAction) {
        match action {
            SourcesAction::AddTyped => self.queue.add_typed(),
            SourcesAction::OpenForm(kind) => self.form = Some(GalleryForm::new(kind)),
            SourcesAction::CloseForm => self.form = None,
            SourcesAction::FollowForm => {
                let Some(form) = &mut self.form else { return };
                match form.short_form() {
                    Ok(text) => {
                        self.follow_text(&text);
                        self.form = None;
                    }
                    Err(problem) => form.problem = Some(problem),
                }
            }
            SourcesAction::AddForm => {
                let Some(form) = &mut self.form else { return };
                match form.short_form() {
                    Ok(text) => {
                        self.queue.add_list("the Galleries menu", vec![text]);
                        self.form = None;
                    }
                    Err(problem) => form.problem = Some(problem),
                }
            }
        }
    }

    /// Lists the queued source `scope` (every queued source: `None`) and shows its
    /// pictures to pick from; a preview going is replaced.
    fn start_preview(&mut self, scope: Option<EntryId>) {
        let api_base = match self.server_url() {
            Ok(url) => url,
            Err(NoServer::Starting) => {
                self.notice =
                    Some(Notice::info("The demo gallery is still starting: press Preview again in a moment."));
                return;
            }
            Err(NoServer::Failed(notice)) => {
                self.notice = Some(notice);
                return;
            }
        };
        let entries: Vec<&QueuedSource> = match scope {
            Some(id) => self.queue.entry(id).into_iter().collect(),
            None => self.queue.entries().iter().collect(),
        };
        let label = match entries.as_slice() {
            [] => {
                self.notice = Some(Notice::error("Nothing is queued to preview: add a source at the top first.", ""));
                return;
            }
            [one] => one.text.clone(),
            many => format!("{} sources", many.len()),
        };
        let job = match self.job(&api_base, &entries) {
            Ok(job) => job,
            Err(message) => {
                self.notice = Some(Notice::error(message, ""));
                return;
            }
        };
        self.notice = None;
        self.latest_preview += 1;
        let preview = Preview::new(self.latest_preview, label);
        self.previewing = Some(Previewing { preview, scope });
        self.panels.view = View::Preview;
        self.engine.send(Command::Preview { preview: self.latest_preview, job });
    }

    fn preview_action(&mut self, ctx: &egui::Context, action: PreviewAction) {
        let Some(previewing) = &mut self.previewing else { return };
        match action {
            PreviewAction::Close => {
                self.previewing = None;
                self.panels.view = View::Pictures;
                self.engine.send(Command::CancelPreview);
            }
            PreviewAction::DownloadSelected => self.download_selected(ctx),
            other => previewing.preview.apply(&other),
        }
    }

    /// Runs the normal engine on exactly the pictures selected in the preview, into the
    /// folder (the grid shows them land).
    fn download_selected(&mut self, ctx: &egui::Context) {
        if self.run_state.is_busy() {
            self.notice = Some(Notice::error(
                "A run is going: wait for it to end (or Cancel it), then download the selection.",
                "",
            ));
            return;
        }
        let Some(previewing) = &self.previewing else { return };
        let items = previewing.preview.selected_items();
        if items.is_empty() {
            return;
        }
        let input = JobInput::Items { label: previewing.preview.label.clone(), items };
        let job = match self.job_of(vec![input], Vec::new()) {
            Ok(job) => job,
            Err(message) => {
                self.notice = Some(Notice::error(message, ""));
                return;
            }
        };
        self.notice = None;
        self.progress = None;
        self.show_folder(job.out_dir.clone());
        self.engine.send(Command::Start(job));
        self.run_state = RunState::Launching(StartKind::Run);
        self.focus = Some(FocusTarget::Cancel);
        self.panels.view = View::Pictures;
        ctx.request_repaint();
    }

    /// Downloads go to `folder` now, and the grid shows it (one folder at a time); it
    /// heads the Recent menu. An open preview is listed again, to mark what this folder
    /// holds.
    fn change_folder(&mut self, folder: PathBuf) {
        self.settings.use_folder(&folder);
        self.notice = None;
        let changed = self.folder.shown.as_ref() != Some(&folder);
        self.show_folder(folder);
        if changed && let Some(scope) = self.previewing.as_ref().map(|previewing| previewing.scope) {
            self.start_preview(scope);
        }
    }

    fn picker_action(&mut self, ctx: &egui::Context, action: picker::PickerAction) {
        match action {
            picker::PickerAction::Open(folder) => self.open_picker(ctx, folder),
            picker::PickerAction::Choose(folder) => {
                self.picker = None;
                self.change_folder(folder);
            }
            picker::PickerAction::Cancel => self.picker = None,
        }
    }

    /// Shows `folder` in galley's own picker and asks for its subfolders (read off the UI
    /// thread).
    fn open_picker(&mut self, ctx: &egui::Context, folder: PathBuf) {
        match self.engine.runtime() {
            Some(runtime) => {
                self.desktop.list_subfolders(runtime, ctx, folder.clone());
                self.picker = Some(picker::FolderPicker::new(folder));
            }
            None => self.notice = Some(Notice::error("No folder can be chosen: the engine has stopped.", "")),
        }
    }

    /// Lists of links dropped on the window are read by the engine (off this thread);
    /// anything else is refused by its name alone, without touching the disk.
    fn dropped(&mut self, paths: Vec<PathBuf>) {
        for path in paths {
            let is_list = path.extension().is_some_and(|extension| extension.eq_ignore_ascii_case("txt"));
            let name = crate::library::names::shown_file_name(&path);
            if is_list {
                self.queue.say(Notice::info(format!("Reading the links in {name}...")));
                self.engine.send(Command::ReadLinks(path));
            } else {
                let text = format!(
                    "{name} was not queued: drop a .txt file with one Imgur link per line, or paste links into the sources box."
                );
                self.queue.say(Notice::error(text, ""));
            }
        }
    }

    /// The queue the last session saved goes to the user's own queue (the demo's is
    /// on show with `--demo`).
    pub fn restore_queue(&mut self, saved: Vec<SavedSource>) {
        let restored = Queue::restored(saved);
        match &mut self.server {
            Server::Demo(demo) => demo.user_queue = restored,
            Server::Imgur => self.queue = restored,
        }
    }

    fn grid_action(&mut self, ctx: &egui::Context, action: GridAction) {
        let grid = &mut self.folder.grid;
        match action {
            GridAction::Open(position) => {
                let video = grid.entry(position).filter(|entry| entry.kind.is_video()).map(|entry| entry.path.clone());
                match (video, self.engine.runtime().cloned()) {
                    // galley plays no video: the desktop's player does.
                    (Some(path), Some(runtime)) => self.desktop.open(&runtime, ctx, path.clone(), path),
                    (Some(_), None) => {
                        self.folder.status = Some(Notice::error("The engine has stopped: restart galley.", ""));
                    }
                    (None, _) => self.open_viewer(ctx, position),
                }
            }
            GridAction::Click { position, toggle, range } => grid.click(position, toggle, range),
            GridAction::SelectAll => grid.select_all(),
            GridAction::DeleteSelection => self.ask_trash(),
            GridAction::Jump(jump) => grid.jump(jump),
        }
    }

    fn browse_action(&mut self, ctx: &egui::Context, action: BrowseAction) {
        match action {
            BrowseAction::Query(query) => {
                let order = query.sort_order();
                let reordered = order != self.folder.grid.query().sort_order();
                self.folder.grid.set_query(query);
                // The background makes the folder's thumbnails in the order now shown.
                if reordered && self.folder.shown.is_some() {
                    self.engine.send(Command::Reorder(order));
                }
            }
            BrowseAction::CellSize(cell) => {
                self.folder.grid.cell = cell.clamp(*grid::CELL_RANGE.start(), *grid::CELL_RANGE.end());
            }
            BrowseAction::OpenFolder => {
                if let (Some(folder), Some(runtime)) = (self.folder.shown.clone(), self.engine.runtime().cloned()) {
                    self.desktop.open(&runtime, ctx, folder.clone(), folder);
                }
            }
            BrowseAction::AskTrash => self.ask_trash(),
            BrowseAction::ConfirmTrash => {
                if let Some(request) = self.folder.confirm_trash.take() {
                    self.folder.status =
                        Some(Notice::info(format!("Moving {} to the trash...", files(request.paths.len()))));
                    self.engine.send(Command::Trash(request.paths));
                }
            }
            BrowseAction::CancelTrash => {
                if self.folder.confirm_trash.take().is_none() {
                    self.folder.grid.clear_selection();
                }
            }
            BrowseAction::UndoTrash => {
                let paths = std::mem::take(&mut self.folder.trashed);
                if !paths.is_empty() {
                    self.folder.status = Some(Notice::info(format!("Bringing back {}...", files(paths.len()))));
                    self.engine.send(Command::Restore(paths));
                }
            }
        }
    }

    /// Opens the confirmation for the selected files (nothing happens without a selection).
    fn ask_trash(&mut self) {
        let paths = self.folder.grid.selection();
        if !paths.is_empty() {
            self.folder.confirm_trash = Some(TrashRequest { paths });
        }
    }

    /// Where runs go now: the API root, or why there is none yet.
    fn server_url(&self) -> Result<url::Url, NoServer> {
        match &self.server {
            Server::Imgur => url::Url::parse(IMGUR_API_BASE).map_err(|error| {
                NoServer::Failed(Notice::error("galley's Imgur address is broken (a bug).", error.to_string()))
            }),
            Server::Demo(demo) => match &demo.server {
                DemoServerState::Ready(server) => Ok(server.base_url()),
                DemoServerState::Failed(reason) => Err(NoServer::Failed(demo_failed(reason))),
                DemoServerState::Starting(_) => Err(NoServer::Starting),
            },
        }
    }

    /// Starts a run of the queue (or a compare series of it); waits for the demo server
    /// first when it is the one to use and is not up yet.
    fn start(&mut self, ctx: &egui::Context, kind: StartKind) {
        if self.run_state.is_busy() {
            return;
        }
        self.notice = None;
        let api_base = match self.server_url() {
            Ok(url) => url,
            Err(NoServer::Failed(notice)) => {
                self.notice = Some(notice);
                return;
            }
            Err(NoServer::Starting) => {
                self.run_state = RunState::WaitingForDemo(kind);
                self.focus = Some(FocusTarget::Cancel);
                ctx.request_repaint();
                return;
            }
        };
        // Start runs the sources not yet done (all of them again when every one is done);
        // a compare series times the whole queue.
        let runnable = self.queue.runnable();
        let entries: Vec<&QueuedSource> = match kind {
            StartKind::Run if !runnable.is_empty() => runnable,
            StartKind::Run | StartKind::Compare => self.queue.entries().iter().collect(),
        };
        if entries.is_empty() {
            self.notice = Some(Notice::error(
                "Nothing is queued: paste an Imgur link into the box at the top, or pick one of Galleries.",
                "",
            ));
            return;
        }
        let ids: Vec<EntryId> = entries.iter().map(|entry| entry.id).collect();
        let job = match self.job(&api_base, &entries) {
            Ok(job) => job,
            Err(message) => {
                self.notice = Some(Notice::error(message, ""));
                return;
            }
        };
        if !self.server.is_demo() {
            self.save_client_id_in_background();
        }
        self.progress = None;
        match kind {
            StartKind::Run => {
                self.show_folder(job.out_dir.clone());
                self.engine.send(Command::Start(job));
                self.queue.started(ids);
            }
            StartKind::Compare => {
                self.comparison = Comparison::default();
                self.engine.send(Command::Compare { job, levels: COMPARE_LEVELS.to_vec() });
            }
        }
        self.run_state = RunState::Launching(kind);
        self.focus = Some(FocusTarget::Cancel);
    }

    fn cancel(&mut self) {
        match self.run_state {
            RunState::Idle => {}
            // Nothing was sent yet: there is nothing for the engine to stop.
            RunState::WaitingForDemo(_) => {
                self.run_state = RunState::Idle;
                self.queue.not_started();
                self.focus = Some(FocusTarget::Start);
            }
            // The run's `Finished` (or the series' `CompareDone`) brings the state back to idle.
            RunState::Launching(_) | RunState::Running(_) | RunState::Comparing => self.engine.send(Command::Cancel),
        }
    }

    /// The job of these queued sources, each with its own pages and limit, with the
    /// settings' folder and choices, or why there is none (in the window's words). A
    /// query: it saves nothing and sends nothing.
    fn job(&self, api_base: &url::Url, entries: &[&QueuedSource]) -> Result<Job, String> {
        let demo = self.server.is_demo();
        let client_id = match self.credentials.field.text.trim() {
            "" if demo => DEMO_CLIENT_ID.to_owned(),
            "" => {
                return Err(
                    "Enter a Client-ID in Settings (register an application at api.imgur.com/oauth2/addclient), or try the demo gallery.".to_owned()
                );
            }
            id => id.to_owned(),
        };
        let client_id = ClientId::new(client_id);
        // The demo serves its whole gallery; Imgur is listed page by page as asked.
        let input = |entry: &&QueuedSource| JobInput::Imgur {
            api_base: api_base.clone(),
            client_id: client_id.clone(),
            source: entry.source.clone(),
            pages: (!demo).then_some(entry.pages),
        };
        let limits = entries.iter().map(|entry| entry.own_limit()).collect();
        self.job_of(entries.iter().map(input).collect(), limits)
    }

    /// A job of `inputs` (each capped by its `limits`) into the download folder, with the
    /// settings' choices.
    fn job_of(&self, inputs: Vec<JobInput>, limits: Vec<Option<usize>>) -> Result<Job, String> {
        let folder = PathBuf::from(self.settings.folder.trim());
        if folder.as_os_str().is_empty() {
            return Err("Choose a folder to save the images in (Saving to, above the pictures).".to_owned());
        }
        let mut job = Job::queue(inputs, folder);
        job.source_limits = limits;
        job.concurrency = self.settings.concurrency;
        job.moving = self.settings.moving_pictures();
        job.naming = self.settings.name_template()?;
        job.album_folders = self.settings.album_folders;
        job.archive = self.config.archive.clone();
        if self.server.is_demo() {
            job.origin = RunOrigin::Demo;
        }
        Ok(job)
    }

    /// Runs go to the demo gallery, with the demo's own settings (its gallery, its
    /// folder); the user's settings wait for "Use Imgur instead".
    fn enter_demo(&mut self, ctx: &egui::Context) {
        if self.server.is_demo() {
            return;
        }
        let ready = self.show_demo();
        self.spawn_demo_server(ctx, ready);
        self.show_folder(self.config.demo_folder.clone());
    }

    /// Puts the demo's settings on show, its server "starting"; returns where the server
    /// that [`Self::spawn_demo_server`] starts is to be sent.
    fn show_demo(&mut self) -> DemoServerReady {
        let demo_settings = Settings { theme: self.settings.theme, ..Settings::demo(&self.config.demo_folder) };
        let user_settings = std::mem::replace(&mut self.settings, demo_settings);
        // The demo's queue holds its gallery, ready to Start or Preview.
        let user_queue = std::mem::take(&mut self.queue);
        self.queue.add_lines([Source::default().to_string()]);
        let (ready_tx, ready_rx) = std_mpsc::channel();
        let server = DemoServerState::Starting(ready_rx);
        self.server = Server::Demo(Box::new(Demo { server, user_settings, user_queue }));
        self.notice = None;
        ready_tx
    }

    fn use_imgur(&mut self) {
        if let Server::Demo(demo) = std::mem::replace(&mut self.server, Server::Imgur) {
            self.settings = demo.user_settings;
            self.queue = demo.user_queue;
        }
        if self.credentials.field.text.trim().is_empty() {
            self.credentials.field.text = self.credentials.saved.clone();
        }
        self.notice = None;
        self.show_folder(PathBuf::from(self.settings.folder.trim()));
    }

    fn spawn_demo_server(&self, ctx: &egui::Context, ready: DemoServerReady) {
        let Some(runtime) = self.engine.runtime() else {
            // Read by the next frame's poll, which shows the failure.
            let _ = ready.send(Err("the engine has stopped".to_owned()));
            return;
        };
        let (config, ctx) = (self.config.demo.clone(), ctx.clone());
        runtime.spawn(async move {
            let started = DemoServer::start(config, 0).await.map_err(|error| error.to_string());
            if ready.send(started).is_ok() {
                ctx.request_repaint();
            }
        });
    }

    fn demo_answered(&mut self, ctx: &egui::Context, answer: Result<(), String>) {
        let RunState::WaitingForDemo(kind) = self.run_state else {
            if let Err(reason) = answer {
                self.notice = Some(demo_failed(&reason));
            }
            return;
        };
        self.run_state = RunState::Idle;
        match answer {
            Ok(()) => self.start(ctx, kind),
            Err(reason) => self.notice = Some(demo_failed(&reason)),
        }
    }

    /// Asks the engine for `folder`'s listing and thumbnails, made in the grid's order.
    fn open_folder(&self, folder: PathBuf) {
        let order = self.folder.grid.query().sort_order();
        self.engine.send(Command::OpenFolder { folder, order });
    }

    /// Shows the images already in `folder` (no download), if it is not the one shown.
    fn show_folder(&mut self, folder: PathBuf) {
        if folder.as_os_str().is_empty() || self.folder.shown.as_ref() == Some(&folder) {
            return;
        }
        let grid = self.folder.grid.emptied();
        let old = std::mem::replace(
            &mut self.folder,
            FolderView { shown: Some(folder.clone()), grid, ..FolderView::default() },
        );
        // A grid of 50,000 files takes a frame's time to free.
        grid::drop_elsewhere(old.grid);
        self.open_folder(folder);
        self.mark_new_pictures();
    }

    /// Opens the viewer on the tile at `index` (or moves the open one there); the grid
    /// scrolls to that tile and highlights it.
    fn open_viewer(&mut self, ctx: &egui::Context, index: usize) {
        let Some(path) = self.folder.grid.path(index).map(Path::to_owned) else { return };
        match &mut self.folder.viewer {
            Some(viewer) => viewer.show(index, path),
            None => {
                // Nothing under the viewer keeps the keyboard (a focused tile would take
                // Space as a click).
                ctx.memory_mut(|memory| memory.stop_text_input());
                if let Some(focused) = ctx.memory(|memory| memory.focused()) {
                    ctx.memory_mut(|memory| memory.surrender_focus(focused));
                }
                self.folder.viewer = Some(Viewer::new(index, path));
            }
        }
        self.folder.grid.reveal(index);
        ctx.request_repaint();
    }

    fn viewer_action(&mut self, ctx: &egui::Context, action: ViewerAction) {
        let Some(viewer) = &mut self.folder.viewer else { return };
        let path = viewer.path().to_owned();
        let runtime = self.engine.runtime().cloned();
        match (action, runtime) {
            (ViewerAction::Close, _) => {
                viewer.leave_fullscreen(ctx);
                self.folder.viewer = None;
            }
            (ViewerAction::Show(index), _) => self.open_viewer(ctx, index),
            (ViewerAction::OpenFile, Some(runtime)) => self.desktop.open(&runtime, ctx, path.clone(), path),
            (ViewerAction::RevealFolder, Some(runtime)) => {
                let folder = path.parent().map(Path::to_owned).unwrap_or_else(|| path.clone());
                self.desktop.open(&runtime, ctx, path, folder);
            }
            (ViewerAction::CopyPath, Some(runtime)) => self.desktop.copy_path(&runtime, ctx, path),
            (_, None) => viewer.answered(&path, Err("The engine has stopped: restart galley.".to_owned())),
        }
    }

    fn desktop_answered(&mut self, ctx: &egui::Context, answer: DesktopAnswer) {
        match answer {
            DesktopAnswer::FolderChosen(folder) => self.change_folder(folder),
            // No system dialog here: galley's own picker, which always works.
            DesktopAnswer::NoDialog { start_in } => self.open_picker(ctx, start_in),
            DesktopAnswer::Subfolders { folder, result } => {
                if let Some(picker) = &mut self.picker {
                    picker.listed(&folder, result);
                }
            }
            DesktopAnswer::NoFolderChosen(message) => self.notice = Some(Notice::error(message, "")),
            DesktopAnswer::PreviewAction { path, result } => match &mut self.folder.viewer {
                Some(viewer) => viewer.answered(&path, result),
                // Opened from the grid (a video, or the folder): the line above the grid says.
                None => {
                    self.folder.status = Some(match result {
                        Ok(done) => Notice::info(done),
                        Err(failed) => Notice::error(failed, ""),
                    });
                }
            },
        }
    }

    // ---- engine events ----

    fn drain_events(&mut self, ctx: &egui::Context) {
        for _ in 0..EVENTS_PER_FRAME {
            let Ok(event) = self.events.try_recv() else { break };
            self.apply_event(ctx, event);
        }
    }

    fn apply_event(&mut self, ctx: &egui::Context, event: Event) {
        if let Some(run) = event.run().filter(|run| *run != crate::engine::scan::SCAN_RUN) {
            if run < self.latest_run {
                return; // a run that was replaced: its stragglers are not shown
            }
            if run > self.latest_run {
                self.latest_run = run;
                self.run_state = self.run_state.run_began(run);
                self.queue.run_began(run);
                self.progress = Some(RunProgress::new(run));
            }
        }
        if let Some(progress) = &mut self.progress
            && event.run() == Some(progress.run)
        {
            progress.apply(&event);
        }
        // A picture saved is in the folder now: the preview marks it.
        if let (Event::Saved { id, .. }, Some(previewing)) = (&event, &mut self.previewing) {
            previewing.preview.saved(id);
        }
        if let Event::Thumbnail { thumbnail, .. } = &event {
            self.reposts_thumbnail(thumbnail);
        }
        match event {
            // A run's thumbnail may bring a new file; the library's only pictures for files
            // the grid has (one that came late for a file moved to the trash is dropped).
            Event::Thumbnail { run, thumbnail } if self.shows(run, &thumbnail.path) => match run {
                crate::engine::scan::SCAN_RUN => self.folder.grid.update(thumbnail),
                _ => {
                    self.folder.grid.insert(thumbnail);
                    self.folder.exists_now();
                }
            },
            Event::Video { run, path, bytes } if self.shows(run, &path) => {
                self.folder.grid.insert_video(&path, bytes);
                self.folder.exists_now();
            }
            Event::Source { run, index, report } => self.queue.reported(run, index, &report),
            Event::Finished { run, report } => {
                self.run_state = self.run_state.run_finished(run);
                if self.queue.finished(run, &report) {
                    self.actions.push(Action::Start(StartKind::Run));
                }
                if let Some(progress) = self.progress.as_mut().filter(|progress| progress.run == run) {
                    progress.paused = self.queue.state() == &QueueState::Paused;
                }
                self.after_runs_changed();
                // The run's files are in the grid already; listing the folder again brings
                // what the archive knows of them (titles, tags) and keeps the index current.
                if let Some(folder) = self.folder.shown.clone().filter(|_| !self.run_state.is_comparing()) {
                    self.open_folder(folder);
                }
            }
            Event::CompareStep { concurrency, seconds, saved } => {
                self.comparison.steps.push((concurrency, seconds, saved));
            }
            Event::CompareDone => {
                self.run_state = self.run_state.compare_done();
                self.after_runs_changed();
            }
            Event::Runs(Ok(runs)) => {
                self.history = History { runs, problem: None };
            }
            Event::Runs(Err(reason)) => {
                let problem = Notice::error("The run history could not be read or cleared.", reason);
                self.history.problem = Some(problem);
            }
            Event::View { path, result } => {
                if let Some(viewer) = &mut self.folder.viewer {
                    viewer.loaded(ctx, &path, result);
                }
            }
            Event::LinkList { path, result } => {
                let name = crate::library::names::shown_file_name(&path);
                match result {
                    Ok(links) => self.queue.add_list(&name, links),
                    Err(reason) => {
                        let text = format!(
                            "The links in {name} could not be read: nothing was queued. Check the file and drop it again."
                        );
                        self.queue.say(Notice::error(text, reason));
                    }
                }
            }
            Event::ThumbnailFailed { path, reason } => {
                tracing::debug!("no thumbnail for {}: {reason}", path.display());
            }
            Event::PreviewListed { preview, file, item } => {
                if let Some(previewing) = self.previewing.as_mut().filter(|shown| shown.preview.id == preview) {
                    previewing.preview.listed(file, *item);
                }
            }
            Event::PreviewThumbnail { preview, id, result } => {
                if let Some(previewing) = self.previewing.as_mut().filter(|shown| shown.preview.id == preview) {
                    previewing.preview.picture(&id, result);
                }
            }
            Event::PreviewDone { preview, report } => {
                if let Some(previewing) = self.previewing.as_mut().filter(|shown| shown.preview.id == preview) {
                    previewing.preview.done(&report);
                }
            }
            other => self.apply_library_event(other),
        }
    }

    /// Folds what the library says of the folder on show (its listing, the trash, the
    /// cache, changes made by other programs).
    fn apply_library_event(&mut self, event: Event) {
        match event {
            Event::Folder { folder, listing, complete } if self.folder.shown.as_ref() == Some(&folder) => {
                self.folder.grid.set_listing(listing, complete);
                // A folder that could not be listed (not made yet) can be now. Only that
                // status goes: what the trash or Undo said stays until the next action.
                if std::mem::take(&mut self.folder.listing_failed) {
                    self.folder.status = None;
                    self.folder.missing = false;
                }
            }
            Event::FolderFailed { folder, reason, missing } if self.folder.shown.as_ref() == Some(&folder) => {
                // A folder that was shown and is gone was deleted or moved while open: its
                // tiles go. One not made yet is what a first run expects, not an error.
                let gone = missing && self.folder.grid.total() > 0;
                if gone {
                    let emptied = self.folder.grid.emptied();
                    grid::drop_elsewhere(std::mem::replace(&mut self.folder.grid, emptied));
                }
                self.folder.status = Some(match missing {
                    true if gone => Notice::error(
                        "This folder is gone: it was deleted or moved while galley showed it. Choose another folder, or download into it to make it again.",
                        reason,
                    ),
                    true => Notice::info("This folder does not exist yet: it is made when the first image is saved."),
                    false => Notice::error(
                        "This folder cannot be listed: check that it exists and that you may read it.",
                        reason,
                    ),
                });
                self.folder.missing = missing;
                self.folder.listing_failed = true;
            }
            Event::Measured { folder, sizes } if self.folder.shown.as_ref() == Some(&folder) => {
                self.folder.grid.measured(&sizes);
            }
            Event::LibraryProgress { folder, made, total } if self.folder.shown.as_ref() == Some(&folder) => {
                self.folder.thumbnailing = Some((made, total));
            }
            Event::Trashed { paths, result } => match result {
                Ok(()) => {
                    self.folder.grid.remove(&paths);
                    self.reposts_trashed(&paths);
                    self.folder.status = Some(Notice::info(format!("Moved {} to the trash.", files(paths.len()))));
                    self.folder.trashed = paths;
                }
                Err(reason) => {
                    let text =
                        "Nothing was moved to the trash: galley could not reach it. The files are where they were.";
                    self.folder.status = Some(Notice::error(text, reason));
                }
            },
            Event::Restored { paths, result } => {
                self.folder.status = Some(match result {
                    Ok(taken) if taken.is_empty() => Notice::info(format!("Brought back {}.", files(paths.len()))),
                    Ok(taken) => {
                        let names: Vec<String> =
                            taken.iter().map(|path| crate::library::names::shown_file_name(path)).collect();
                        Notice::error(
                            format!(
                                "Brought back {}; {} not: a new file has that name in the folder now, so the old one is still in the trash.",
                                files(paths.len()),
                                names.join(", ")
                            ),
                            "",
                        )
                    }
                    Err(reason) => {
                        Notice::error("Some files could not be brought back: look for them in the trash.", reason)
                    }
                });
                if let Some(folder) = self.folder.shown.clone() {
                    self.open_folder(folder);
                }
                self.reposts_restored();
            }
            Event::ThumbnailsCleared(result) => {
                self.notice = Some(match result {
                    Ok(removed) => {
                        Notice::info(format!("Removed {} thumbnails galley made.", grid::thousands(removed as u64)))
                    }
                    Err(reason) => Notice::error("The thumbnail cache could not be cleared.", reason),
                });
            }
            Event::FolderChanged { folder } if self.folder.shown.as_ref() == Some(&folder) => {
                // A run saving here shows its files as they land and lists the folder when
                // it ends; otherwise another program changed it: list it again.
                let saving_here = self.run_state.is_busy() && !self.run_state.is_comparing();
                if !saving_here {
                    self.open_folder(folder);
                }
            }
            Event::IndexRebuilt { moved_to } => {
                self.notice = Some(Notice::error(
                    "The library's index was damaged, so galley started a new one: folders are listed and thumbnails made again as you open them.",
                    format!("the damaged index was moved to {}", moved_to.display()),
                ));
            }
            event @ (Event::RepostsProgress { .. } | Event::Reposts { .. }) => self.reposts_event(event),
            event @ (Event::Follows(_) | Event::FollowsChecked { .. }) => self.following_event(event),
            _ => {}
        }
    }

    /// After a run or a series ended: the history has a new row, and the keyboard goes
    /// back to Start once nothing runs.
    fn after_runs_changed(&mut self) {
        if let Some(archive) = &self.config.archive {
            self.engine.send(Command::LoadRuns(archive.clone()));
        }
        if !self.run_state.is_busy() {
            self.focus = Some(FocusTarget::Start);
        }
    }

    /// Whether a file of run `run` belongs in the grid: only the shown folder's files,
    /// and none of a compare series (those go to scratch folders). Paths are compared as
    /// given (the engine joins names onto the folder it was handed), so no disk access
    /// happens here on the UI thread.
    fn shows(&self, run: RunId, path: &Path) -> bool {
        let in_shown_folder = path.parent() == self.folder.shown.as_deref();
        in_shown_folder && (run == crate::engine::scan::SCAN_RUN || !self.run_state.is_comparing())
    }

    // ---- the Client-ID ----

    /// Saves the Client-ID on the engine's blocking pool, so a slow disk never holds a frame.
    fn save_client_id_in_background(&self) {
        let Some(runtime) = self.engine.runtime() else { return };
        let (store, client_id) = (self.credentials.store.clone(), self.credentials.field.text.clone());
        runtime.spawn_blocking(move || {
            if let Err(error) = store.save(&client_id) {
                tracing::warn!("cannot save the Client-ID: {error}");
            }
        });
    }

    /// The settings worth keeping: the user's own, never the demo's.
    fn settings_to_save(&self) -> &Settings {
        match &self.server {
            Server::Demo(demo) => &demo.user_settings,
            Server::Imgur => &self.settings,
        }
    }

    /// The queue worth keeping: the user's own, never the demo's.
    fn queue_to_save(&self) -> &Queue {
        match &self.server {
            Server::Demo(demo) => &demo.user_queue,
            Server::Imgur => &self.queue,
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

impl eframe::App for GalleyApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.ui_contents(ui);
    }

    /// Called by eframe outside drawing (on exit and every 30 s).
    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        persistence::save_settings(storage, self.settings_to_save());
        persistence::save_queue(storage, &self.queue_to_save().saved());
        let client_id = self.credentials.field.text.trim();
        if !self.server.is_demo()
            && !client_id.is_empty()
            && let Err(error) = self.credentials.store.save(client_id)
        {
            tracing::warn!("cannot save the Client-ID: {error}");
        }
    }
}
