//! The Debian package's contents, checked without building it (CI runs only
//! `cargo test`): the `[package.metadata.deb]` assets in Cargo.toml install exactly the
//! files in packaging/contents.txt, every source file exists or is one the binary
//! generates, and the icons, desktop entry and metainfo agree with each other.
//! `bash scripts/package.sh` builds the real package and compares `dpkg-deb -c` with the
//! same list.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// Where scripts/package.sh writes the files it generates from the binary.
const GENERATED: &str = "target/packaging/";

/// One `[source, destination, mode]` entry of the assets list.
struct Asset {
    source: String,
    destination: String,
}

impl Asset {
    /// The installed path, as `dpkg-deb -c` shows it (cargo-deb gzips manual pages).
    fn installed_path(&self) -> String {
        let mut path = self.destination.clone();
        if path.ends_with('/') {
            path.push_str(self.source.rsplit('/').next().unwrap_or_default());
        }
        if path.starts_with("usr/share/man/") && !path.ends_with(".gz") {
            path.push_str(".gz");
        }
        path
    }
}

fn deb_assets() -> Vec<Asset> {
    let manifest = std::fs::read_to_string(Path::new(ROOT).join("Cargo.toml")).expect("Cargo.toml is readable");
    let manifest: toml::Table = manifest.parse().expect("Cargo.toml parses");
    let assets = manifest["package"]["metadata"]["deb"]["assets"].as_array().expect("deb assets is a list");
    assets
        .iter()
        .map(|asset| {
            let fields: Vec<&str> =
                asset.as_array().expect("an asset is a list").iter().map(|f| f.as_str().expect("text")).collect();
            assert_eq!(fields.len(), 3, "asset {fields:?} is not [source, destination, mode]");
            Asset { source: fields[0].to_owned(), destination: fields[1].to_owned() }
        })
        .collect()
}

fn listed_contents() -> BTreeSet<String> {
    let text = std::fs::read_to_string(Path::new(ROOT).join("packaging/contents.txt")).expect("contents.txt");
    text.lines().filter(|line| !line.starts_with('#') && !line.trim().is_empty()).map(str::to_owned).collect()
}

/// Generates what scripts/package.sh generates, the same way, into `dir`.
fn generate_like_the_script(dir: &Path) {
    let galley = env!("CARGO_BIN_EXE_galley");
    let status = Command::new(galley).arg("manpages").arg(dir.join("man")).status().expect("galley runs");
    assert!(status.success(), "galley manpages failed");
    std::fs::create_dir_all(dir.join("completions")).expect("completions folder");
    for (shell, file) in [("bash", "galley.bash"), ("zsh", "_galley"), ("fish", "galley.fish")] {
        let output = Command::new(galley).args(["completions", shell]).output().expect("galley runs");
        assert!(output.status.success(), "galley completions {shell} failed");
        assert!(!output.stdout.is_empty(), "galley completions {shell} printed nothing");
        std::fs::write(dir.join("completions").join(file), output.stdout).expect("written");
    }
}

#[test]
fn the_assets_install_exactly_the_listed_contents() {
    let mut installed: BTreeSet<String> = deb_assets().iter().map(Asset::installed_path).collect();
    // cargo-deb writes this one from the license field.
    installed.insert("usr/share/doc/galley/copyright".to_owned());
    assert_eq!(installed, listed_contents());
}

#[test]
fn every_asset_source_exists_or_is_generated_by_the_binary() {
    let generated = tempfile::tempdir().expect("temp dir");
    generate_like_the_script(generated.path());
    for asset in deb_assets() {
        let source: PathBuf = if asset.source == "target/release/galley" {
            continue; // built by `cargo build --release`, which the script runs first
        } else if let Some(relative) = asset.source.strip_prefix(GENERATED) {
            generated.path().join(relative)
        } else {
            Path::new(ROOT).join(&asset.source)
        };
        let length = std::fs::metadata(&source).map(|m| m.len()).unwrap_or(0);
        assert!(length > 0, "{} (for {}) is missing or empty", asset.source, asset.destination);
    }
    let bash = std::fs::read_to_string(generated.path().join("completions/galley.bash")).expect("bash script");
    assert!(bash.contains("complete -F"), "not a bash completion script");
    let page = std::fs::read_to_string(generated.path().join("man/galley.1")).expect("galley.1");
    assert!(page.contains(".TH galley 1"), "galley.1 is not a manual page");
}

#[test]
fn each_hicolor_png_has_the_size_its_folder_names() {
    for asset in deb_assets().iter().filter(|a| a.source.ends_with(".png")) {
        let size: u32 = asset
            .destination
            .split('/')
            .find_map(|part| part.split_once('x').and_then(|(w, h)| (w == h).then(|| w.parse().ok()).flatten()))
            .unwrap_or_else(|| panic!("{} names no NxN folder", asset.destination));
        let file = std::fs::File::open(Path::new(ROOT).join(&asset.source)).expect("icon opens");
        let reader = png::Decoder::new(std::io::BufReader::new(file)).read_info().expect("icon is a PNG");
        let info = reader.info();
        assert_eq!((info.width, info.height), (size, size), "{}", asset.source);
    }
}

#[test]
fn desktop_entry_and_metainfo_name_each_other_and_the_icon() {
    let desktop = std::fs::read_to_string(Path::new(ROOT).join("packaging/galley.desktop")).expect("desktop entry");
    for line in ["Exec=galley", "Icon=galley", "Type=Application", "StartupWMClass=galley"] {
        assert!(desktop.lines().any(|l| l == line), "galley.desktop lacks {line}");
    }
    let id = "io.github.galley.galley";
    let metainfo =
        std::fs::read_to_string(Path::new(ROOT).join(format!("packaging/{id}.metainfo.xml"))).expect("metainfo");
    assert!(metainfo.contains(&format!("<id>{id}</id>")));
    assert!(metainfo.contains(r#"<launchable type="desktop-id">galley.desktop</launchable>"#));
    let version = format!(r#"<release version="{}""#, env!("CARGO_PKG_VERSION"));
    assert!(metainfo.contains(&version), "the metainfo has no release entry for this version");
}
