//! The built `galley` binary, as a user or a script runs it, against demo servers on
//! 127.0.0.1: exit statuses, the JSON summary, `demo-server`'s first line, link lists, and
//! names from the network that must stay inside the folder.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use galley::demo::{DemoConfig, DemoKind, DemoServer};

fn galley() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_galley"));
    command.env_remove("IMGUR_CLIENT_ID").env("RUST_LOG", "warn").stdin(Stdio::null());
    command
}

fn run(command: &mut Command) -> Output {
    command.output().expect("galley runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json_summary(output: &Output) -> serde_json::Value {
    let stdout = text(&output.stdout);
    let line = stdout.lines().last().unwrap_or_else(|| panic!("no summary; stderr: {}", text(&output.stderr)));
    serde_json::from_str(line).unwrap_or_else(|error| panic!("not JSON ({error}): {line}"))
}

fn fetch_into(out: &Path) -> Command {
    let mut command = galley();
    command.arg("fetch").arg("--out").arg(out).arg("--no-archive").arg("--json");
    command
}

#[test]
fn fetch_demo_saves_the_gallery_and_prints_the_summary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("demo");
    let archive = dir.path().join("archive.sqlite");

    let first = run(galley()
        .args(["fetch", "--demo", "--demo-images", "25", "--concurrency", "8", "--json", "--archive"])
        .arg(&archive)
        .arg("--out")
        .arg(&out));
    assert!(first.status.success(), "stderr: {}", text(&first.stderr));
    let summary = json_summary(&first);
    for key in ["listed", "downloaded", "skipped", "failed", "bytes", "seconds", "images_per_second", "concurrency"] {
        assert!(summary.get(key).is_some(), "missing {key}: {summary}");
    }
    assert_eq!(summary["listed"], 25);
    assert_eq!(summary["downloaded"], 25);
    assert_eq!(summary["concurrency"], 8);
    assert_eq!(std::fs::read_dir(&out).expect("out").count(), 25);
    // The demo's Client-ID is no secret: a folder named "demo" is printed as it is.
    let said = text(&first.stderr);
    // `join("")` ends the folder with its platform's separator.
    assert!(said.contains(&format!("saved {}", out.join("").display())), "stderr: {said}");
    assert!(!said.contains("<redacted>"), "stderr: {said}");

    let second = run(galley()
        .args(["fetch", "--demo", "--demo-images", "25", "--json", "--archive"])
        .arg(&archive)
        .arg("--out")
        .arg(&out));
    assert!(second.status.success());
    let summary = json_summary(&second);
    assert_eq!(summary["skipped"], 25);
    assert_eq!(summary["downloaded"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_client_id_exits_2_with_a_clear_message_and_no_files() {
    let server = DemoServer::start(DemoConfig::default(), 0).await.expect("demo server");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("never");

    let output = run(fetch_into(&out).args(["--client-id", "bad", "--api-base", server.base_url().as_str()]));

    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("The Client-ID was refused"), "stderr: {stderr}");
    assert_eq!(std::fs::read_dir(&out).map(|entries| entries.count()).unwrap_or(0), 0);
    assert_eq!(server.stats().image_requests, 0);
}

#[test]
fn a_missing_client_id_exits_2_and_says_how_to_get_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = run(fetch_into(dir.path()).args(["--api-base", "http://127.0.0.1:9"]));
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("no Client-ID"), "{}", text(&output.stderr));
}

#[test]
fn the_client_id_is_never_printed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let secret = "s3cr3t-client-id-4242";
    // Port 9 on loopback refuses connections: the run stops with an offline error.
    let output = run(fetch_into(dir.path())
        .args(["--client-id", secret, "--api-base", "http://127.0.0.1:9"])
        .env("RUST_LOG", "trace"));
    assert_eq!(output.status.code(), Some(1), "offline is exit 1: {}", text(&output.stderr));
    assert!(!text(&output.stdout).contains(secret));
    assert!(!text(&output.stderr).contains(secret));

    // A successful run with a history: the id is in neither the output nor the archive.
    let archive = dir.path().join("archive.sqlite");
    let output = run(galley()
        .args(["fetch", "--demo", "--demo-images", "5", "--json", "--client-id", secret, "--archive"])
        .arg(&archive)
        .arg("--out")
        .arg(dir.path().join("out"))
        .env("RUST_LOG", "trace"));
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(!text(&output.stdout).contains(secret));
    assert!(!text(&output.stderr).contains(secret));
    for entry in std::fs::read_dir(dir.path()).expect("dir").flatten() {
        // The archive and its WAL/SHM companions.
        if entry.file_name().to_string_lossy().starts_with("archive.sqlite") {
            let bytes = std::fs::read(entry.path()).expect("archive bytes");
            let found = bytes.windows(secret.len()).any(|window| window == secret.as_bytes());
            assert!(!found, "the Client-ID is stored in {}", entry.path().display());
        }
    }
}

#[test]
fn an_unwritable_destination_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").expect("write");
    let output = run(fetch_into(&file.join("sub")).args(["--demo"]));
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("Cannot create the folder"), "{}", text(&output.stderr));
}

#[test]
fn bad_arguments_exit_2() {
    let output = run(galley().args(["fetch", "--concurrency", "0"]));
    assert_eq!(output.status.code(), Some(2));
    let output = run(galley().args(["fetch", "--source", "r/../../etc", "--client-id", "x"]));
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn demo_server_announces_its_address_first_and_serves_urls_txt() {
    let mut child = galley()
        .args(["demo-server", "--port", "0", "--images", "6", "--seed", "3"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("demo-server starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut first_line = String::new();
    BufReader::new(stdout).read_line(&mut first_line).expect("first line");
    let address = first_line.trim().strip_prefix("listening on ").map(str::to_owned);

    // Fetch from it with the binary itself, through /urls.txt as a peer tool would.
    let fetched = address.as_ref().map(|address| {
        let dir = tempfile::tempdir().expect("tempdir");
        let links = dir.path().join("urls.txt");
        let body = fetch_text(&format!("{address}/urls.txt"));
        std::fs::write(&links, &body).expect("write links");
        let output = run(fetch_into(&dir.path().join("out")).arg("--urls").arg(&links));
        (body.lines().count(), output, std::fs::read_dir(dir.path().join("out")).map(|d| d.count()).unwrap_or(0))
    });
    let _ = child.kill();
    let _ = child.wait();

    assert!(first_line.starts_with("listening on http://127.0.0.1:"), "first line: {first_line:?}");
    let (links, output, files) = fetched.expect("address parsed");
    assert_eq!(links, 6);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(json_summary(&output)["downloaded"], 6);
    assert_eq!(files, 6);
}

/// A GET on loopback with the library's own HTTP stack (no extra test dependency).
fn fetch_text(url: &str) -> String {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        reqwest::get(url).await.expect("GET").error_for_status().expect("200").text().await.expect("body")
    })
}

/// A tiny valid PNG whose colour depends on `seed`, so that each path serves distinct
/// bytes (the engine saves identical bytes only once).
fn png_bytes(seed: &str) -> Vec<u8> {
    let shade = seed.bytes().fold(7u8, |acc, byte| acc.wrapping_mul(31).wrapping_add(byte));
    let image = image::RgbaImage::from_pixel(8, 8, image::Rgba([shade, 40, seed.len() as u8, 255]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, image::ImageFormat::Png).expect("encode");
    bytes.into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_link_names_stay_inside_the_folder() {
    let app = Router::new().fallback(|uri: axum::http::Uri| async move {
        ([(header::CONTENT_TYPE, "image/png")], png_bytes(&uri.to_string())).into_response()
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("inside");
    let hostile = [
        "/%2E%2E%2F%2E%2E%2Fescaped.png",
        "/a/..%2F..%2Fescaped2.png",
        "/%2Fetc%2Fpasswd",
        "/..%5C..%5Cwindows.png",
        "/CON",
        "/nul%00byte.png",
        "/%0Acontrol%07chars.png",
    ];
    let mut links: String = hostile.iter().map(|path| format!("http://{address}{path}\n")).collect();
    links.push_str("file:///etc/passwd\ndata:image/png;base64,AAAA\n");
    let list = dir.path().join("links.txt");
    std::fs::write(&list, links).expect("write links");

    let output = run(fetch_into(&out).arg("--urls").arg(&list));

    let summary = json_summary(&output);
    assert_eq!(summary["downloaded"], hostile.len() as u64, "{}", text(&output.stderr));
    assert_eq!(summary["failed"], 2, "file: and data: links are refused");
    assert!(text(&output.stderr).contains("file:"), "the refusal names the link: {}", text(&output.stderr));
    let outside: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    let mut outside = outside;
    outside.sort();
    assert_eq!(outside, ["inside", "links.txt"], "nothing written beside the folder");
    for entry in std::fs::read_dir(&out).expect("out") {
        let name = entry.expect("entry").file_name().to_string_lossy().into_owned();
        assert!(!name.contains(['/', '\\', '\0']) && !name.chars().any(char::is_control), "{name:?}");
        assert!(!name.starts_with('.'), "no hidden or dot names: {name:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_id_echoed_by_the_server_is_redacted_from_stderr_and_json() {
    // An API that answers every request with an error quoting the request's headers.
    let app = Router::new().fallback(|headers: axum::http::HeaderMap| async move {
        let echoed: String = headers.iter().map(|(name, value)| format!("{name}: {}; ", value.to_str().unwrap_or(""))).collect();
        let body = serde_json::json!({"data": {"error": format!("bad request, you sent {echoed}")}, "success": false, "status": 400});
        (axum::http::StatusCode::BAD_REQUEST, [(header::CONTENT_TYPE, "application/json")], body.to_string())
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let dir = tempfile::tempdir().expect("tempdir");
    let secret = "echoed-client-id-7777";

    let output = tokio::task::spawn_blocking({
        let out = dir.path().to_owned();
        move || {
            run(fetch_into(&out)
                .args(["--api-base", &format!("http://{address}")])
                .env("IMGUR_CLIENT_ID", secret)
                .env("RUST_LOG", "debug"))
        }
    })
    .await
    .expect("galley ran");

    let summary = json_summary(&output);
    let error = summary["error"].as_str().unwrap_or_default();
    assert!(error.contains("<redacted>"), "the echo is in the error, the id is not: {error}");
    assert!(!text(&output.stdout).contains(secret), "stdout: {}", text(&output.stdout));
    assert!(!text(&output.stderr).contains(secret), "stderr: {}", text(&output.stderr));
}

#[cfg(unix)]
#[test]
fn a_low_open_file_limit_cuts_the_downloads_at_once_instead_of_failing_images() {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut command = fetch_into(dir.path());
    command.args(["--demo", "--demo-images", "120", "--concurrency", "256"]);
    // As macOS's default of 256 would at a larger scale: a hard limit of 96 it cannot raise.
    // SAFETY: setrlimit is async-signal-safe and touches only the child's own limits.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit { rlim_cur: 96, rlim_max: 96 };
            match libc::setrlimit(libc::RLIMIT_NOFILE, &limit) {
                0 => Ok(()),
                _ => Err(std::io::Error::last_os_error()),
            }
        });
    }

    let output = run(&mut command);

    let summary = json_summary(&output);
    assert_eq!(summary["failed"], 0, "{}", text(&output.stderr));
    assert_eq!(summary["downloaded"], summary["listed"]);
    let concurrency = summary["concurrency"].as_u64().unwrap_or(0);
    assert!((1..256).contains(&concurrency), "cut to fit: {concurrency}");
}

/// The seed script kept every image/jpeg, image/png and image/gif item, animated GIFs
/// included; videos and the MP4 renditions are choices of their own.
#[test]
fn fetch_saves_animated_gifs_as_gifs_by_default_and_videos_or_mp4s_only_when_asked() {
    let config = DemoConfig { images: 60, ..DemoConfig::default() };
    let gallery = galley::demo::demo_gallery(&config);
    let ids_of = |kind: DemoKind| -> Vec<String> {
        gallery.media().filter(|image| image.kind == kind).map(|image| image.id.clone()).collect()
    };
    let (animated, videos) = (ids_of(DemoKind::AnimatedGif), ids_of(DemoKind::Video));
    assert!(!animated.is_empty() && !videos.is_empty(), "the demo gallery has both");
    let dir = tempfile::tempdir().expect("tempdir");
    let fetch = |name: &str, flags: &[&str]| -> (serde_json::Value, Vec<String>) {
        let out = dir.path().join(name);
        let output = run(fetch_into(&out).args(["--demo", "--demo-images", "60"]).args(flags));
        assert!(output.status.success(), "stderr: {}", text(&output.stderr));
        let names = std::fs::read_dir(&out).expect("out").flatten();
        (json_summary(&output), names.map(|entry| entry.file_name().to_string_lossy().into_owned()).collect())
    };

    let (summary, saved) = fetch("default", &[]);
    assert_eq!((summary["listed"].as_u64(), summary["downloaded"].as_u64()), (Some(60), Some(60)));
    assert!(animated.iter().all(|id| saved.contains(&format!("{id}.gif"))), "{saved:?}");
    assert!(!saved.iter().any(|name| name.ends_with(".mp4")), "no video, no mp4: {saved:?}");

    let (summary, saved) = fetch("videos", &["--videos"]);
    assert_eq!(summary["downloaded"].as_u64(), Some(60 + videos.len() as u64));
    assert!(videos.iter().all(|id| saved.contains(&format!("{id}.mp4"))), "{saved:?}");
    assert!(animated.iter().all(|id| saved.contains(&format!("{id}.gif"))), "GIFs still as .gif: {saved:?}");

    let (_, saved) = fetch("smaller", &["--gifs-as-mp4"]);
    assert!(animated.iter().all(|id| saved.contains(&format!("{id}.mp4"))), "{saved:?}");
    assert!(!videos.iter().any(|id| saved.contains(&format!("{id}.mp4"))), "videos stay opt-in: {saved:?}");
}

/// `--urls -` reads at most the list's cap from stdin, however much is piped in (`yes URL |`).
#[test]
fn an_endless_link_list_on_stdin_is_refused_at_the_cap() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = galley()
        .args(["fetch", "--urls", "-", "--no-archive", "--out"])
        .arg(dir.path().join("out"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("galley starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        let line = b"http://127.0.0.1:9/AbCdE12.jpg\n";
        // 8 MiB, twice the cap; galley stops reading (a broken pipe here) once past it.
        for _ in 0..(8 << 20) / line.len() {
            if stdin.write_all(line).is_err() {
                break;
            }
        }
    });
    let output = child.wait_with_output().expect("galley ends");
    writer.join().expect("writer");
    assert_eq!(output.status.code(), Some(2), "stderr: {}", text(&output.stderr));
    assert!(text(&output.stderr).contains("more than a list of links"), "{}", text(&output.stderr));
    assert!(!dir.path().join("out").exists(), "nothing was started");
}

/// What a hostile server says to a terminal: erase the screen, then retitle the window.
const TERMINAL_ATTACK: &str = "\u{1b}[2J\u{1b}]0;pwned by the server\u{7}";

/// An API whose album answers 404 and whose image answers 500, both with bodies meant for
/// a terminal; with `broken_pages` every gallery page answers 500 the same way.
async fn terminal_attacking_api(broken_pages: bool) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("addr");
    let app = Router::new().fallback(move |uri: axum::http::Uri| async move {
        use axum::http::StatusCode;
        let json = |status, body: serde_json::Value| {
            (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
        };
        let error =
            serde_json::json!({"data": {"error": format!("gone {TERMINAL_ATTACK}")}, "success": false, "status": 404});
        match uri.path() {
            "/3/gallery/hot/viral/day/0" if broken_pages => {
                (StatusCode::INTERNAL_SERVER_ERROR, format!("oops {TERMINAL_ATTACK}")).into_response()
            }
            "/3/gallery/hot/viral/day/0" => json(
                StatusCode::OK,
                serde_json::json!({"success": true, "status": 200, "data": [
                    {"id": "AlbumOne", "is_album": true},
                    {"id": "ImageOne", "type": "image/jpeg", "link": format!("http://{address}/i/ImageOne.jpg")},
                ]}),
            ),
            "/3/album/AlbumOne/images" => json(StatusCode::NOT_FOUND, error),
            path if path.starts_with("/3/") => json(StatusCode::OK, serde_json::json!({"success": true, "data": []})),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, format!("broken {TERMINAL_ATTACK}")).into_response(),
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    address
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_text_reaches_the_terminal_escaped() {
    for broken_pages in [false, true] {
        let address = terminal_attacking_api(broken_pages).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let output = tokio::task::spawn_blocking({
            let out = dir.path().join("out");
            move || {
                run(galley()
                    .args(["fetch", "--no-archive", "--pages", "1", "--client-id", "x", "--api-base"])
                    .arg(format!("http://{address}"))
                    .arg("--out")
                    .arg(out))
            }
        })
        .await
        .expect("galley ran");
        let said = text(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{said}");
        assert!(!said.contains(['\u{1b}', '\u{7}']), "a control character reached the terminal: {said:?}");
        assert!(said.contains("\\u{1b}[2J"), "the server's text is shown, escaped: {said}");
    }
}

#[test]
fn an_archive_from_a_newer_galley_is_refused_before_anything_is_saved() {
    let dir = tempfile::tempdir().expect("tempdir");
    let archive = dir.path().join("archive.sqlite");
    rusqlite::Connection::open(&archive).expect("sqlite").execute_batch("PRAGMA user_version = 99").expect("version");
    let out = dir.path().join("out");
    let output = run(galley()
        .args(["fetch", "--demo", "--demo-images", "5", "--json", "--archive"])
        .arg(&archive)
        .arg("--out")
        .arg(&out));
    assert_eq!(output.status.code(), Some(2), "stderr: {}", text(&output.stderr));
    assert!(text(&output.stderr).contains("written by a newer galley"), "{}", text(&output.stderr));
    assert_eq!(json_summary(&output)["downloaded"], 0);
    assert_eq!(std::fs::read_dir(&out).map(|entries| entries.count()).unwrap_or(0), 0, "nothing saved");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_id_can_come_from_a_file_and_is_never_printed() {
    let server = DemoServer::start(DemoConfig { images: 4, ..DemoConfig::default() }, 0).await.expect("demo server");
    let dir = tempfile::tempdir().expect("tempdir");
    let api = server.base_url().to_string();
    let fetch_with = |id_text: &'static str, name: &str| {
        let (file, out, api) = (dir.path().join(format!("{name}.id")), dir.path().join(name), api.clone());
        std::fs::write(&file, id_text).expect("write id");
        move || {
            run(fetch_into(&out)
                .args(["--api-base", &api, "--client-id", "ignored"])
                .arg("--client-id-file")
                .arg(&file))
        }
    };

    let refused = tokio::task::spawn_blocking(fetch_with("bad\n", "refused")).await.expect("ran");
    assert_eq!(refused.status.code(), Some(2), "the file's id (refused by the demo) won: {}", text(&refused.stderr));

    let secret = "file-secret-9191";
    let accepted = tokio::task::spawn_blocking(fetch_with("file-secret-9191\nsecond line ignored\n", "ok")).await;
    let accepted = accepted.expect("ran");
    assert!(accepted.status.success(), "{}", text(&accepted.stderr));
    assert_eq!(json_summary(&accepted)["downloaded"], 4);
    assert!(!text(&accepted.stdout).contains(secret) && !text(&accepted.stderr).contains(secret));

    let missing = run(fetch_into(dir.path()).args(["--client-id-file", "/nonexistent/id"]));
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("cannot read the Client-ID from"), "{}", text(&missing.stderr));
}

/// `fetch --list` says what would be saved (id, link, file name, kind, size) and saves
/// nothing: no folder is made, no image is requested.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_list_says_what_would_be_saved_and_saves_nothing() {
    let server = DemoServer::start(DemoConfig { images: 12, ..DemoConfig::default() }, 0).await.expect("demo server");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("never-made");
    let api = server.base_url().to_string();
    let command = move |json: bool| {
        let mut command = galley();
        command.args(["fetch", "--list", "--client-id", "x", "--api-base", &api]).arg("--out").arg(&out);
        if json {
            command.arg("--json");
        }
        command
    };
    let (mut plain, mut json) = (command(false), command(true));
    let plain = tokio::task::spawn_blocking(move || run(&mut plain)).await.expect("ran");
    let json = tokio::task::spawn_blocking(move || run(&mut json)).await.expect("ran");

    assert!(json.status.success(), "{}", text(&json.stderr));
    let lines: Vec<serde_json::Value> =
        text(&json.stdout).lines().map(|line| serde_json::from_str(line).expect("JSON")).collect();
    let (items, summary) = lines.split_at(lines.len() - 1);
    assert_eq!(items.len(), 12, "one object per image");
    assert_eq!(summary[0]["listed"], 12);
    assert_eq!(summary[0]["downloaded"], 0);
    let expected: Vec<String> = server.image_ids();
    for item in items {
        let id = item["id"].as_str().expect("id");
        assert!(expected.contains(&id.to_owned()), "{id}");
        assert!(item["link"].as_str().is_some_and(|link| link.starts_with("http://127.0.0.1")));
        let file = item["file"].as_str().expect("file");
        assert!(file.starts_with(id) && file.contains('.'), "{file}");
        assert!(item["kind"].is_string() && item["size"].is_u64(), "{item}");
    }
    assert!(plain.status.success());
    assert_eq!(text(&plain.stdout).lines().filter(|line| line.contains("\thttp://")).count(), 12);
    assert!(!dir.path().join("never-made").exists(), "no folder was made");
    assert_eq!(server.stats().image_requests, 0, "no image was requested");
}
