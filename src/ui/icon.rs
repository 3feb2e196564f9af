//! The window's icon: galley's own (assets/icon/galley.svg), not egui's. The desktop entry
//! and the package use the same drawing at every size; the window takes one PNG, built
//! into the binary so an uninstalled `cargo run` shows it too.

use std::sync::Arc;

/// 128 px: window managers scale it down for title bars and task switchers; larger only
/// costs decoding time at start.
const WINDOW_ICON_PNG: &[u8] = include_bytes!("../../assets/icon/galley-128.png");

/// The decoded icon, or none (egui's default then) if it does not decode, which a unit
/// test rules out; a broken icon is not worth refusing to open the window.
pub fn window_icon() -> Option<Arc<egui::IconData>> {
    match eframe::icon_data::from_png_bytes(WINDOW_ICON_PNG) {
        Ok(icon) => Some(Arc::new(icon)),
        Err(error) => {
            tracing::warn!("the window icon does not decode, using the default: {error}");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_window_icon_decodes_to_128_px() {
        let icon = window_icon().expect("decodes");
        assert_eq!((icon.width, icon.height), (128, 128));
        assert_eq!(icon.rgba.len(), 128 * 128 * 4);
        // Not blank: the plate is opaque in the middle, the corners are rounded off.
        let alpha_at = |x: usize, y: usize| icon.rgba[(y * 128 + x) * 4 + 3];
        assert_eq!(alpha_at(64, 64), 255);
        assert_eq!(alpha_at(0, 0), 0);
    }
}
