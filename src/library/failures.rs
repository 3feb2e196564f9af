//! Files that could not be thumbnailed, remembered until they change, in the library's
//! index. The freedesktop standard keeps each as a PNG under `fail/<app>/`, but each such
//! mark takes a 4 KB block: 100,000 broken files left 400 MB of them. A row in the index
//! costs a few dozen bytes; the marks are read once into memory when first needed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, params};

use super::FileStat;
use super::names::name_key;

/// The failure marks, with a connection of their own to the index file (so marking a
/// failure never waits behind a folder's listing being written).
pub struct FailureMarks {
    index: PathBuf,
    /// Opened and read on first use; `None` inside when the index cannot be opened.
    state: Mutex<Option<Marks>>,
}

struct Marks {
    conn: Option<Connection>,
    known: HashMap<PathBuf, FileStat>,
}

impl FailureMarks {
    pub fn new(index: &Path) -> Self {
        Self { index: index.to_owned(), state: Mutex::new(None) }
    }

    /// Whether `path`, as it is now (`stat`), failed before.
    pub fn failed_before(&self, path: &Path, stat: FileStat) -> bool {
        self.with(|marks| marks.known.get(path) == Some(&stat))
    }

    /// Remembers that `path` (as `stat`) cannot be thumbnailed.
    pub fn mark(&self, path: &Path, stat: FileStat) {
        self.with(|marks| {
            marks.known.insert(path.to_owned(), stat);
            let (Some(conn), Some(key)) = (&marks.conn, name_key(path.as_os_str())) else { return };
            let stored = conn.execute(
                "INSERT OR REPLACE INTO failures (path, mtime, bytes) VALUES (?1, ?2, ?3)",
                params![key, stat.mtime, stat.bytes as i64],
            );
            if let Err(error) = stored {
                tracing::warn!("cannot remember that {} failed: {error}", path.display());
            }
        });
    }

    /// Forgets every mark (with "Clear thumbnails").
    pub fn clear(&self) {
        self.with(|marks| {
            marks.known.clear();
            if let Some(Err(error)) = marks.conn.as_ref().map(|conn| conn.execute("DELETE FROM failures", [])) {
                tracing::warn!("cannot forget the failure marks: {error}");
            }
        });
    }

    fn with<T>(&self, work: impl FnOnce(&mut Marks) -> T) -> T {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let marks = state.get_or_insert_with(|| open(&self.index));
        work(marks)
    }
}

fn open(index: &Path) -> Marks {
    let opened = Connection::open(index).and_then(|conn| {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS failures (path TEXT PRIMARY KEY, mtime INTEGER NOT NULL, bytes INTEGER NOT NULL) WITHOUT ROWID",
        )?;
        let known = read(&conn)?;
        Ok((conn, known))
    });
    match opened {
        Ok((conn, known)) => Marks { conn: Some(conn), known },
        Err(error) => {
            tracing::warn!("failure marks are kept for this session only: {error}");
            Marks { conn: None, known: HashMap::new() }
        }
    }
}

fn read(conn: &Connection) -> rusqlite::Result<HashMap<PathBuf, FileStat>> {
    let mut statement = conn.prepare("SELECT path, mtime, bytes FROM failures")?;
    let rows = statement.query_map([], |row| {
        let key: String = row.get(0)?;
        let stat = FileStat { mtime: row.get(1)?, bytes: row.get::<_, i64>(2)? as u64 };
        Ok((PathBuf::from(super::names::file_name(&key)), stat))
    })?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_survive_a_restart_until_the_file_changes_and_cost_no_files() {
        let dir = tempfile::tempdir().unwrap();
        let index = dir.path().join("library.sqlite");
        let broken = dir.path().join("pictures/broken.jpg");
        let stat = FileStat { mtime: 10, bytes: 20 };
        let marks = FailureMarks::new(&index);
        assert!(!marks.failed_before(&broken, stat));
        marks.mark(&broken, stat);
        drop(marks);

        let again = FailureMarks::new(&index);
        assert!(again.failed_before(&broken, stat), "kept in the index");
        assert!(!again.failed_before(&broken, FileStat { mtime: 11, ..stat }), "a changed file is tried again");
        again.clear();
        assert!(!FailureMarks::new(&index).failed_before(&broken, stat), "cleared");
        let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|entry| entry.file_name()).collect();
        assert!(files.iter().all(|name| name.to_string_lossy().starts_with("library.sqlite")), "{files:?}");
    }
}
