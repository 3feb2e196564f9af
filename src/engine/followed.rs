//! What following is made of: the followed form of a source, a check's plan (each
//! source's folder and the ids it already has), the rows the window lists and why a
//! follow failed. The check itself, which runs these, is `follow`.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use url::Url;

use super::source::{Sort, Source, SourceError};
use super::types::{ClientId, Fatal};
use crate::archive::{ArchiveError, FollowRecord, RunOrigin};
use crate::lock::lock_or_recover;

#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("'{0}' is different every time it is listed, so there is nothing to follow in it")]
    Unfollowable(String),
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error("the archive task stopped unexpectedly: {0}")]
    Task(String),
    /// The check's run stopped (the network, the quota, the folder).
    #[error("{0}")]
    Stopped(Fatal),
}

/// Unix seconds now.
pub fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|now| now.as_secs() as i64).unwrap_or(0)
}

/// How long ago `at` was, from `now` (unix seconds), in a few words.
pub fn ago(at: i64, now: i64) -> String {
    match now.saturating_sub(at).max(0) {
        0..60 => "just now".to_owned(),
        seconds @ 60..3600 => format!("{} min ago", seconds / 60),
        seconds @ 3600..172_800 => format!("{} h ago", seconds / 3600),
        seconds => format!("{} days ago", seconds / 86_400),
    }
}

/// The source as it is followed: listed newest first. Galleries, subreddits, tags and
/// searches are sorted by time; users' posts and favorites, albums and posts are listed as
/// they come. The random gallery cannot be followed.
pub fn followable(text: &str) -> Result<Source, FollowError> {
    newest_first(text.parse()?)
}

/// `source` as it is followed (see [`followable`]).
pub fn newest_first(mut source: Source) -> Result<Source, FollowError> {
    let newest = |sort: &mut Sort| *sort = Sort::Time;
    match &mut source {
        Source::Random => return Err(FollowError::Unfollowable(source.to_string())),
        Source::Gallery { sort, .. }
        | Source::Subreddit { sort, .. }
        | Source::Tag { sort, .. }
        | Source::Search { sort, .. } => newest(sort),
        Source::Album { .. }
        | Source::Post { .. }
        | Source::Image { .. }
        | Source::User { .. }
        | Source::Favorites { .. } => {}
    }
    Ok(source)
}

/// One followed source as the window lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowRow {
    pub record: FollowRecord,
    /// Its files saved since its new images were last looked at, newest first.
    pub new_files: Vec<PathBuf>,
}

/// What one followed source of a check is, by the job's source index.
#[derive(Debug, Clone)]
pub struct FollowTarget {
    pub source: Source,
    pub folder: PathBuf,
    /// Ids already dealt with for it.
    pub known: HashSet<String>,
    /// Listed to its end once: stop at the first page holding a known id.
    pub caught_up: bool,
}

/// One item a check dealt with for a source: its id (or its album's), and where it was
/// saved (`None`: it was there already, deleted on Imgur, or it is an album's id).
pub type EndedItem = (String, Option<PathBuf>);

/// What a follow check's job knows of each of its sources, and what it dealt with.
pub struct FollowPlan {
    targets: Vec<FollowTarget>,
    ended: Mutex<Vec<Vec<EndedItem>>>,
}

impl std::fmt::Debug for FollowPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FollowPlan").field("sources", &self.targets.len()).finish_non_exhaustive()
    }
}

impl FollowPlan {
    pub fn new(targets: Vec<FollowTarget>) -> Self {
        let ended = Mutex::new(vec![Vec::new(); targets.len()]);
        Self { targets, ended }
    }

    pub fn target(&self, index: usize) -> Option<&FollowTarget> {
        self.targets.get(index)
    }

    pub fn targets(&self) -> &[FollowTarget] {
        &self.targets
    }

    /// Notes that source `index` dealt with `id` (of album `album`), saved at `path`.
    pub(crate) fn ended(&self, index: usize, id: String, album: Option<String>, path: Option<PathBuf>) {
        let mut ended = lock_or_recover(&self.ended, "the follow check's items");
        if let Some(items) = ended.get_mut(index) {
            items.push((id, path));
            items.extend(album.map(|album| (album, None)));
        }
    }

    pub(crate) fn take_ended(&self) -> Vec<Vec<EndedItem>> {
        std::mem::take(&mut *lock_or_recover(&self.ended, "the follow check's items"))
    }
}

/// What a check needs besides the archive's follows.
#[derive(Debug, Clone)]
pub struct CheckRequest {
    pub archive: PathBuf,
    pub api_base: Url,
    pub client_id: ClientId,
    pub concurrency: usize,
    pub thumbnails: bool,
    pub thumbnail_cache: Option<PathBuf>,
    /// The demo or Imgur, for the run history.
    pub origin: RunOrigin,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn followed_sources_are_listed_newest_first_and_random_is_refused() {
        assert_eq!(followable("t/cats").unwrap().to_string(), "t/cats/time/week");
        assert_eq!(followable("hot/viral/day").unwrap().to_string(), "hot/time/day");
        assert_eq!(followable("r/pics/top/all").unwrap().to_string(), "r/pics/time/all");
        assert_eq!(followable("https://imgur.com/user/ana").unwrap().to_string(), "user/ana");
        assert_eq!(followable("album/AbCdE").unwrap().to_string(), "album/AbCdE");
        assert!(matches!(followable("random"), Err(FollowError::Unfollowable(_))));
        assert!(matches!(followable("nonsense//"), Err(FollowError::Source(_))));
    }
}
