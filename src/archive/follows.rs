//! Followed sources: what `galley follow` and the app's Following view keep in the run
//! archive. Each follow remembers its folder, how its last check went, and every item
//! already dealt with for it (saved, or deleted on Imgur), so a check lists only until the
//! first page holding one of those and never fetches one of them again.
//!
//! The tables are created with `IF NOT EXISTS` when the archive opens, outside the
//! numbered migrations: an older galley opening the archive ignores them and still
//! records its runs.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rusqlite::{OptionalExtension, params};

use super::{Archive, ArchiveError};

pub(super) const FOLLOW_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS follows (
    source          TEXT PRIMARY KEY,
    out_dir         TEXT NOT NULL,
    added_at        INTEGER NOT NULL,
    checked_at      INTEGER,
    new_at_check    INTEGER NOT NULL DEFAULT 0,
    failed_at_check INTEGER NOT NULL DEFAULT 0,
    error           TEXT,
    caught_up       INTEGER NOT NULL DEFAULT 0,
    looked_upto     INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS follow_items (
    source   TEXT NOT NULL,
    id       TEXT NOT NULL,
    path     TEXT,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (source, id)
);
CREATE TABLE IF NOT EXISTS follow_quota (
    single           INTEGER PRIMARY KEY CHECK (single = 1),
    client_remaining INTEGER,
    user_remaining   INTEGER,
    user_reset       INTEGER,
    seen_at          INTEGER NOT NULL
);
";

/// One followed source as the archive keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowRecord {
    /// The source in its short form (`user/NAME`, `t/TAG/time/week`).
    pub source: String,
    pub out_dir: PathBuf,
    /// Unix seconds.
    pub added_at: i64,
    /// When it was last checked (unix seconds); `None`: never.
    pub checked_at: Option<i64>,
    /// Images saved by its last check.
    pub new_at_check: u64,
    /// Images its last check could not save.
    pub failed_at_check: u64,
    /// Why its last check could not list it, if it could not.
    pub error: Option<String>,
    /// Its listing has once reached the end, or the items it already had, with nothing
    /// left failed: from then on a check stops at the first page holding a known item.
    pub caught_up: bool,
    /// The newest of its items (a `follow_items` row number) already looked at: items
    /// after it are new. A row number, not a time, so an item saved in the very second of
    /// a look is told apart.
    pub looked_upto: i64,
}

/// What `follow` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Followed {
    Added,
    /// It was followed already, into another folder: the folder changed.
    Moved,
    /// It was followed already, into this folder.
    Already,
}

/// How one check of a followed source went, to be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowCheck {
    pub checked_at: i64,
    pub new: u64,
    pub failed: u64,
    pub error: Option<String>,
    pub caught_up: bool,
    /// Items dealt with: the id, and where it was saved (`None`: deleted on Imgur, or an
    /// album's id).
    pub items: Vec<(String, Option<PathBuf>)>,
}

/// Imgur's quota as last seen, kept so the next check can plan before its first request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuotaSeen {
    pub client_remaining: Option<u64>,
    pub user_remaining: Option<u64>,
    /// Unix time the user quota resets.
    pub user_reset: Option<u64>,
    /// Unix time it was seen.
    pub seen_at: i64,
}

fn to_i64(value: u64) -> i64 {
    value.min(i64::MAX as u64) as i64
}

fn to_u64(value: Option<i64>) -> Option<u64> {
    value.map(|value| value.max(0) as u64)
}

impl Archive {
    /// Follows `source` into `out_dir` (or moves an existing follow to `out_dir`).
    pub fn follow(&self, source: &str, out_dir: &Path, now: i64) -> Result<Followed, ArchiveError> {
        let folder = out_dir.to_string_lossy();
        let known: Option<String> = self
            .conn
            .query_row("SELECT out_dir FROM follows WHERE source=?1", params![source], |row| row.get(0))
            .optional()
            .map_err(|e| self.err(e))?;
        let outcome = match known {
            None => {
                self.conn
                    .execute(
                        "INSERT INTO follows (source, out_dir, added_at) VALUES (?1, ?2, ?3)",
                        params![source, folder, now],
                    )
                    .map_err(|e| self.err(e))?;
                Followed::Added
            }
            Some(before) if before == folder => Followed::Already,
            Some(_) => {
                self.conn
                    .execute("UPDATE follows SET out_dir=?2 WHERE source=?1", params![source, folder])
                    .map_err(|e| self.err(e))?;
                Followed::Moved
            }
        };
        Ok(outcome)
    }

    /// Stops following `source`, forgetting what was dealt with for it (the files stay).
    /// `false` when it was not followed.
    pub fn unfollow(&self, source: &str) -> Result<bool, ArchiveError> {
        let removed =
            self.conn.execute("DELETE FROM follows WHERE source=?1", params![source]).map_err(|e| self.err(e))?;
        self.conn.execute("DELETE FROM follow_items WHERE source=?1", params![source]).map_err(|e| self.err(e))?;
        Ok(removed > 0)
    }

    /// Every followed source, in the order they were added.
    pub fn follows(&self) -> Result<Vec<FollowRecord>, ArchiveError> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT source, out_dir, added_at, checked_at, new_at_check, failed_at_check, error, caught_up,
                        looked_upto
                 FROM follows ORDER BY added_at, source",
            )
            .map_err(|e| self.err(e))?;
        let rows = statement
            .query_map([], |row| {
                Ok(FollowRecord {
                    source: row.get(0)?,
                    out_dir: PathBuf::from(row.get::<_, String>(1)?),
                    added_at: row.get(2)?,
                    checked_at: row.get(3)?,
                    new_at_check: row.get::<_, i64>(4)?.max(0) as u64,
                    failed_at_check: row.get::<_, i64>(5)?.max(0) as u64,
                    error: row.get(6)?,
                    caught_up: row.get(7)?,
                    looked_upto: row.get(8)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// The ids already dealt with for `source` (images saved or deleted on Imgur, and the
    /// albums they came in).
    pub fn follow_known(&self, source: &str) -> Result<HashSet<String>, ArchiveError> {
        let mut statement =
            self.conn.prepare_cached("SELECT id FROM follow_items WHERE source=?1").map_err(|e| self.err(e))?;
        let rows = statement.query_map(params![source], |row| row.get::<_, String>(0)).map_err(|e| self.err(e))?;
        rows.collect::<Result<HashSet<_>, _>>().map_err(|e| self.err(e))
    }

    /// Records how a check of `source` went, with the items it dealt with, in one
    /// transaction. A source no longer followed is left alone.
    pub fn record_follow_check(&self, source: &str, check: &FollowCheck) -> Result<(), ArchiveError> {
        let recorded = (|| -> rusqlite::Result<()> {
            self.conn.execute_batch("BEGIN IMMEDIATE")?;
            let updated = self.conn.execute(
                "UPDATE follows SET checked_at=?2, new_at_check=?3, failed_at_check=?4, error=?5, caught_up=?6
                 WHERE source=?1",
                params![
                    source,
                    check.checked_at,
                    to_i64(check.new),
                    to_i64(check.failed),
                    check.error,
                    check.caught_up
                ],
            )?;
            if updated > 0 {
                let mut insert = self.conn.prepare_cached(
                    "INSERT OR IGNORE INTO follow_items (source, id, path, added_at) VALUES (?1, ?2, ?3, ?4)",
                )?;
                for (id, path) in &check.items {
                    let path = path.as_ref().map(|path| path.to_string_lossy().into_owned());
                    insert.execute(params![source, id, path, check.checked_at])?;
                }
            }
            Ok(())
        })();
        let ended = self.conn.execute_batch(if recorded.is_ok() { "COMMIT" } else { "ROLLBACK" });
        recorded.and(ended).map_err(|e| self.err(e))
    }

    /// The files saved for `source` since its new images were last looked at, newest first.
    pub fn follow_new_files(&self, source: &str) -> Result<Vec<PathBuf>, ArchiveError> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT i.path FROM follow_items i JOIN follows f ON f.source = i.source
                 WHERE i.source=?1 AND i.path IS NOT NULL AND i.rowid > f.looked_upto
                 ORDER BY i.rowid DESC",
            )
            .map_err(|e| self.err(e))?;
        let rows = statement.query_map(params![source], |row| row.get::<_, String>(0)).map_err(|e| self.err(e))?;
        let paths = rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))?;
        Ok(paths.into_iter().map(PathBuf::from).collect())
    }

    /// Says the new images of `source` were looked at: every item it has so far.
    pub fn follow_looked(&self, source: &str) -> Result<(), ArchiveError> {
        self.conn
            .execute(
                "UPDATE follows SET looked_upto=(SELECT COALESCE(MAX(rowid), 0) FROM follow_items WHERE source=?1)
                 WHERE source=?1",
                params![source],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Keeps the quota as last seen.
    pub fn save_quota(&self, quota: &QuotaSeen) -> Result<(), ArchiveError> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO follow_quota (single, client_remaining, user_remaining, user_reset, seen_at)
                 VALUES (1, ?1, ?2, ?3, ?4)",
                params![
                    quota.client_remaining.map(to_i64),
                    quota.user_remaining.map(to_i64),
                    quota.user_reset.map(to_i64),
                    quota.seen_at
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// The quota as last seen, if ever.
    pub fn quota(&self) -> Result<Option<QuotaSeen>, ArchiveError> {
        self.conn
            .query_row(
                "SELECT client_remaining, user_remaining, user_reset, seen_at FROM follow_quota WHERE single=1",
                [],
                |row| {
                    Ok(QuotaSeen {
                        client_remaining: to_u64(row.get(0)?),
                        user_remaining: to_u64(row.get(1)?),
                        user_reset: to_u64(row.get(2)?),
                        seen_at: row.get(3)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open() -> (tempfile::TempDir, Archive) {
        let dir = tempfile::tempdir().unwrap();
        let archive = Archive::open(&dir.path().join("archive.sqlite")).unwrap();
        (dir, archive)
    }

    #[test]
    fn follows_are_added_moved_listed_and_removed() {
        let (_dir, archive) = open();
        assert_eq!(archive.follow("user/ana", Path::new("/p/ana"), 5).unwrap(), Followed::Added);
        assert_eq!(archive.follow("t/cats/time/week", Path::new("/p/cats"), 6).unwrap(), Followed::Added);
        assert_eq!(archive.follow("user/ana", Path::new("/p/ana"), 7).unwrap(), Followed::Already);
        assert_eq!(archive.follow("user/ana", Path::new("/p/ana2"), 8).unwrap(), Followed::Moved);
        let follows = archive.follows().unwrap();
        let listed: Vec<(&str, &Path)> = follows.iter().map(|f| (f.source.as_str(), f.out_dir.as_path())).collect();
        assert_eq!(listed, [("user/ana", Path::new("/p/ana2")), ("t/cats/time/week", Path::new("/p/cats"))]);
        assert_eq!((follows[0].added_at, follows[0].checked_at, follows[0].caught_up), (5, None, false));
        assert!(archive.unfollow("user/ana").unwrap());
        assert!(!archive.unfollow("user/ana").unwrap(), "not followed any more");
        assert_eq!(archive.follows().unwrap().len(), 1);
    }

    #[test]
    fn a_check_is_recorded_with_its_items_and_new_files_until_looked_at() {
        let (_dir, archive) = open();
        archive.follow("user/ana", Path::new("/p"), 1).unwrap();
        let check = FollowCheck {
            checked_at: 10,
            new: 2,
            failed: 1,
            error: None,
            caught_up: true,
            items: vec![
                ("a".into(), Some("/p/a.jpg".into())),
                ("b".into(), Some("/p/b.png".into())),
                ("gone".into(), None),
            ],
        };
        archive.record_follow_check("user/ana", &check).unwrap();
        let known = archive.follow_known("user/ana").unwrap();
        assert_eq!(known, HashSet::from(["a".to_owned(), "b".to_owned(), "gone".to_owned()]));
        let follow = &archive.follows().unwrap()[0];
        assert_eq!((follow.checked_at, follow.new_at_check, follow.failed_at_check), (Some(10), 2, 1));
        assert!(follow.caught_up);
        assert_eq!(archive.follow_new_files("user/ana").unwrap().len(), 2);
        archive.follow_looked("user/ana").unwrap();
        assert!(archive.follow_new_files("user/ana").unwrap().is_empty());
        // An item saved in the very second of the look is new all the same.
        let later = FollowCheck { items: vec![("c".into(), Some("/p/c.jpg".into()))], ..check.clone() };
        archive.record_follow_check("user/ana", &later).unwrap();
        assert_eq!(archive.follow_new_files("user/ana").unwrap(), [PathBuf::from("/p/c.jpg")]);
        // Not followed: nothing is recorded.
        archive.record_follow_check("user/bo", &check).unwrap();
        assert!(archive.follow_known("user/bo").unwrap().is_empty());
        assert!(archive.unfollow("user/ana").unwrap());
        assert!(archive.follow_known("user/ana").unwrap().is_empty(), "forgotten with the follow");
    }

    #[test]
    fn the_quota_round_trips() {
        let (_dir, archive) = open();
        assert_eq!(archive.quota().unwrap(), None);
        let seen = QuotaSeen { client_remaining: Some(12), user_remaining: None, user_reset: Some(99), seen_at: 3 };
        archive.save_quota(&seen).unwrap();
        assert_eq!(archive.quota().unwrap(), Some(seen));
    }
}
