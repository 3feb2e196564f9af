//! Where the picture sits in the viewer, as pure arithmetic (so it is tested without a
//! window): fitted to the window, or at a zoom the user chose and moved.
//!
//! Zoom is counted in screen pixels per image pixel, so 1 is "1:1" whatever the display's
//! scale factor; sizes on screen are in egui points (pixels / `pixels_per_point`).

use egui::{Rect, Vec2};

/// Zoom limits: from a sixteenth to 32 screen pixels per image pixel (or the fitted zoom
/// of a huge image, when that is smaller still).
pub const MIN_ZOOM: f32 = 1.0 / 16.0;
pub const MAX_ZOOM: f32 = 32.0;
/// One key press or one wheel notch zooms by this factor.
pub const ZOOM_STEP: f32 = 1.25;
/// Points of the picture that stay in the window however far it is dragged.
const KEEP_IN_VIEW: f32 = 48.0;

/// How the picture is placed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Placement {
    /// As large as fits the window, centred, never past 1:1.
    Fit,
    /// At `zoom`, its centre `offset` points from the window's centre.
    Free { zoom: f32, offset: Vec2 },
}

/// What a placement is worked out against: the picture's size in image pixels, the area
/// it is drawn in, and the display's pixels per point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    pub image: Vec2,
    pub viewport: Rect,
    pub pixels_per_point: f32,
}

impl Frame {
    /// The zoom at which the picture fits the viewport, never above 1:1 (a small picture
    /// is not stretched).
    pub fn fit_zoom(&self) -> f32 {
        let image = self.image.max(Vec2::splat(1.0));
        let across = self.viewport.width() * self.pixels_per_point / image.x;
        let down = self.viewport.height() * self.pixels_per_point / image.y;
        across.min(down).clamp(f32::MIN_POSITIVE, 1.0)
    }

    fn clamp_zoom(&self, zoom: f32) -> f32 {
        zoom.clamp(MIN_ZOOM.min(self.fit_zoom()), MAX_ZOOM)
    }

    /// Size on screen, in points, at `zoom`.
    fn size_at(&self, zoom: f32) -> Vec2 {
        self.image * zoom / self.pixels_per_point
    }

    /// `offset` moved as little as needed to keep `KEEP_IN_VIEW` points of a picture of
    /// `size` inside the viewport on each axis.
    fn keep_in_view(&self, offset: Vec2, size: Vec2) -> Vec2 {
        let bound = |viewport: f32, picture: f32| ((viewport + picture) / 2.0 - KEEP_IN_VIEW.min(picture)).max(0.0);
        let (x, y) = (bound(self.viewport.width(), size.x), bound(self.viewport.height(), size.y));
        Vec2::new(offset.x.clamp(-x, x), offset.y.clamp(-y, y))
    }
}

impl Placement {
    /// Screen pixels per image pixel.
    pub fn zoom(self, frame: &Frame) -> f32 {
        match self {
            Placement::Fit => frame.fit_zoom(),
            Placement::Free { zoom, .. } => zoom,
        }
    }

    fn offset(self) -> Vec2 {
        match self {
            Placement::Fit => Vec2::ZERO,
            Placement::Free { offset, .. } => offset,
        }
    }

    /// Where the picture is drawn, in points.
    pub fn rect(self, frame: &Frame) -> Rect {
        Rect::from_center_size(frame.viewport.center() + self.offset(), frame.size_at(self.zoom(frame)))
    }

    /// Zoomed by `factor` about `point`: the picture's point under `point` stays there
    /// (unless a zoom limit or the keep-in-view bound stops it).
    pub fn zoomed_about(self, factor: f32, point: egui::Pos2, frame: &Frame) -> Placement {
        let zoom = self.zoom(frame);
        let new_zoom = frame.clamp_zoom(zoom * factor);
        let scale = new_zoom / zoom;
        let from_centre = point - frame.viewport.center();
        let offset = from_centre - (from_centre - self.offset()) * scale;
        Placement::Free { zoom: new_zoom, offset: frame.keep_in_view(offset, frame.size_at(new_zoom)) }
    }

    /// Moved by `delta` points.
    pub fn panned(self, delta: Vec2, frame: &Frame) -> Placement {
        let zoom = self.zoom(frame);
        Placement::Free { zoom, offset: frame.keep_in_view(self.offset() + delta, frame.size_at(zoom)) }
    }

    /// 1:1 about the window's centre, or back to fitting if it is at 1:1 already.
    pub fn one_to_one_toggled(self, frame: &Frame) -> Placement {
        let zoom = self.zoom(frame);
        if self != Placement::Fit && (zoom - 1.0).abs() < 1e-4 {
            Placement::Fit
        } else {
            self.zoomed_about(1.0 / zoom, frame.viewport.center(), frame)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui::{pos2, vec2};

    fn frame(image: Vec2, pixels_per_point: f32) -> Frame {
        Frame { image, viewport: Rect::from_min_size(pos2(0.0, 40.0), vec2(1000.0, 800.0)), pixels_per_point }
    }

    /// Where `point` falls on the picture, as fractions of its width and height.
    fn on_picture(placement: Placement, frame: &Frame, point: egui::Pos2) -> Vec2 {
        let rect = placement.rect(frame);
        (point - rect.min) / rect.size()
    }

    #[test]
    fn a_large_picture_fits_the_window_keeping_its_aspect() {
        let frame = frame(vec2(4000.0, 2000.0), 1.0);
        let rect = Placement::Fit.rect(&frame);
        assert_eq!(rect.size(), vec2(1000.0, 500.0));
        assert_eq!(rect.center(), frame.viewport.center());
    }

    #[test]
    fn a_small_picture_is_not_stretched_when_fitting() {
        let frame = frame(vec2(200.0, 100.0), 1.0);
        assert_eq!(Placement::Fit.rect(&frame).size(), vec2(200.0, 100.0));
        // On a 2x display, 1:1 is half as many points.
        let hidpi = self::frame(vec2(200.0, 100.0), 2.0);
        assert_eq!(Placement::Fit.rect(&hidpi).size(), vec2(100.0, 50.0));
    }

    #[test]
    fn zooming_keeps_the_point_under_the_cursor() {
        let frame = frame(vec2(4000.0, 3000.0), 1.5);
        let cursor = pos2(620.0, 300.0);
        let before = on_picture(Placement::Fit, &frame, cursor);
        let mut placement = Placement::Fit;
        for factor in [ZOOM_STEP, ZOOM_STEP, ZOOM_STEP, 1.0 / ZOOM_STEP] {
            let zoomed = placement.zoomed_about(factor, cursor, &frame);
            assert!((zoomed.zoom(&frame) / placement.zoom(&frame) - factor).abs() < 1e-4);
            placement = zoomed;
            let after = on_picture(placement, &frame, cursor);
            assert!((after - before).length() < 1e-4, "{before:?} moved to {after:?}");
        }
    }

    #[test]
    fn zoom_stays_within_its_limits() {
        let frame = frame(vec2(800.0, 600.0), 1.0);
        let centre = frame.viewport.center();
        let far_in = (0..40).fold(Placement::Fit, |placement, _| placement.zoomed_about(2.0, centre, &frame));
        assert_eq!(far_in.zoom(&frame), MAX_ZOOM);
        let far_out = (0..40).fold(Placement::Fit, |placement, _| placement.zoomed_about(0.5, centre, &frame));
        assert_eq!(far_out.zoom(&frame), MIN_ZOOM);
        // A picture so large that fitting it is below the limit can still be fitted.
        let huge = self::frame(vec2(64_000.0, 100.0), 1.0);
        let out = Placement::Fit.zoomed_about(0.5, centre, &huge);
        assert_eq!(out.zoom(&huge), huge.fit_zoom());
    }

    #[test]
    fn one_to_one_toggles_with_fitting() {
        let frame = frame(vec2(3000.0, 2000.0), 1.25);
        let actual = Placement::Fit.one_to_one_toggled(&frame);
        assert_eq!(actual.zoom(&frame), 1.0);
        assert_eq!(actual.rect(&frame).size(), vec2(2400.0, 1600.0), "one image pixel per screen pixel");
        assert_eq!(actual.one_to_one_toggled(&frame), Placement::Fit);
    }

    #[test]
    fn dragging_moves_the_picture_but_never_out_of_the_window() {
        let frame = frame(vec2(3000.0, 2000.0), 1.0);
        let actual = Placement::Fit.one_to_one_toggled(&frame);
        let moved = actual.panned(vec2(100.0, -50.0), &frame);
        assert_eq!(moved.rect(&frame).center(), actual.rect(&frame).center() + vec2(100.0, -50.0));
        let flung = moved.panned(vec2(1e6, 1e6), &frame);
        let visible = flung.rect(&frame).intersect(frame.viewport);
        assert!(visible.width() >= KEEP_IN_VIEW - 1e-3 && visible.height() >= KEEP_IN_VIEW - 1e-3, "{visible:?}");
    }
}
