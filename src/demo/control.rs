//! The demo's controls for tests and trials (`/demo/...`): post to a user or a tag, grow
//! an album, set the quota low, and count the API requests by path.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::feeds::feed_key;
use super::state::DemoState;

#[derive(Deserialize)]
pub(crate) struct PostQuery {
    to: String,
    count: Option<usize>,
}

/// `POST /demo/post?to=user/NAME&count=N`: N new posts (1 by default).
pub(crate) async fn post(State(state): State<Arc<DemoState>>, Query(query): Query<PostQuery>) -> Response {
    let Some(key) = feed_key(&query.to) else {
        let message = "`to` names a user (user/NAME, user/NAME/favorites), a tag (t/TAG) or a subreddit (r/NAME)";
        return (StatusCode::BAD_REQUEST, format!("{message}\n")).into_response();
    };
    let ids = state.feeds.post(&key, query.count.unwrap_or(1));
    json_answer(&json!({"to": key, "posted": ids}))
}

#[derive(Deserialize)]
pub(crate) struct GrowQuery {
    album: String,
    count: Option<usize>,
}

/// `POST /demo/grow?album=ID&count=N`: N new images in an album of the gallery.
pub(crate) async fn grow(State(state): State<Arc<DemoState>>, Query(query): Query<GrowQuery>) -> Response {
    match state.feeds.grow_album(&state.gallery, &query.album, query.count.unwrap_or(1)) {
        Some(ids) => json_answer(&json!({"album": query.album, "added": ids})),
        None => (StatusCode::NOT_FOUND, "no such album in the demo gallery\n").into_response(),
    }
}

#[derive(Deserialize)]
pub(crate) struct QuotaQuery {
    client: Option<u64>,
    user: Option<u64>,
}

/// `POST /demo/quota?client=N&user=N`: the quota headers say this much is left from now.
pub(crate) async fn quota(State(state): State<Arc<DemoState>>, Query(query): Query<QuotaQuery>) -> Response {
    state.feeds.set_quota(query.client, query.user, state.stats_api_requests());
    json_answer(&json!({"client": query.client, "user": query.user}))
}

/// A JSON body (axum's `json` feature is not compiled in: the demo needs no more than this).
fn json_answer(value: &impl serde::Serialize) -> Response {
    match serde_json::to_string(value) {
        Ok(text) => ([(header::CONTENT_TYPE, "application/json")], text).into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

/// `GET /demo/requests`: API requests so far, by path.
pub(crate) async fn requests(State(state): State<Arc<DemoState>>) -> Response {
    json_answer(&state.feeds.requests())
}
