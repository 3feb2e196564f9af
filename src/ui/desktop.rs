//! What the app asks of the desktop: the folder dialog, opening a file or its folder, the
//! clipboard. Each can fail (no desktop portal, no opener, no clipboard), so each runs off
//! the UI thread on the engine's runtime and answers on a channel, and every answer is
//! said in the window: none fails silently.

use std::path::{Path, PathBuf};
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex};

/// What came back from the desktop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DesktopAnswer {
    /// The folder dialog's choice.
    FolderChosen(PathBuf),
    /// The folder dialog closed without a choice, or could not open: say how to go on.
    NoFolderChosen(String),
    /// No system dialog can open here: galley's own picker opens, at `start_in`.
    NoDialog { start_in: PathBuf },
    /// The subfolders of `folder`, for galley's own picker.
    Subfolders { folder: PathBuf, result: Result<Vec<String>, String> },
    /// A preview action finished: `Ok` with what was done, or `Err` with why it failed.
    PreviewAction { path: PathBuf, result: Result<String, String> },
}

/// The desktop requests of the app and their answers.
pub struct Desktop {
    answers: (std_mpsc::Sender<DesktopAnswer>, std_mpsc::Receiver<DesktopAnswer>),
    /// Kept for the whole session: on X11 the copied text lives as long as its owner.
    clipboard: Arc<Mutex<Option<arboard::Clipboard>>>,
}

impl Default for Desktop {
    fn default() -> Self {
        Self { answers: std_mpsc::channel(), clipboard: Arc::new(Mutex::new(None)) }
    }
}

impl Desktop {
    /// An answer, if one came since the last frame.
    pub fn poll(&self) -> Option<DesktopAnswer> {
        self.answers.1.try_recv().ok()
    }

    /// Opens the folder dialog; its answer arrives through `poll`.
    pub fn choose_folder(&self, runtime: &tokio::runtime::Handle, ctx: &egui::Context, start_in: PathBuf) {
        let (answers, ctx) = (self.answers.0.clone(), ctx.clone());
        runtime.spawn(async move {
            let answer = pick_folder(start_in).await;
            if answers.send(answer).is_ok() {
                ctx.request_repaint();
            }
        });
    }

    /// Reads the subfolders of `folder` for galley's own picker; the answer arrives through
    /// `poll`.
    pub fn list_subfolders(&self, runtime: &tokio::runtime::Handle, ctx: &egui::Context, folder: PathBuf) {
        let (answers, ctx) = (self.answers.0.clone(), ctx.clone());
        runtime.spawn_blocking(move || {
            let result = super::picker::subfolders(&folder);
            if answers.send(DesktopAnswer::Subfolders { folder, result }).is_ok() {
                ctx.request_repaint();
            }
        });
    }

    /// Opens `path` with the desktop's program for it (a file, or a folder to reveal).
    pub fn open(&self, runtime: &tokio::runtime::Handle, ctx: &egui::Context, path: PathBuf, target: PathBuf) {
        let (answers, ctx) = (self.answers.0.clone(), ctx.clone());
        runtime.spawn_blocking(move || {
            let what = if target.is_dir() { "folder" } else { "file" };
            // `that_detached` waits a moment for the opener to fail, so a missing or
            // broken `xdg-open` is reported rather than lost.
            let result = match open_or_select(&path, &target) {
                Ok(()) => Ok(format!("Opened the {what} {}", target.display())),
                Err(error) => Err(format!(
                    "Could not open the {what}: no program on this system opened it. Use Copy path and open it by hand. ({error})"
                )),
            };
            if answers.send(DesktopAnswer::PreviewAction { path, result }).is_ok() {
                ctx.request_repaint();
            }
        });
    }

    /// Puts `path` on the system clipboard.
    pub fn copy_path(&self, runtime: &tokio::runtime::Handle, ctx: &egui::Context, path: PathBuf) {
        let (answers, ctx, clipboard) = (self.answers.0.clone(), ctx.clone(), self.clipboard.clone());
        runtime.spawn_blocking(move || {
            let result = copy_text(&clipboard, &path.display().to_string())
                .map(|()| "Copied the path to the clipboard".to_owned())
                .map_err(|error| {
                    format!("Could not copy the path: this desktop offers no clipboard. Select the path above instead. ({error})")
                });
            if answers.send(DesktopAnswer::PreviewAction { path, result }).is_ok() {
                ctx.request_repaint();
            }
        });
    }
}

fn copy_text(clipboard: &Mutex<Option<arboard::Clipboard>>, text: &str) -> Result<(), arboard::Error> {
    let mut kept = clipboard.lock().unwrap_or_else(|poisoned| {
        tracing::warn!("the clipboard was left locked by a task that panicked; going on with it");
        poisoned.into_inner()
    });
    if kept.is_none() {
        *kept = Some(arboard::Clipboard::new()?);
    }
    match kept.as_mut() {
        Some(clipboard) => clipboard.set_text(text),
        None => Err(arboard::Error::ClipboardNotSupported),
    }
}

const TYPE_IT_IN: &str = "Type the folder's path in the Folder field instead.";

/// Shows the folder dialog. rfd answers "nothing chosen" both when the user cancels and
/// when no dialog could be shown at all (no desktop portal, no zenity), so a desktop
/// that has neither is told apart beforehand.
async fn pick_folder(start_in: PathBuf) -> DesktopAnswer {
    let checked = tokio::task::spawn_blocking(move || (has_dialog_service(), start_in.is_dir().then_some(start_in)));
    let (available, start_in) = match checked.await {
        Ok(checked) => checked,
        Err(error) => {
            tracing::error!("the folder dialog check failed: {error}");
            return DesktopAnswer::NoFolderChosen(format!("The folder dialog could not open. {TYPE_IT_IN}"));
        }
    };
    if !available {
        let start_in =
            start_in.or_else(dirs::picture_dir).or_else(dirs::home_dir).unwrap_or_else(|| PathBuf::from("/"));
        return DesktopAnswer::NoDialog { start_in };
    }
    let mut dialog = rfd::AsyncFileDialog::new().set_title("Folder for the images");
    if let Some(start_in) = start_in {
        dialog = dialog.set_directory(start_in);
    }
    match dialog.pick_folder().await {
        Some(folder) => DesktopAnswer::FolderChosen(folder.path().to_owned()),
        None => DesktopAnswer::NoFolderChosen(format!(
            "No folder was chosen. If no dialog appeared, this desktop cannot show one: {}",
            TYPE_IT_IN.to_lowercase()
        )),
    }
}

/// Whether rfd has something to show a dialog with: a session bus (for the portal) or
/// the `zenity` program.
fn has_dialog_service() -> bool {
    let session_bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|address| !address.is_empty());
    session_bus || in_path("zenity")
}

fn in_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|dir| is_file(&dir.join(program))))
}

fn is_file(path: &Path) -> bool {
    path.metadata().is_ok_and(|metadata| metadata.is_file())
}

/// Opens `target`. On Windows, showing a file's folder (`target` its parent) opens
/// Explorer with the file selected, as "Show in folder" does in other Windows programs.
fn open_or_select(path: &std::path::Path, target: &std::path::Path) -> std::io::Result<()> {
    #[cfg(windows)]
    if path != target && path.is_file() {
        let mut select = std::ffi::OsString::from("/select,");
        select.push(path.as_os_str());
        // Explorer's exit status is 1 even when it worked: only a failure to start counts.
        return std::process::Command::new("explorer.exe").arg(select).spawn().map(|_| ());
    }
    let _ = path;
    open::that_detached(target)
}
