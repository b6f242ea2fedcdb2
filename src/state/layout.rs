//! Where the physical outputs sit relative to each other, and what each one
//! shows of a persona. Pure geometry, so the rules are unit-tested here.
//!
//! Positions are in display space (upright, one unit per pixel) with the
//! first output, the primary (the built-in panel where there is one), at
//! the origin. A persona's space uses the same coordinates: its virtual
//! output for a physical output starts at that output's position.

use smithay::utils::{Logical, Physical, Point, Rectangle, Size};

use crate::config::{Config, OutputLayout};
use crate::persona::OutputSpec;

/// A physical output and where it sits.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedOutput {
    pub spec: OutputSpec,
    pub position: Point<i32, Logical>,
}

/// Places `specs` (the primary first) as `config` says: side by side, left
/// to right in order, except those with `[outputs."NAME"] position`; or all
/// at the origin when mirroring. The primary ends at the origin.
pub fn arrange(specs: &[OutputSpec], config: &Config) -> Vec<PlacedOutput> {
    let mut placed: Vec<PlacedOutput> = Vec::with_capacity(specs.len());
    let mut next_x = 0;
    for spec in specs {
        let mut spec = spec.clone();
        if let Some(scale) = config.outputs.get(&spec.name).and_then(|o| o.scale) {
            spec.scale = scale;
        }
        let position = match config.output_layout {
            OutputLayout::Mirror => Point::from((0, 0)),
            OutputLayout::SideBySide => {
                match config.outputs.get(&spec.name).and_then(|o| o.position) {
                    Some((x, y)) => Point::from((x, y)),
                    None => Point::from((next_x, 0)),
                }
            }
        };
        // Side by side in logical pixels: a scaled output takes less room.
        let width = (spec.display_size().w as f64 / spec.scale).round() as i32;
        next_x = next_x.max(position.x + width);
        placed.push(PlacedOutput { spec, position });
    }
    if let Some(origin) = placed.first().map(|p| p.position) {
        for output in &mut placed {
            output.position -= origin;
        }
    }
    placed
}

/// How a mirroring output shows the primary's picture: scaled to fit inside
/// it, keeping the aspect, centered. Returns the scale and the picture's
/// top-left corner on the mirroring output.
pub fn mirror_fit(
    primary: Size<i32, Physical>,
    output: Size<i32, Physical>,
) -> (f64, Point<i32, Physical>) {
    if primary.w <= 0 || primary.h <= 0 {
        return (1.0, Point::from((0, 0)));
    }
    let scale = (output.w as f64 / primary.w as f64).min(output.h as f64 / primary.h as f64);
    let shown = (
        (primary.w as f64 * scale).round() as i32,
        (primary.h as f64 * scale).round() as i32,
    );
    let corner = Point::from(((output.w - shown.0) / 2, (output.h - shown.1) / 2));
    (scale, corner)
}

/// Where the pointer goes when it moves from `from` to `to` among `areas`:
/// the horizontal part of the move first, then the vertical, each as far as
/// outputs reach along its line (so it crosses to a neighbour however far
/// it jumps, and slides along an edge with no output behind it). Areas
/// apart by up to `gap` (the frame indicator between two outputs) are
/// crossed in the direction of the move, however small the step.
pub fn confine(
    areas: &[Rectangle<i32, Logical>],
    from: Point<f64, Logical>,
    to: Point<f64, Logical>,
    gap: f64,
) -> Point<f64, Logical> {
    if areas.is_empty() {
        return to;
    }
    // Where `want` (coming from `start`) ends up on the spans (start,
    // length): on one if it is on one; across a small gap ahead; else the
    // nearest place.
    let along = |want: f64, was: f64, spans: &mut dyn Iterator<Item = (i32, i32)>| -> Option<f64> {
        let spans: Vec<(f64, f64)> = spans
            .map(|(start, len)| (start as f64, (start + len.max(1)) as f64 - 1.0))
            .collect();
        if spans
            .iter()
            .any(|&(lo, hi)| want >= lo && want <= hi + 1.0 - f64::EPSILON)
        {
            return Some(want);
        }
        let ahead = spans
            .iter()
            .filter_map(|&(lo, hi)| {
                if want > was && lo > want && lo - want <= gap {
                    Some(lo)
                } else if want < was && hi < want && want - hi <= gap {
                    Some(hi)
                } else {
                    None
                }
            })
            .min_by(|a, b| (a - want).abs().total_cmp(&(b - want).abs()));
        ahead.or_else(|| {
            spans
                .iter()
                .map(|&(lo, hi)| want.clamp(lo, hi))
                .min_by(|a, b| (a - want).abs().total_cmp(&(b - want).abs()))
        })
    };
    let covers = |start: i32, len: i32, v: f64| v >= start as f64 && v < (start + len) as f64;
    let x = along(
        to.x,
        from.x,
        &mut areas
            .iter()
            .filter(|a| covers(a.loc.y, a.size.h, from.y))
            .map(|a| (a.loc.x, a.size.w)),
    );
    let Some(x) = x else {
        // Not on any output (outputs changed under it): the nearest point.
        let nearest = |p: Point<f64, Logical>| {
            areas
                .iter()
                .map(|a| {
                    let q = Point::<f64, Logical>::from((
                        p.x.clamp(a.loc.x as f64, (a.loc.x + a.size.w.max(1)) as f64 - 1.0),
                        p.y.clamp(a.loc.y as f64, (a.loc.y + a.size.h.max(1)) as f64 - 1.0),
                    ));
                    ((q.x - p.x).powi(2) + (q.y - p.y).powi(2), q)
                })
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, q)| q)
                .unwrap_or(p)
        };
        return nearest(to);
    };
    let y = along(
        to.y,
        from.y,
        &mut areas
            .iter()
            .filter(|a| covers(a.loc.x, a.size.w, x))
            .map(|a| (a.loc.y, a.size.h)),
    )
    .unwrap_or(from.y);
    Point::from((x, y))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::OutputConfig;
    use smithay::utils::Transform;

    fn spec(name: &str, w: i32, h: i32, transform: Transform) -> OutputSpec {
        OutputSpec {
            name: name.into(),
            size: (w, h).into(),
            refresh_mhz: 60_000,
            scale: 1.0,
            transform,
        }
    }

    fn config(layout: OutputLayout) -> Config {
        let mut config = Config::parse(crate::config::DEFAULT_CONFIG, "default").unwrap();
        config.output_layout = layout;
        config
    }

    fn positions(placed: &[PlacedOutput]) -> Vec<(i32, i32)> {
        placed
            .iter()
            .map(|p| (p.position.x, p.position.y))
            .collect()
    }

    #[test]
    fn side_by_side_goes_left_to_right_by_upright_width() {
        let specs = [
            spec("eDP-1", 1280, 800, Transform::Normal),
            // Turned: 600 wide upright.
            spec("HDMI-A-1", 800, 600, Transform::_90),
            spec("DP-1", 1024, 768, Transform::Normal),
        ];
        let placed = arrange(&specs, &config(OutputLayout::SideBySide));
        assert_eq!(positions(&placed), [(0, 0), (1280, 0), (1880, 0)]);
    }

    #[test]
    fn configured_positions_win_and_the_primary_is_the_origin() {
        let specs = [
            spec("eDP-1", 1280, 800, Transform::Normal),
            spec("HDMI-A-1", 1920, 1080, Transform::Normal),
        ];
        let mut config = config(OutputLayout::SideBySide);
        for (name, position) in [("eDP-1", (1920, 280)), ("HDMI-A-1", (0, 0))] {
            config.outputs.insert(
                name.into(),
                OutputConfig {
                    mode: None,
                    scale: None,
                    transform: None,
                    position: Some(position),
                },
            );
        }
        // The external monitor is left of the panel and 280 higher.
        let placed = arrange(&specs, &config);
        assert_eq!(positions(&placed), [(0, 0), (-1920, -280)]);
    }

    #[test]
    fn mirroring_puts_every_output_at_the_origin() {
        let specs = [
            spec("eDP-1", 1280, 800, Transform::Normal),
            spec("HDMI-A-1", 1920, 1080, Transform::Normal),
        ];
        let placed = arrange(&specs, &config(OutputLayout::Mirror));
        assert_eq!(positions(&placed), [(0, 0), (0, 0)]);
    }

    #[test]
    fn a_mirror_fits_the_picture_and_centers_it() {
        // 16:10 on 16:9: as high as the output, bars left and right.
        let (scale, corner) = mirror_fit((1280, 800).into(), (1920, 1080).into());
        assert!((scale - 1.35).abs() < 1e-9, "{scale}");
        assert_eq!((corner.x, corner.y), ((1920 - 1728) / 2, 0));
        // Smaller: shrunk, bars above and below.
        let (scale, corner) = mirror_fit((1280, 800).into(), (640, 480).into());
        assert!((scale - 0.5).abs() < 1e-9, "{scale}");
        assert_eq!((corner.x, corner.y), (0, (480 - 400) / 2));
        // The same size: untouched.
        assert_eq!(
            mirror_fit((1280, 800).into(), (1280, 800).into()),
            (1.0, Point::from((0, 0)))
        );
    }

    #[test]
    fn the_pointer_crosses_to_a_neighbour_and_stops_at_open_edges() {
        let areas = [
            Rectangle::new((0, 0).into(), (1280, 800).into()),
            Rectangle::new((1280, 0).into(), (1024, 768).into()),
        ];
        let p = |x: f64, y: f64| Point::<f64, Logical>::from((x, y));
        // Across the shared edge.
        assert_eq!(
            confine(&areas, p(1270.0, 100.0), p(1300.0, 100.0), 0.0),
            p(1300.0, 100.0)
        );
        // Below the shorter output's bottom: stays on it.
        assert_eq!(
            confine(&areas, p(1400.0, 700.0), p(1400.0, 790.0), 0.0),
            p(1400.0, 767.0)
        );
        // Off the left edge of the primary.
        assert_eq!(
            confine(&areas, p(5.0, 5.0), p(-20.0, -3.0), 0.0),
            p(0.0, 0.0)
        );
        // Off the right edge of everything.
        assert_eq!(
            confine(&areas, p(2300.0, 10.0), p(2400.0, 10.0), 0.0),
            p(2303.0, 10.0)
        );
        // A jump far past the neighbour ends on its far edge.
        assert_eq!(
            confine(&areas, p(100.0, 100.0), p(5000.0, 100.0), 0.0),
            p(2303.0, 100.0)
        );
        // An 8 px gap (two frames) is crossed by the smallest step.
        let apart = [
            Rectangle::new((0, 0).into(), (1272, 792).into()),
            Rectangle::new((1280, 0).into(), (1016, 760).into()),
        ];
        assert_eq!(
            confine(&apart, p(1271.0, 10.0), p(1272.5, 10.0), 9.0),
            p(1280.0, 10.0)
        );
        assert_eq!(
            confine(&apart, p(1280.0, 10.0), p(1279.0, 10.0), 9.0),
            p(1271.0, 10.0)
        );
        // Without the gap allowance it snaps back.
        assert_eq!(
            confine(&apart, p(1271.0, 10.0), p(1272.5, 10.0), 0.0),
            p(1271.0, 10.0)
        );
        // Just right of the primary, below the shorter output's bottom: the
        // primary's edge is nearer (as sway's closest point in the layout).
        assert_eq!(
            confine(&areas, p(1270.0, 790.0), p(1300.0, 790.0), 0.0),
            p(1279.0, 790.0)
        );
    }
}
