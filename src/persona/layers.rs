//! A persona's layer surfaces (panels, wallpapers, launchers, notifications):
//! where they are, what they take from its windows' area, who gets the
//! keyboard, and which of them are above its windows.

use smithay::desktop::{layer_map_for_output, LayerSurface, WindowSurfaceType};
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{IsAlive, Logical, Point, Rectangle};
use smithay::wayland::compositor::with_states;
use smithay::wayland::shell::wlr_layer::{KeyboardInteractivity, Layer, LayerSurfaceData};

use super::PersonaState;

/// A layer surface as drawn: the surface and its place in the persona's space.
pub struct PlacedLayer {
    pub layer: LayerSurface,
    pub location: Point<i32, Logical>,
}

impl PersonaState {
    /// The layer surface `surface` belongs to (`kind`: the layer surface
    /// itself, or with its popups and subsurfaces too) and its output.
    pub fn find_layer(
        &self,
        surface: &WlSurface,
        kind: WindowSurfaceType,
    ) -> Option<(smithay::output::Output, LayerSurface)> {
        self.outputs().find_map(|o| {
            let layer = layer_map_for_output(o)
                .layer_for_surface(surface, kind)
                .cloned();
            layer.map(|layer| (o.clone(), layer))
        })
    }

    /// The part of `output`'s area (in the space) its layer surfaces leave
    /// to windows: what panels' exclusive zones do not take.
    pub fn usable_area(&self, output: &smithay::output::Output) -> Option<Rectangle<i32, Logical>> {
        let geometry = self.space.output_geometry(output)?;
        let zone = layer_map_for_output(output).non_exclusive_zone();
        // The zone is in the layer map's own idea of the output (its size
        // rounded, where the space rounds up): take the insets from that
        // and apply them to the space's geometry.
        let whole = layer_map_output_size(output);
        // The system display's panels (a persona bar) take their part too.
        // (Kept in display pixels: less this persona's frame, which may
        // come and go, then in its space.)
        let scale = output.current_scale().fractional_scale();
        let [r_top, r_right, r_bottom, r_left] = self
            .reserved
            .iter()
            .find(|(name, _)| *name == output.name())
            .map_or([0; 4], |(_, r)| {
                r.map(|t| ((t - self.inset).max(0) as f64 / scale).ceil() as i32)
            });
        let left = zone.loc.x.max(0).max(r_left);
        let top = zone.loc.y.max(0).max(r_top);
        let right = (whole.w - zone.loc.x - zone.size.w).max(0).max(r_right);
        let bottom = (whole.h - zone.loc.y - zone.size.h).max(0).max(r_bottom);
        let width = geometry.size.w - left - right;
        let height = geometry.size.h - top - bottom;
        if width <= 0 || height <= 0 {
            // Panels that take everything (or more) leave windows the whole
            // output rather than nothing.
            return Some(geometry);
        }
        Some(Rectangle::new(
            (geometry.loc.x + left, geometry.loc.y + top).into(),
            (width, height).into(),
        ))
    }

    /// Called on every commit: if `surface` is a layer surface of this
    /// persona, it is arranged (and configured the first time). True when it was one.
    pub fn layer_committed(&mut self, surface: &WlSurface) -> bool {
        let Some((output, layer)) = self.find_layer(surface, WindowSurfaceType::TOPLEVEL) else {
            return false;
        };
        let initial_sent = with_states(surface, |states| {
            states
                .data_map
                .get::<LayerSurfaceData>()
                .is_some_and(|data| data.lock().is_ok_and(|d| d.initial_configure_sent))
        });
        let zone_before = self.usable_area(&output);
        let moved = layer_map_for_output(&output).arrange();
        if !initial_sent {
            layer.layer_surface().send_configure();
        }
        // Above the windows, an exclusive surface holds the keyboard
        // while mapped; an on-demand one (a launcher) gets it as it
        // maps, and later on a click. One that gives it up hands it back.
        let interactivity = layer.cached_state().keyboard_interactivity;
        let above = matches!(layer.layer(), Layer::Top | Layer::Overlay);
        let mapped = is_mapped(surface);
        let first_map = mapped && layer.user_data().insert_if_missing(|| SeenMapped);
        // Its surfaces learn their output's scale as they come.
        let scale = output.current_scale().fractional_scale();
        layer.with_surfaces(|surface, data| super::scale::tell(surface, data, scale));
        // An exclusive holder keeps the keyboard from the others.
        let held_by_other = self
            .layer_focus
            .as_ref()
            .is_some_and(|held| held != surface && self.holds_exclusively(held));
        let takes = !held_by_other
            && match interactivity {
                KeyboardInteractivity::Exclusive => above && mapped,
                KeyboardInteractivity::OnDemand => above && first_map,
                KeyboardInteractivity::None => false,
            };
        if takes {
            self.layer_focus = Some(surface.clone());
        } else if self.layer_focus.as_ref() == Some(surface)
            && (!layer.can_receive_keyboard_focus() || !mapped)
        {
            self.layer_focus = None;
        }
        // Windows are re-fitted only when what the panels leave them
        // changed (a wallpaper animating at 60 Hz changes nothing).
        if moved || first_map || self.usable_area(&output) != zone_before {
            self.layers_changed();
        } else {
            self.content_generation += 1;
            self.needs_redraw = true;
        }
        self.restore_keyboard_focus();
        true
    }

    /// After a layer surface came, went or changed: windows get the area
    /// the panels leave them.
    pub fn layers_changed(&mut self) {
        for output in self.outputs().cloned().collect::<Vec<_>>() {
            layer_map_for_output(&output).arrange();
        }
        let windows: Vec<_> = self.space.elements().cloned().collect();
        for window in &windows {
            if let Some(toplevel) = window.toplevel() {
                self.apply_window_rules(toplevel);
                if toplevel.is_initial_configure_sent() {
                    toplevel.send_pending_configure();
                }
            } else if let Some(x11) = window.x11_surface() {
                self.apply_x11_rules(window, x11);
            }
            self.place(window);
        }
        self.content_generation += 1;
        self.needs_redraw = true;
    }

    /// The layer surfaces of `output` above its windows (`above`) or below
    /// them, top first, where they are in the space. A fullscreen window
    /// covers the top layer (as in sway); only the overlay stays above it.
    pub fn layers_on(&self, output: &smithay::output::Output, above: bool) -> Vec<PlacedLayer> {
        let Some(geometry) = self.space.output_geometry(output) else {
            return Vec::new();
        };
        let fullscreen = self
            .focused_window()
            .is_some_and(|w| super::windows::is_fullscreen(w, false));
        let order: &[Layer] = match (above, fullscreen) {
            // The system display has no windows: its bottom panels (a bar,
            // as waybar makes by default) show over every persona too.
            (true, _) if self.system.is_some() => &[Layer::Overlay, Layer::Top, Layer::Bottom],
            (false, _) if self.system.is_some() => &[Layer::Background],
            (true, false) => &[Layer::Overlay, Layer::Top],
            (true, true) => &[Layer::Overlay],
            (false, false) => &[Layer::Bottom, Layer::Background],
            (false, true) => &[Layer::Top, Layer::Bottom, Layer::Background],
        };
        let map = layer_map_for_output(output);
        let mut placed = Vec::new();
        for &which in order {
            for layer in map.layers_on(which).rev() {
                if !self.layer_shown(layer) {
                    continue;
                }
                if let Some(at) = map.layer_geometry(layer) {
                    placed.push(PlacedLayer {
                        layer: layer.clone(),
                        location: at.loc + geometry.loc,
                    });
                }
            }
        }
        placed
    }

    /// The layer surface (or its popup or subsurface) under `pos`, above or
    /// below the windows, and its origin.
    pub fn layer_surface_under(
        &self,
        pos: Point<f64, Logical>,
        above: bool,
    ) -> Option<(WlSurface, Point<f64, Logical>)> {
        let output = self.output_at(pos);
        self.layers_on(output, above)
            .into_iter()
            .find_map(|placed| {
                placed
                    .layer
                    .surface_under(pos - placed.location.to_f64(), WindowSurfaceType::ALL)
                    .map(|(s, p)| (s, (p + placed.location).to_f64()))
            })
    }

    /// What the keyboard goes to: a layer surface that holds it (exclusive,
    /// or on demand after a click), else the focused window.
    pub fn keyboard_target(&self) -> Option<super::focus::KeyboardFocus> {
        let layer_focus = self.layer_focus.as_ref().filter(|surface| {
            surface.alive()
                && self
                    .find_layer(surface, WindowSurfaceType::TOPLEVEL)
                    .is_some_and(|(_, l)| l.can_receive_keyboard_focus())
        });
        layer_focus
            .filter(|surface| {
                self.find_layer(surface, WindowSurfaceType::TOPLEVEL)
                    .is_some_and(|(_, l)| self.layer_shown(&l))
            })
            .cloned()
            .or_else(|| self.lock_keyboard_target())
            .map(super::focus::KeyboardFocus::Surface)
            .or_else(|| self.focused_window().and_then(super::focus::window_focus))
    }

    /// A click on a layer surface that takes the keyboard on demand gives
    /// it the keyboard; a click on a window takes it back (unless a surface
    /// holds it exclusively). True if focus moved.
    pub fn click_focus_layer(&mut self, surface: &WlSurface) -> bool {
        let layer = self
            .find_layer(surface, WindowSurfaceType::ALL)
            .map(|(_, layer)| layer);
        // Nothing takes the keyboard from a surface holding it exclusively.
        if let Some(held) = &self.layer_focus {
            if self.holds_exclusively(held) {
                return false;
            }
        }
        let next = match layer {
            Some(layer) if layer.can_receive_keyboard_focus() => Some(layer.wl_surface().clone()),
            Some(_) => return false,
            None => None,
        };
        if next == self.layer_focus {
            return false;
        }
        self.layer_focus = next;
        self.restore_keyboard_focus();
        true
    }

    /// A click or tap at `pos`: a panel or launcher that takes the keyboard
    /// on demand gets it; a window is raised and focused (taking the
    /// keyboard back from such a panel).
    pub fn focus_at(&mut self, pos: Point<f64, Logical>) {
        let under = self.surface_under(pos).map(|(s, _)| s);
        let on_layer = under.as_ref().is_some_and(|s| self.is_layer_surface(s));
        if let Some(surface) = &under {
            self.click_focus_layer(surface);
        }
        if on_layer {
            return;
        }
        let window = self
            .space
            .element_under(pos)
            .map(|(w, _)| w.clone())
            .filter(|w| self.focus_stack.contains(w));
        if let Some(window) = window {
            if self.focused_window() != Some(&window) {
                self.focus_window(window);
            }
        }
    }

    /// Whether `surface` is (part of) one of this persona's layer surfaces.
    pub fn is_layer_surface(&self, surface: &WlSurface) -> bool {
        self.find_layer(surface, WindowSurfaceType::ALL).is_some()
    }

    /// Whether `surface` holds the keyboard exclusively: a mapped layer
    /// surface above the windows asking for it so (below them, exclusive
    /// counts as on demand).
    pub(super) fn holds_exclusively(&self, surface: &WlSurface) -> bool {
        is_mapped(surface)
            && self
                .find_layer(surface, WindowSurfaceType::TOPLEVEL)
                .is_some_and(|(_, l)| {
                    l.cached_state().keyboard_interactivity == KeyboardInteractivity::Exclusive
                        && matches!(l.layer(), Layer::Top | Layer::Overlay)
                })
    }

    /// The keyboard back where it belongs when something moved it off
    /// without a grab holding it (a popup grab ending hands it to the
    /// popup's root: a panel that takes no keyboard).
    pub fn repair_keyboard_focus(&mut self) {
        let Some(keyboard) = self.seat.get_keyboard() else {
            return;
        };
        if self.active
            && !keyboard.is_grabbed()
            && keyboard.current_focus() != self.keyboard_target()
        {
            self.set_keyboard_focus_to_top();
        }
    }

    /// Gives the keyboard to whatever should have it now (only while this
    /// persona is active; a background one is told on its next switch-in).
    pub fn restore_keyboard_focus(&mut self) {
        if self.active {
            self.set_keyboard_focus_to_top();
        }
    }

    /// Every layer surface of every output of this persona.
    pub fn all_layers(&self) -> Vec<LayerSurface> {
        self.outputs()
            .flat_map(|o| {
                layer_map_for_output(o)
                    .layers()
                    .cloned()
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

/// Marks a layer surface that has been mapped once.
struct SeenMapped;

/// The output's size as smithay's layer map arranges in it (logical,
/// rounded to nearest; the space rounds up).
fn layer_map_output_size(output: &smithay::output::Output) -> smithay::utils::Size<i32, Logical> {
    output
        .current_mode()
        .map(|mode| {
            let size = mode
                .size
                .to_f64()
                .to_logical(output.current_scale().fractional_scale())
                .to_i32_round();
            output.current_transform().transform_size(size)
        })
        .unwrap_or_default()
}

fn is_mapped(surface: &WlSurface) -> bool {
    smithay::backend::renderer::utils::with_renderer_surface_state(surface, |s| {
        s.buffer().is_some()
    })
    .unwrap_or(false)
}
