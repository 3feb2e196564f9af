//! `galley dupes FOLDER [--json] [--threshold N]`: the reposts in a folder, grouped, as
//! the app's "Find reposts" finds them (the same pass, [`crate::engine::find_reposts`]).
//! A folder galley has not indexed yet is indexed and thumbnailed first, with progress on
//! stderr; each group lists its best copy first (the one "Keep best" keeps).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use clap::{Args, ValueHint};
use tokio_util::sync::CancellationToken;

use super::terminal::for_terminal;
use super::{EXIT_FAILED, EXIT_USAGE};
use crate::library::reposts::{DEFAULT_THRESHOLD, MAX_THRESHOLD};
use crate::library::{FindOptions, LibraryPlaces, LibraryStores, RepostReport, find_reposts, worker_counts};

#[derive(Debug, Args)]
pub struct DupesArgs {
    /// The folder of pictures to look in (its subfolders are not looked in).
    #[arg(value_name = "FOLDER", value_hint = ValueHint::DirPath)]
    pub folder: PathBuf,

    /// Print one JSON object {"groups": [[path, ...], ...]} as the last line of stdout,
    /// the best copy first in each group, paths as found in FOLDER.
    #[arg(long)]
    pub json: bool,

    /// Most bits (of 64) in which two copies' perceptual hashes may differ; higher finds
    /// more changed copies and risks grouping different pictures.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_THRESHOLD,
          value_parser = clap::value_parser!(u32).range(0..=i64::from(MAX_THRESHOLD)))]
    pub threshold: u32,
}

/// Runs `galley dupes`: 0 when every picture was looked at, 1 when some could not be read
/// (their copies may be missing from the groups), 2 when FOLDER is not a folder.
pub fn dupes(args: &DupesArgs) -> anyhow::Result<ExitCode> {
    if !args.folder.is_dir() {
        let error = anyhow::anyhow!("{} is not a folder: give a folder of pictures", args.folder.display());
        super::print_error(&error);
        return Ok(ExitCode::from(EXIT_USAGE));
    }
    // The thumbnail cache and the index know files by their absolute paths.
    let folder = std::path::absolute(&args.folder).context("cannot resolve the folder")?;
    let places = LibraryPlaces::for_user(crate::archive::default_path())
        .context("no cache folder is known on this system, so the folder cannot be indexed")?;
    let stores = LibraryStores::new(&places);
    let options = FindOptions { threshold: args.threshold, workers: worker_counts().0 };

    let bar = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    bar.set_style(
        indicatif::ProgressStyle::with_template("hashing {pos}/{len} pictures {wide_bar} {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let started = Instant::now();
    let report = find_reposts(&places, &stores, &folder, options, &CancellationToken::new(), &progress)
        .with_context(|| format!("cannot look for reposts in {}", args.folder.display()))?;
    bar.finish_and_clear();
    eprintln!("{}", for_terminal(&summary(&report, &args.folder, started.elapsed().as_secs_f64())));

    let groups = shown_groups(&report, &args.folder);
    let mut out = std::io::stdout().lock();
    print_groups(&mut out, &report, &groups)?;
    if args.json {
        use std::io::Write as _;
        let json = serde_json::json!({ "groups": groups });
        writeln!(out, "{json}").context("cannot write to stdout")?;
    }
    Ok(match report.unreadable {
        0 => ExitCode::SUCCESS,
        _ => ExitCode::from(EXIT_FAILED),
    })
}

/// What the pass did, for stderr: "hashed 40 of 120 pictures (12 thumbnails made) in 1.2 s".
fn summary(report: &RepostReport, folder: &Path, seconds: f64) -> String {
    let mut line = format!(
        "{}: hashed {} of {} pictures ({} thumbnails made, the rest read from the cache or the index) in {seconds:.1} s",
        folder.display(),
        report.hashed,
        report.images,
        report.decoded
    );
    if report.unreadable > 0 {
        line.push_str(&format!(
            "; {} could not be read or decoded, so their copies are not grouped (RUST_LOG=info names them)",
            report.unreadable
        ));
    }
    line
}

/// Each group's paths as found in `folder` (the folder as the user wrote it), best first.
fn shown_groups(report: &RepostReport, folder: &Path) -> Vec<Vec<String>> {
    let shown = |path: &Path| match path.file_name() {
        Some(name) => folder.join(name).to_string_lossy().into_owned(),
        None => path.to_string_lossy().into_owned(),
    };
    report.groups.iter().map(|group| group.copies.iter().map(|copy| shown(&copy.path)).collect()).collect()
}

/// The groups as lines a person reads: the copy to keep marked, each with its size,
/// dimensions, format and what Imgur called it.
fn print_groups(out: &mut impl std::io::Write, report: &RepostReport, groups: &[Vec<String>]) -> anyhow::Result<()> {
    let write = |out: &mut dyn std::io::Write, line: &str| writeln!(out, "{line}").context("cannot write to stdout");
    if report.groups.is_empty() {
        return write(out, &format!("No reposts among {} pictures.", report.images));
    }
    let head = format!(
        "{} groups of reposts among {} pictures: keeping the best of each, {} copies could go.",
        report.groups.len(),
        report.images,
        report.extra_copies()
    );
    write(out, &head)?;
    for (number, (group, paths)) in report.groups.iter().zip(groups).enumerate() {
        write(out, "")?;
        write(out, &format!("group {}:", number + 1))?;
        for (at, (copy, path)) in group.copies.iter().zip(paths).enumerate() {
            let mark = if at == 0 { "keep" } else { "    " };
            let dimensions = copy.dimensions.map_or("?".to_owned(), |(width, height)| format!("{width}x{height}"));
            let mut line = format!("  {mark} {path}  {dimensions} {} {}", copy.kind.label(), bytes_text(copy.bytes));
            if let Some(title) =
                copy.meta.as_ref().and_then(|meta| meta.title.as_deref().or(meta.album_title.as_deref()))
            {
                line.push_str(&format!("  \"{title}\""));
            }
            write(out, &for_terminal(&line))?;
        }
    }
    Ok(())
}

fn bytes_text(bytes: u64) -> String {
    match bytes {
        0..1000 => format!("{bytes} bytes"),
        1000..1_000_000 => format!("{:.0} KB", bytes as f64 / 1000.0),
        _ => format!("{:.1} MB", bytes as f64 / 1_000_000.0),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Cli, CliCommand};
    use clap::Parser;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("galley").chain(args.iter().copied()))
    }

    #[test]
    fn the_documented_dupes_line_parses_and_the_threshold_is_bounded() {
        let cli = parse(&["dupes", "pics", "--json", "--threshold", "12"]).expect("parses");
        let Some(CliCommand::Dupes(args)) = cli.command else { panic!("not dupes") };
        assert!(args.json);
        assert_eq!(args.threshold, 12);
        let Some(CliCommand::Dupes(args)) = parse(&["dupes", "pics"]).expect("parses").command else { panic!() };
        assert_eq!(args.threshold, super::DEFAULT_THRESHOLD);
        assert!(parse(&["dupes", "pics", "--threshold", "17"]).is_err());
        assert!(parse(&["dupes"]).is_err(), "FOLDER is required");
    }
}
