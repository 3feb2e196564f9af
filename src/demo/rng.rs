//! A tiny deterministic random number generator for the demo gallery.
//!
//! The demo promises "same seed, same gallery, same bytes" for as long as the code does
//! not change, so it uses SplitMix64 written out here rather than a library generator
//! whose output may change between versions. It is not for anything that needs to be
//! unpredictable.

/// SplitMix64 (Steele, Lea and Flood 2014): one add and a few multiplies per number.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix(u64);

impl SplitMix {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// A generator for one purpose (`stream`) under one seed, independent of the others.
    pub(crate) fn for_stream(seed: u64, stream: u64) -> Self {
        Self(mix(seed, stream))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        finalize(self.0)
    }

    /// A number in `0..n`; `n` must not be zero.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        // The modulo bias is at most n / 2^64: invisible for the small n used here.
        self.next_u64() % n.max(1)
    }

    /// A number in `low..=high`.
    pub(crate) fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.below(high.saturating_sub(low) + 1)
    }

    /// A number in `0.0..1.0`.
    pub(crate) fn unit(&mut self) -> f64 {
        unit(self.next_u64())
    }
}

/// Hashes two numbers into one, for one-shot decisions such as "does request n fail?".
pub(crate) fn mix(a: u64, b: u64) -> u64 {
    finalize(a ^ finalize(b.wrapping_add(0x9E37_79B9_7F4A_7C15)))
}

/// Maps 64 random bits to `0.0..1.0` (53 bits of precision, never 1.0).
pub(crate) fn unit(bits: u64) -> f64 {
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// The SplitMix64 output function: a good 64-bit bit mixer on its own.
fn finalize(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_gives_the_same_numbers() {
        let mut a = SplitMix::new(7);
        let mut b = SplitMix::new(7);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_ne!(SplitMix::new(7).next_u64(), SplitMix::new(8).next_u64());
    }

    #[test]
    fn ranges_are_respected() {
        let mut rng = SplitMix::new(1);
        for _ in 0..1000 {
            assert!((2..=4).contains(&rng.between(2, 4)));
            assert!(rng.below(3) < 3);
            let u = rng.unit();
            assert!((0.0..1.0).contains(&u));
        }
        assert_eq!(rng.between(5, 5), 5);
    }
}
