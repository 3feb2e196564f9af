//! The command line: `galley`, `galley FOLDER`, `galley --demo`, `galley --version`, `galley fetch`,
//! `galley follow ...`, `galley demo-server` and `galley completions SHELL`.
//! Argument shapes are fixed by DESIGN.md; `main.rs` parses them and calls in here.

mod dupes;
mod entry;
mod fetch;
mod follow;
mod install;
mod report;
mod terminal;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueHint};
use url::Url;

pub use dupes::{DupesArgs, dupes};
pub use entry::main;
pub use fetch::fetch;
pub use follow::{FollowArgs, FollowCommand, follow};
pub use install::{CompletionShell, completion_script, completions, write_manpages};
pub use terminal::{for_terminal, print_error};

use crate::demo::{DemoConfig, run_until_stopped};
use crate::engine::{CONCURRENCY_RANGE, DEFAULT_TEMPLATE, IMGUR_API_BASE, NameTemplate};

/// Exit status for usage, authentication and destination errors (DESIGN.md).
pub const EXIT_USAGE: u8 = 2;
/// Exit status when some images failed or the run stopped on a network/API error.
pub const EXIT_FAILED: u8 = 1;
/// Exit status after ctrl-c, as shells expect (128 + SIGINT).
pub const EXIT_INTERRUPTED: u8 = 130;

/// galley: download Imgur galleries concurrently and browse them as thumbnails.
#[derive(Debug, Parser)]
#[command(name = "galley", version, about, propagate_version = true, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// Open the app on the built-in demo gallery (no account, no internet needed).
    #[arg(long)]
    pub demo: bool,

    /// Open the app browsing this folder, as an image viewer would.
    #[arg(value_name = "FOLDER", value_hint = ValueHint::DirPath)]
    pub folder: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<CliCommand>,
}

#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Download a gallery headlessly, with the same engine as the app.
    Fetch(Box<FetchArgs>),
    /// Serve a fake Imgur API and its images on 127.0.0.1.
    DemoServer(DemoServerArgs),
    /// Group near-duplicate pictures (reposts) in a folder, the copy to keep first.
    Dupes(DupesArgs),
    /// Follow sources and download only what is new in them: add, list, remove, check.
    Follow(FollowArgs),
    /// Print shell completions: `galley completions bash > ~/.local/share/bash-completion/completions/galley`.
    Completions {
        /// The shell to complete for.
        shell: CompletionShell,
    },
    /// Write the manual pages into DIR (used by scripts/package.sh; not for users).
    #[command(hide = true)]
    Manpages {
        #[arg(value_hint = ValueHint::DirPath)]
        dir: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Imgur Client-ID (required unless --demo or --urls). Never printed or logged. Prefer
    /// the IMGUR_CLIENT_ID environment variable or --client-id-file: an argument is visible
    /// to every user of the machine in `ps` and /proc/PID/cmdline, and stays in the
    /// shell's history.
    #[arg(long, env = "IMGUR_CLIENT_ID", hide_env_values = true)]
    pub client_id: Option<String>,

    /// Read the Client-ID from FILE (its first line; at most 4 KiB), so it appears in no
    /// process listing or shell history. Takes precedence over --client-id and
    /// IMGUR_CLIENT_ID. `--client-id-file <(pass show imgur)` works too.
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub client_id_file: Option<PathBuf>,

    /// What to download: any Imgur URL (gallery, album, post, user, favorites, tag, image
    /// page, direct link) or a short form (hot/viral/day, r/<subreddit>, album/<id>,
    /// search:<query>). Several are listed in order and share one pool of downloads.
    /// [default: hot/viral/day]
    #[arg(value_name = "SOURCE")]
    pub sources: Vec<String>,

    /// A source, as SOURCE; may be repeated (listed after the SOURCE arguments).
    #[arg(long = "source", value_name = "SRC")]
    pub source: Vec<String>,

    /// Gallery pages to list [default: 1; with --demo, the whole demo gallery].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub pages: Option<u32>,

    /// At most N images.
    #[arg(long)]
    pub limit: Option<usize>,

    /// Download the links listed in FILE (one per line, `-` for stdin): direct image links
    /// as they are, with no API; Imgur page links (albums, posts, users...) are listed
    /// through the API like a SOURCE.
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath, conflicts_with_all = ["source", "sources", "pages"])]
    pub urls: Option<PathBuf>,

    /// Destination folder [default: the user's Pictures/galley].
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub out: Option<PathBuf>,

    /// Downloads at once.
    #[arg(long, default_value_t = 16, value_parser = concurrency_in_range)]
    pub concurrency: usize,

    /// API root.
    #[arg(long, value_name = "URL", value_hint = ValueHint::Url, default_value = IMGUR_API_BASE)]
    pub api_base: Url,

    /// List from an in-process demo gallery instead of Imgur.
    #[arg(long, conflicts_with = "api_base")]
    pub demo: bool,

    /// Skip thumbnail making (made by default, as the app does; it also proves each
    /// image decodes).
    #[arg(long)]
    pub no_thumbnails: bool,

    /// Print one JSON summary line on stdout at the end.
    #[arg(long)]
    pub json: bool,

    /// Name files from {id} {title} {album} {album_title} {num} {account} {date} {ext};
    /// every name is sanitized and stays inside --out.
    #[arg(long, value_name = "TEMPLATE", default_value = DEFAULT_TEMPLATE, value_parser = name_template)]
    pub filename: NameTemplate,

    /// Put each album's images in a subfolder named by the album's title.
    #[arg(long)]
    pub album_folders: bool,

    /// Write <file>.json beside each image: what the API said of it.
    #[arg(long)]
    pub write_metadata: bool,

    /// Say what would be saved and save nothing: one line per image on stdout (with --json,
    /// one object per line: id, link, file, kind, size, source), then the summary.
    #[arg(long)]
    pub list: bool,

    /// Also save videos (video-only items, as MP4). Every JPEG, PNG and GIF is saved by
    /// default, animated GIFs as .gif.
    #[arg(long)]
    pub videos: bool,

    /// Save animated GIFs as the MP4 Imgur offers (smaller) instead of the .gif.
    #[arg(long)]
    pub gifs_as_mp4: bool,

    /// Both --videos and --gifs-as-mp4 (what --animated meant before GIFs were saved by
    /// default).
    #[arg(long, hide = true)]
    pub animated: bool,

    /// The SQLite run archive [default: the user's data folder/galley/archive.sqlite].
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath, conflicts_with = "no_archive")]
    pub archive: Option<PathBuf>,

    /// Keep no run history (skipping then relies on the files alone).
    #[arg(long)]
    pub no_archive: bool,

    /// Largest image accepted, in MiB.
    #[arg(long, default_value_t = 64, value_name = "MIB")]
    pub max_image_mib: u64,

    /// With --demo: images in the demo gallery.
    #[arg(long, default_value_t = 40, requires = "demo")]
    pub demo_images: usize,

    /// With --demo: latency of every demo response, in milliseconds.
    #[arg(long, default_value_t = 0, requires = "demo")]
    pub demo_latency_ms: u64,

    /// With --demo: make every gallery entry an album of N images listed without inline
    /// images (each needs its own API request, as Imgur's gallery albums do).
    #[arg(long, value_name = "N", requires = "demo")]
    pub demo_album_size: Option<usize>,
}

#[derive(Debug, Args)]
pub struct DemoServerArgs {
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,

    /// Downloadable images in the gallery.
    #[arg(long, default_value_t = 40)]
    pub images: usize,

    /// Latency added to every response, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,

    /// Fraction of image requests answered with a fault (500, 429, reset, truncated, HTML).
    #[arg(long, default_value_t = 0.0, value_parser = fraction)]
    pub fail_rate: f64,

    /// Same seed, same gallery, same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Bytes per second per response body (0 = unlimited).
    #[arg(long, default_value_t = 0)]
    pub bandwidth: u64,

    /// Top-level gallery entries per page.
    #[arg(long, default_value_t = 60)]
    pub page_size: usize,

    /// Make every gallery entry an album of N images listed without inline images (each
    /// needs its own `/3/album/{id}/images` request, as Imgur's gallery albums do).
    #[arg(long, value_name = "N")]
    pub album_size: Option<usize>,
}

impl DemoServerArgs {
    pub fn config(&self) -> DemoConfig {
        DemoConfig {
            images: self.images,
            latency: std::time::Duration::from_millis(self.latency_ms),
            fail_rate: self.fail_rate,
            seed: self.seed,
            bandwidth: (self.bandwidth > 0).then_some(self.bandwidth),
            page_size: self.page_size,
            album_size: self.album_size,
            quirks: crate::demo::DemoQuirks::default(),
        }
    }
}

/// `galley demo-server`: serve until ctrl-c, SIGTERM or SIGHUP. The first line on stdout
/// is the address.
pub fn demo_server(args: &DemoServerArgs) -> anyhow::Result<()> {
    use anyhow::Context;
    use std::io::Write;

    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime
        .block_on(run_until_stopped(args.config(), args.port, |addr| {
            let mut stdout = std::io::stdout().lock();
            // Scripts wait for this exact line, so flush it at once.
            let _ = writeln!(stdout, "listening on http://{addr}");
            let _ = writeln!(stdout, "Client-ID: any id works except `bad`; ctrl-c (or SIGTERM, SIGHUP) stops");
            let _ = stdout.flush();
        }))
        .with_context(|| format!("cannot serve the demo gallery on 127.0.0.1:{}", args.port))
}

fn concurrency_in_range(text: &str) -> Result<usize, String> {
    let value: usize = text.parse().map_err(|_| format!("`{text}` is not a number"))?;
    if CONCURRENCY_RANGE.contains(&value) {
        Ok(value)
    } else {
        Err(format!("must be {}..={}", CONCURRENCY_RANGE.start(), CONCURRENCY_RANGE.end()))
    }
}

fn name_template(text: &str) -> Result<NameTemplate, String> {
    text.parse().map_err(|error: crate::engine::TemplateError| error.to_string())
}

fn fraction(text: &str) -> Result<f64, String> {
    let value: f64 = text.parse().map_err(|_| format!("`{text}` is not a number"))?;
    if (0.0..=1.0).contains(&value) { Ok(value) } else { Err("must be between 0 and 1".to_owned()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("galley").chain(args.iter().copied()))
    }

    #[test]
    fn the_documented_fetch_line_parses() {
        let cli = parse(&[
            "fetch",
            "--client-id",
            "x",
            "--source",
            "r/earthporn",
            "--pages",
            "3",
            "--out",
            "/tmp/e",
            "--concurrency",
            "32",
            "--json",
        ])
        .expect("parses");
        let Some(CliCommand::Fetch(args)) = cli.command else { panic!("not fetch") };
        assert_eq!(args.pages, Some(3));
        assert_eq!(args.concurrency, 32);
        assert!(args.json);
    }

    #[test]
    fn the_documented_follow_lines_parse() {
        let follow = |args: &[&str]| match parse(args).expect("parses").command {
            Some(CliCommand::Follow(follow)) => follow,
            other => panic!("not follow: {other:?}"),
        };
        let add = follow(&["follow", "add", "user/ana", "t/cats", "--out", "/tmp/f", "--archive", "/tmp/a.sqlite"]);
        assert_eq!(add.archive.as_deref(), Some(std::path::Path::new("/tmp/a.sqlite")));
        assert!(matches!(add.command, FollowCommand::Add { ref sources, ref out }
            if sources.len() == 2 && out.as_deref() == Some(std::path::Path::new("/tmp/f"))));
        assert!(matches!(follow(&["follow", "list", "--json"]).command, FollowCommand::List { json: true }));
        assert!(matches!(follow(&["follow", "remove", "user/ana"]).command, FollowCommand::Remove { .. }));
        let check = follow(&[
            "follow",
            "check",
            "--json",
            "--api-base",
            "http://127.0.0.1:1/",
            "--client-id",
            "x",
            "--concurrency",
            "8",
        ]);
        let FollowCommand::Check(check) = check.command else { panic!("not check") };
        assert!(check.json && check.concurrency == 8 && check.client_id.as_deref() == Some("x"));
        assert!(parse(&["follow", "add"]).is_err(), "a source is needed");
        assert!(parse(&["follow", "check", "--concurrency", "0"]).is_err());
    }

    #[test]
    fn concurrency_outside_1_to_256_is_refused() {
        assert!(parse(&["fetch", "--concurrency", "0"]).is_err());
        assert!(parse(&["fetch", "--concurrency", "257"]).is_err());
        assert!(parse(&["fetch", "--concurrency", "256"]).is_ok());
    }

    #[test]
    fn urls_and_source_do_not_mix() {
        assert!(parse(&["fetch", "--urls", "f.txt", "--source", "r/x"]).is_err());
        assert!(parse(&["fetch", "--urls", "f.txt", "r/x"]).is_err());
    }

    #[test]
    fn a_bad_file_name_template_is_refused_with_the_fields_named() {
        let error = parse(&["fetch", "--filename", "{nope}.{ext}"]).expect_err("refused");
        assert!(error.to_string().contains("{album_title}"), "{error}");
        let cli = parse(&["fetch", "--filename", "{album_title}-{num}.{ext}", "--album-folders"]).expect("parses");
        let Some(CliCommand::Fetch(args)) = cli.command else { panic!("not fetch") };
        assert_eq!(args.filename.to_string(), "{album_title}-{num}.{ext}");
        assert!(args.album_folders && !args.write_metadata);
    }

    #[test]
    fn sources_come_as_arguments_and_repeated_options() {
        let cli =
            parse(&["fetch", "album/abcde", "r/pics", "--source", "t/cats", "--source", "user/ana"]).expect("parses");
        let Some(CliCommand::Fetch(args)) = cli.command else { panic!("not fetch") };
        assert_eq!(args.sources, ["album/abcde", "r/pics"]);
        assert_eq!(args.source, ["t/cats", "user/ana"]);
    }

    #[test]
    fn demo_server_fail_rate_is_a_fraction() {
        assert!(parse(&["demo-server", "--fail-rate", "1.5"]).is_err());
        let cli = parse(&["demo-server", "--port", "0", "--images", "400", "--latency-ms", "250"]).expect("parses");
        let Some(CliCommand::DemoServer(args)) = cli.command else { panic!("not demo-server") };
        assert_eq!(args.config().images, 400);
        assert_eq!(args.config().latency, std::time::Duration::from_millis(250));
    }

    #[test]
    fn completions_take_the_three_documented_shells() {
        for (name, shell) in
            [("bash", CompletionShell::Bash), ("zsh", CompletionShell::Zsh), ("fish", CompletionShell::Fish)]
        {
            let cli = parse(&["completions", name]).expect("parses");
            assert!(matches!(cli.command, Some(CliCommand::Completions { shell: parsed }) if parsed == shell));
        }
        assert!(parse(&["completions", "tcsh"]).is_err());
        assert!(parse(&["completions"]).is_err());
    }

    #[test]
    fn version_is_the_crate_version() {
        let error = parse(&["--version"]).expect_err("--version stops parsing");
        assert_eq!(error.kind(), clap::error::ErrorKind::DisplayVersion);
        assert_eq!(error.to_string(), format!("galley {}\n", env!("CARGO_PKG_VERSION")));
    }

    #[test]
    fn bare_galley_and_demo_open_the_app() {
        assert!(parse(&[]).expect("parses").command.is_none());
        assert!(parse(&["--demo"]).expect("parses").demo);
    }
}
