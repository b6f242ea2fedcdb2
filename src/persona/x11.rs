//! X11 windows under the persona's window rules: a managed X11 window fills
//! its output (or the whole output when fullscreen), as an xdg toplevel does;
//! one with a fixed size keeps it, centered; menus and tooltips
//! (override-redirect) place themselves and never take focus.

use smithay::desktop::Window;
use smithay::utils::{Logical, Point, Rectangle, Size};
use smithay::xwayland::X11Surface;

use super::PersonaState;

impl PersonaState {
    pub fn window_for_x11(&self, x11: &X11Surface) -> Option<Window> {
        self.space
            .elements()
            .find(|w| w.x11_surface() == Some(x11))
            .cloned()
    }

    /// A window the X server maps: it opens on the output the pointer is
    /// on, and shows (and takes focus) once Xwayland gave it content.
    pub fn add_x11_window(&mut self, x11: X11Surface) {
        if self.window_for_x11(&x11).is_some() {
            return;
        }
        let window = Window::new_x11_window(x11.clone());
        if x11.is_override_redirect() {
            self.space.map_element(window, x11.geometry().loc, false);
            self.needs_redraw = true;
            return;
        }
        super::windows::set_home(&window, &self.output_at(self.pointer_location).name());
        self.space
            .map_element(window.clone(), x11.geometry().loc, false);
        self.apply_x11_rules(&window, &x11);
        // Already paired and drawn (a window mapped again).
        self.toplevel_committed(&window);
    }

    pub fn remove_x11_window(&mut self, x11: &X11Surface) {
        if let Some(window) = self.window_for_x11(x11) {
            self.remove_window(&window);
            self.needs_redraw = true;
        }
    }

    /// Sizes and places a managed X11 window by the rules, now.
    pub fn fit_x11_window(&mut self, x11: &X11Surface) {
        if let Some(window) = self.window_for_x11(x11) {
            self.apply_x11_rules(&window, x11);
            self.needs_redraw = true;
        }
    }

    /// What `apply_window_rules` is for an xdg toplevel: the geometry, and
    /// activated only while focused in the active persona.
    pub fn apply_x11_rules(&mut self, window: &Window, x11: &X11Surface) {
        if x11.is_override_redirect() {
            return;
        }
        let area = self.window_area_of(window);
        let geometry = x11_geometry(area, x11.min_size(), x11.max_size(), x11.is_fullscreen());
        if x11.geometry() != geometry {
            if let Err(err) = x11.configure(geometry) {
                tracing::debug!(persona = %self.name, "configuring an X11 window: {err}");
            }
        }
        if !x11.is_maximized() && !x11.is_fullscreen() && geometry == area {
            let _ = x11.set_maximized(true);
        }
        let activated = self.active && self.focused_window() == Some(window);
        if x11.is_activated() != activated {
            let _ = x11.set_activated(activated);
        }
        if self.space.element_location(window) != Some(geometry.loc) {
            self.space.map_element(window.clone(), geometry.loc, false);
            if let Some(top) = self.focus_stack.last().cloned() {
                self.space.raise_element(&top, false);
            }
        }
        if let Some(xwm) = self.xwm.as_mut() {
            if self.focus_stack.last() == Some(window) {
                let _ = xwm.raise_window(x11);
            }
        }
    }

    /// Pairs X11 windows with their wl_surfaces the way Xwayland before
    /// 23.1 names them (`WL_SURFACE_ID`, a protocol id on its connection),
    /// whichever came first: the X message or the surface's commit. Newer
    /// servers pair through xwayland-shell, in smithay.
    pub fn pair_x11_windows(&mut self) {
        let Some(client) = self.xwayland_client.clone() else {
            return;
        };
        let unpaired: Vec<(Window, X11Surface, u32)> = self
            .space
            .elements()
            .filter_map(|w| {
                let x11 = w.x11_surface()?;
                #[allow(deprecated)]
                let id = x11.wl_surface_id()?;
                x11.wl_surface()
                    .is_none()
                    .then(|| (w.clone(), x11.clone(), id))
            })
            .collect();
        for (window, x11, id) in unpaired {
            let Ok(surface) = client.object_from_protocol_id::<smithay::reexports::wayland_server::protocol::wl_surface::WlSurface>(&self.display_handle, id) else {
                continue;
            };
            // A surface is one window's (a stale id must not pair twice).
            if self.window_for_surface(&surface).is_some() {
                continue;
            }
            x11.set_legacy_wl_surface(surface);
            self.toplevel_committed(&window);
        }
    }

    /// The X server went away: its windows go with it.
    pub fn forget_x11_windows(&mut self) {
        self.xwm = None;
        self.xwayland_client = None;
        self.x11_loop = None;
        self.forget_x11_selections();
        let gone: Vec<Window> = self
            .space
            .elements()
            .filter(|w| w.is_x11())
            .cloned()
            .collect();
        for window in gone {
            self.remove_window(&window);
        }
        self.needs_redraw = true;
    }
}

/// A managed X11 window's place: the area, or its own fixed size (min =
/// max) centered in it, never larger.
pub fn x11_geometry(
    area: Rectangle<i32, Logical>,
    min: Option<Size<i32, Logical>>,
    max: Option<Size<i32, Logical>>,
    fullscreen: bool,
) -> Rectangle<i32, Logical> {
    let fixed = match (min, max) {
        (Some(min), Some(max)) if min == max && min.w > 0 && min.h > 0 && !fullscreen => Some(min),
        _ => None,
    };
    let Some(size) = fixed else {
        return area;
    };
    let size = Size::from((size.w.min(area.size.w), size.h.min(area.size.h)));
    let offset = Point::from(((area.size.w - size.w) / 2, (area.size.h - size.h) / 2));
    Rectangle::new(area.loc + offset, size)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(x: i32, y: i32, w: i32, h: i32) -> Rectangle<i32, Logical> {
        Rectangle::new((x, y).into(), (w, h).into())
    }

    #[test]
    fn managed_windows_fill_the_area_and_fixed_ones_are_centered() {
        let area = rect(0, 30, 800, 570);
        assert_eq!(x11_geometry(area, None, None, false), area);
        let fixed = Some(Size::from((200, 100)));
        assert_eq!(
            x11_geometry(area, fixed, fixed, false),
            rect(300, 265, 200, 100)
        );
        // A minimum alone is no fixed size.
        assert_eq!(x11_geometry(area, fixed, None, false), area);
        // Fullscreen fills, fixed or not.
        assert_eq!(x11_geometry(area, fixed, fixed, true), area);
        // Never larger than the area.
        let huge = Some(Size::from((2000, 100)));
        assert_eq!(
            x11_geometry(area, huge, huge, false),
            rect(0, 265, 800, 100)
        );
    }
}
