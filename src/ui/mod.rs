//! The desktop app: an egui window over the engine. It holds no HTTP, disk or decoding code:
//! clicks become engine [`Command`]s, and each frame folds the engine's [`Event`]s (read
//! without waiting) into what is drawn. The engine wakes the window with
//! `request_repaint()` when it has something new.

mod grid;
mod icon;
mod persistence;
mod preview;
mod progress;
mod runs;
mod settings;
mod startup;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc as std_mpsc;

use anyhow::Context as _;
use tokio::sync::mpsc::Receiver;

pub use grid::{GridAction, MAX_PENDING, TEXTURE_BUDGET, ThumbnailGrid, UPLOADS_PER_FRAME};
pub use persistence::{SecretStore, load_settings, save_settings};
pub use progress::RunProgress;
pub use runs::COMPARE_LEVELS;
pub use settings::{Settings, SourceKind};

use crate::archive;
use crate::demo::{DEMO_CLIENT_ID, DemoConfig, DemoServer};
use crate::engine::{ClientId, Command, Engine, Event, IMGUR_API_BASE, Job, JobInput, RunId, RunRecord};
use preview::{PREVIEW_SIDE, Preview, PreviewAction};
use runs::Comparison;
use settings::SettingsAction;

/// Events folded in per frame at most, so a flood never makes one frame long.
const EVENTS_PER_FRAME: usize = 2000;

/// How `galley` opens the window.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppOptions {
    /// Start on the built-in demo gallery.
    pub demo: bool,
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
    /// Use the demo gallery from the start (`galley --demo`).
    pub demo_mode: bool,
    /// Press Start as soon as the window is up (screenshots, `GALLEY_DEMO_AUTOSTART=1`).
    pub autostart: bool,
}

impl AppConfig {
    /// The real locations in the user's config and data folders.
    pub fn for_user(options: AppOptions) -> anyhow::Result<Self> {
        let config_dir = dirs::config_dir().context("no config folder is known on this system")?.join("galley");
        Ok(Self {
            config_dir,
            archive: archive::default_path(),
            demo: DemoConfig { images: 120, latency: std::time::Duration::from_millis(150), ..DemoConfig::default() },
            demo_mode: options.demo,
            autostart: options.demo && std::env::var_os("GALLEY_DEMO_AUTOSTART").is_some_and(|v| v == "1"),
        })
    }
}

/// Opens the window and runs until it is closed.
pub fn run(options: AppOptions) -> anyhow::Result<()> {
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
            let mut settings = persistence::load_settings(creation.storage).unwrap_or_default();
            if config.demo_mode {
                // The demo's pictures get a folder of their own, away from real downloads.
                settings.folder = settings::demo_folder().display().to_string();
            }
            let autostart = config.autostart;
            let app = GalleyApp::open(&creation.egui_ctx, config, settings)?;
            Ok(Box::new(startup::FirstFrameFirst::new(app, autostart)))
        }),
    )
    .map_err(|error| anyhow::anyhow!("cannot open the window: {error}"))
}

/// The demo server, once asked for.
enum DemoLink {
    Off,
    Starting(std_mpsc::Receiver<Result<DemoServer, String>>),
    Ready(DemoServer),
    Failed(String),
}

/// What Start does once the demo server is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StartKind {
    Run,
    Compare,
}

/// The whole app state.
pub struct GalleyApp {
    engine: Engine,
    events: Receiver<Event>,
    pub settings: Settings,
    client_id: String,
    /// The Client-ID saved by an earlier session, read once at start (not from `ui`).
    saved_client_id: String,
    show_client_id: bool,
    secrets: SecretStore,
    archive: Option<PathBuf>,
    demo_config: DemoConfig,
    use_demo: bool,
    /// Opened with `galley --demo`: a try-out, whose settings are not kept.
    demo_session: bool,
    demo: DemoLink,
    pending_start: Option<StartKind>,
    /// A run was sent and none of its events has come back yet: Start stays disabled in
    /// between, so a double click cannot start (and cancel) a second run.
    launching: bool,
    progress: Option<RunProgress>,
    latest_run: RunId,
    comparison: Comparison,
    runs: Vec<RunRecord>,
    grid: ThumbnailGrid,
    shown_folder: Option<PathBuf>,
    preview: Option<Preview>,
    folder_picks: (std_mpsc::Sender<PathBuf>, std_mpsc::Receiver<PathBuf>),
    /// A problem to tell the user that is not a run's (bad settings, demo failed).
    notice: Option<String>,
}

impl GalleyApp {
    /// The app, with its background work (demo server, runs table, folder scan) started.
    pub fn new(ctx: &egui::Context, config: AppConfig, settings: Settings) -> anyhow::Result<Self> {
        let autostart = config.autostart;
        let mut app = Self::open(ctx, config, settings)?;
        app.start_background_work(ctx, autostart);
        Ok(app)
    }

    /// The app with nothing started yet: the window opens with this, and
    /// [`startup::FirstFrameFirst`] starts the rest once the first frame is on screen.
    fn open(ctx: &egui::Context, config: AppConfig, settings: Settings) -> anyhow::Result<Self> {
        let repaint = ctx.clone();
        let (engine, events) =
            Engine::start(Arc::new(move || repaint.request_repaint())).context("cannot start the download engine")?;
        let secrets = SecretStore::new(&config.config_dir);
        let saved_client_id = secrets.load();
        Ok(Self {
            engine,
            events,
            // The demo needs no Client-ID; a saved one is filled in when the user turns to Imgur.
            client_id: if config.demo_mode { String::new() } else { saved_client_id.clone() },
            saved_client_id,
            settings,
            show_client_id: false,
            secrets,
            archive: config.archive,
            demo_config: config.demo,
            use_demo: config.demo_mode,
            demo_session: config.demo_mode,
            demo: DemoLink::Off,
            pending_start: None,
            launching: false,
            progress: None,
            latest_run: 0,
            comparison: Comparison::default(),
            runs: Vec::new(),
            grid: ThumbnailGrid::default(),
            shown_folder: None,
            preview: None,
            folder_picks: std_mpsc::channel(),
            notice: None,
        })
    }

    /// What opening the app sets going on the engine: none of it is needed to draw the
    /// first frame, and all of it competes with that frame for the CPU.
    fn start_background_work(&mut self, ctx: &egui::Context, autostart: bool) {
        if self.use_demo {
            self.start_demo_server(ctx);
        }
        if let Some(archive) = &self.archive {
            self.engine.send(Command::LoadRuns(archive.clone()));
        }
        self.show_folder(PathBuf::from(self.settings.folder.trim()));
        if autostart {
            self.start(ctx, StartKind::Run);
        }
    }

    // ---- what tests and the benchmark look at ----

    pub fn thumbnails(&self) -> usize {
        self.grid.len()
    }

    pub fn runs(&self) -> &[RunRecord] {
        &self.runs
    }

    pub fn progress(&self) -> Option<&RunProgress> {
        self.progress.as_ref()
    }

    pub fn grid(&self) -> &ThumbnailGrid {
        &self.grid
    }

    pub fn grid_mut(&mut self) -> &mut ThumbnailGrid {
        &mut self.grid
    }

    /// The file shown in the preview window, and whether its image has arrived.
    pub fn preview(&self) -> Option<(&Path, bool)> {
        self.preview.as_ref().map(|preview| (preview.path.as_path(), preview.is_ready()))
    }

    /// Results of the last compare series: (concurrency, seconds, images saved).
    pub fn comparison(&self) -> &[(usize, f64, u64)] {
        &self.comparison.steps
    }

    /// The demo server, once it is up.
    pub fn demo_server(&self) -> Option<&DemoServer> {
        match &self.demo {
            DemoLink::Ready(server) => Some(server),
            _ => None,
        }
    }

    // ---- drawing ----

    /// The whole window's contents; `eframe::App::ui` calls this, tests call it directly.
    pub fn ui_contents(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.drain_events(&ctx);
        self.poll_demo(&ctx);
        self.poll_folder_pick();
        if let Some(progress) = self.progress.as_mut().filter(|progress| progress.is_running()) {
            progress.sample(std::time::Instant::now());
            // Keep the clock and plot moving while a run goes, without busy-looping.
            ctx.request_repaint_after(std::time::Duration::from_millis(250));
        }

        egui::Panel::left("settings-panel").resizable(true).default_size(360.0).show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| self.settings_panel_ui(ui));
        });
        egui::CentralPanel::default().show(ui, |ui| self.main_panel_ui(ui));
        self.preview_ui(&ctx);
    }

    fn settings_panel_ui(&mut self, ui: &mut egui::Ui) {
        ui.heading("galley");
        ui.label("Download Imgur galleries, many images at once.");
        ui.separator();
        let action = settings::settings_ui(ui, &mut self.settings, &mut self.client_id, &mut self.show_client_id);
        match action {
            Some(SettingsAction::ChooseFolder) => self.choose_folder(ui.ctx()),
            Some(SettingsAction::FolderEdited) => self.show_folder(PathBuf::from(self.settings.folder.trim())),
            None => {}
        }
        ui.separator();
        self.server_ui(ui);
        ui.add_space(6.0);
        self.buttons_ui(ui);
        if let Some(notice) = &self.notice {
            ui.colored_label(ui.visuals().error_fg_color, notice);
        }
    }

    fn server_ui(&mut self, ui: &mut egui::Ui) {
        if !self.use_demo {
            ui.label("Gallery server: Imgur");
            return;
        }
        let status = match &self.demo {
            DemoLink::Ready(server) => format!("Gallery server: the built-in demo gallery ({})", server.base_url()),
            DemoLink::Failed(reason) => format!("The demo gallery could not start: {reason}"),
            _ => "Gallery server: starting the demo gallery...".to_owned(),
        };
        ui.label(status);
        if ui.link("Use Imgur instead").clicked() {
            self.use_demo = false;
            if self.client_id.trim().is_empty() {
                self.client_id = std::mem::take(&mut self.saved_client_id);
            }
        }
    }

    fn buttons_ui(&mut self, ui: &mut egui::Ui) {
        let running = self.is_running();
        ui.horizontal_wrapped(|ui| {
            if ui.add_enabled(!running, egui::Button::new("Start")).clicked() {
                self.start(ui.ctx(), StartKind::Run);
            }
            if ui.add_enabled(running, egui::Button::new("Cancel")).clicked() {
                self.engine.send(Command::Cancel);
                self.pending_start = None;
                self.launching = false;
            }
            if ui.add_enabled(!running, egui::Button::new("Compare 1/4/16/64")).clicked() {
                self.start(ui.ctx(), StartKind::Compare);
            }
        });
        if !self.use_demo && ui.add_enabled(!running, egui::Button::new("Try the demo gallery")).clicked() {
            self.use_demo = true;
            self.start(ui.ctx(), StartKind::Run);
        }
    }

    fn main_panel_ui(&mut self, ui: &mut egui::Ui) {
        match &self.progress {
            Some(progress) => progress.ui(ui),
            None => {
                ui.label("Press Start to download the gallery; thumbnails appear below as images land.");
            }
        }
        egui::CollapsingHeader::new(format!("Runs ({})", self.runs.len())).default_open(true).show(ui, |ui| {
            runs::runs_table_ui(ui, &self.runs);
            ui.add_space(4.0);
            self.comparison.ui(ui);
        });
        ui.separator();
        let folder = self.shown_folder.as_ref().map(|f| f.display().to_string()).unwrap_or_default();
        ui.label(format!("{} images in {folder}", self.grid.len()));
        let (action, wanted) = self.grid.ui(ui);
        if !wanted.is_empty() {
            self.engine.send(Command::Rethumbnail(wanted));
        }
        if let Some(GridAction::Open(index)) = action {
            self.open_preview(index);
        }
    }

    fn preview_ui(&mut self, ctx: &egui::Context) {
        let Some(preview) = &self.preview else { return };
        match preview.ui(ctx) {
            Some(PreviewAction::Close) => self.preview = None,
            Some(PreviewAction::Step(offset)) => {
                let count = self.grid.len() as isize;
                if count > 0 {
                    let next = (preview.index as isize + offset).rem_euclid(count) as usize;
                    self.open_preview(next);
                }
            }
            None => {}
        }
    }

    fn open_preview(&mut self, index: usize) {
        let Some(path) = self.grid.path(index).map(Path::to_owned) else { return };
        self.engine.send(Command::Preview { path: path.clone(), max_side: PREVIEW_SIDE });
        self.preview = Some(Preview::new(index, path));
    }

    // ---- actions ----

    fn is_running(&self) -> bool {
        self.pending_start.is_some()
            || self.launching
            || self.comparison.running
            || self.progress.as_ref().is_some_and(RunProgress::is_running)
    }

    /// Starts a run (or a compare series) from the settings; waits for the demo server
    /// first when it is the one to use.
    fn start(&mut self, ctx: &egui::Context, kind: StartKind) {
        self.notice = None;
        let api_base = if self.use_demo {
            match &self.demo {
                DemoLink::Ready(server) => server.base_url(),
                DemoLink::Failed(reason) => {
                    self.notice = Some(format!("The demo gallery could not start: {reason}"));
                    return;
                }
                _ => {
                    self.start_demo_server(ctx);
                    self.pending_start = Some(kind);
                    return;
                }
            }
        } else {
            match url::Url::parse(IMGUR_API_BASE) {
                Ok(url) => url,
                Err(error) => {
                    self.notice = Some(error.to_string());
                    return;
                }
            }
        };
        match self.job(api_base) {
            Ok(job) => self.send_job(job, kind),
            Err(message) => self.notice = Some(message),
        }
    }

    fn job(&mut self, api_base: url::Url) -> Result<Job, String> {
        let source = self.settings.source()?;
        let client_id = match self.client_id.trim() {
            "" if self.use_demo => DEMO_CLIENT_ID.to_owned(),
            "" => {
                return Err(
                    "Enter a Client-ID (register an application at api.imgur.com), or try the demo gallery.".to_owned()
                );
            }
            id => id.to_owned(),
        };
        let folder = PathBuf::from(self.settings.folder.trim());
        if folder.as_os_str().is_empty() {
            return Err("Choose a folder to save the images in.".to_owned());
        }
        if !self.use_demo {
            self.save_client_id_in_background(&client_id);
        }
        // The demo serves its whole gallery; Imgur is listed page by page as asked.
        let pages = (!self.use_demo).then_some(self.settings.pages);
        let input = JobInput::Imgur { api_base, client_id: ClientId::new(client_id), source, pages };
        self.show_folder(folder.clone());
        let mut job = Job::new(input, folder);
        job.concurrency = self.settings.concurrency;
        job.limit = self.settings.limit();
        job.include_animated = self.settings.include_animated;
        job.archive = self.archive.clone();
        Ok(job)
    }

    fn send_job(&mut self, job: Job, kind: StartKind) {
        self.progress = None;
        match kind {
            StartKind::Run => {
                self.launching = true;
                self.engine.send(Command::Start(job));
            }
            StartKind::Compare => {
                self.comparison = Comparison { steps: Vec::new(), running: true };
                self.engine.send(Command::Compare { job, levels: COMPARE_LEVELS.to_vec() });
            }
        }
    }

    /// Shows the images already in `folder` (no download), if it is not the one shown.
    fn show_folder(&mut self, folder: PathBuf) {
        if folder.as_os_str().is_empty() || self.shown_folder.as_ref() == Some(&folder) {
            return;
        }
        self.grid.clear();
        self.preview = None;
        self.shown_folder = Some(folder.clone());
        self.engine.send(Command::ScanFolder(folder));
    }

    fn choose_folder(&mut self, ctx: &egui::Context) {
        let Some(runtime) = self.engine.runtime() else { return };
        let picks = self.folder_picks.0.clone();
        let ctx = ctx.clone();
        let start_in = PathBuf::from(self.settings.folder.trim());
        // The dialog is awaited on the engine's runtime, so the window keeps drawing.
        runtime.spawn(async move {
            let mut dialog = rfd::AsyncFileDialog::new().set_title("Folder for the images");
            if start_in.is_dir() {
                dialog = dialog.set_directory(start_in);
            }
            if let Some(folder) = dialog.pick_folder().await {
                let _ = picks.send(folder.path().to_owned());
                ctx.request_repaint();
            }
        });
    }

    fn poll_folder_pick(&mut self) {
        if let Ok(folder) = self.folder_picks.1.try_recv() {
            self.settings.folder = folder.display().to_string();
            self.show_folder(folder);
        }
    }

    fn start_demo_server(&mut self, ctx: &egui::Context) {
        if matches!(self.demo, DemoLink::Starting(_) | DemoLink::Ready(_)) {
            return;
        }
        let Some(runtime) = self.engine.runtime() else { return };
        let (ready_tx, ready_rx) = std_mpsc::channel();
        let (config, ctx) = (self.demo_config.clone(), ctx.clone());
        runtime.spawn(async move {
            let started = DemoServer::start(config, 0).await.map_err(|error| error.to_string());
            let _ = ready_tx.send(started);
            ctx.request_repaint();
        });
        self.demo = DemoLink::Starting(ready_rx);
    }

    fn poll_demo(&mut self, ctx: &egui::Context) {
        let DemoLink::Starting(ready) = &self.demo else { return };
        let Ok(started) = ready.try_recv() else { return };
        self.demo = match started {
            Ok(server) => DemoLink::Ready(server),
            Err(reason) => DemoLink::Failed(reason),
        };
        if let Some(kind) = self.pending_start.take() {
            self.start(ctx, kind);
        }
    }

    // ---- events ----

    fn drain_events(&mut self, ctx: &egui::Context) {
        for _ in 0..EVENTS_PER_FRAME {
            let Ok(event) = self.events.try_recv() else { break };
            self.apply(ctx, event);
        }
    }

    fn apply(&mut self, ctx: &egui::Context, event: Event) {
        if let Some(run) = event.run().filter(|run| *run != crate::engine::scan::SCAN_RUN) {
            if run < self.latest_run {
                return; // a run that was replaced: its stragglers are not shown
            }
            if run > self.latest_run {
                self.latest_run = run;
                self.launching = false;
                self.progress = Some(RunProgress::new(run));
            }
        }
        if let Some(progress) = &mut self.progress
            && event.run() == Some(progress.run)
        {
            progress.apply(&event);
        }
        match event {
            Event::Thumbnail { run, thumbnail } => self.add_thumbnail(run, thumbnail),
            Event::Finished { fatal, cancelled, .. } => {
                if fatal.is_some() || cancelled {
                    self.comparison.running = false;
                }
                if let Some(archive) = &self.archive {
                    self.engine.send(Command::LoadRuns(archive.clone()));
                }
            }
            Event::CompareStep { concurrency, seconds, saved } => {
                self.comparison.steps.push((concurrency, seconds, saved));
                self.comparison.running = self.comparison.steps.len() < COMPARE_LEVELS.len();
            }
            Event::Runs(runs) => self.runs = runs,
            Event::Preview { path, result } => {
                if let Some(preview) = &mut self.preview {
                    preview.loaded(ctx, &path, result);
                }
            }
            Event::ThumbnailFailed { path, reason } => {
                tracing::debug!("no thumbnail for {}: {reason}", path.display());
            }
            _ => {}
        }
    }

    fn add_thumbnail(&mut self, run: RunId, thumbnail: crate::engine::Thumbnail) {
        // Compare runs go to scratch folders; only the shown folder's images join the grid.
        // Paths are compared as given (the engine joins names onto the folder it was handed),
        // so no disk access happens here on the UI thread.
        let in_shown_folder = thumbnail.path.parent() == self.shown_folder.as_deref();
        if in_shown_folder && (run == crate::engine::scan::SCAN_RUN || !self.comparison.running) {
            self.grid.insert(thumbnail);
        }
    }

    /// Saves the Client-ID on the engine's blocking pool, so a slow disk never holds a frame.
    fn save_client_id_in_background(&self, client_id: &str) {
        let Some(runtime) = self.engine.runtime() else { return };
        let (secrets, client_id) = (self.secrets.clone(), client_id.to_owned());
        runtime.spawn_blocking(move || {
            if let Err(error) = secrets.save(&client_id) {
                tracing::warn!("cannot save the Client-ID: {error}");
            }
        });
    }

    /// Saves the Client-ID (to its private file) when eframe saves the settings (on exit
    /// and every 30 s, outside drawing).
    fn save_client_id(&self) {
        if !self.use_demo
            && !self.client_id.trim().is_empty()
            && let Err(error) = self.secrets.save(&self.client_id)
        {
            tracing::warn!("cannot save the Client-ID: {error}");
        }
    }
}

impl eframe::App for GalleyApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.ui_contents(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if !self.demo_session {
            persistence::save_settings(storage, &self.settings);
        }
        self.save_client_id();
    }
}
