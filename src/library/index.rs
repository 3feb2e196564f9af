//! The folder index: what galley knows of each file in a folder (name, size, time,
//! dimensions, kind), kept in a small SQLite database in galley's cache folder, so that a
//! folder opened again is listed without reading any image.
//!
//! A reopen lists the folder (names and `stat`s only) and compares: a file whose size and
//! modification time match its row keeps its row; a new or changed file is thumbnailed
//! (which also measures it); a row whose file is gone is dropped.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use rusqlite::{Connection, params};

use super::Entry;
use crate::media::MediaKind;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The index could not be opened (why was logged when it was tried).
    #[error("the library index cannot be opened")]
    Unavailable,
    #[error("cannot create the library folder {path}: {source}")]
    Folder { path: PathBuf, source: std::io::Error },
    #[error("library index {path}: {source}")]
    Sqlite { path: PathBuf, source: rusqlite::Error },
    #[error("cannot list the folder {path}: {source}")]
    List { path: PathBuf, source: std::io::Error },
}

/// One file as `readdir` and `stat` see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub name: String,
    pub bytes: u64,
    /// Modification time, Unix seconds.
    pub mtime: i64,
    pub kind: MediaKind,
}

/// Where the index lives unless told otherwise.
pub fn default_path() -> Option<PathBuf> {
    dirs::cache_dir().map(|dir| dir.join("galley").join("library.sqlite"))
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS files (
    folder TEXT NOT NULL,
    name   TEXT NOT NULL,
    bytes  INTEGER NOT NULL,
    mtime  INTEGER NOT NULL,
    kind   TEXT NOT NULL,
    width  INTEGER,
    height INTEGER,
    PRIMARY KEY (folder, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS folders (
    folder    TEXT PRIMARY KEY,
    opened_at INTEGER NOT NULL
) WITHOUT ROWID;
";

/// The most files the index (and so galley's part of the thumbnail cache) keeps: past it,
/// the folders opened longest ago are forgotten and their thumbnails removed. About 6 GB
/// of thumbnails at most.
pub const MAX_INDEXED_FILES: usize = 100_000;

/// The open index database.
pub struct FolderIndex {
    conn: Connection,
    path: PathBuf,
}

/// An index opened by [`FolderIndex::open_or_rebuild`], and where a damaged one was moved.
pub struct Reopened {
    pub index: FolderIndex,
    /// The damaged file, moved aside, when the index had to be started afresh.
    pub damaged: Option<PathBuf>,
}

impl FolderIndex {
    /// Opens the index, and if the file is not a database or is damaged (garbage, cut
    /// short), moves it aside as `<name>.damaged-<unix time>` and starts a new one. The
    /// index is a cache of the folders' listings: nothing is lost but the time to list
    /// and thumbnail them again, while a damaged one would fail every folder from then on.
    pub fn open_or_rebuild(path: &Path) -> Result<Reopened, IndexError> {
        let damaged = match Self::open(path).and_then(|index| index.check().map(|()| index)) {
            Ok(index) => return Ok(Reopened { index, damaged: None }),
            Err(IndexError::Sqlite { source, .. }) if is_damage(&source) => source,
            Err(other) => return Err(other),
        };
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let mut aside = path.as_os_str().to_owned();
        aside.push(format!(".damaged-{now}"));
        let aside = PathBuf::from(aside);
        tracing::warn!("the library index {} is damaged ({damaged}); moved to {}", path.display(), aside.display());
        std::fs::rename(path, &aside).map_err(|source| IndexError::Folder { path: path.to_owned(), source })?;
        for companion in ["-wal", "-shm"] {
            let mut name = path.as_os_str().to_owned();
            name.push(companion);
            let _ = std::fs::remove_file(PathBuf::from(name));
        }
        Ok(Reopened { index: Self::open(path)?, damaged: Some(aside) })
    }

    /// SQLite's quick structural check (pages, free lists, b-trees).
    fn check(&self) -> Result<(), IndexError> {
        let verdict: String =
            self.conn.query_row("PRAGMA quick_check", [], |row| row.get(0)).map_err(|e| self.err(e))?;
        if verdict == "ok" {
            return Ok(());
        }
        let corrupt = rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT);
        Err(self.err(rusqlite::Error::SqliteFailure(corrupt, Some(verdict))))
    }

    pub fn open(path: &Path) -> Result<Self, IndexError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| IndexError::Folder { path: parent.to_owned(), source })?;
        }
        let sqlite = |source| IndexError::Sqlite { path: path.to_owned(), source };
        let conn = Connection::open(path).map_err(sqlite)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(sqlite)?;
        // The index can always be rebuilt from the folder: speed over durability.
        conn.pragma_update(None, "journal_mode", "WAL").map_err(sqlite)?;
        conn.pragma_update(None, "synchronous", "OFF").map_err(sqlite)?;
        conn.execute_batch(SCHEMA).map_err(sqlite)?;
        Ok(Self { conn, path: path.to_owned() })
    }

    fn err(&self, source: rusqlite::Error) -> IndexError {
        IndexError::Sqlite { path: self.path.clone(), source }
    }

    /// The folder's entries as last indexed, in name order.
    pub fn load(&self, folder: &Path) -> Result<Vec<Entry>, IndexError> {
        let mut statement = self
            .conn
            .prepare_cached("SELECT name, bytes, mtime, kind, width, height FROM files WHERE folder=?1")
            .map_err(|e| self.err(e))?;
        let rows = statement
            .query_map(params![folder_key(folder)], |row| {
                let width: Option<u32> = row.get(4)?;
                let height: Option<u32> = row.get(5)?;
                Ok(StoredRow {
                    name: row.get(0)?,
                    bytes: row.get(1)?,
                    mtime: row.get(2)?,
                    kind: row.get(3)?,
                    dimensions: width.zip(height),
                })
            })
            .map_err(|e| self.err(e))?;
        let mut files = Vec::new();
        for row in rows {
            match row.map_err(|e| self.err(e))?.into_listed() {
                Some(file) => files.push(file),
                None => tracing::warn!("a row of the library index is not a file of {}; skipped", folder.display()),
            }
        }
        // Making the entries' sort and search keys is most of a load after the read.
        Ok(filter_map_on_cores(files, |(listed, dimensions)| {
            Some(Entry::new(folder, listed).with_dimensions(dimensions))
        }))
    }

    /// Writes these rows of `folder` (adding or replacing) and drops the rows of `gone`,
    /// in one transaction.
    pub fn save<'a>(
        &mut self,
        folder: &Path,
        rows: impl IntoIterator<Item = Row<'a>>,
        gone: &[String],
    ) -> Result<(), IndexError> {
        let key = folder_key(folder);
        let transaction =
            self.conn.transaction().map_err(|e| IndexError::Sqlite { path: self.path.clone(), source: e })?;
        {
            let mut insert = transaction
                .prepare_cached(
                    "INSERT OR REPLACE INTO files (folder, name, bytes, mtime, kind, width, height)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(|e| IndexError::Sqlite { path: self.path.clone(), source: e })?;
            for row in rows {
                let (width, height) = row.dimensions.unzip();
                insert
                    .execute(params![key, row.name, row.bytes as i64, row.mtime, row.kind.label(), width, height])
                    .map_err(|e| IndexError::Sqlite { path: self.path.clone(), source: e })?;
            }
            let mut delete = transaction
                .prepare_cached("DELETE FROM files WHERE folder=?1 AND name=?2")
                .map_err(|e| IndexError::Sqlite { path: self.path.clone(), source: e })?;
            for name in gone {
                delete
                    .execute(params![key, name])
                    .map_err(|e| IndexError::Sqlite { path: self.path.clone(), source: e })?;
            }
        }
        transaction.commit().map_err(|e| IndexError::Sqlite { path: self.path.clone(), source: e })
    }

    /// Notes that `folder` was opened now (Unix seconds), for [`FolderIndex::evict`].
    pub fn touch(&self, folder: &Path, now: i64) -> Result<(), IndexError> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO folders (folder, opened_at) VALUES (?1, ?2)",
                params![folder_key(folder), now],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Forgets the folders opened longest ago (never `keep`) until at most `limit` files are
    /// indexed; returns the files forgotten, whose thumbnails are then removed.
    pub fn evict(&mut self, keep: &Path, limit: usize) -> Result<Vec<PathBuf>, IndexError> {
        let count = |conn: &Connection| conn.query_row("SELECT COUNT(*) FROM files", [], |row| row.get::<_, i64>(0));
        let mut total = count(&self.conn).map_err(|e| self.err(e))?.max(0) as usize;
        if total <= limit {
            return Ok(Vec::new());
        }
        let oldest: Vec<String> = {
            let mut statement = self
                .conn
                .prepare("SELECT folder FROM folders WHERE folder != ?1 ORDER BY opened_at")
                .map_err(|e| self.err(e))?;
            let rows = statement.query_map(params![folder_key(keep)], |row| row.get(0)).map_err(|e| self.err(e))?;
            rows.collect::<Result<_, _>>().map_err(|e| self.err(e))?
        };
        let mut forgotten = Vec::new();
        for folder in oldest {
            if total <= limit {
                break;
            }
            let files: Vec<PathBuf> = self.load(Path::new(&folder))?.into_iter().map(|entry| entry.path).collect();
            let sqlite = |source| IndexError::Sqlite { path: self.path.clone(), source };
            self.conn.execute("DELETE FROM files WHERE folder=?1", params![folder]).map_err(sqlite)?;
            self.conn.execute("DELETE FROM folders WHERE folder=?1", params![folder]).map_err(sqlite)?;
            total = total.saturating_sub(files.len());
            forgotten.extend(files);
        }
        Ok(forgotten)
    }

    /// Every file the index knows, in every folder (for clearing their thumbnails).
    pub fn all_files(&self) -> Result<Vec<PathBuf>, IndexError> {
        let mut statement = self.conn.prepare("SELECT folder, name FROM files").map_err(|e| self.err(e))?;
        let rows = statement
            .query_map([], |row| Ok(Path::new(&row.get::<_, String>(0)?).join(row.get::<_, String>(1)?)))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// Forgets every folder.
    pub fn clear(&self) -> Result<(), IndexError> {
        self.conn.execute_batch("DELETE FROM files; DELETE FROM folders;").map_err(|e| self.err(e))
    }
}

fn folder_key(folder: &Path) -> String {
    folder.to_string_lossy().into_owned()
}

/// The media files directly inside `folder` (hidden and temporary files left out), by
/// their names and `stat`s: nothing is read from them.
pub fn list_folder(folder: &Path) -> Result<Vec<Listed>, IndexError> {
    let entries = std::fs::read_dir(folder).map_err(|source| IndexError::List { path: folder.to_owned(), source })?;
    let mut candidates = Vec::new();
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        if file_name.as_encoded_bytes().starts_with(b".") {
            continue;
        }
        let extension = Path::new(&file_name).extension().and_then(|e| e.to_str());
        let Some(kind) = extension.and_then(MediaKind::from_extension) else { continue };
        let Some(name) = super::names::name_key(&file_name).map(std::borrow::Cow::into_owned) else { continue };
        candidates.push((entry, name, kind));
    }
    // The `stat`s are most of a listing's time (50,000 take ~300 ms on one core).
    Ok(filter_map_on_cores(candidates, stat_one))
}

/// Below this many items work is done on one thread.
const CHUNK: usize = 2_000;

/// `f` over `items`, in order, shared among the cores when there are many: for work that
/// is independent item by item, such as a big folder's `stat`s.
fn filter_map_on_cores<T: Send, U: Send>(mut items: Vec<T>, f: impl Fn(T) -> Option<U> + Sync) -> Vec<U> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk_len = items.len().div_ceil(threads).max(CHUNK);
    let mut chunks = Vec::new();
    while items.len() > chunk_len {
        chunks.push(items.split_off(items.len() - chunk_len));
    }
    chunks.push(items);
    chunks.reverse();
    let f = &f;
    std::thread::scope(|scope| {
        let parts: Vec<_> = chunks
            .into_iter()
            .map(|chunk| scope.spawn(move || chunk.into_iter().filter_map(f).collect::<Vec<U>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|part| {
                part.join().unwrap_or_else(|_| {
                    tracing::error!("a folder listing thread panicked; some of its files are not shown");
                    Vec::new()
                })
            })
            .collect()
    })
}

fn stat_one((entry, name, kind): (std::fs::DirEntry, String, MediaKind)) -> Option<Listed> {
    let metadata = entry.metadata().ok()?;
    if !metadata.is_file() {
        return None;
    }
    let mtime = metadata.modified().ok().and_then(|time| time.duration_since(UNIX_EPOCH).ok());
    Some(Listed { name, bytes: metadata.len(), mtime: mtime.map_or(0, |t| t.as_secs() as i64), kind })
}

/// A row of the index as stored. The index is a file anyone with the user's rights can
/// write, so a row is checked before it names a file: a name with a separator or `..`
/// would have the grid show (and the trash move) a file outside the folder.
#[derive(Debug, Clone)]
pub struct StoredRow {
    pub name: String,
    pub bytes: i64,
    pub mtime: i64,
    pub kind: String,
    pub dimensions: Option<(u32, u32)>,
}

impl StoredRow {
    /// The file this row describes, with its dimensions; `None` for a row that names no
    /// file directly inside the folder, or holds no kind galley shows.
    pub fn into_listed(self) -> Option<(Listed, Option<(u32, u32)>)> {
        let file_name = super::names::file_name(&self.name);
        let mut parts = Path::new(&file_name).components();
        let single = matches!((parts.next(), parts.next()), (Some(std::path::Component::Normal(_)), None));
        if !single || self.name.is_empty() {
            return None;
        }
        let kind = MediaKind::from_label(&self.kind)?;
        let dimensions = self.dimensions.filter(|&(width, height)| width > 0 && height > 0);
        let listed = Listed { name: self.name, bytes: self.bytes.max(0) as u64, mtime: self.mtime, kind };
        Some((listed, dimensions))
    }
}

/// Whether an SQLite error says the file itself is bad (not one query or a busy lock).
fn is_damage(error: &rusqlite::Error) -> bool {
    matches!(error.sqlite_error_code(), Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt))
}

/// What the index keeps of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row<'a> {
    pub name: &'a str,
    pub bytes: u64,
    pub mtime: i64,
    pub kind: MediaKind,
    pub dimensions: Option<(u32, u32)>,
}

impl Entry {
    pub fn row(&self) -> Row<'_> {
        Row { name: &self.name, bytes: self.bytes, mtime: self.mtime, kind: self.kind, dimensions: self.dimensions }
    }
}

/// What listing a folder changed against its index.
#[derive(Debug, Default)]
pub struct Reconciled {
    /// Every file now in the folder, with what is known of it.
    pub entries: Vec<Entry>,
    /// Indexes into `entries` of files that are new or changed since they were indexed.
    pub changed: Vec<usize>,
    /// Names in the index whose files are gone.
    pub gone: Vec<String>,
}

/// Compares the index's rows with a fresh listing.
pub fn reconcile(folder: &Path, indexed: Vec<Entry>, listed: Vec<Listed>) -> Reconciled {
    let mut known: HashMap<String, Entry> = indexed.into_iter().map(|entry| (entry.name.clone(), entry)).collect();
    let mut slots: Vec<Option<Entry>> = Vec::with_capacity(listed.len());
    let mut fresh = Vec::new();
    for file in listed {
        match known.remove(&file.name) {
            Some(entry) if entry.bytes == file.bytes && entry.mtime == file.mtime && entry.kind == file.kind => {
                slots.push(Some(entry));
            }
            _ => {
                fresh.push((slots.len(), file));
                slots.push(None);
            }
        }
    }
    // New files' sort and search keys are a fifth of a cold listing's time.
    let made = filter_map_on_cores(fresh, |(at, file)| Some((at, Entry::new(folder, file))));
    let mut reconciled = Reconciled { changed: made.iter().map(|(at, _)| *at).collect(), ..Reconciled::default() };
    for (at, entry) in made {
        slots[at] = Some(entry);
    }
    reconciled.entries = slots.into_iter().flatten().collect();
    reconciled.gone = known.into_keys().collect();
    reconciled
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(name: &str, bytes: u64, mtime: i64) -> Listed {
        Listed { name: name.into(), bytes, mtime, kind: MediaKind::Jpeg }
    }

    #[test]
    fn entries_round_trip_and_reconcile_finds_new_changed_and_gone() {
        let dir = tempfile::tempdir().unwrap();
        let mut index = FolderIndex::open(&dir.path().join("cache/library.sqlite")).unwrap();
        let folder = Path::new("/photos");
        let mut kept = Entry::new(folder, listed("a.jpg", 10, 100));
        kept.dimensions = Some((640, 480));
        let stale = Entry::new(folder, listed("b.jpg", 20, 100));
        let gone = Entry::new(folder, listed("c.jpg", 30, 100));
        index.save(folder, [kept.clone(), stale, gone].iter().map(Entry::row), &[]).unwrap();
        assert_eq!(index.load(Path::new("/elsewhere")).unwrap(), vec![]);
        let loaded = index.load(folder).unwrap();
        assert_eq!(loaded.len(), 3);
        assert!(loaded.contains(&kept), "dimensions are kept");

        let now = [listed("a.jpg", 10, 100), listed("b.jpg", 21, 101), listed("d.jpg", 5, 100)];
        let reconciled = reconcile(folder, loaded, now.to_vec());
        let names: Vec<&str> = reconciled.entries.iter().map(|entry| entry.name.as_str()).collect();
        assert_eq!(names, ["a.jpg", "b.jpg", "d.jpg"]);
        assert_eq!(reconciled.changed, [1, 2]);
        assert_eq!(reconciled.gone, ["c.jpg"]);
        assert_eq!(reconciled.entries[0].dimensions, Some((640, 480)));
        assert_eq!(reconciled.entries[1].dimensions, None, "a changed file is measured again");

        index.save(folder, reconciled.entries.iter().map(Entry::row), &reconciled.gone).unwrap();
        assert_eq!(index.load(folder).unwrap().len(), 3);
        assert_eq!(index.all_files().unwrap().len(), 3);
        index.clear().unwrap();
        assert!(index.load(folder).unwrap().is_empty());
    }

    #[test]
    fn past_the_limit_the_folders_opened_longest_ago_are_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let mut index = FolderIndex::open(&dir.path().join("library.sqlite")).unwrap();
        for (at, folder) in ["/old", "/middle", "/new"].into_iter().enumerate() {
            let folder = Path::new(folder);
            let entries: Vec<Entry> = (0..3).map(|n| Entry::new(folder, listed(&format!("{n}.jpg"), 1, 1))).collect();
            index.save(folder, entries.iter().map(Entry::row), &[]).unwrap();
            index.touch(folder, at as i64).unwrap();
        }
        assert!(index.evict(Path::new("/new"), 9).unwrap().is_empty(), "within the limit");
        let forgotten = index.evict(Path::new("/old"), 6).unwrap();
        assert!(forgotten.iter().all(|path| path.starts_with("/middle")), "the oldest but the open one: {forgotten:?}");
        assert_eq!(forgotten.len(), 3);
        assert_eq!(index.load(Path::new("/old")).unwrap().len(), 3, "the open folder is kept");
        assert!(index.load(Path::new("/middle")).unwrap().is_empty());
    }

    #[test]
    fn listing_skips_hidden_temporary_and_other_files() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["one.jpg", "two.PNG", "clip.mp4", ".galley-1-2-x.part", ".hidden.jpg", "notes.txt"] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        std::fs::create_dir(dir.path().join("sub.jpg")).unwrap();
        let mut names: Vec<String> = list_folder(dir.path()).unwrap().into_iter().map(|file| file.name).collect();
        names.sort();
        assert_eq!(names, ["clip.mp4", "one.jpg", "two.PNG"]);
        assert!(list_folder(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn a_row_that_names_a_file_outside_its_folder_is_refused() {
        let row =
            |name: &str| StoredRow { name: name.into(), bytes: 1, mtime: 2, kind: "JPEG".into(), dimensions: None };
        for hostile in ["../../etc/passwd.jpg", "/etc/x.jpg", "a/b.jpg", "..", ".", ""] {
            assert!(row(hostile).into_listed().is_none(), "{hostile:?}");
        }
        let kept = row("fine.jpg").into_listed().expect("a plain name");
        assert_eq!(kept.0.name, "fine.jpg");
        assert!(StoredRow { kind: "exe".into(), ..row("x.jpg") }.into_listed().is_none());
    }

    #[test]
    fn a_garbage_or_cut_short_index_is_moved_aside_and_started_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("photos");
        let row = Row { name: "a.jpg", bytes: 3, mtime: 9, kind: MediaKind::Jpeg, dimensions: Some((4, 5)) };
        // A real index with rows, then cut to half its size; and one of plain garbage.
        let cut = dir.path().join("cut.sqlite");
        {
            let mut index = FolderIndex::open(&cut).unwrap();
            let names: Vec<String> = (0..2000).map(|n| format!("{n:05}.jpg")).collect();
            index.save(&folder, names.iter().map(|name| Row { name, ..row }), &[]).unwrap();
            index.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").unwrap();
        }
        let length = std::fs::metadata(&cut).unwrap().len();
        std::fs::OpenOptions::new().write(true).open(&cut).unwrap().set_len(length / 2).unwrap();
        let garbage = dir.path().join("garbage.sqlite");
        std::fs::write(&garbage, vec![0x5a; 64 * 1024]).unwrap();

        for path in [cut, garbage] {
            assert!(FolderIndex::open(&path).and_then(|index| index.check()).is_err(), "{} is damaged", path.display());
            let reopened = FolderIndex::open_or_rebuild(&path).unwrap();
            let aside = reopened.damaged.expect("moved aside");
            assert!(aside.exists() && aside.to_string_lossy().contains(".damaged-"), "{}", aside.display());
            let mut index = reopened.index;
            index.save(&folder, [row], &[]).unwrap();
            assert_eq!(index.load(&folder).unwrap().len(), 1, "the new index works");
            index.clear().unwrap();
            assert!(FolderIndex::open_or_rebuild(&path).unwrap().damaged.is_none(), "and stays sound");
        }
    }
}
