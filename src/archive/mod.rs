//! The run archive: a small SQLite database of past runs (for the timing table) and of
//! saved images (so a later run can skip what it already has, and never save the same
//! bytes twice under two names).
//!
//! Several galley processes may share one archive: it runs in WAL mode with a busy
//! timeout, and every write is a single short statement.
//!
//! It is a leaf: it imports nothing from the engine or the front ends. The engine turns
//! its own report into a [`RunCounts`] and a [`RunEnding`] when it records a run.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

mod follows;
mod meta;
pub use follows::{FollowCheck, FollowRecord, Followed, QuotaSeen};
pub use meta::ImageMeta;

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("cannot create the archive folder {path}: {source}")]
    Folder { path: PathBuf, source: std::io::Error },
    #[error("archive {path}: {source}")]
    Sqlite { path: PathBuf, source: rusqlite::Error },
    /// Written by a newer galley, whose tables this one cannot write correctly.
    #[error("archive {path} has schema version {version}; this galley knows versions up to {known}")]
    Newer { path: PathBuf, version: u32, known: u32 },
}

/// One saved image as the archive remembers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRecord {
    pub id: String,
    pub source: String,
    pub path: PathBuf,
    pub bytes: u64,
    pub sha256: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// What the API said of it (empty for links fetched without the API).
    pub meta: ImageMeta,
}

/// The counts and timing of one run. The engine's `Summary` is this very type, so the
/// archive keeps exactly what a run reports without importing anything from the engine.
/// Serialises to the fixed `--json` summary.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct RunCounts {
    pub listed: u64,
    pub downloaded: u64,
    pub skipped: u64,
    pub failed: u64,
    pub bytes: u64,
    pub seconds: f64,
    pub images_per_second: f64,
    pub concurrency: u64,
}

/// How a run ended, as the archive keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunEnding {
    Done,
    Cancelled,
    /// Stopped by an error; the reason in the user's words.
    Failed(String),
}

/// Where a run's images came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOrigin {
    Imgur,
    /// The built-in demo gallery.
    Demo,
    /// A list of links, no API.
    Links,
}

impl RunOrigin {
    fn as_str(self) -> &'static str {
        match self {
            RunOrigin::Imgur => "imgur",
            RunOrigin::Demo => "demo",
            RunOrigin::Links => "links",
        }
    }

    fn parse(text: &str) -> RunOrigin {
        match text {
            "demo" => RunOrigin::Demo,
            "links" => RunOrigin::Links,
            _ => RunOrigin::Imgur,
        }
    }
}

/// What is known of a run when it begins.
#[derive(Debug, Clone, PartialEq)]
pub struct RunStart<'a> {
    /// Unix seconds.
    pub started_at: i64,
    pub origin: RunOrigin,
    /// The gallery, as the user named it.
    pub source: &'a str,
    pub out_dir: &'a Path,
    pub concurrency: usize,
}

/// One row of the run history.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    pub number: i64,
    /// Unix seconds.
    pub started_at: i64,
    pub origin: RunOrigin,
    pub source: String,
    pub out_dir: String,
    pub counts: RunCounts,
    pub ending: RunEnding,
}

/// An open archive.
pub struct Archive {
    conn: Connection,
    path: PathBuf,
}

/// Where the archive lives unless told otherwise: the user's data folder.
pub fn default_path() -> Option<PathBuf> {
    dirs::data_dir().map(|dir| dir.join("galley").join("archive.sqlite"))
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS runs (
    number      INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at  INTEGER NOT NULL,
    source      TEXT NOT NULL,
    out_dir     TEXT NOT NULL,
    concurrency INTEGER NOT NULL,
    listed      INTEGER NOT NULL DEFAULT 0,
    downloaded  INTEGER NOT NULL DEFAULT 0,
    skipped     INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0,
    bytes       INTEGER NOT NULL DEFAULT 0,
    seconds     REAL,
    finished    INTEGER NOT NULL DEFAULT 0,
    origin      TEXT NOT NULL DEFAULT 'imgur',
    ending      TEXT,
    reason      TEXT
);
CREATE TABLE IF NOT EXISTS images (
    path     TEXT PRIMARY KEY,
    id       TEXT NOT NULL,
    source   TEXT NOT NULL,
    bytes    INTEGER NOT NULL,
    sha256   TEXT NOT NULL,
    width    INTEGER,
    height   INTEGER,
    run      INTEGER REFERENCES runs(number)
);
CREATE INDEX IF NOT EXISTS images_sha256 ON images(sha256);
";

impl Archive {
    /// Opens (creating if needed) the archive at `path`.
    pub fn open(path: &Path) -> Result<Archive, ArchiveError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|source| ArchiveError::Folder { path: parent.to_owned(), source })?;
        }
        // Two processes opening a new archive at once can find it locked while the other
        // sets it up (turning on WAL takes a lock the busy timeout does not wait for on
        // every platform): try again for a while before saying so.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            match Archive::open_once(path) {
                Err(ArchiveError::Sqlite { source, .. })
                    if source.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                        && std::time::Instant::now() < deadline =>
                {
                    tracing::debug!("the archive {} is busy; trying again", path.display());
                    std::thread::sleep(Duration::from_millis(50));
                }
                opened => return opened,
            }
        }
    }

    fn open_once(path: &Path) -> Result<Archive, ArchiveError> {
        let sqlite = |source| ArchiveError::Sqlite { path: path.to_owned(), source };
        let conn = Connection::open(path).map_err(sqlite)?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(sqlite)?;
        // WAL lets two galley processes (or the app and the CLI) share the archive;
        // NORMAL sync keeps each insert cheap while staying consistent after a crash.
        conn.pragma_update(None, "journal_mode", "WAL").map_err(sqlite)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(sqlite)?;
        let version: u32 = conn.query_row("PRAGMA user_version", [], |row| row.get(0)).map_err(sqlite)?;
        if version as usize > MIGRATIONS.len() {
            // Recording into it would fail row by row (or, worse, half succeed).
            return Err(ArchiveError::Newer { path: path.to_owned(), version, known: MIGRATIONS.len() as u32 });
        }
        conn.execute_batch(SCHEMA).map_err(sqlite)?;
        conn.execute_batch(follows::FOLLOW_SCHEMA).map_err(sqlite)?;
        migrate(&conn).map_err(sqlite)?;
        Ok(Archive { conn, path: path.to_owned() })
    }

    fn err(&self, source: rusqlite::Error) -> ArchiveError {
        ArchiveError::Sqlite { path: self.path.clone(), source }
    }

    /// Records the start of a run and returns its number.
    pub fn begin_run(&self, start: &RunStart<'_>) -> Result<i64, ArchiveError> {
        self.conn
            .execute(
                "INSERT INTO runs (started_at, origin, source, out_dir, concurrency) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    start.started_at,
                    start.origin.as_str(),
                    start.source,
                    start.out_dir.to_string_lossy(),
                    start.concurrency as i64
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Stores a run's final counts, timing and how it ended.
    pub fn finish_run(&self, number: i64, counts: &RunCounts, ending: &RunEnding) -> Result<(), ArchiveError> {
        let (ending, reason) = match ending {
            RunEnding::Done => ("done", None),
            RunEnding::Cancelled => ("cancelled", None),
            RunEnding::Failed(reason) => ("failed", Some(reason.as_str())),
        };
        self.conn
            .execute(
                "UPDATE runs SET listed=?2, downloaded=?3, skipped=?4, failed=?5, bytes=?6,
                 seconds=?7, ending=?8, reason=?9, finished=1 WHERE number=?1",
                params![
                    number,
                    counts.listed as i64,
                    counts.downloaded as i64,
                    counts.skipped as i64,
                    counts.failed as i64,
                    counts.bytes as i64,
                    counts.seconds,
                    ending,
                    reason
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Forgets every run (the saved images stay known, for skipping and de-duplication).
    pub fn clear_runs(&self) -> Result<(), ArchiveError> {
        self.conn.execute_batch("BEGIN; UPDATE images SET run=NULL; DELETE FROM runs; COMMIT;").map_err(|e| self.err(e))
    }

    /// Remembers a saved image (replacing what was known of that path).
    pub fn record_image(&self, image: &ImageRecord, run: Option<i64>) -> Result<(), ArchiveError> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO images (path, id, source, bytes, sha256, width, height, run,
                    title, description, tags, account, datetime, album_id, album_title, views, nsfw)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
                params![
                    image.path.to_string_lossy(),
                    image.id,
                    image.source,
                    image.bytes as i64,
                    image.sha256,
                    image.width,
                    image.height,
                    run,
                    image.meta.title,
                    image.meta.description,
                    tags_column(&image.meta.tags),
                    image.meta.account,
                    image.meta.datetime,
                    image.meta.album_id,
                    image.meta.album_title,
                    image.meta.views.map(|views| views.min(i64::MAX as u64) as i64),
                    image.meta.nsfw
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// What the archive knows of the file at `path`.
    pub fn image_at(&self, path: &Path) -> Result<Option<ImageRecord>, ArchiveError> {
        self.conn
            .query_row(
                &format!("SELECT {IMAGE_COLUMNS} FROM images WHERE path=?1"),
                params![path.to_string_lossy()],
                image_from_row,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Saved images with these exact bytes, in any folder.
    pub fn images_with_sha256(&self, sha256: &str) -> Result<Vec<ImageRecord>, ArchiveError> {
        let mut statement = self
            .conn
            .prepare_cached(&format!("SELECT {IMAGE_COLUMNS} FROM images WHERE sha256=?1"))
            .map_err(|e| self.err(e))?;
        let rows = statement.query_map(params![sha256], image_from_row).map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// Every image the archive knows directly inside `folder` (not in its subfolders' own
    /// index: those are listed under their own folder), in path order.
    pub fn images_in_folder(&self, folder: &Path) -> Result<Vec<ImageRecord>, ArchiveError> {
        let prefix = format!("{}/", folder.to_string_lossy().trim_end_matches('/'));
        // A range on the primary key: every path that starts with `prefix` sorts between
        // it and the same text with '/' bumped to '0'.
        let end = format!("{}0", &prefix[..prefix.len() - 1]);
        let mut statement = self
            .conn
            .prepare_cached(&format!("SELECT {IMAGE_COLUMNS} FROM images WHERE path >= ?1 AND path < ?2 ORDER BY path"))
            .map_err(|e| self.err(e))?;
        let rows = statement.query_map(params![prefix, end], image_from_row).map_err(|e| self.err(e))?;
        let mut images = rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))?;
        images.retain(|image| image.path.parent() == Some(folder));
        Ok(images)
    }

    /// The archive's schema version (`PRAGMA user_version`).
    pub fn schema_version(&self) -> Result<u32, ArchiveError> {
        self.conn.query_row("PRAGMA user_version", [], |row| row.get(0)).map_err(|e| self.err(e))
    }

    /// Forgets a path (its file is gone or was replaced).
    pub fn forget_image(&self, path: &Path) -> Result<(), ArchiveError> {
        self.conn
            .execute("DELETE FROM images WHERE path=?1", params![path.to_string_lossy()])
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Finished runs, newest first.
    pub fn runs(&self, limit: usize) -> Result<Vec<RunRecord>, ArchiveError> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT number, started_at, origin, source, out_dir, concurrency, listed, downloaded,
                        skipped, failed, bytes, seconds, ending, reason
                 FROM runs WHERE finished=1 ORDER BY number DESC LIMIT ?1",
            )
            .map_err(|e| self.err(e))?;
        let rows = statement.query_map(params![limit as i64], run_from_row).map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// Runs SQLite's own consistency check; `true` when the database is sound.
    pub fn integrity_ok(&self) -> Result<bool, ArchiveError> {
        let answer: String =
            self.conn.query_row("PRAGMA integrity_check", [], |row| row.get(0)).map_err(|e| self.err(e))?;
        Ok(answer == "ok")
    }
}

fn run_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<RunRecord> {
    let count = |index: usize| -> rusqlite::Result<u64> { Ok(row.get::<_, i64>(index)?.max(0) as u64) };
    let (downloaded, seconds) = (count(7)?, row.get::<_, Option<f64>>(11)?.unwrap_or(0.0));
    let ending = match (row.get::<_, Option<String>>(12)?.as_deref(), row.get::<_, Option<String>>(13)?) {
        (Some("cancelled"), _) => RunEnding::Cancelled,
        (Some("failed"), reason) => RunEnding::Failed(reason.unwrap_or_default()),
        // Rows written before endings were kept, and finished ones: done.
        _ => RunEnding::Done,
    };
    Ok(RunRecord {
        number: row.get(0)?,
        started_at: row.get(1)?,
        origin: RunOrigin::parse(&row.get::<_, String>(2)?),
        source: row.get(3)?,
        out_dir: row.get(4)?,
        counts: RunCounts {
            concurrency: count(5)?,
            listed: count(6)?,
            downloaded,
            skipped: count(8)?,
            failed: count(9)?,
            bytes: count(10)?,
            seconds,
            images_per_second: if seconds > 0.0 { downloaded as f64 / seconds } else { 0.0 },
        },
        ending,
    })
}

/// One upgrade step: from the version before it to the next.
type Migration = fn(&Connection) -> rusqlite::Result<()>;

/// The archive's history of shapes. `PRAGMA user_version` says how many of these an archive
/// has had; opening it applies the rest. Version 0 is every archive made before versions
/// were kept (up to galley 0.1.0); tests/fixtures/archive-0.1.0.sqlite is one.
const MIGRATIONS: [Migration; 2] = [runs_gain_endings, images_gain_metadata];

/// Brings an archive up to the newest version, in one immediate transaction, so two galley
/// processes opening an old archive at once cannot both upgrade it (the second waits,
/// then finds it done). An archive newer than this galley is left as it is.
fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let migrated = migrate_now(conn);
    conn.execute_batch(if migrated.is_ok() { "COMMIT" } else { "ROLLBACK" })?;
    migrated
}

fn migrate_now(conn: &Connection) -> rusqlite::Result<()> {
    let version: usize = conn.query_row("PRAGMA user_version", [], |row| row.get::<_, u32>(0))? as usize;
    for step in MIGRATIONS.iter().skip(version) {
        step(conn)?;
    }
    if version < MIGRATIONS.len() {
        conn.execute_batch(&format!("PRAGMA user_version = {}", MIGRATIONS.len()))?;
    }
    Ok(())
}

fn add_columns(conn: &Connection, table: &str, wanted: &[(&str, &str)]) -> rusqlite::Result<()> {
    let mut statement = conn.prepare(&format!("PRAGMA table_info({table})"))?;
    let names = statement.query_map([], |row| row.get::<_, String>(1))?.collect::<Result<Vec<_>, _>>()?;
    for (column, kind) in wanted {
        if !names.iter().any(|name| name == column) {
            conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {kind}"))?;
        }
    }
    Ok(())
}

/// 0 -> 1: runs say where they came from and how they ended (early archives lack these).
fn runs_gain_endings(conn: &Connection) -> rusqlite::Result<()> {
    add_columns(conn, "runs", &[("origin", "TEXT NOT NULL DEFAULT 'imgur'"), ("ending", "TEXT"), ("reason", "TEXT")])
}

/// 1 -> 2: images keep what the API said of them.
fn images_gain_metadata(conn: &Connection) -> rusqlite::Result<()> {
    add_columns(
        conn,
        "images",
        &[
            ("title", "TEXT"),
            ("description", "TEXT"),
            ("tags", "TEXT"),
            ("account", "TEXT"),
            ("datetime", "INTEGER"),
            ("album_id", "TEXT"),
            ("album_title", "TEXT"),
            ("views", "INTEGER"),
            ("nsfw", "INTEGER"),
        ],
    )
}

const IMAGE_COLUMNS: &str = "path, id, source, bytes, sha256, width, height,
    title, description, tags, account, datetime, album_id, album_title, views, nsfw";

/// Tags as a JSON array (NULL when there are none).
fn tags_column(tags: &[String]) -> Option<String> {
    (!tags.is_empty()).then(|| serde_json::to_string(tags).unwrap_or_default())
}

fn tags_from_column(text: Option<String>) -> Vec<String> {
    let Some(text) = text else { return Vec::new() };
    serde_json::from_str(&text).unwrap_or_else(|error| {
        tracing::warn!("an archived image's tags are not a JSON list ({error}); shown without tags");
        Vec::new()
    })
}

fn image_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ImageRecord> {
    Ok(ImageRecord {
        path: PathBuf::from(row.get::<_, String>(0)?),
        id: row.get(1)?,
        source: row.get(2)?,
        bytes: row.get::<_, i64>(3)? as u64,
        sha256: row.get(4)?,
        width: row.get(5)?,
        height: row.get(6)?,
        meta: ImageMeta {
            title: row.get(7)?,
            description: row.get(8)?,
            tags: tags_from_column(row.get(9)?),
            account: row.get(10)?,
            datetime: row.get(11)?,
            album_id: row.get(12)?,
            album_title: row.get(13)?,
            views: row.get::<_, Option<i64>>(14)?.map(|views| views.max(0) as u64),
            nsfw: row.get(15)?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(path: &str, sha: &str) -> ImageRecord {
        ImageRecord {
            id: "abc".into(),
            source: "hot/viral/day".into(),
            path: PathBuf::from(path),
            bytes: 10,
            sha256: sha.into(),
            width: Some(4),
            height: Some(3),
            meta: ImageMeta::default(),
        }
    }

    fn start<'a>(started_at: i64, origin: RunOrigin, source: &'a str, out_dir: &'a str) -> RunStart<'a> {
        RunStart { started_at, origin, source, out_dir: Path::new(out_dir), concurrency: 4 }
    }

    #[test]
    fn runs_round_trip_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let archive = Archive::open(&dir.path().join("a/b/archive.sqlite")).unwrap();
        let first = archive.begin_run(&start(1, RunOrigin::Imgur, "r/earthporn", "/tmp/x")).unwrap();
        let second = archive.begin_run(&start(2, RunOrigin::Demo, "album/abc", "/tmp/y")).unwrap();
        let counts =
            RunCounts { listed: 3, downloaded: 2, skipped: 1, seconds: 2.0, concurrency: 4, ..Default::default() };
        archive.finish_run(first, &counts, &RunEnding::Done).unwrap();
        archive.finish_run(second, &counts, &RunEnding::Failed("The folder is full".into())).unwrap();
        let runs = archive.runs(10).unwrap();
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].number, second);
        assert_eq!(
            (runs[0].origin, &runs[0].ending),
            (RunOrigin::Demo, &RunEnding::Failed("The folder is full".into()))
        );
        assert_eq!((runs[1].source.as_str(), runs[1].out_dir.as_str()), ("r/earthporn", "/tmp/x"));
        assert_eq!((runs[1].origin, &runs[1].ending), (RunOrigin::Imgur, &RunEnding::Done));
        assert_eq!(runs[1].counts.downloaded, 2);
        assert!((runs[1].counts.images_per_second - 1.0).abs() < 1e-9);
    }

    #[test]
    fn unfinished_runs_are_not_listed() {
        let dir = tempfile::tempdir().unwrap();
        let archive = Archive::open(&dir.path().join("archive.sqlite")).unwrap();
        archive.begin_run(&start(1, RunOrigin::Imgur, "x", "/tmp")).unwrap();
        assert!(archive.runs(10).unwrap().is_empty());
    }

    #[test]
    fn clearing_the_history_keeps_the_images() {
        let dir = tempfile::tempdir().unwrap();
        let archive = Archive::open(&dir.path().join("archive.sqlite")).unwrap();
        let run = archive.begin_run(&start(1, RunOrigin::Demo, "x", "/p")).unwrap();
        archive.record_image(&record("/p/one.jpg", "aa"), Some(run)).unwrap();
        archive.finish_run(run, &RunCounts::default(), &RunEnding::Cancelled).unwrap();
        assert_eq!(archive.runs(10).unwrap()[0].ending, RunEnding::Cancelled);
        archive.clear_runs().unwrap();
        assert!(archive.runs(10).unwrap().is_empty());
        assert!(archive.image_at(Path::new("/p/one.jpg")).unwrap().is_some(), "images stay known");
    }

    #[test]
    fn an_archive_from_before_endings_gains_the_columns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite");
        let old = Connection::open(&path).unwrap();
        old.execute_batch(
            "CREATE TABLE runs (number INTEGER PRIMARY KEY AUTOINCREMENT, started_at INTEGER NOT NULL,
             source TEXT NOT NULL, out_dir TEXT NOT NULL, concurrency INTEGER NOT NULL,
             listed INTEGER NOT NULL DEFAULT 0, downloaded INTEGER NOT NULL DEFAULT 0,
             skipped INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0,
             bytes INTEGER NOT NULL DEFAULT 0, seconds REAL, finished INTEGER NOT NULL DEFAULT 0);
             INSERT INTO runs (started_at, source, out_dir, concurrency, seconds, finished)
             VALUES (5, 'hot/viral/day', '/p', 16, 1.5, 1);",
        )
        .unwrap();
        drop(old);
        // Two processes opening it at once: both succeed, the columns are added once.
        let opened: Vec<_> = (0..4)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || Archive::open(&path).map(|_| ()))
            })
            .collect();
        for opening in opened {
            opening.join().unwrap().unwrap();
        }
        let archive = Archive::open(&path).unwrap();
        let runs = archive.runs(10).unwrap();
        assert_eq!((runs[0].origin, &runs[0].ending), (RunOrigin::Imgur, &RunEnding::Done));
    }

    #[test]
    fn images_are_found_by_path_and_by_hash() {
        let dir = tempfile::tempdir().unwrap();
        let archive = Archive::open(&dir.path().join("archive.sqlite")).unwrap();
        archive.record_image(&record("/p/one.jpg", "aa"), None).unwrap();
        archive.record_image(&record("/p/two.jpg", "aa"), None).unwrap();
        assert_eq!(archive.image_at(Path::new("/p/one.jpg")).unwrap(), Some(record("/p/one.jpg", "aa")));
        assert_eq!(archive.images_with_sha256("aa").unwrap().len(), 2);
        archive.forget_image(Path::new("/p/one.jpg")).unwrap();
        assert_eq!(archive.image_at(Path::new("/p/one.jpg")).unwrap(), None);
        assert!(archive.integrity_ok().unwrap());
    }

    #[test]
    fn an_archive_from_a_newer_galley_is_refused_and_left_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("archive.sqlite");
        let future = MIGRATIONS.len() as u32 + 7;
        Connection::open(&path).unwrap().execute_batch(&format!("PRAGMA user_version = {future}")).unwrap();
        let refused = Archive::open(&path).err().expect("refused");
        assert!(matches!(refused, ArchiveError::Newer { version, .. } if version == future), "{refused}");
        let version: u32 =
            Connection::open(&path).unwrap().query_row("PRAGMA user_version", [], |row| row.get(0)).unwrap();
        assert_eq!(version, future, "untouched");
    }

    /// An archive written by galley 0.1.0 (before schema versions): it opens, is upgraded,
    /// and keeps every run and image.
    #[test]
    fn an_archive_from_0_1_0_is_upgraded_without_losing_a_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("archive.sqlite");
        std::fs::write(&path, include_bytes!("../../tests/fixtures/archive-0.1.0.sqlite")).unwrap();
        let archive = Archive::open(&path).unwrap();
        assert_eq!(archive.schema_version().unwrap(), MIGRATIONS.len() as u32);
        let runs = archive.runs(10).unwrap();
        assert_eq!(runs.len(), 2);
        assert_eq!((runs[0].counts.downloaded, runs[1].counts.downloaded), (3, 6));
        let first = archive.images_in_folder(Path::new("/tmp/fx/out")).unwrap();
        let second = archive.images_in_folder(Path::new("/tmp/fx/out2")).unwrap();
        assert_eq!((first.len(), second.len()), (6, 3));
        assert!(first.iter().all(|image| image.meta.is_empty() && image.sha256.len() == 64));
        // The upgraded archive takes metadata, and opening it again changes nothing.
        let mut image = first[0].clone();
        image.meta = ImageMeta { title: Some("Kept".into()), tags: vec!["a".into()], ..Default::default() };
        archive.record_image(&image, None).unwrap();
        drop(archive);
        let again = Archive::open(&path).unwrap();
        assert_eq!(again.image_at(&image.path).unwrap(), Some(image));
        assert_eq!(again.runs(10).unwrap().len(), 2);
        assert!(again.integrity_ok().unwrap());
    }

    #[test]
    fn metadata_round_trips_and_folders_list_only_their_own_files() {
        let dir = tempfile::tempdir().unwrap();
        let archive = Archive::open(&dir.path().join("archive.sqlite")).unwrap();
        let mut image = record("/p/one.jpg", "aa");
        image.meta = ImageMeta {
            title: Some("Sunset".into()),
            description: Some("over the sea".into()),
            tags: vec!["sea".into(), "sky".into()],
            account: Some("ana".into()),
            datetime: Some(1_700_000_000),
            album_id: Some("al1".into()),
            album_title: Some("Trip".into()),
            views: Some(12),
            nsfw: Some(false),
        };
        archive.record_image(&image, None).unwrap();
        archive.record_image(&record("/p/sub/two.jpg", "bb"), None).unwrap();
        archive.record_image(&record("/p2/three.jpg", "cc"), None).unwrap();
        assert_eq!(archive.images_in_folder(Path::new("/p")).unwrap(), vec![image]);
        assert_eq!(archive.images_in_folder(Path::new("/p/")).unwrap().len(), 1);
    }
}
