//! The demo's Imgur API v3: `/3/gallery/...` (every flavour serves the same gallery),
//! `/3/gallery/{id}` (one post), `/3/album/{id}` and `/3/album/{id}/images`, with Imgur's envelope, error bodies,
//! Client-ID check and rate-limit headers.
//!
//! Paths are parsed by hand rather than by one axum route per flavour: a bad section,
//! sort, window or page must be a 400 with Imgur's error JSON (never a panic, nor axum's
//! plain 404), and one parser keeps the accepted grammar in one place.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use bytes::Bytes;
use serde_json::{Value, json};

use super::gallery::{DemoAlbum, DemoEntry, DemoImage, DemoKind, Rendition};
use super::host;
use super::pictures::{self, DemoFile, PictureError};
use super::state::DemoState;
use super::{DemoQuirks, REFUSED_CLIENT_ID};

const CLIENT_LIMIT: u64 = 12_500;
const SECTIONS: [&str; 3] = ["hot", "top", "user"];
const SORTS: [&str; 4] = ["viral", "top", "time", "rising"];
const WINDOWS: [&str; 5] = ["day", "week", "month", "year", "all"];

/// Answers every `GET /3/...`.
pub(crate) async fn api(State(state): State<Arc<DemoState>>, uri: Uri, headers: HeaderMap) -> Response {
    let count = state.count_api_request();
    let path = uri.path();
    state.feeds.count(path);
    let quirks = &state.config.quirks;
    let answered = match quirk_answer(quirks, count) {
        Some(refusal) => Err(refusal),
        None => answer(&state, path, &headers).await,
    };
    let (status, body) = match answered {
        Ok(data) => (StatusCode::OK, json!({"data": data, "success": true, "status": 200})),
        Err(error) => (error.status, error.body(path)),
    };
    let json = DemoFile::whole(Bytes::from(body.to_string()));
    let mut response = host::send(&state, status, "application/json", &json);
    let (client_set, user_set) = state.feeds.quota_left(count);
    let left = Left {
        client: client_set.unwrap_or(CLIENT_LIMIT.saturating_sub(count)),
        user: user_set.unwrap_or(quirks.user_quota.saturating_sub(count)),
    };
    add_rate_limits(response.headers_mut(), left, quirks.user_quota);
    response
}

/// The refusal a quirk makes of API request number `count`, if it makes one: the whole
/// region blocked (451), or Imgur over capacity (403) for the first requests.
fn quirk_answer(quirks: &DemoQuirks, count: u64) -> Option<ApiError> {
    if quirks.region_blocked {
        return Some(ApiError::new(
            StatusCode::UNAVAILABLE_FOR_LEGAL_REASONS,
            "Imgur is not available in your region (galley demo quirk)",
        ));
    }
    (count <= quirks.over_capacity)
        .then(|| ApiError::new(StatusCode::FORBIDDEN, "Imgur is temporarily over capacity. Please try again later."))
}

/// Where links point and how the demo's quirks bend the answers.
struct At<'a> {
    host: String,
    quirks: &'a DemoQuirks,
}

/// An album with every image inline.
const ALL: Option<usize> = Some(usize::MAX);

/// What a `/3/...` path asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    /// Any gallery listing: they all serve the demo gallery.
    Gallery { page: u64 },
    /// One gallery post: an album with its images, or an image.
    Post { id: String },
    /// An album with its images.
    Album { id: String },
    /// An album's images only.
    AlbumImages { id: String },
    /// A tag's gallery: the entries under `data.items`, as Imgur answers tags.
    Tag { name: String, page: u64 },
    /// One image (`/3/image/{id}`), an album member or not.
    Image { id: String },
}

/// An error answered the way Imgur does.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into() }
    }

    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// Imgur's error body for a request to `path`.
    fn body(&self, path: &str) -> Value {
        json!({
            "data": {"error": self.message, "request": path, "method": "GET"},
            "success": false,
            "status": self.status.as_u16(),
        })
    }
}

impl From<PictureError> for ApiError {
    fn from(error: PictureError) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
    }
}

async fn answer(state: &DemoState, path: &str, headers: &HeaderMap) -> Result<Value, ApiError> {
    check_client_id(headers)?;
    let route = parse_route(path)?;
    let host = request_host(headers).ok_or_else(|| ApiError::bad_request("Missing or invalid Host header"))?;
    let at = At { host, quirks: &state.config.quirks };
    let gallery = &state.gallery;
    let feed = feed_of(path);
    match route {
        Route::Gallery { page } => {
            let entries = state.feeds.page(gallery, feed.as_deref(), page);
            prepare(entries.iter().flat_map(DemoEntry::images)).await?;
            let items = entries.iter().map(|entry| entry_json(entry, &at)).collect::<Result<Vec<_>, _>>()?;
            Ok(Value::Array(items))
        }
        Route::Post { id } => {
            let not_found =
                || ApiError::new(StatusCode::NOT_FOUND, format!("Unable to find a gallery post with the id, {id}"));
            let entry = match gallery.entry(&id) {
                Some(DemoEntry::Album(album)) => {
                    DemoEntry::Album(state.feeds.album(gallery, &album.id).ok_or_else(not_found)?)
                }
                Some(entry) => entry.clone(),
                None => DemoEntry::Image(state.feeds.posted(&id).ok_or_else(not_found)?),
            };
            prepare(entry.images().iter()).await?;
            Ok(match &entry {
                DemoEntry::Image(image) => image_json(image, &at)?,
                DemoEntry::Album(album) => album_json(album, &at, ALL)?,
            })
        }
        Route::Album { id } => {
            let album = state.feeds.album(gallery, &id).ok_or_else(|| unknown_album(&id))?;
            prepare(album.images.iter()).await?;
            Ok(album_json(&album, &at, ALL)?)
        }
        Route::Tag { name, page } => {
            let entries = state.feeds.page(gallery, feed.as_deref(), page);
            prepare(entries.iter().flat_map(DemoEntry::images)).await?;
            let items = entries.iter().map(|entry| entry_json(entry, &at)).collect::<Result<Vec<_>, _>>()?;
            Ok(json!({"name": name, "display_name": name, "total_items": gallery.entries().len(), "items": items}))
        }
        Route::Image { id } => {
            let image = gallery.media().find(|image| image.id == id).cloned().or_else(|| state.feeds.posted(&id));
            let image = image.ok_or_else(|| {
                ApiError::new(StatusCode::NOT_FOUND, format!("Unable to find an image with the id, {id}"))
            })?;
            prepare(std::iter::once(&image)).await?;
            Ok(image_json(&image, &at)?)
        }
        Route::AlbumImages { id } => {
            let album = state.feeds.album(gallery, &id).ok_or_else(|| unknown_album(&id))?;
            prepare(album.images.iter()).await?;
            let items = album.images.iter().map(|image| image_json(image, &at)).collect::<Result<Vec<_>, _>>()?;
            Ok(Value::Array(items))
        }
    }
}

/// The feed a listing path names (a user's posts or favorites, a tag, a subreddit), which
/// may have grown: see `feeds`.
fn feed_of(path: &str) -> Option<String> {
    let segments: Vec<&str> = path.trim_start_matches("/3/").split('/').collect();
    let source = match segments.as_slice() {
        ["account", user, "submissions", ..] => format!("user/{user}"),
        ["account", user, "gallery_favorites", ..] => format!("user/{user}/favorites"),
        ["gallery", kind @ ("t" | "r"), name, ..] => format!("{kind}/{name}"),
        _ => return None,
    };
    super::feeds::feed_key(&source)
}

fn unknown_album(id: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, format!("Unable to find an album with the id, {id}"))
}

/// Accepts `Client-ID <id>` (or a `Bearer` token) with any id but the refused one.
fn check_client_id(headers: &HeaderMap) -> Result<(), ApiError> {
    let unauthenticated = || ApiError::new(StatusCode::UNAUTHORIZED, "Authentication required");
    let value = headers.get(header::AUTHORIZATION).ok_or_else(unauthenticated)?;
    let value = value.to_str().map_err(|_| unauthenticated())?.trim();
    let (scheme, credential) = value.split_once(' ').ok_or_else(unauthenticated)?;
    let credential = credential.trim();
    let known_scheme = scheme.eq_ignore_ascii_case("Client-ID") || scheme.eq_ignore_ascii_case("Bearer");
    if !known_scheme || credential.is_empty() {
        return Err(unauthenticated());
    }
    if credential == REFUSED_CLIENT_ID {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "Invalid client_id"));
    }
    Ok(())
}

/// Parses a `/3/...` path. The grammar (a trailing slash is always allowed):
/// `gallery[/{section}[/{sort}[/{window}[/{page}]]]]`, `gallery/r/{subreddit}[/...]`,
/// `gallery/search[/...]`, `gallery/random/random[/{page}]`, `gallery/{id}` (one post; any
/// single segment that is not a section), `album/{id}[/images]`.
fn parse_route(path: &str) -> Result<Route, ApiError> {
    let not_found = || ApiError::new(StatusCode::NOT_FOUND, format!("Invalid URL (GET {path})"));
    let rest = path.strip_prefix("/3/").ok_or_else(not_found)?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let segments: Vec<&str> = rest.split('/').collect();
    if segments.iter().any(|segment| segment.is_empty()) {
        return Err(not_found());
    }
    match segments.as_slice() {
        ["gallery", "random", "random"] => Ok(Route::Gallery { page: 0 }),
        ["gallery", "random", "random", page] => Ok(Route::Gallery { page: parse_page(page)? }),
        ["gallery", "r", subreddit, listing @ ..] => {
            check_name(subreddit, "subreddit")?;
            listing_page(listing).ok_or_else(not_found)?
        }
        ["gallery", "search", listing @ ..] => listing_page(listing).ok_or_else(not_found)?,
        ["gallery", "t", tag, listing @ ..] => {
            check_name(tag, "tag")?;
            match listing_page(listing).ok_or_else(not_found)?? {
                Route::Gallery { page } => Ok(Route::Tag { name: (*tag).to_owned(), page }),
                other => Ok(other),
            }
        }
        // A user's submissions and gallery favorites are gallery entries too.
        ["account", user, "submissions" | "gallery_favorites", page] => {
            check_name(user, "user")?;
            Ok(Route::Gallery { page: parse_page(page)? })
        }
        ["image", id] => Ok(Route::Image { id: check_id(id)? }),
        ["gallery"] => Ok(Route::Gallery { page: 0 }),
        ["gallery", id] if !SECTIONS.contains(id) => Ok(Route::Post { id: check_id(id)? }),
        ["gallery", section, listing @ ..] => {
            check_choice("section", section, &SECTIONS)?;
            listing_page(listing).ok_or_else(not_found)?
        }
        ["album", id] => Ok(Route::Album { id: check_id(id)? }),
        ["album", id, "images"] => Ok(Route::AlbumImages { id: check_id(id)? }),
        _ => Err(not_found()),
    }
}

/// The page of `[{sort}[/{window}[/{page}]]]`; `None` when there are too many segments.
fn listing_page(listing: &[&str]) -> Option<Result<Route, ApiError>> {
    let (sort, window, page) = match listing {
        [] => (None, None, None),
        [sort] => (Some(sort), None, None),
        [sort, window] => (Some(sort), Some(window), None),
        [sort, window, page] => (Some(sort), Some(window), Some(page)),
        _ => return None,
    };
    let checked = || -> Result<Route, ApiError> {
        if let Some(sort) = sort {
            check_choice("sort", sort, &SORTS)?;
        }
        if let Some(window) = window {
            check_choice("window", window, &WINDOWS)?;
        }
        let page = page.map(|page| parse_page(page)).transpose()?.unwrap_or(0);
        Ok(Route::Gallery { page })
    };
    Some(checked())
}

fn check_choice(what: &str, value: &str, allowed: &[&str]) -> Result<(), ApiError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!("Invalid {what} '{}': expected one of {}", clip(value), allowed.join(", "))))
    }
}

fn parse_page(page: &str) -> Result<u64, ApiError> {
    let digits = !page.is_empty() && page.len() <= 9 && page.bytes().all(|byte| byte.is_ascii_digit());
    page.parse().ok().filter(|_| digits).ok_or_else(|| ApiError::bad_request(format!("Invalid page '{}'", clip(page))))
}

/// A subreddit, tag or user name: letters, digits and `_`.
fn check_name(name: &str, what: &str) -> Result<(), ApiError> {
    let valid = name.len() <= 50 && name.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'_');
    if valid { Ok(()) } else { Err(ApiError::bad_request(format!("Invalid {what} '{}'", clip(name)))) }
}

fn check_id(id: &str) -> Result<String, ApiError> {
    let valid = id.len() <= 64 && id.bytes().all(|byte| byte.is_ascii_alphanumeric());
    if valid { Ok(id.to_owned()) } else { Err(ApiError::bad_request(format!("Invalid id '{}'", clip(id)))) }
}

/// At most 40 characters of a value echoed in an error message.
fn clip(value: &str) -> String {
    value.chars().take(40).collect()
}

/// The `host[:port]` to build links on: the request's `Host` header, if it is sane.
pub(crate) fn request_host(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let sane = !host.is_empty()
        && host.len() <= 255
        && host.bytes().all(|byte| byte.is_ascii_alphanumeric() || b".-:[]".contains(&byte));
    sane.then(|| host.to_owned())
}

/// Makes (on blocking threads, in parallel) the pictures these images need, so their
/// sizes can be listed.
async fn prepare<'a>(images: impl Iterator<Item = &'a DemoImage>) -> Result<(), ApiError> {
    let mut seen = HashSet::new();
    let tasks: Vec<_> = images
        .filter(|image| !pictures::is_ready(image, Rendition::Original))
        .filter(|image| seen.insert((image.kind, image.variant)))
        .map(|image| {
            let image = image.clone();
            tokio::task::spawn_blocking(move || pictures::file(&image, Rendition::Original).map(drop))
        })
        .collect();
    for task in tasks {
        task.await.map_err(|error| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, error.to_string()))??;
    }
    Ok(())
}

fn entry_json(entry: &DemoEntry, at: &At) -> Result<Value, PictureError> {
    // As Imgur's gallery listings do, with the quirk on: only the first image inline.
    let inline = if at.quirks.partial_albums { Some(1) } else { ALL };
    match entry {
        DemoEntry::Image(image) => image_json(image, at),
        DemoEntry::Album(album) => album_json(album, at, inline.filter(|_| album.inline_images)),
    }
}

/// What Imgur says of a post besides its pixels (account, date, views, tags), made up from
/// the id so every answer about the same item agrees.
fn post_fields(id: &str) -> Value {
    const ACCOUNTS: [&str; 6] = ["harbourlight", "meadowlark", "tinycomet", "velvetdune", "glacierfox", "reefwalker"];
    const TAGS: [&str; 8] = ["nature", "city", "space", "sea", "winter", "retro", "colour", "night"];
    let bits =
        id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3));
    let pick = |shift: u32, of: usize| (bits >> shift) as usize % of;
    json!({
        "account_url": ACCOUNTS[pick(0, ACCOUNTS.len())],
        "datetime": 1_600_000_000 + (bits >> 8) % 100_000_000,
        "views": (bits >> 20) % 250_000,
        "nsfw": false,
        "tags": [{"name": TAGS[pick(40, TAGS.len())]}, {"name": TAGS[pick(48, TAGS.len())]}],
    })
}

/// `fields` with `more`'s keys added.
fn with_fields(mut fields: Value, more: Value) -> Value {
    if let (Some(fields), Value::Object(more)) = (fields.as_object_mut(), more) {
        fields.extend(more);
    }
    fields
}

fn image_json(image: &DemoImage, at: &At) -> Result<Value, PictureError> {
    let host = &at.host;
    // An animated GIF over 20 MB: Imgur's `link` is its 'h' thumbnail.
    let big_gif = at.quirks.big_gifs && image.kind == DemoKind::AnimatedGif;
    let link = match big_gif {
        true => format!("http://{host}/i/{}h.gif", image.id),
        false => format!("http://{host}{}", image.link_path()),
    };
    let size = if big_gif { BIG_GIF_SIZE } else { image.size()? };
    let mut item = json!({
        "id": image.id,
        "title": image.title,
        "description": null,
        "type": image.kind.mime(),
        "animated": image.kind.animated(),
        "width": image.width,
        "height": image.height,
        "size": size,
        "link": link,
        "is_album": false,
    });
    // An album's members carry only their own picture's fields, as on Imgur.
    if image.album.is_none() {
        item = with_fields(item, post_fields(&image.id));
    }
    if let (Some(path), Some(size), Some(fields)) = (image.mp4_path(), image.mp4_size(), item.as_object_mut()) {
        fields.insert("mp4".into(), json!(format!("http://{host}{path}")));
        fields.insert("mp4_size".into(), json!(size));
        fields.insert("looping".into(), json!(true));
    }
    Ok(item)
}

/// What a big GIF's `size` says: over Imgur's 20 MB line.
const BIG_GIF_SIZE: u64 = 25_000_000;

/// An album; `inline` says how many of its images the answer carries (none: `None`).
fn album_json(album: &DemoAlbum, at: &At, inline: Option<usize>) -> Result<Value, PictureError> {
    let item = json!({
        "id": album.id,
        "title": album.title,
        "description": null,
        "cover": album.images.first().map(|image| image.id.as_str()),
        "is_album": true,
        "images_count": album.images.len(),
    });
    let mut item = with_fields(item, post_fields(&album.id));
    if let (Some(inline), Some(fields)) = (inline, item.as_object_mut()) {
        let images = album.images.iter().take(inline).map(|image| image_json(image, at));
        let images = images.collect::<Result<Vec<_>, _>>()?;
        fields.insert("images".into(), Value::Array(images));
    }
    Ok(item)
}

/// Imgur's rate-limit headers: what is `left`, of `user_quota` requests an hour for this
/// address.
/// The requests each quota has left.
#[derive(Clone, Copy)]
struct Left {
    client: u64,
    user: u64,
}

fn add_rate_limits(headers: &mut HeaderMap, left: Left, user_quota: u64) {
    let reset = SystemTime::now().duration_since(UNIX_EPOCH).map(|now| now.as_secs()).unwrap_or(0) + 3600;
    let values = [
        ("x-ratelimit-clientlimit", CLIENT_LIMIT),
        ("x-ratelimit-clientremaining", left.client),
        ("x-ratelimit-userlimit", user_quota),
        ("x-ratelimit-userremaining", left.user),
        ("x-ratelimit-userreset", reset),
    ];
    for (name, value) in values {
        headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gallery(page: u64) -> Result<Route, ApiError> {
        Ok(Route::Gallery { page })
    }

    #[test]
    fn every_gallery_flavour_parses() {
        for (path, expected) in [
            ("/3/gallery/hot/viral/day/0", gallery(0)),
            ("/3/gallery/top/top/all/7", gallery(7)),
            ("/3/gallery/user/rising/week", gallery(0)),
            ("/3/gallery/hot/viral/day/", gallery(0)),
            ("/3/gallery/hot", gallery(0)),
            ("/3/gallery", gallery(0)),
            ("/3/gallery/r/earthporn/time/month/3", gallery(3)),
            ("/3/gallery/r/earthporn/top/year", gallery(0)),
            ("/3/gallery/search/time/all/2", gallery(2)),
            ("/3/gallery/search/viral/all", gallery(0)),
            ("/3/gallery/random/random/", gallery(0)),
            ("/3/gallery/random/random", gallery(0)),
            ("/3/gallery/random/random/4", gallery(4)),
            ("/3/gallery/aB3dE9x", Ok(Route::Post { id: "aB3dE9x".into() })),
            ("/3/gallery/aB3dE9x/", Ok(Route::Post { id: "aB3dE9x".into() })),
            ("/3/album/aB3dE9x", Ok(Route::Album { id: "aB3dE9x".into() })),
            ("/3/album/aB3dE9x/images", Ok(Route::AlbumImages { id: "aB3dE9x".into() })),
        ] {
            assert_eq!(parse_route(path), expected, "{path}");
        }
    }

    #[test]
    fn bad_segments_are_client_errors() {
        for (path, status) in [
            ("/3/gallery/cold/viral/day/0", 400),
            ("/3/gallery/hot/best/day/0", 400),
            ("/3/gallery/hot/viral/decade/0", 400),
            ("/3/gallery/hot/viral/day/-1", 400),
            ("/3/gallery/hot/viral/day/1e3", 400),
            ("/3/gallery/hot/viral/day/99999999999999999999999", 400),
            ("/3/gallery/r/no%20pe/top/day/0", 400),
            ("/3/gallery/random/random/x", 400),
            ("/3/album/a.b/images", 400),
            ("/3/gallery/a.b", 400),
            ("/3/gallery/hot/viral/day/0/extra", 404),
            ("/3/gallery//viral", 404),
            ("/3/image/abc/extra", 404),
            ("/3/image/a.b", 400),
            ("/3/gallery/t/no%20pe/viral/day/0", 400),
            ("/3/account/a.b/submissions/0", 400),
            ("/3/", 404),
        ] {
            let error = parse_route(path).expect_err(path);
            assert_eq!(error.status.as_u16(), status, "{path}: {error:?}");
        }
    }

    #[test]
    fn client_ids_are_checked_like_imgur() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
            check_client_id(&headers).map_err(|error| error.status.as_u16())
        };
        assert_eq!(check_client_id(&HeaderMap::new()).map_err(|error| error.status.as_u16()), Err(401));
        assert_eq!(with("Client-ID "), Err(401));
        assert_eq!(with("Client-ID"), Err(401));
        assert_eq!(with("Basic abc"), Err(401));
        assert_eq!(with("Client-ID bad"), Err(403));
        assert_eq!(with("Client-ID demo"), Ok(()));
        assert_eq!(with("client-id 0123abcd"), Ok(()));
    }

    #[test]
    fn only_sane_hosts_make_links() {
        let host = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::HOST, HeaderValue::from_str(value).unwrap());
            request_host(&headers)
        };
        assert_eq!(host("127.0.0.1:8080").as_deref(), Some("127.0.0.1:8080"));
        assert_eq!(host("[::1]:80").as_deref(), Some("[::1]:80"));
        assert_eq!(host("evil.com/\"x"), None);
        assert_eq!(request_host(&HeaderMap::new()), None);
    }
}
