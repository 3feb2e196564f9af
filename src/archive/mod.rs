//! The run archive: a small SQLite database of past runs (for the timing table) and of
//! saved images (so a later run can skip what it already has, and never save the same
//! bytes twice under two names).
//!
//! Several galley processes may share one archive: it runs in WAL mode with a busy
//! timeout, and every write is a single short statement.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

use crate::engine::{RunRecord, Summary};

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("cannot create the archive folder {path}: {source}")]
    Folder { path: PathBuf, source: std::io::Error },
    #[error("archive {path}: {source}")]
    Sqlite { path: PathBuf, source: rusqlite::Error },
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
    finished    INTEGER NOT NULL DEFAULT 0
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
        let sqlite = |source| ArchiveError::Sqlite { path: path.to_owned(), source };
        let conn = Connection::open(path).map_err(sqlite)?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(sqlite)?;
        // WAL lets two galley processes (or the app and the CLI) share the archive;
        // NORMAL sync keeps each insert cheap while staying consistent after a crash.
        conn.pragma_update(None, "journal_mode", "WAL").map_err(sqlite)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(sqlite)?;
        conn.execute_batch(SCHEMA).map_err(sqlite)?;
        Ok(Archive { conn, path: path.to_owned() })
    }

    fn err(&self, source: rusqlite::Error) -> ArchiveError {
        ArchiveError::Sqlite { path: self.path.clone(), source }
    }

    /// Records the start of a run and returns its number.
    pub fn begin_run(
        &self,
        started_at: i64,
        source: &str,
        out_dir: &Path,
        concurrency: usize,
    ) -> Result<i64, ArchiveError> {
        self.conn
            .execute(
                "INSERT INTO runs (started_at, source, out_dir, concurrency) VALUES (?1, ?2, ?3, ?4)",
                params![started_at, source, out_dir.to_string_lossy(), concurrency as i64],
            )
            .map_err(|e| self.err(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Stores a run's final counts and timing.
    pub fn finish_run(&self, number: i64, summary: &Summary) -> Result<(), ArchiveError> {
        self.conn
            .execute(
                "UPDATE runs SET listed=?2, downloaded=?3, skipped=?4, failed=?5, bytes=?6,
                 seconds=?7, finished=1 WHERE number=?1",
                params![
                    number,
                    summary.listed as i64,
                    summary.downloaded as i64,
                    summary.skipped as i64,
                    summary.failed as i64,
                    summary.bytes as i64,
                    summary.seconds
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Remembers a saved image (replacing what was known of that path).
    pub fn record_image(&self, image: &ImageRecord, run: Option<i64>) -> Result<(), ArchiveError> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO images (path, id, source, bytes, sha256, width, height, run)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    image.path.to_string_lossy(),
                    image.id,
                    image.source,
                    image.bytes as i64,
                    image.sha256,
                    image.width,
                    image.height,
                    run
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// What the archive knows of the file at `path`.
    pub fn image_at(&self, path: &Path) -> Result<Option<ImageRecord>, ArchiveError> {
        self.conn
            .query_row(
                "SELECT path, id, source, bytes, sha256, width, height FROM images WHERE path=?1",
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
            .prepare_cached("SELECT path, id, source, bytes, sha256, width, height FROM images WHERE sha256=?1")
            .map_err(|e| self.err(e))?;
        let rows = statement.query_map(params![sha256], image_from_row).map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
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
                "SELECT number, started_at, source, out_dir, concurrency, listed, downloaded,
                        skipped, failed, bytes, seconds
                 FROM runs WHERE finished=1 ORDER BY number DESC LIMIT ?1",
            )
            .map_err(|e| self.err(e))?;
        let rows = statement
            .query_map(params![limit as i64], |row| {
                let downloaded: i64 = row.get(6)?;
                let seconds: f64 = row.get::<_, Option<f64>>(10)?.unwrap_or(0.0);
                Ok(RunRecord {
                    number: row.get(0)?,
                    started_at: row.get(1)?,
                    source: row.get(2)?,
                    out_dir: row.get(3)?,
                    summary: Summary {
                        concurrency: row.get::<_, i64>(4)? as u64,
                        listed: row.get::<_, i64>(5)? as u64,
                        downloaded: downloaded as u64,
                        skipped: row.get::<_, i64>(7)? as u64,
                        failed: row.get::<_, i64>(8)? as u64,
                        bytes: row.get::<_, i64>(9)? as u64,
                        seconds,
                        images_per_second: crate::engine::images_per_second(downloaded as u64, seconds),
                    },
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// Runs SQLite's own consistency check; `true` when the database is sound.
    pub fn integrity_ok(&self) -> Result<bool, ArchiveError> {
        let answer: String =
            self.conn.query_row("PRAGMA integrity_check", [], |row| row.get(0)).map_err(|e| self.err(e))?;
        Ok(answer == "ok")
    }
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
        }
    }

    #[test]
    fn runs_round_trip_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let archive = Archive::open(&dir.path().join("a/b/archive.sqlite")).unwrap();
        let first = archive.begin_run(1, "r/earthporn", Path::new("/tmp/x"), 4).unwrap();
        let second = archive.begin_run(2, "album/abc", Path::new("/tmp/y"), 64).unwrap();
        let summary =
            Summary { listed: 3, downloaded: 2, skipped: 1, seconds: 2.0, concurrency: 4, ..Default::default() };
        archive.finish_run(first, &summary).unwrap();
        archive.finish_run(second, &summary).unwrap();
        let runs = archive.runs(10).unwrap();
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].number, second);
        assert_eq!(runs[1].source, "r/earthporn");
        assert_eq!(runs[1].summary.downloaded, 2);
        assert!((runs[1].summary.images_per_second - 1.0).abs() < 1e-9);
    }

    #[test]
    fn unfinished_runs_are_not_listed() {
        let dir = tempfile::tempdir().unwrap();
        let archive = Archive::open(&dir.path().join("archive.sqlite")).unwrap();
        archive.begin_run(1, "x", Path::new("/tmp"), 1).unwrap();
        assert!(archive.runs(10).unwrap().is_empty());
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
}
