//! `galley dupes`, run as a user runs it: reposts of a picture (half size, JPEG quality
//! 35, a PNG copy, a 3% crop scaled back, 12% brighter) are grouped with their original,
//! different pictures of the same style are not, the best copy comes first, and a second
//! run reads every hash from the index instead of hashing again.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use galley::demo::painting;
use image::{DynamicImage, ImageFormat, RgbImage};

/// Pictures that have reposts in the folder, and pictures alone in it (the same style).
const REPOSTED: u64 = 6;
const ALONE: u64 = 14;
const SIZES: [(u32, u32); 3] = [(800, 600), (600, 800), (700, 700)];

/// `galley` with its caches and data in `home` (a fresh user).
fn galley(home: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_galley"));
    command
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    command
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn groups(output: &Output) -> Vec<Vec<String>> {
    let stdout = text(&output.stdout);
    let line = stdout.lines().last().unwrap_or_else(|| panic!("no output; stderr: {}", text(&output.stderr)));
    let json: serde_json::Value =
        serde_json::from_str(line).unwrap_or_else(|error| panic!("not JSON ({error}): {line}"));
    serde_json::from_value(json["groups"].clone()).expect("groups of paths")
}

pub fn jpeg(image: &DynamicImage, quality: u8) -> Vec<u8> {
    let mut bytes = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality);
    image.to_rgb8().write_with_encoder(encoder).expect("encodes");
    bytes
}

/// The five repost cases of `image` (as saved), by file name suffix.
pub fn reposts_of(image: &DynamicImage) -> Vec<(&'static str, Vec<u8>)> {
    let (width, height) = (image.width(), image.height());
    let filter = image::imageops::FilterType::Triangle;
    let (dx, dy) = (width * 3 / 200, height * 3 / 200);
    let cropped = image.crop_imm(dx, dy, width - 2 * dx, height - 2 * dy).resize_exact(width, height, filter);
    let rgb = image.to_rgb8();
    let brighter = RgbImage::from_fn(width, height, |x, y| {
        image::Rgb(rgb.get_pixel(x, y).0.map(|value| (f64::from(value) * 1.12).min(255.0) as u8))
    });
    let mut png = std::io::Cursor::new(Vec::new());
    image.write_to(&mut png, ImageFormat::Png).expect("encodes");
    vec![
        ("half.jpg", jpeg(&image.resize_exact(width / 2, height / 2, filter), 85)),
        ("q35.jpg", jpeg(image, 35)),
        ("copy.png", png.into_inner()),
        ("crop.jpg", jpeg(&cropped, 85)),
        ("bright.jpg", jpeg(&DynamicImage::ImageRgb8(brighter), 85)),
    ]
}

/// An original (JPEG, quality 85) of style `style`, and the picture as saved.
pub fn original(style: u64) -> (Vec<u8>, DynamicImage) {
    let (width, height) = SIZES[style as usize % SIZES.len()];
    let bytes = jpeg(&DynamicImage::ImageRgb8(painting(width, height, style)), 85);
    let saved = image::load_from_memory(&bytes).expect("decodes");
    (bytes, saved)
}

/// Writes the folder; returns each reposted picture's files, its PNG copy first (the best
/// copy: as many pixels as the original, and lossless).
fn write_folder(folder: &Path) -> Vec<Vec<String>> {
    std::fs::create_dir_all(folder).expect("folder");
    let mut expected = Vec::new();
    for style in 0..REPOSTED {
        let (bytes, saved) = original(style);
        std::fs::write(folder.join(format!("p{style}.jpg")), bytes).expect("write");
        let mut names = vec![format!("p{style}-copy.png")];
        for (suffix, bytes) in reposts_of(&saved) {
            std::fs::write(folder.join(format!("p{style}-{suffix}")), bytes).expect("write");
            if suffix != "copy.png" {
                names.push(format!("p{style}-{suffix}"));
            }
        }
        names.push(format!("p{style}.jpg"));
        expected.push(names);
    }
    for style in REPOSTED..REPOSTED + ALONE {
        std::fs::write(folder.join(format!("alone{style}.jpg")), original(style).0).expect("write");
    }
    expected
}

#[test]
fn reposts_are_grouped_with_their_original_and_different_pictures_are_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let expected = write_folder(&dir.path().join("pictures"));

    let first =
        galley(dir.path()).current_dir(dir.path()).args(["dupes", "pictures", "--json"]).output().expect("runs");
    assert!(first.status.success(), "stderr: {}", text(&first.stderr));
    let found = groups(&first);
    let shown = |names: &[String]| -> Vec<String> {
        names.iter().map(|name| PathBuf::from("pictures").join(name).to_string_lossy().into_owned()).collect()
    };
    assert_eq!(found.len(), REPOSTED as usize, "one group per reposted picture, none of the others: {found:?}");
    for (group, names) in found.iter().zip(&expected) {
        let mut sorted = group.clone();
        sorted.sort();
        let mut wanted = shown(names);
        wanted.sort();
        assert_eq!(sorted, wanted, "every repost with its original, nothing else");
        assert_eq!(group[0], shown(names)[0], "the best copy (the PNG: most pixels, lossless) first");
    }
    let stderr = text(&first.stderr);
    let images = REPOSTED * 6 + ALONE;
    assert!(stderr.contains(&format!("hashed {images} of {images} pictures ({images} thumbnails made")), "{stderr}");
    let stdout = text(&first.stdout);
    let best = Path::new("pictures").join("p0-copy.png");
    assert!(stdout.contains(&format!("keep {}", best.display())), "the text says which copy to keep: {stdout}");

    // The hashes and thumbnails are kept: nothing is decoded or hashed again.
    let again =
        galley(dir.path()).current_dir(dir.path()).args(["dupes", "pictures", "--json"]).output().expect("runs");
    assert!(again.status.success());
    assert_eq!(groups(&again), found);
    assert!(
        text(&again.stderr).contains(&format!("hashed 0 of {images} pictures (0 thumbnails made")),
        "{}",
        text(&again.stderr)
    );

    // At threshold 0 only identical hashes group: fewer copies than at the default.
    let strict = galley(dir.path())
        .current_dir(dir.path())
        .args(["dupes", "pictures", "--json", "--threshold", "0"])
        .output()
        .expect("runs");
    let strict_copies: usize = groups(&strict).iter().map(Vec::len).sum();
    assert!(strict_copies < found.iter().map(Vec::len).sum(), "{:?}", groups(&strict));
}

#[test]
fn dupes_of_something_that_is_not_a_folder_exits_2_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = galley(dir.path()).arg("dupes").arg(dir.path().join("missing")).output().expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("is not a folder"), "{}", text(&output.stderr));
    assert!(output.stdout.is_empty());
}

#[test]
fn an_unreadable_picture_is_counted_and_the_exit_status_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("pictures");
    std::fs::create_dir_all(&folder).expect("folder");
    std::fs::write(folder.join("a.jpg"), original(1).0).expect("write");
    std::fs::write(folder.join("broken.jpg"), b"not a picture").expect("write");
    let output = galley(dir.path()).arg("dupes").arg(&folder).arg("--json").output().expect("runs");
    assert_eq!(output.status.code(), Some(1), "stderr: {}", text(&output.stderr));
    assert!(text(&output.stderr).contains("1 could not be read or decoded"), "{}", text(&output.stderr));
    assert!(groups(&output).is_empty(), "the JSON line is still the last line");
    let stdout = text(&output.stdout);
    assert!(stdout.starts_with("No reposts among 2 pictures."), "{stdout}");
}
