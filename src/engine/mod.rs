//! The download engine: lists a gallery, downloads its images many at once, and makes
//! thumbnails. It knows nothing of egui; front ends drive it with [`Command`]s and read
//! [`Event`]s back from one channel.

pub mod controller;
pub mod download;
pub mod error;
pub mod events;
pub mod imgur;
pub mod limits;
pub mod naming;
pub mod redirects;
pub mod retry;
pub mod run;
pub mod scan;
pub mod sniff;
pub mod source;
pub mod thumbnail;
pub mod transfer;
pub mod types;
pub mod whole;
pub mod workers;

pub use controller::{Engine, Waker};
pub use error::EngineError;
pub use events::EventSink;
pub use run::run_job;
pub use source::{Section, Sort, Source, SourceError, Window};
pub use types::*;
