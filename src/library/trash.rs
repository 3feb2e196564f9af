//! "Move to trash" and its Undo: the desktop's trash, or a plain folder in tests.

use std::path::{Path, PathBuf};

use super::places::TrashPlace;

#[derive(Debug, thiserror::Error)]
pub enum TrashError {
    #[error("{0}")]
    System(#[from] trash::Error),
    #[error("cannot move {path} ({source})")]
    Move { path: PathBuf, source: std::io::Error },
    /// Both of Windows' ways to the Recycle Bin failed.
    #[cfg(windows)]
    #[error("{source} (before that: {first})")]
    Recycle { first: String, source: std::io::Error },
    #[error("{0} is not in the trash")]
    NotInTrash(PathBuf),
}

pub(super) fn trash_files(trash: &TrashPlace, paths: &[PathBuf]) -> Result<(), TrashError> {
    match trash {
        TrashPlace::System => system_trash(paths),
        TrashPlace::Folder(folder) => {
            for path in paths {
                let moved =
                    std::fs::create_dir_all(folder).and_then(|()| std::fs::rename(path, in_trash(folder, path)));
                moved.map_err(|source| TrashError::Move { path: path.clone(), source })?;
            }
            Ok(())
        }
    }
}

/// The desktop's trash (the freedesktop.org trash, the Recycle Bin, the macOS Trash).
fn system_trash(paths: &[PathBuf]) -> Result<(), TrashError> {
    match trash::delete_all(paths) {
        Ok(()) => Ok(()),
        #[cfg(windows)]
        Err(error) => {
            tracing::info!("the Recycle Bin's IFileOperation failed ({error}); trying SHFileOperation");
            crate::platform::recycle(paths).map_err(|source| TrashError::Recycle { first: error.to_string(), source })
        }
        #[cfg(not(windows))]
        Err(error) => Err(error.into()),
    }
}

pub(super) fn restore_files(trash: &TrashPlace, paths: &[PathBuf]) -> Result<(), TrashError> {
    match trash {
        TrashPlace::System => restore_from_system_trash(paths),
        TrashPlace::Folder(folder) => {
            for path in paths {
                // A link, then the trash's copy removed: never replaces a file that took
                // the name meanwhile (a rename would).
                let from = in_trash(folder, path);
                let moved = std::fs::hard_link(&from, path).and_then(|()| std::fs::remove_file(&from));
                moved.map_err(|source| TrashError::Move { path: path.clone(), source })?;
            }
            Ok(())
        }
    }
}

/// A file's place in a folder trash: its whole path, flattened, so two folders' files of
/// the same name do not meet.
fn in_trash(folder: &Path, path: &Path) -> PathBuf {
    folder.join(path.to_string_lossy().replace(std::path::MAIN_SEPARATOR, "%"))
}

#[cfg(any(target_os = "linux", target_os = "windows", target_os = "freebsd"))]
fn restore_from_system_trash(paths: &[PathBuf]) -> Result<(), TrashError> {
    // The most recently trashed item of each path is the one to bring back.
    let mut items = trash::os_limited::list()?;
    items.sort_by_key(|item| std::cmp::Reverse(item.time_deleted));
    let mut chosen = Vec::new();
    for path in paths {
        let position = items.iter().position(|item| &item.original_path() == path);
        chosen.push(items.remove(position.ok_or_else(|| TrashError::NotInTrash(path.clone()))?));
    }
    Ok(trash::os_limited::restore_all(chosen)?)
}

#[cfg(not(any(target_os = "linux", target_os = "windows", target_os = "freebsd")))]
fn restore_from_system_trash(paths: &[PathBuf]) -> Result<(), TrashError> {
    Err(TrashError::NotInTrash(paths.first().cloned().unwrap_or_default()))
}
