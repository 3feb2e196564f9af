//! What survives a restart, and where. Settings (source, folder, concurrency) and the
//! queue's sources go to eframe's storage, which also keeps the window size; the Client-ID
//! never does: eframe writes its storage as plain RON next to other apps' state, so the
//! secret gets a file of its own that only the user can read ([`SecretStore`]).

use std::path::{Path, PathBuf};

use super::queue::SavedSource;
use super::settings::Settings;

/// Key of the settings in eframe's storage.
const SETTINGS_KEY: &str = "galley-settings";
/// Key of the queue's sources (kept apart: a queue that no longer parses loses no settings).
const QUEUE_KEY: &str = "galley-queue";

/// The settings saved by the last session, if there are any (and they still parse).
pub fn load_settings(storage: Option<&dyn eframe::Storage>) -> Option<Settings> {
    storage.and_then(|storage| eframe::get_value(storage, SETTINGS_KEY))
}

pub fn save_settings(storage: &mut dyn eframe::Storage, settings: &Settings) {
    eframe::set_value(storage, SETTINGS_KEY, settings);
}

/// The queue the last session left (sources and whether each was done).
pub fn load_queue(storage: Option<&dyn eframe::Storage>) -> Vec<SavedSource> {
    storage.and_then(|storage| eframe::get_value(storage, QUEUE_KEY)).unwrap_or_default()
}

pub fn save_queue(storage: &mut dyn eframe::Storage, queue: &[SavedSource]) {
    eframe::set_value(storage, QUEUE_KEY, &queue);
}

/// Keeps the Client-ID in `<config dir>/client-id`, readable by the user alone (0600).
#[derive(Debug, Clone)]
pub struct SecretStore {
    path: PathBuf,
}

impl SecretStore {
    pub fn new(config_dir: &Path) -> Self {
        Self { path: config_dir.join("client-id") }
    }

    /// The saved Client-ID, or an empty string when there is none. Read only from a
    /// regular file of at most 4 KiB, never through a link: a link planted there must not
    /// load another file's text into the window.
    pub fn load(&self) -> String {
        match crate::files::read_regular(&self.path, 4096) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_owned(),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(error) => {
                tracing::warn!("the saved Client-ID in {} is not read: {error}", self.path.display());
                String::new()
            }
        }
    }

    /// Saves `client_id` (by a new private file renamed into place); an empty id removes
    /// the file.
    pub fn save(&self, client_id: &str) -> std::io::Result<()> {
        let client_id = client_id.trim();
        if client_id.is_empty() {
            return match std::fs::remove_file(&self.path) {
                Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error),
                _ => Ok(()),
            };
        }
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        crate::files::write_private(&self.path, client_id.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_id_round_trips_trimmed_and_clears() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SecretStore::new(&dir.path().join("galley"));
        assert_eq!(store.load(), "");
        store.save(" abc123 ").expect("save");
        assert_eq!(store.load(), "abc123");
        store.save("").expect("clear");
        assert_eq!(store.load(), "");
    }

    #[cfg(unix)]
    #[test]
    fn the_client_id_file_is_private_and_round_trips() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SecretStore::new(&dir.path().join("galley"));
        assert_eq!(store.load(), "");
        store.save(" abc123 ").expect("save");
        assert_eq!(store.load(), "abc123");
        let mode = std::fs::metadata(dir.path().join("galley/client-id")).expect("file").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        store.save("").expect("clear");
        assert_eq!(store.load(), "");
    }

    #[cfg(unix)]
    #[test]
    fn a_client_id_file_planted_as_a_link_is_neither_read_nor_written_through() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("notes.txt");
        std::fs::write(&target, "my private notes").expect("write");
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        std::os::unix::fs::symlink(&target, dir.path().join("client-id")).expect("symlink");
        let store = SecretStore::new(dir.path());

        assert_eq!(store.load(), "", "the link's target is not loaded into the field");
        store.save("typed-id").expect("save");

        assert_eq!(std::fs::read_to_string(&target).expect("target"), "my private notes");
        assert_eq!(std::fs::metadata(&target).expect("target").permissions().mode() & 0o777, 0o644);
        assert_eq!(store.load(), "typed-id");
    }

    #[cfg(unix)]
    #[test]
    fn a_client_id_file_made_world_readable_is_narrowed_on_save() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("client-id");
        std::fs::write(&path, "old").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        SecretStore::new(dir.path()).save("new").expect("save");
        assert_eq!(std::fs::metadata(&path).expect("file").permissions().mode() & 0o777, 0o600);
    }
}
