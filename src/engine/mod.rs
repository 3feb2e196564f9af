//! The download engine: lists a gallery, downloads its images many at once, and makes
//! thumbnails. It knows nothing of egui; front ends drive it with [`Command`]s and read
//! [`Event`]s back from one channel.
//!
//! What front ends (and the tests, benchmarks and fuzzers) use is re-exported here; the
//! modules themselves are the crate's own.

pub(crate) mod browse;
pub(crate) mod controller;
pub(crate) mod download;
pub(crate) mod dupes;
pub(crate) mod error;
pub(crate) mod events;
pub(crate) mod follow;
pub(crate) mod imgur;
pub(crate) mod limits;
pub(crate) mod links;
pub(crate) mod naming;
pub(crate) mod per_source;
pub(crate) mod preview;
pub(crate) mod redirects;
pub(crate) mod retry;
pub(crate) mod run;
pub(crate) mod scan;
pub(crate) mod source;
pub(crate) mod tally;
pub(crate) mod template;
pub(crate) mod transfer;
pub(crate) mod types;
pub(crate) mod viewing;
pub(crate) mod watch;
pub(crate) mod workers;

pub use crate::archive::{RunCounts, RunEnding, RunOrigin, RunRecord};
pub use browse::{FIRST_SCREEN, LibraryPlaces, TrashPlace, worker_counts};
pub use controller::{Engine, Waker};
pub use download::Disk;
pub use dupes::{DupesError, FindOptions, LibraryStores, RepostReport, find_reposts};
pub use error::EngineError;
pub use events::EventSink;
pub use follow::{
    CheckReport, CheckRequest, FollowError, FollowPlan, FollowRow, FollowTarget, ago, followable, newest_first,
    unix_now,
};
pub use imgur::{ImageItem, Position, parse_page};
pub use limits::raise_open_file_limit;
pub use links::{LinkListError, MAX_LINK_LIST_BYTES, link_lines, read_link_list, read_link_text};
pub use naming::{stem_for_id, stem_for_link};
pub use preview::{PREVIEW_FETCHES, PREVIEW_SIDE, PreviewError, preview, small_variant};
pub use run::{RunOptions, Timeouts, compare, run_job, run_job_with};
pub use source::{Section, Sort, Source, SourceError, Window};
pub use tally::Tally;
pub use template::{DEFAULT_TEMPLATE, NameTemplate, TemplateError, civil_from_days};
pub use transfer::{Pace, Paced, TooSlow};
pub use types::*;
