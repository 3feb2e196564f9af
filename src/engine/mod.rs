//! The download engine: lists a gallery, downloads its images many at once, and makes
//! thumbnails as it saves. It knows nothing of egui. As a service ([`Engine`]) it also
//! carries the library's and the viewer's asks: front ends send [`Command`]s, each to one
//! subsystem (a [`RunCommand`], a library or a view one), and read [`Event`]s back from
//! one channel, each of one subsystem.
//!
//! Its files in layers, lowest first (none imports one above it): `types`, `item`,
//! `source`, `naming`, `transfer`, `retry`, `redirects`, `workers`, `limits`, `links`;
//! `error`, `template`, `followed`; `job`; `events`, `commands`; `imgur`, `download`,
//! `per_source`, `tally`; `run`; `follow`, `preview`; `controller`.
//!
//! What front ends (and the tests, benchmarks and fuzzers) use is re-exported here; the
//! modules themselves are the crate's own.

pub(crate) mod commands;
pub(crate) mod controller;
pub(crate) mod download;
pub(crate) mod error;
pub(crate) mod events;
pub(crate) mod follow;
pub(crate) mod followed;
pub(crate) mod imgur;
pub(crate) mod item;
pub(crate) mod job;
pub(crate) mod limits;
pub(crate) mod links;
pub(crate) mod naming;
pub(crate) mod per_source;
pub(crate) mod preview;
pub(crate) mod redirects;
pub(crate) mod retry;
pub(crate) mod run;
pub(crate) mod source;
pub(crate) mod tally;
pub(crate) mod template;
pub(crate) mod transfer;
pub(crate) mod types;
pub(crate) mod workers;

pub use crate::archive::{RunCounts, RunEnding, RunOrigin, RunRecord};
pub use commands::{Command, RunCommand};
pub use controller::Engine;
pub use download::Disk;
pub use error::{EngineError, PreviewError};
pub use events::{Event, EventSink, HistoryError, ItemFailure, RunEvent};
pub use follow::CheckReport;
pub use followed::{
    CheckRequest, FollowError, FollowPlan, FollowRow, FollowTarget, ago, followable, newest_first, unix_now,
};
pub use imgur::parse_page;
pub use item::{ImageItem, Position};
pub use job::{Job, JobInput, PlannedFile, RunChoices};
pub use limits::raise_open_file_limit;
pub use links::{LinkListError, MAX_LINK_LIST_BYTES, link_lines, read_link_list, read_link_text};
pub use naming::{stem_for_id, stem_for_link};
pub use preview::{PREVIEW_FETCHES, PREVIEW_SIDE, preview, small_variant};
pub use run::{RunOptions, Timeouts, compare, run_job, run_job_with};
pub use source::{Section, Sort, Source, SourceError, Window};
pub use tally::Tally;
pub use template::{DEFAULT_TEMPLATE, NameTemplate, TemplateError, civil_from_days};
pub use transfer::{Pace, Paced, TooSlow};
pub use types::*;
