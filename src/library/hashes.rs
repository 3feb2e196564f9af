//! Each image's perceptual hash ([`super::phash`]), kept in the library's index beside the
//! file's row: a table of its own, `hashes`, keyed like `files` by (folder, name) and
//! holding the size and time of the file it was made from, so a changed file is hashed
//! again. It is created with `CREATE TABLE IF NOT EXISTS` on first use, on a connection of
//! its own (as the failure marks are), so an index written by an older galley simply
//! gains the table and nothing else changes.
//!
//! Hashes are made wherever a thumbnail's pixels are at hand (the background thumbnailer,
//! `galley dupes`, "Find reposts") and recorded here; they are written in batches
//! ([`HashStore::flush`]), and the open folder's are kept in memory to say which files
//! still need one ([`HashStore::has`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, params};
use rustc_hash::FxHashMap;

use super::FileStat;
use super::names::name_key;

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS hashes (
    folder TEXT NOT NULL,
    name   TEXT NOT NULL,
    bytes  INTEGER NOT NULL,
    mtime  INTEGER NOT NULL,
    hash   INTEGER NOT NULL,
    PRIMARY KEY (folder, name)
) WITHOUT ROWID";

/// A folder's hashes as stored: by name key, the file's size and time and its hash.
pub type FolderHashes = HashMap<String, (FileStat, u64)>;

#[derive(Debug, thiserror::Error)]
#[error("library index {path}: {source}")]
pub struct HashStoreError {
    path: PathBuf,
    source: rusqlite::Error,
}

/// The hash table of one index file.
pub struct HashStore {
    index: PathBuf,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Opened on first use.
    conn: Option<Connection>,
    /// The hashes of the folders loaded or recorded this session, by the xxh3 of the
    /// file's path (16 bytes an entry rather than a path's hundred).
    known: FxHashMap<u64, (FileStat, u64)>,
    /// Recorded, not yet written.
    pending: Vec<(PathBuf, FileStat, u64)>,
}

impl HashStore {
    pub fn new(index: &Path) -> Self {
        Self { index: index.to_owned(), state: Mutex::new(State::default()) }
    }

    /// The hashes stored (or recorded) for `folder`'s files, whatever their files are like
    /// now; they are also what [`HashStore::has`] knows from now on, in place of another
    /// folder's.
    pub fn load_folder(&self, folder: &Path) -> Result<FolderHashes, HashStoreError> {
        let mut state = self.lock();
        let pending = std::mem::take(&mut state.pending);
        let stored = {
            let conn = self.connection(&mut state)?;
            // What was recorded and not yet written is part of what is stored.
            write(conn, &pending).map_err(|source| self.error(source))?;
            read_folder(conn, folder).map_err(|source| self.error(source))?
        };
        state.known = stored.iter().map(|(name, &known)| (path_key(&folder.join(file_name(name))), known)).collect();
        Ok(stored)
    }

    /// Whether a hash of `path` as it is now (`stat`) is known.
    pub fn has(&self, path: &Path, stat: FileStat) -> bool {
        self.lock().known.get(&path_key(path)).is_some_and(|(known, _)| *known == stat)
    }

    /// Remembers the hash of `path` as it is now; written at the next [`HashStore::flush`]
    /// unless it was known already.
    pub fn record(&self, path: &Path, stat: FileStat, hash: u64) {
        let mut state = self.lock();
        if state.known.insert(path_key(path), (stat, hash)) != Some((stat, hash)) {
            state.pending.push((path.to_owned(), stat, hash));
        }
    }

    /// Writes what was recorded since the last flush, in one transaction.
    pub fn flush(&self) -> Result<(), HashStoreError> {
        let mut state = self.lock();
        if state.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut state.pending);
        let conn = self.connection(&mut state)?;
        write(conn, &pending).map_err(|source| self.error(source))
    }

    /// Drops the stored hashes of `folder` whose files the index no longer lists (moved
    /// to the trash, deleted, forgotten with the folder).
    pub fn prune(&self, folder: &Path) -> Result<usize, HashStoreError> {
        let mut state = self.lock();
        let conn = self.connection(&mut state)?;
        // The index's own table, which an index file that never held a folder lacks.
        let files: i64 = conn
            .query_row("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'files'", [], |row| {
                row.get(0)
            })
            .map_err(|source| self.error(source))?;
        if files == 0 {
            return Ok(0);
        }
        conn.execute(
            "DELETE FROM hashes WHERE folder = ?1
             AND NOT EXISTS (SELECT 1 FROM files WHERE files.folder = ?1 AND files.name = hashes.name)",
            params![folder_key(folder)],
        )
        .map_err(|source| self.error(source))
    }

    /// Forgets every hash (with "Clear thumbnails").
    pub fn clear(&self) -> Result<(), HashStoreError> {
        let mut state = self.lock();
        state.known.clear();
        state.pending.clear();
        let conn = self.connection(&mut state)?;
        conn.execute("DELETE FROM hashes", []).map(|_| ()).map_err(|source| self.error(source))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn connection<'a>(&self, state: &'a mut State) -> Result<&'a Connection, HashStoreError> {
        if state.conn.is_none() {
            state.conn = Some(open(&self.index).map_err(|source| self.error(source))?);
        }
        state.conn.as_ref().ok_or_else(|| self.error(rusqlite::Error::InvalidQuery))
    }

    fn error(&self, source: rusqlite::Error) -> HashStoreError {
        HashStoreError { path: self.index.clone(), source }
    }
}

fn open(index: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(index)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.execute_batch(SCHEMA)?;
    Ok(conn)
}

fn read_folder(conn: &Connection, folder: &Path) -> rusqlite::Result<FolderHashes> {
    let mut statement = conn.prepare_cached("SELECT name, bytes, mtime, hash FROM hashes WHERE folder = ?1")?;
    let rows = statement.query_map(params![folder_key(folder)], |row| {
        let stat = FileStat { bytes: row.get::<_, i64>(1)?.max(0) as u64, mtime: row.get(2)? };
        Ok((row.get::<_, String>(0)?, (stat, row.get::<_, i64>(3)? as u64)))
    })?;
    rows.collect()
}

fn write(conn: &Connection, pending: &[(PathBuf, FileStat, u64)]) -> rusqlite::Result<()> {
    let transaction = conn.unchecked_transaction()?;
    {
        let mut insert = transaction.prepare_cached(
            "INSERT OR REPLACE INTO hashes (folder, name, bytes, mtime, hash) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for (path, stat, hash) in pending {
            let (Some(folder), Some(name)) = (path.parent(), path.file_name().and_then(name_key)) else { continue };
            // The bits as SQLite's signed integer; read back the same way.
            insert.execute(params![folder_key(folder), name, stat.bytes as i64, stat.mtime, *hash as i64])?;
        }
    }
    transaction.commit()
}

/// The folder as the index keys it.
fn folder_key(folder: &Path) -> String {
    folder.to_string_lossy().into_owned()
}

fn file_name(key: &str) -> std::ffi::OsString {
    super::names::file_name(key)
}

fn path_key(path: &Path) -> u64 {
    xxhash_rust::xxh3::xxh3_64(path.as_os_str().as_encoded_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::index::{FolderIndex, Row};
    use crate::media::MediaKind;

    #[test]
    fn hashes_are_kept_per_file_until_it_changes_and_pruned_with_its_row() {
        let dir = tempfile::tempdir().unwrap();
        let index_path = dir.path().join("library.sqlite");
        let folder = Path::new("/pictures");
        let stat = FileStat { mtime: 10, bytes: 20 };
        let mut index = FolderIndex::open(&index_path).unwrap();
        let row = |name| Row { name, bytes: 20, mtime: 10, kind: MediaKind::Jpeg, dimensions: Some((4, 3)) };
        index.save(folder, [row("a.jpg"), row("b.jpg")], &[]).unwrap();

        let store = HashStore::new(&index_path);
        store.record(&folder.join("a.jpg"), stat, u64::MAX);
        store.record(&folder.join("b.jpg"), stat, 7);
        assert!(store.has(&folder.join("a.jpg"), stat));
        assert!(!store.has(&folder.join("a.jpg"), FileStat { mtime: 11, ..stat }), "a changed file has none");
        store.flush().unwrap();
        drop(store);

        let again = HashStore::new(&index_path);
        assert!(!again.has(&folder.join("a.jpg"), stat), "nothing is known before the folder is loaded");
        let loaded = again.load_folder(folder).unwrap();
        assert_eq!(loaded.get("a.jpg"), Some(&(stat, u64::MAX)), "all 64 bits come back");
        assert!(again.has(&folder.join("b.jpg"), stat));

        index.save(folder, [], &["b.jpg".to_owned()]).unwrap();
        assert_eq!(again.prune(folder).unwrap(), 1, "b's row is gone, so is its hash");
        assert_eq!(again.load_folder(folder).unwrap().len(), 1);
        again.clear().unwrap();
        assert!(again.load_folder(folder).unwrap().is_empty());
    }
}
