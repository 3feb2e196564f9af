//! Perceptual hashes: 64 bits that stay nearly the same when a picture is resized,
//! recompressed, re-encoded, slightly cropped or brightened, so that reposts of one
//! picture can be found by the Hamming distance between their hashes.
//!
//! Both hashes are made from a thumbnail's pixels (at most 256 px a side, RGBA), which
//! galley decodes anyway: never from the image file. Two are here because the choice
//! between them was made by measurement (`cargo bench --bench dupes`, docs/DUPES.md):
//! - [`dhash`], the difference hash: a 9x8 grey image, one bit per pair of neighbours
//!   (is the left one darker?). Brightness-proof by construction.
//! - [`phash`], the DCT hash: a 32x32 grey image, its 8x8 lowest 2-D cosine frequencies,
//!   one bit per frequency (above their median?).
//!
//! galley keeps the DCT hash ([`repost_hash`]): it separated the five repost cases from
//! different pictures of the same style by a wider margin (see docs/DUPES.md).

/// The hash galley keeps and groups by.
pub fn repost_hash(rgba: &[u8], width: u32, height: u32) -> Option<u64> {
    phash(rgba, width, height)
}

/// Bits that differ between two hashes.
pub fn distance(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// The difference hash of an RGBA image: `None` if the buffer does not hold
/// `width x height` pixels.
pub fn dhash(rgba: &[u8], width: u32, height: u32) -> Option<u64> {
    let grey = grey_box(rgba, width, height, 9, 8)?;
    let mut hash = 0u64;
    for row in grey.chunks_exact(9) {
        for pair in row.windows(2) {
            hash = (hash << 1) | u64::from(pair[0] < pair[1]);
        }
    }
    Some(hash)
}

/// Side of the grey image the DCT hash transforms.
const DCT_SIDE: usize = 32;
/// Frequencies kept in each direction.
const DCT_KEPT: usize = 8;

/// The DCT hash of an RGBA image: `None` if the buffer does not hold `width x height`
/// pixels.
pub fn phash(rgba: &[u8], width: u32, height: u32) -> Option<u64> {
    let grey = grey_box(rgba, width, height, DCT_SIDE, DCT_SIDE)?;
    let cosines = dct_cosines();
    // Rows first (32 rows, 8 frequencies each), then the 8 kept columns of that.
    let mut rows = [[0f32; DCT_KEPT]; DCT_SIDE];
    for (y, row) in grey.chunks_exact(DCT_SIDE).enumerate() {
        for (u, cosine) in cosines.iter().enumerate() {
            rows[y][u] = row.iter().zip(cosine).map(|(value, c)| value * c).sum();
        }
    }
    let mut coefficients = [0f32; DCT_KEPT * DCT_KEPT];
    for (v, cosine) in cosines.iter().enumerate() {
        for u in 0..DCT_KEPT {
            coefficients[v * DCT_KEPT + u] = rows.iter().zip(cosine).map(|(row, c)| row[u] * c).sum();
        }
    }
    // The median of the 63 frequencies above the mean brightness (the first coefficient,
    // which says only how bright the picture is, does not set it).
    let mut sorted = coefficients[1..].to_vec();
    sorted.sort_unstable_by(f32::total_cmp);
    let median = sorted[sorted.len() / 2];
    Some(coefficients.iter().fold(0u64, |hash, &c| (hash << 1) | u64::from(c > median)))
}

/// `cos((2x + 1) u π / 64)` for the kept frequencies `u` and every `x`.
fn dct_cosines() -> [[f32; DCT_SIDE]; DCT_KEPT] {
    std::array::from_fn(|u| {
        std::array::from_fn(|x| {
            let angle = (2 * x + 1) as f64 * u as f64 * std::f64::consts::PI / (2 * DCT_SIDE) as f64;
            angle.cos() as f32
        })
    })
}

/// The image as `columns x rows` grey values (luma, 0..=255), each the mean of the
/// pixels its cell covers: a box filter, so every source pixel counts (a thumbnail is at
/// most 256 px a side, so this is one pass over at most 65,536 pixels, in integers).
fn grey_box(rgba: &[u8], width: u32, height: u32, columns: usize, rows: usize) -> Option<Vec<f32>> {
    let (width, height) = (width as usize, height as usize);
    if width == 0 || height == 0 || rgba.len() != width.checked_mul(height)?.checked_mul(4)? {
        return None;
    }
    // A cell's bounds along one side: at least one pixel (a picture narrower than
    // `columns` repeats its pixels).
    let span = |cells: usize, side: usize, cell: usize| {
        let start = cell * side / cells;
        (start, ((cell + 1) * side / cells).max(start + 1).min(side))
    };
    let mut means = vec![0f32; columns * rows];
    // Each column's luma summed over the rows of the cell row being made: Rec. 601 luma
    // times 256 (77, 150, 29), so one pixel's fits in 16 bits (SSE2 multiplies 16-bit
    // lanes; 32-bit ones took three times as long) and a sum of up to 65,000 pixels in 32.
    let mut column_sums = vec![0u32; width];
    for cell_y in 0..rows {
        let (top, bottom) = span(rows, height, cell_y);
        column_sums.fill(0);
        // Every other line of a cell as tall as 4 lines or more: the mean barely moves
        // and the pass (most of the hash's cost) takes half the time.
        let step = if bottom - top >= 4 { 2 } else { 1 };
        let lines = rgba[top * width * 4..bottom * width * 4].chunks_exact(width * 4).step_by(step);
        let counted = (bottom - top).div_ceil(step);
        for line in lines {
            // Whole pixels as arrays: no bounds checks, so the loop vectorises.
            let (pixels, _) = line.as_chunks::<4>();
            for (sum, pixel) in column_sums.iter_mut().zip(pixels) {
                let luma = 77 * u16::from(pixel[0]) + 150 * u16::from(pixel[1]) + 29 * u16::from(pixel[2]);
                *sum += u32::from(luma);
            }
        }
        for cell_x in 0..columns {
            let (left, right) = span(columns, width, cell_x);
            let total: u64 = column_sums[left..right].iter().map(|&sum| u64::from(sum)).sum();
            let pixels = ((right - left) * counted) as f64;
            means[cell_y * columns + cell_x] = (total as f64 / 256.0 / pixels) as f32;
        }
    }
    Some(means)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A smooth picture with some structure: two gradients and a bright disc.
    fn picture(width: u32, height: u32, shift: f32) -> Vec<u8> {
        let mut rgba = Vec::with_capacity((width * height * 4) as usize);
        for y in 0..height {
            for x in 0..width {
                let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
                let disc = ((fx - 0.3 - shift).powi(2) + (fy - 0.6).powi(2)) < 0.04;
                let value = if disc { 240.0 } else { 40.0 + 120.0 * fx + 60.0 * (fy * 6.0).sin() };
                rgba.extend_from_slice(&[value as u8, (value * 0.8) as u8, 255 - value as u8, 255]);
            }
        }
        rgba
    }

    #[test]
    fn a_resized_copy_hashes_alike_and_another_picture_does_not() {
        let original = picture(256, 192, 0.0);
        let smaller = picture(128, 96, 0.0);
        let other = picture(256, 192, 0.35);
        for hash in [dhash, phash] {
            let a = hash(&original, 256, 192).unwrap();
            assert!(distance(a, hash(&smaller, 128, 96).unwrap()) <= 4);
            assert!(distance(a, hash(&other, 256, 192).unwrap()) > 12);
        }
    }

    #[test]
    fn a_buffer_of_the_wrong_size_has_no_hash() {
        assert_eq!(phash(&[0; 12], 2, 2), None);
        assert_eq!(dhash(&[], 0, 0), None);
        assert!(phash(&[7; 4], 1, 1).is_some(), "one pixel is a (flat) picture");
    }

    #[test]
    fn dhash_ignores_brightness() {
        let original = picture(200, 150, 0.0);
        let brighter: Vec<u8> = original.iter().map(|&v| v.saturating_add(10)).collect();
        assert_eq!(dhash(&original, 200, 150), dhash(&brighter, 200, 150));
    }
}
