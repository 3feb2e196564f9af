//! galley's integration tests, as one test binary: each module below was a binary of its
//! own, and each of those linked the whole crate (CI once ran out of disk for them).
//! `support` holds what they share. Two stay apart: `tests/decode_bounds.rs` counts every
//! allocation of its process, which other tests running beside it would disturb, and
//! `tests/soak.rs`, which is ignored by default.
//!
//! Run one module with `cargo test --test it cli::` (a filter on the test's path).

mod support;

mod app_preview;
mod app_queue;
mod cli;
mod crash;
mod dupes;
mod engine;
mod faults;
mod follow;
mod layers;
mod library;
mod listing;
mod names;
mod package;
mod preview;
mod queue;
mod quirks;
mod reposts;
mod ui_app;
mod viewer;
