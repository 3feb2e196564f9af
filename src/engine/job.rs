//! A run as a front end asks for it: its sources ([`JobInput`]), its folder and every
//! choice that shapes it ([`Job`], made by [`Job::planned`] from the person's
//! [`RunChoices`]), and what a run that only lists would save ([`PlannedFile`]).

use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;
use url::Url;

use super::followed::FollowPlan;
use super::item::ImageItem;
use super::source::Source;
use super::template::NameTemplate;
use super::types::{ClientId, DEFAULT_MAX_IMAGE_BYTES, MovingPictures};
use crate::archive::RunOrigin;

/// Where the images of one source of a job come from.
#[derive(Debug, Clone)]
pub enum JobInput {
    /// List a gallery through the Imgur API (or the demo server, which speaks the same API).
    Imgur {
        api_base: Url,
        client_id: ClientId,
        source: Source,
        /// Gallery pages to list; `None` lists until a page brings nothing new.
        pages: Option<u32>,
    },
    /// Download these links as they are, with no API.
    Urls(Vec<String>),
    /// Download exactly these items, as an earlier listing found them (the pictures a
    /// person picked in a preview); `label` names where they were listed.
    Items { label: String, items: Vec<ImageItem> },
}

impl JobInput {
    /// What the user would call this source: the source's short form, or "N links".
    pub fn label(&self) -> String {
        match self {
            JobInput::Imgur { source, .. } => source.to_string(),
            JobInput::Urls(urls) => format!("{} links", urls.len()),
            JobInput::Items { label, items } => match items.len() {
                1 => format!("1 picked from {label}"),
                n => format!("{n} picked from {label}"),
            },
        }
    }

    /// The Client-ID it sends, if it talks to the API.
    pub fn client_id(&self) -> Option<&ClientId> {
        match self {
            JobInput::Imgur { client_id, .. } => Some(client_id),
            JobInput::Urls(_) | JobInput::Items { .. } => None,
        }
    }
}

/// An image a run would save, as `galley fetch --list` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedFile {
    pub id: String,
    pub link: String,
    /// Where it would be saved, under the run's folder (before a taken name is numbered).
    pub file: PathBuf,
    /// What the listing says it is (`jpeg`, `png`, `gif`, `mp4`), if it says.
    pub kind: Option<&'static str>,
    /// Its size in bytes, when the listing gives it.
    pub size: Option<u64>,
    /// The source that listed it, as given.
    pub source: String,
    /// A file of that name is in the folder already (a run would skip it).
    pub present: bool,
}

/// One download job: what to fetch, where to put it, how hard to go at it.
#[derive(Debug, Clone)]
pub struct Job {
    /// The sources, listed one after another in this order; their downloads share one
    /// pool of `concurrency` connections.
    pub sources: Vec<JobInput>,
    pub out_dir: PathBuf,
    /// Downloads at once; clamped to `CONCURRENCY_RANGE`.
    pub concurrency: usize,
    /// At most this many images.
    pub limit: Option<usize>,
    /// Which moving pictures are saved besides the still images.
    pub moving: MovingPictures,
    /// Decode each image and send a thumbnail (also proves the file is a valid image).
    pub thumbnails: bool,
    pub max_image_bytes: u64,
    /// The SQLite run archive; `None` keeps no history (and skips by file only).
    pub archive: Option<PathBuf>,
    /// The library's thumbnail cache root: thumbnails made while saving are kept there,
    /// so the folder later opens without decoding its images again.
    pub thumbnail_cache: Option<PathBuf>,
    /// Label of the source, for the archive and the runs table.
    pub label: String,
    /// Imgur, the demo gallery or a list of links: the runs table says which.
    pub origin: RunOrigin,
    /// How saved files are named (`{id}.{ext}` by default).
    pub naming: NameTemplate,
    /// Put each album's images in a subfolder named by the album's title.
    pub album_folders: bool,
    /// Write `<file>.json` beside each image: what the API said of it.
    pub write_metadata: bool,
    /// Only say what would be saved ([`RunEvent::WouldSave`](super::RunEvent::WouldSave)): nothing is downloaded or
    /// written, and the folder is not made.
    pub list_only: bool,
    /// At most this many images of each source, by the source's index (a source past
    /// the end of the list has no cap of its own); `limit` caps the whole job.
    pub source_limits: Vec<Option<usize>>,
    /// A follow check: each source's own folder and what it already has (see
    /// `follow`); `None` for every other run.
    pub follow: Option<Arc<FollowPlan>>,
}

/// What a person chose for a run: in the app its settings, in the CLI its flags. Every
/// run of either becomes a [`Job`] through [`Job::planned`], so the two cannot drift.
#[derive(Debug, Clone)]
pub struct RunChoices {
    /// Downloads at once.
    pub concurrency: usize,
    pub moving: MovingPictures,
    pub naming: NameTemplate,
    pub album_folders: bool,
    pub write_metadata: bool,
    /// Decode each image as it is saved (proving it whole) and send its thumbnail.
    pub thumbnails: bool,
    /// The run archive; `None` keeps no history.
    pub archive: Option<PathBuf>,
    /// The library's thumbnail cache, where thumbnails made while saving are kept.
    pub thumbnail_cache: Option<PathBuf>,
}

impl Default for RunChoices {
    fn default() -> Self {
        Self {
            concurrency: 16,
            moving: MovingPictures::default(),
            naming: NameTemplate::default(),
            album_folders: false,
            write_metadata: false,
            thumbnails: true,
            archive: None,
            thumbnail_cache: None,
        }
    }
}

impl Job {
    /// The job of `sources` into `out_dir` as the person chose: the one constructor the
    /// app, the CLI and follow checks share.
    pub fn planned(sources: Vec<JobInput>, out_dir: PathBuf, choices: RunChoices) -> Self {
        // Thumbnails are kept only where they are made.
        let thumbnail_cache = choices.thumbnail_cache.filter(|_| choices.thumbnails);
        Self {
            concurrency: choices.concurrency,
            moving: choices.moving,
            naming: choices.naming,
            album_folders: choices.album_folders,
            write_metadata: choices.write_metadata,
            thumbnails: choices.thumbnails,
            archive: choices.archive,
            thumbnail_cache,
            ..Self::queue(sources, out_dir)
        }
    }

    /// A job of one source.
    pub fn new(input: JobInput, out_dir: PathBuf) -> Self {
        Self::queue(vec![input], out_dir)
    }

    /// A job of several sources, listed in order, downloading from one pool.
    pub fn queue(sources: Vec<JobInput>, out_dir: PathBuf) -> Self {
        let labels: Vec<String> = sources.iter().map(JobInput::label).collect();
        let label = labels.join(", ");
        let links_only = sources.iter().all(|source| matches!(source, JobInput::Urls(_)));
        let origin = if links_only { RunOrigin::Links } else { RunOrigin::Imgur };
        Self {
            sources,
            out_dir,
            concurrency: 16,
            limit: None,
            moving: MovingPictures::default(),
            thumbnails: true,
            max_image_bytes: DEFAULT_MAX_IMAGE_BYTES,
            archive: None,
            thumbnail_cache: None,
            label,
            origin,
            naming: NameTemplate::default(),
            album_folders: false,
            write_metadata: false,
            list_only: false,
            source_limits: Vec::new(),
            follow: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_planned_job_carries_every_choice_and_keeps_thumbnails_only_where_made() {
        let input = JobInput::Urls(vec![]);
        let choices = RunChoices {
            concurrency: 7,
            moving: MovingPictures { videos: true, gifs_as_mp4: false },
            album_folders: true,
            write_metadata: true,
            archive: Some("/a.sqlite".into()),
            thumbnail_cache: Some("/thumbnails".into()),
            ..RunChoices::default()
        };
        let job = Job::planned(vec![input.clone()], "/out".into(), choices.clone());
        assert_eq!(
            (job.concurrency, job.moving, job.album_folders, job.write_metadata),
            (7, choices.moving, true, true)
        );
        assert_eq!(job.archive.as_deref(), Some(std::path::Path::new("/a.sqlite")));
        assert_eq!(job.thumbnail_cache.as_deref(), Some(std::path::Path::new("/thumbnails")));
        assert_eq!(job.origin, RunOrigin::Links, "a job of links only says so");

        let without = Job::planned(vec![input], "/out".into(), RunChoices { thumbnails: false, ..choices });
        assert_eq!(without.thumbnail_cache, None, "no thumbnails made, none kept");
    }
}
