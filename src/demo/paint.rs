//! Paints the demo's pictures: plasma (sums of sine waves through a cosine palette)
//! with a few discs on top and some noise. Pleasant as thumbnails, cheap to compute
//! (a few table lookups per pixel), and the noise sets how big the encoded file is.

use super::rng::SplitMix;

/// What to paint: the size in pixels and how much noise, which is what makes the
/// encoded file big.
pub(crate) struct Spec {
    pub(crate) width: u32,
    pub(crate) height: u32,
    /// Noise amplitude, in levels either side.
    pub(crate) noise: u8,
    /// How many pixels in 256 get noise.
    pub(crate) density: u16,
}

/// Noise on every pixel.
pub(crate) const fn spec(width: u32, height: u32, noise: u8) -> Spec {
    Spec { width, height, noise, density: 256 }
}

/// Noise on `density` pixels in 256.
pub(crate) const fn sparse(width: u32, height: u32, noise: u8, density: u16) -> Spec {
    Spec { width, height, noise, density }
}

/// Paints plasma (sums of sine waves through a cosine palette) with a few discs on top
/// and some noise: pleasant as a thumbnail, and the noise sets the file size.
pub(crate) struct Painter {
    width: usize,
    height: usize,
    noise: u8,
    density: u16,
    palette: [[u8; 3]; 256],
    /// Wave values by column, row and diagonal (x + y): precomputed so each pixel costs
    /// a few lookups and adds.
    columns: Vec<u8>,
    rows: Vec<u8>,
    diagonals: Vec<u8>,
    sine: [u8; 256],
    ring_center: (i64, i64),
    ring_shift: u32,
    ring_phase: u8,
    discs: Vec<Disc>,
    noise_seed: u32,
}

/// A disc drawn by shifting the palette index inside it.
struct Disc {
    x: i64,
    y: i64,
    radius_squared: i64,
    shift: u8,
}

impl Painter {
    /// A painter for `spec` in style `style` (a seed), with the waves advanced by
    /// `phase` 256ths of a cycle (animation frames differ only in phase).
    pub(crate) fn new(spec: &Spec, style: u64, phase: u8) -> Self {
        let mut rng = SplitMix::new(style);
        let (width, height) = (spec.width as usize, spec.height as usize);
        let sine: [u8; 256] =
            std::array::from_fn(|i| (127.5 + 127.0 * (i as f64 * std::f64::consts::TAU / 256.0).sin()) as u8);
        let phase = phase as usize;
        let wave = |rng: &mut SplitMix, length: usize, phase: usize| -> Vec<u8> {
            let cycles = rng.between(1, 3) as usize;
            let offset = rng.below(256) as usize + phase;
            (0..length).map(|i| sine[(i * cycles * 256 / length.max(1) + offset) & 255]).collect()
        };
        let columns = wave(&mut rng, width, phase);
        let rows = wave(&mut rng, height, 0);
        let diagonals = wave(&mut rng, width + height, phase);
        let ring_center = (rng.below(width as u64) as i64, rng.below(height as u64) as i64);
        // About two rings across the larger side.
        let reach = (width.max(height) as u64).pow(2);
        let ring_shift = (reach / 512).max(1).ilog2();
        let ring_phase = (rng.below(256) as usize + phase) as u8;
        let palette = Self::palette(&mut rng);
        let discs = (0..rng.between(3, 6)).map(|_| Self::disc(&mut rng, width, height)).collect();
        let noise_seed = (rng.next_u64() as u32) | 1;
        Self {
            width,
            height,
            noise: spec.noise,
            density: spec.density,
            palette,
            columns,
            rows,
            diagonals,
            sine,
            ring_center,
            ring_shift,
            ring_phase,
            discs,
            noise_seed,
        }
    }

    /// A smooth cyclic palette: `0.5 + 0.45 * cos(2π(t + d))` per channel.
    fn palette(rng: &mut SplitMix) -> [[u8; 3]; 256] {
        let phases = [rng.unit(), rng.unit(), rng.unit()];
        std::array::from_fn(|i| {
            let t = i as f64 / 256.0;
            phases.map(|d| (255.0 * (0.5 + 0.45 * (std::f64::consts::TAU * (t + d)).cos())) as u8)
        })
    }

    fn disc(rng: &mut SplitMix, width: usize, height: usize) -> Disc {
        let radius = rng.between(width.min(height) as u64 / 12, width.min(height) as u64 / 4) as i64;
        Disc {
            x: rng.below(width as u64) as i64,
            y: rng.below(height as u64) as i64,
            radius_squared: radius * radius,
            shift: rng.between(48, 128) as u8,
        }
    }

    /// The palette index of every pixel, row by row, before noise.
    fn indices(&self) -> Vec<u8> {
        let (cx, cy) = self.ring_center;
        let dx_squared: Vec<i64> = (0..self.width as i64).map(|x| (x - cx) * (x - cx)).collect();
        let mut out = Vec::with_capacity(self.width * self.height);
        for (y, &row) in self.rows.iter().enumerate() {
            let dy_squared = (y as i64 - cy) * (y as i64 - cy);
            for (x, (&column, &dx_squared)) in self.columns.iter().zip(&dx_squared).enumerate() {
                let ring_step = ((dx_squared + dy_squared) >> self.ring_shift) as u8;
                let ring = self.sine[ring_step.wrapping_add(self.ring_phase) as usize];
                let sum = column as u32 + row as u32 + self.diagonals[x + y] as u32 + ring as u32;
                out.push((sum / 4) as u8);
            }
        }
        for disc in &self.discs {
            self.draw(disc, &mut out);
        }
        out
    }

    /// Shifts the palette index inside `disc`, one horizontal span per row.
    fn draw(&self, disc: &Disc, indices: &mut [u8]) {
        for (y, row) in indices.chunks_exact_mut(self.width).enumerate() {
            let dy = y as i64 - disc.y;
            let left = disc.radius_squared - dy * dy;
            if left <= 0 {
                continue;
            }
            let half = left.isqrt();
            let start = (disc.x - half).clamp(0, self.width as i64) as usize;
            let end = (disc.x + half).clamp(0, self.width as i64) as usize;
            for index in &mut row[start..end] {
                *index = index.wrapping_add(disc.shift);
            }
        }
    }

    /// Pixels as RGB with per-channel noise, using one palette colour in `band`.
    pub(crate) fn rgb(&self, band: u8) -> Vec<u8> {
        let band = band.max(1);
        let mut noise = Noise::new(self.noise_seed, self.noise, self.density);
        let indices = self.indices();
        let mut out = vec![0; indices.len() * 3];
        // Written for speed even unoptimised (tests): lookups, no per-channel loop.
        for (pixel, index) in out.chunks_exact_mut(3).zip(indices) {
            let [r, g, b] = self.palette[(index - index % band) as usize];
            let bits = noise.next_bits();
            pixel[0] = noise.add(r, bits);
            pixel[1] = noise.add(g, bits >> 8);
            pixel[2] = noise.add(b, bits >> 16);
        }
        out
    }

    /// Pixels as RGBA drawn from the 256-colour palette only, the noise moving the index.
    pub(crate) fn indexed_rgba(&self) -> Vec<u8> {
        let mut noise = Noise::new(self.noise_seed, self.noise, self.density);
        let mut out = Vec::with_capacity(self.width * self.height * 4);
        for index in self.indices() {
            let bits = noise.next_bits();
            let index = (index as i32 + noise.delta(bits)) as u8;
            let [r, g, b] = self.palette[index as usize];
            out.extend_from_slice(&[r, g, b, 255]);
        }
        out
    }
}

/// Xorshift32 noise in `-amplitude..=amplitude`, on `density` pixels in 256.
struct Noise {
    state: u32,
    span: u32,
    amplitude: i32,
    density: u32,
    /// `value + delta(byte)` clamped to 0..=255, at `value << 8 | byte`.
    sums: Vec<u8>,
}

impl Noise {
    fn new(seed: u32, amplitude: u8, density: u16) -> Self {
        let mut noise = Self {
            state: seed.max(1),
            span: 2 * amplitude as u32 + 1,
            amplitude: amplitude as i32,
            density: density as u32,
            sums: Vec::new(),
        };
        noise.sums = (0..=u16::MAX).map(|at| ((at >> 8) as i32 + noise.delta(at as u32)).clamp(0, 255) as u8).collect();
        noise
    }

    /// `value` moved by the noise in the low byte of `bits`, clamped.
    fn add(&self, value: u8, bits: u32) -> u8 {
        self.sums[(value as usize) << 8 | (bits & 0xFF) as usize]
    }

    /// Random bits for the next pixel: zero (no noise) when the pixel is spared.
    fn next_bits(&mut self) -> u32 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 17;
        self.state ^= self.state << 5;
        if self.state >> 24 < self.density { self.state } else { NO_NOISE }
    }

    /// Maps the low 8 bits of `bits` into the noise range, without a division.
    fn delta(&self, bits: u32) -> i32 {
        (((bits & 0xFF) * self.span) >> 8) as i32 - self.amplitude
    }
}

/// Bits whose every byte maps to a zero delta (0x80 lands in the middle of any span).
const NO_NOISE: u32 = 0x0080_8080;
