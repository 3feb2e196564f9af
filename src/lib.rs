//! galley: download Imgur galleries concurrently and browse them as thumbnails.
//!
//! The library holds everything: the download [`engine`], decoding ([`media`]), the
//! folder [`library`], the run [`archive`], the [`demo`] gallery server, the command line
//! ([`cli`]), the desktop app ([`ui`]) and the stop [`signals`] they share.
//! `main.rs` only parses arguments and dispatches.

pub mod archive;
pub mod cli;
pub mod demo;
pub mod engine;
pub mod events;
pub mod files;
pub mod library;
pub(crate) mod lock;
pub mod media;
pub mod platform;
pub mod signals;
pub mod ui;
