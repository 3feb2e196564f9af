//! The demo server over real HTTP on 127.0.0.1: what a client of it can count on.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::*;

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().expect("a plain HTTP client builds")
}

async fn start(config: DemoConfig) -> DemoServer {
    DemoServer::start(config, 0).await.expect("binds 127.0.0.1:0")
}

fn config(images: usize) -> DemoConfig {
    DemoConfig { images, ..DemoConfig::default() }
}

/// GETs an API path with the demo Client-ID; returns status, headers and JSON body.
async fn api(server: &DemoServer, path: &str) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    api_as(server, path, Some(DEMO_CLIENT_ID)).await
}

async fn api_as(
    server: &DemoServer,
    path: &str,
    client_id: Option<&str>,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut request = client().get(server.base_url().join(path).expect("a valid path"));
    if let Some(id) = client_id {
        request = request.header("Authorization", format!("Client-ID {id}"));
    }
    let response = request.send().await.expect("the demo answers");
    let (status, headers) = (response.status(), response.headers().clone());
    let text = response.bytes().await.expect("a body");
    let body = serde_json::from_slice(&text).expect("a JSON body");
    (status, headers, body)
}

/// Lists `pages` gallery pages and expands albums the way a client must: inline images
/// when present, `/3/album/{id}/images` otherwise. Returns every image or video item.
async fn list(server: &DemoServer, pages: usize) -> Vec<Value> {
    let mut items = Vec::new();
    for page in 0..pages {
        let (status, _, body) = api(server, &format!("/3/gallery/hot/viral/day/{page}")).await;
        assert_eq!(status, StatusCode::OK);
        for entry in body["data"].as_array().expect("a list").clone() {
            if entry["is_album"] != Value::Bool(true) {
                items.push(entry);
                continue;
            }
            let members = match entry.get("images") {
                Some(images) => images.clone(),
                None => {
                    api(server, &format!("/3/album/{}/images", entry["id"].as_str().unwrap())).await.2["data"].clone()
                }
            };
            items.extend(members.as_array().expect("album images").iter().cloned());
        }
    }
    items
}

async fn download(url: &str) -> reqwest::Result<(StatusCode, String, Option<u64>, bytes::Bytes)> {
    let response = client().get(url).send().await?;
    let status = response.status();
    let mime = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let length = response.content_length();
    Ok((status, mime, length, response.bytes().await?))
}

/// An item a default fetch saves: any image, still or animated (videos only when asked for).
fn is_image_item(item: &Value) -> bool {
    item["type"].as_str().is_some_and(|mime| mime.starts_with("image/"))
}

#[tokio::test]
async fn same_seed_serves_the_same_json_and_bytes() {
    let (a, b) = (start(config(30)).await, start(config(30)).await);
    let (_, _, page_a) = api(&a, "/3/gallery/hot/viral/day/0").await;
    let (_, _, page_b) = api(&b, "/3/gallery/hot/viral/day/0").await;
    let text_a = page_a.to_string().replace(&a.addr().to_string(), "HOST");
    let text_b = page_b.to_string().replace(&b.addr().to_string(), "HOST");
    assert_eq!(text_a, text_b);
    for id in a.image_ids().iter().take(5) {
        let name = a.gallery().images().find(|image| &image.id == id).unwrap().link_path();
        let bytes_a = download(a.base_url().join(&name).unwrap().as_str()).await.unwrap().3;
        let bytes_b = download(b.base_url().join(&name).unwrap().as_str()).await.unwrap().3;
        assert_eq!(bytes_a, bytes_b);
    }
    let other = start(DemoConfig { seed: 2, ..config(30) }).await;
    assert_ne!(a.image_ids(), other.image_ids());
}

#[tokio::test]
async fn served_images_decode_match_their_listing_and_never_share_bytes() {
    let server = start(config(150)).await;
    let items = list(&server, server.gallery().page_count()).await;
    assert_eq!(items.iter().filter(|item| is_image_item(item)).count(), 150);
    let images: Vec<&Value> = items.iter().filter(|item| is_image_item(item)).collect();
    let mut hashes = HashSet::new();
    for item in images {
        let link = item["link"].as_str().unwrap();
        let (status, mime, length, bytes) = download(link).await.unwrap();
        assert_eq!(status, StatusCode::OK, "{link}");
        assert_eq!(mime, item["type"].as_str().unwrap(), "{link}");
        assert_eq!(length, Some(bytes.len() as u64), "{link}");
        assert_eq!(item["size"].as_u64(), Some(bytes.len() as u64), "{link}");
        let decoded = image::load_from_memory(&bytes).unwrap_or_else(|error| panic!("{link}: {error}"));
        assert_eq!(Some(decoded.width() as u64), item["width"].as_u64(), "{link}");
        assert_eq!(Some(decoded.height() as u64), item["height"].as_u64(), "{link}");
        assert!(hashes.insert(Sha256::digest(&bytes)), "{link} repeats another image's bytes");
        if item["animated"] == Value::Bool(true) {
            let mp4 = item["mp4"].as_str().unwrap();
            let (status, mime, _, bytes) = download(mp4).await.unwrap();
            assert_eq!((status, mime.as_str()), (StatusCode::OK, "video/mp4"));
            assert_eq!(&bytes[4..12], b"ftypisom");
            assert_eq!(item["mp4_size"].as_u64(), Some(bytes.len() as u64));
        }
    }
}

#[tokio::test]
async fn videos_are_listed_with_servable_mp4s_and_do_not_count_as_images() {
    let server = start(config(60)).await;
    let items = list(&server, server.gallery().page_count()).await;
    let videos: Vec<&Value> = items.iter().filter(|item| item["type"] == "video/mp4").collect();
    assert!(!videos.is_empty());
    assert_eq!(items.iter().filter(|item| is_image_item(item)).count(), 60);
    for video in videos {
        assert_eq!(video["animated"], Value::Bool(true));
        assert_eq!(video["mp4"], video["link"]);
        let (status, mime, _, bytes) = download(video["link"].as_str().unwrap()).await.unwrap();
        assert_eq!((status, mime.as_str()), (StatusCode::OK, "video/mp4"));
        assert_eq!(&bytes[4..12], b"ftypisom");
        assert_eq!(video["size"].as_u64(), Some(bytes.len() as u64));
    }
}

#[test]
fn every_file_of_a_large_gallery_has_distinct_bytes() {
    let gallery = demo_gallery(&config(1000));
    let mut hashes = HashMap::new();
    for image in gallery.media() {
        let mut files = vec![(image.link_path(), image.bytes().unwrap())];
        if image.kind == DemoKind::AnimatedGif {
            let (mp4, _) = gallery.file(&format!("{}.mp4", image.id)).unwrap();
            files.push((format!("{}.mp4", image.id), pictures::file(mp4, gallery::Rendition::Mp4).unwrap().to_bytes()));
        }
        for (name, bytes) in files {
            if let Some(other) = hashes.insert(Sha256::digest(&bytes), name.clone()) {
                panic!("{name} and {other} share bytes");
            }
        }
    }
}

#[tokio::test]
async fn pages_list_every_image_once_then_repeat_page_zero() {
    let server = start(DemoConfig { images: 150, page_size: 20, ..DemoConfig::default() }).await;
    let pages = server.gallery().page_count();
    let mut ids = Vec::new();
    for page in 0..pages {
        let (_, _, body) = api(&server, &format!("/3/gallery/top/top/week/{page}")).await;
        let entries = body["data"].as_array().unwrap();
        if page + 1 < pages {
            assert_eq!(entries.len(), 20, "page {page}");
        } else {
            assert!(!entries.is_empty() && entries.len() <= 20);
        }
        ids.extend(entries.iter().map(|entry| entry["id"].as_str().unwrap().to_owned()));
    }
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "an entry appears on two pages");
    let listed: HashSet<String> = list(&server, pages)
        .await
        .iter()
        .filter(|item| is_image_item(item))
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed, server.image_ids().into_iter().collect());
    let (_, _, first) = api(&server, "/3/gallery/top/top/week/0").await;
    for past in [pages, pages + 1, 5000] {
        let (status, _, body) = api(&server, &format!("/3/gallery/top/top/week/{past}")).await;
        assert_eq!((status, &body), (StatusCode::OK, &first), "page {past}");
    }
}

#[tokio::test]
async fn every_gallery_flavour_serves_the_same_gallery() {
    let server = start(config(20)).await;
    let (_, _, expected) = api(&server, "/3/gallery/hot/viral/day/0").await;
    for path in [
        "/3/gallery/hot/viral/day",
        "/3/gallery/user/rising/all/0",
        "/3/gallery/r/earthporn/top/week/0",
        "/3/gallery/r/earthporn/time/day",
        "/3/gallery/search/time/all/0?q=cats",
        "/3/gallery/random/random/",
        "/3/gallery/random/random/0",
    ] {
        let (status, _, body) = api(&server, path).await;
        assert_eq!((status, &body), (StatusCode::OK, &expected), "{path}");
    }
}

#[tokio::test]
async fn invalid_gallery_segments_get_imgur_style_400s() {
    let server = start(config(5)).await;
    for path in ["/3/gallery/cold/viral/day/0", "/3/gallery/hot/best/day/0", "/3/gallery/hot/viral/day/x"] {
        let (status, _, body) = api(&server, path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(body["success"], Value::Bool(false));
        assert_eq!(body["status"], 400);
        assert_eq!(body["data"]["request"], path);
        assert_eq!(body["data"]["method"], "GET");
        assert!(body["data"]["error"].as_str().is_some_and(|error| !error.is_empty()));
    }
}

#[tokio::test]
async fn client_ids_are_demanded_and_bad_is_refused() {
    let server = start(config(5)).await;
    let path = "/3/gallery/hot/viral/day/0";
    let (status, _, body) = api_as(&server, path, None).await;
    assert_eq!((status, body["status"].as_u64()), (StatusCode::UNAUTHORIZED, Some(401)));
    let (status, _, _) = api_as(&server, path, Some("")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, body) = api_as(&server, path, Some(REFUSED_CLIENT_ID)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let expected = serde_json::json!({
        "data": {"error": "Invalid client_id", "request": path, "method": "GET"},
        "success": false,
        "status": 403,
    });
    assert_eq!(body, expected);
    // The image host and the link list need no Client-ID, like i.imgur.com.
    let link = server.base_url().join(&server.gallery().images().next().unwrap().link_path()).unwrap();
    assert_eq!(download(link.as_str()).await.unwrap().0, StatusCode::OK);
    assert_eq!(download(server.base_url().join("urls.txt").unwrap().as_str()).await.unwrap().0, StatusCode::OK);
}

#[tokio::test]
async fn rate_limit_headers_count_down() {
    let server = start(config(5)).await;
    let remaining = |headers: &reqwest::header::HeaderMap, name: &str| -> u64 {
        headers.get(name).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).unwrap()
    };
    let (_, first, _) = api(&server, "/3/gallery/hot/viral/day/0").await;
    let (_, second, _) = api(&server, "/3/gallery/hot/viral/day/1").await;
    assert_eq!(remaining(&first, "x-ratelimit-clientlimit"), 12_500);
    assert_eq!(remaining(&first, "x-ratelimit-userlimit"), 2_000);
    assert_eq!(remaining(&first, "x-ratelimit-clientremaining"), 12_499);
    assert_eq!(remaining(&second, "x-ratelimit-clientremaining"), 12_498);
    assert_eq!(remaining(&second, "x-ratelimit-userremaining"), 1_998);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let reset = remaining(&second, "x-ratelimit-userreset");
    assert!((now + 3500..=now + 3700).contains(&reset), "{reset}");
    assert_eq!(server.stats().api_requests, 2);
}

#[tokio::test]
async fn albums_come_with_and_without_inline_images() {
    let server = start(config(40)).await;
    let (_, _, body) = api(&server, "/3/gallery/hot/viral/day/0").await;
    let albums: Vec<&Value> =
        body["data"].as_array().unwrap().iter().filter(|entry| entry["is_album"] == true).collect();
    assert!(albums.iter().any(|album| album.get("images").is_some()));
    assert!(albums.iter().any(|album| album.get("images").is_none()));
    for album in albums {
        let id = album["id"].as_str().unwrap();
        let (status, _, listed) = api(&server, &format!("/3/album/{id}/images")).await;
        assert_eq!(status, StatusCode::OK);
        let listed = listed["data"].as_array().unwrap().clone();
        assert_eq!(Some(listed.len() as u64), album["images_count"].as_u64());
        if let Some(inline) = album.get("images") {
            assert_eq!(inline.as_array().unwrap(), &listed);
        }
        let expected = &server.gallery().album(id).unwrap().images;
        let ids: Vec<&str> = listed.iter().map(|image| image["id"].as_str().unwrap()).collect();
        assert_eq!(ids, expected.iter().map(|image| image.id.as_str()).collect::<Vec<_>>());
        let (_, _, whole) = api(&server, &format!("/3/album/{id}")).await;
        assert_eq!(whole["data"]["images"].as_array().unwrap(), &listed);
    }
}

#[tokio::test]
async fn unknown_albums_and_files_are_404s() {
    let server = start(config(10)).await;
    let (status, _, body) = api(&server, "/3/album/zzzzzzz/images").await;
    assert_eq!(
        (status, body["status"].as_u64(), body["success"].as_bool()),
        (StatusCode::NOT_FOUND, Some(404), Some(false))
    );
    for path in ["/i/zzzzzzz.jpg", "/i/..%2F..%2Fetc%2Fpasswd", "/i/", "/nothing"] {
        let status = download(server.base_url().join(path).unwrap().as_str()).await.unwrap().0;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    // A still image has no mp4 rendition.
    let still = server.gallery().images().find(|image| !image.kind.animated()).unwrap();
    let status = download(server.base_url().join(&format!("/i/{}.mp4", still.id)).unwrap().as_str()).await.unwrap().0;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// What one faulty-or-not image request came to, from a client's point of view.
#[derive(Debug, PartialEq, Eq, Hash)]
enum Outcome {
    Image,
    Status(u16),
    BrokenBody,
    NotAnImage,
}

async fn fetch_outcome(url: &str) -> Outcome {
    let Ok(response) = client().get(url).send().await else {
        return Outcome::BrokenBody;
    };
    let status = response.status();
    if status != StatusCode::OK {
        return Outcome::Status(status.as_u16());
    }
    let mime = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let length = response.content_length();
    let Ok(bytes) = response.bytes().await else {
        return Outcome::BrokenBody;
    };
    if length != Some(bytes.len() as u64) {
        return Outcome::BrokenBody;
    }
    if !mime.starts_with("image/") || image::load_from_memory(&bytes).is_err() {
        return Outcome::NotAnImage;
    }
    Outcome::Image
}

#[tokio::test]
async fn fail_rate_one_never_delivers_a_valid_image_and_shows_every_fault() {
    use super::host::Fault;
    let server = start(DemoConfig { fail_rate: 1.0, ..config(10) }).await;
    let link = server.base_url().join(&server.gallery().images().next().unwrap().link_path()).unwrap();
    let mut seen = HashSet::new();
    // Requests go one at a time, so request n meets the fault the seed gives n.
    for request in 0..60 {
        let fault = Fault::for_request(server.config().seed, request, 1.0).expect("every request faults");
        let expected = match fault {
            Fault::ServerError => Outcome::Status(500),
            Fault::TooManyRequests => Outcome::Status(429),
            Fault::Reset | Fault::Truncated => Outcome::BrokenBody,
            Fault::HtmlPage => Outcome::NotAnImage,
        };
        assert_eq!(fetch_outcome(link.as_str()).await, expected, "request {request}: {fault:?}");
        seen.insert(fault);
    }
    assert_eq!(seen.len(), 5, "{seen:?}");
    assert_eq!(server.stats().faults_injected, 60);
    assert_eq!(server.stats().image_requests, 60);
}

#[tokio::test]
async fn fail_rate_zero_never_faults() {
    let server = start(config(30)).await;
    for image in server.gallery().images() {
        let link = server.base_url().join(&image.link_path()).unwrap();
        assert_eq!(fetch_outcome(link.as_str()).await, Outcome::Image, "{link}");
    }
    assert_eq!(server.stats().faults_injected, 0);
}

#[tokio::test]
async fn retries_get_through_a_flaky_host() {
    let server = start(DemoConfig { fail_rate: 0.5, ..config(10) }).await;
    for image in server.gallery().images() {
        let link = server.base_url().join(&image.link_path()).unwrap();
        let mut attempts = 0;
        while fetch_outcome(link.as_str()).await != Outcome::Image {
            attempts += 1;
            assert!(attempts < 30, "{link} never got through");
        }
    }
    assert!(server.stats().faults_injected > 0);
}

#[tokio::test]
async fn the_429_fault_says_when_to_retry() {
    let server = start(DemoConfig { fail_rate: 1.0, ..config(3) }).await;
    let link = server.base_url().join(&server.gallery().images().next().unwrap().link_path()).unwrap();
    for _ in 0..60 {
        let Ok(response) = client().get(link.clone()).send().await else {
            continue;
        };
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(response.headers()["retry-after"], "1");
            return;
        }
    }
    panic!("no 429 in 60 faulty requests");
}

#[tokio::test]
async fn bandwidth_paces_bodies() {
    let server = start(DemoConfig { bandwidth: Some(400_000), ..config(3) }).await;
    let image = server.gallery().images().next().unwrap().clone();
    let size = tokio::task::spawn_blocking(move || image.size().unwrap()).await.unwrap();
    let link = server.base_url().join(&server.gallery().images().next().unwrap().link_path()).unwrap();
    let started = Instant::now();
    let bytes = download(link.as_str()).await.unwrap().3;
    let elapsed = started.elapsed().as_secs_f64();
    let expected = size as f64 / 400_000.0;
    assert_eq!(bytes.len() as u64, size);
    assert!(elapsed >= expected * 0.9, "{elapsed} s for {size} bytes at 400 KB/s");
    assert!(elapsed < expected * 3.0 + 1.0, "{elapsed} s for {size} bytes at 400 KB/s");
}

#[tokio::test]
async fn bandwidth_paces_api_bodies_too() {
    let server = start(DemoConfig { bandwidth: Some(20_000), ..config(12) }).await;
    let started = Instant::now();
    let response = client()
        .get(server.base_url().join("/3/gallery/hot/viral/day/0").unwrap())
        .header("Authorization", "Client-ID demo")
        .send()
        .await
        .unwrap();
    let length = response.bytes().await.unwrap().len();
    let expected = length as f64 / 20_000.0;
    assert!(started.elapsed().as_secs_f64() >= expected * 0.9, "{length} bytes");
}

#[tokio::test]
async fn latency_delays_every_response() {
    let server = start(DemoConfig { latency: Duration::from_millis(300), ..config(3) }).await;
    let link = server.base_url().join(&server.gallery().images().next().unwrap().link_path()).unwrap();
    // The first answers may also wait for pictures to be made: time the second ones.
    let _ = api(&server, "/3/gallery/hot/viral/day/0").await;
    let _ = download(link.as_str()).await;
    let started = Instant::now();
    let _ = api(&server, "/3/gallery/hot/viral/day/0").await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    let started = Instant::now();
    let _ = download(link.as_str()).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn urls_txt_lists_every_image_link() {
    let server = start(config(45)).await;
    let (status, mime, _, body) = download(server.base_url().join("urls.txt").unwrap().as_str()).await.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(mime.starts_with("text/plain"), "{mime}");
    let text = String::from_utf8(body.to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let expected: Vec<String> = server
        .gallery()
        .images()
        .map(|image| server.base_url().join(&image.link_path()).unwrap().to_string())
        .collect();
    assert_eq!(lines, expected);
    let listed: Vec<String> = list(&server, server.gallery().page_count())
        .await
        .iter()
        .filter(|item| is_image_item(item))
        .map(|item| item["link"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(lines, listed);
}

#[tokio::test]
async fn the_index_page_says_what_this_is() {
    let server = start(config(3)).await;
    let (status, mime, _, body) = download(server.base_url().as_str()).await.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(mime.starts_with("text/html"));
    assert!(String::from_utf8_lossy(&body).contains("galley demo server"));
}

#[tokio::test]
async fn the_router_mounts_on_a_listener_of_ones_own() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let serving = tokio::spawn(async move { axum::serve(listener, router(config(12))).await });
    let (status, _, _, body) = download(&format!("http://{addr}/3/gallery/hot/viral/day/0")).await.unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{}", String::from_utf8_lossy(&body));
    let text = download(&format!("http://{addr}/urls.txt")).await.unwrap().3;
    let first = String::from_utf8(text.to_vec()).unwrap().lines().next().unwrap().to_owned();
    assert!(first.starts_with(&format!("http://{addr}/i/")), "{first}");
    assert_eq!(download(&first).await.unwrap().0, StatusCode::OK);
    serving.abort();
}

#[tokio::test]
async fn shutdown_stops_serving() {
    let server = start(config(3)).await;
    let url = server.base_url();
    assert_eq!(download(url.as_str()).await.unwrap().0, StatusCode::OK);
    let started = Instant::now();
    server.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(download(url.as_str()).await.is_err());
}

#[tokio::test]
async fn dropping_the_server_stops_it() {
    let server = start(config(3)).await;
    let url = server.base_url();
    drop(server);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(download(url.as_str()).await.is_err());
}

/// Times generating and serving 400 images, 16 at a time, twice:
/// `cargo test --lib demo::tests::time_serving_400_images -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn time_serving_400_images() {
    use futures_util::StreamExt;
    let started = Instant::now();
    let server = start(config(400)).await;
    let (status, _, _) = api(&server, "/3/gallery/hot/viral/day/0").await;
    assert_eq!(status, StatusCode::OK);
    println!("first gallery page, pictures made cold: {:.2} s", started.elapsed().as_secs_f64());
    let links: Vec<String> = server
        .gallery()
        .images()
        .map(|image| server.base_url().join(&image.link_path()).unwrap().to_string())
        .collect();
    for pass in ["first (pictures made on demand)", "second (all cached)"] {
        let started = Instant::now();
        let client = client();
        let mut bytes = 0;
        let results: Vec<usize> = futures_util::stream::iter(links.iter().cloned())
            .map(|link| {
                let client = client.clone();
                async move { client.get(link).send().await.unwrap().bytes().await.unwrap().len() }
            })
            .buffer_unordered(16)
            .collect()
            .await;
        bytes += results.iter().sum::<usize>();
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "{pass}: {} images, {:.1} MB in {seconds:.2} s ({:.0} images/s)",
            results.len(),
            bytes as f64 / 1e6,
            results.len() as f64 / seconds
        );
    }
}
