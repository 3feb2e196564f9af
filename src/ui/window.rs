//! The window's set-up: how `galley` opens it (options, places on disk, the allocator's
//! tuning), and the eframe hooks that draw a frame and save the settings.

use super::*;

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
