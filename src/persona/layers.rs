//! A persona's layer surfaces (panels, wallpapers, launchers, notifications):
//! where they are, what they take from its windows' area, who gets the
//! keyboard, and which of them are above its windows.

use smithay::desktop::{layer_map_for_output, LayerSurface, WindowSurfaceType};
use smithay::reexports::wayland_protocols::xdg::shell::server::xdg_toplevel;
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
    /// The part of `output`'s area (in the space) its layer surfaces leave
    /// to windows: what panels' exclusive zones do not take.
    pub fn usable_area(&self, output: &smithay::output::Output) -> Option<Rectangle<i32, Logical>> {
        let geometry = self.space.output_geometry(output)?;
        let mut zone = layer_map_for_output(output).non_exclusive_zone();
        if zone.is_empty() {
            // Panels that take everything leave windows the whole output
            // rather than nothing.
            return Some(geometry);
        }
        zone.loc += geometry.loc;
        Some(zone)
    }

    /// Called on every commit: if `surface` is a layer surface of this
    /// persona, it is arranged (and configured the first time). True when it was one.
    pub fn layer_committed(&mut self, surface: &WlSurface) -> bool {
        let Some(output) = self
            .outputs()
            .find(|o| {
                layer_map_for_output(o)
                    .layer_for_surface(surface, WindowSurfaceType::TOPLEVEL)
                    .is_some()
            })
            .cloned()
        else {
            return false;
        };
        let initial_sent = with_states(surface, |states| {
            states
                .data_map
                .get::<LayerSurfaceData>()
                .is_some_and(|data| data.lock().is_ok_and(|d| d.initial_configure_sent))
        });
        let layer = {
            let mut map = layer_map_for_output(&output);
            map.arrange();
            map.layer_for_surface(surface, WindowSurfaceType::TOPLEVEL)
                .cloned()
        };
        if let Some(layer) = layer {
            if !initial_sent {
                layer.layer_surface().send_configure();
            }
            // Above the windows, an exclusive surface holds the keyboard
            // while mapped; an on-demand one (a launcher) gets it as it
            // maps, and later on a click. One that gives it up hands it back.
            let interactivity = layer.cached_state().keyboard_interactivity;
            let above = matches!(layer.layer(), Layer::Top | Layer::Overlay);
            let mapped = is_mapped(surface);
            let first_map = mapped && layer.user_data().get::<SeenMapped>().is_none();
            if mapped {
                layer.user_data().insert_if_missing(|| SeenMapped);
            }
            let takes = match interactivity {
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
        }
        self.layers_changed();
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
            .and_then(|w| w.toplevel())
            .is_some_and(|t| {
                t.current_state()
                    .states
                    .contains(xdg_toplevel::State::Fullscreen)
            });
        let order: &[Layer] = match (above, fullscreen) {
            (true, false) => &[Layer::Overlay, Layer::Top],
            (true, true) => &[Layer::Overlay],
            (false, false) => &[Layer::Bottom, Layer::Background],
            (false, true) => &[Layer::Top, Layer::Bottom, Layer::Background],
        };
        let map = layer_map_for_output(output);
        let mut placed = Vec::new();
        for &which in order {
            for layer in map.layers_on(which).rev() {
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
    pub fn keyboard_target(&self) -> Option<WlSurface> {
        let layer_focus = self.layer_focus.as_ref().filter(|surface| {
            surface.alive()
                && self.outputs().any(|o| {
                    layer_map_for_output(o)
                        .layer_for_surface(surface, WindowSurfaceType::TOPLEVEL)
                        .is_some_and(|l| l.can_receive_keyboard_focus())
                })
        });
        layer_focus.cloned().or_else(|| {
            self.focused_window()
                .and_then(|w| w.toplevel())
                .map(|t| t.wl_surface().clone())
        })
    }

    /// A click on a layer surface that takes the keyboard on demand gives
    /// it the keyboard; a click on a window takes it back (unless a surface
    /// holds it exclusively). True if focus moved.
    pub fn click_focus_layer(&mut self, surface: &WlSurface) -> bool {
        let layer = self.outputs().find_map(|o| {
            layer_map_for_output(o)
                .layer_for_surface(surface, WindowSurfaceType::ALL)
                .cloned()
        });
        let next = match layer {
            Some(layer) if layer.can_receive_keyboard_focus() => Some(layer.wl_surface().clone()),
            Some(_) => return false,
            None => match &self.layer_focus {
                Some(held) if self.holds_exclusively(held) => return false,
                _ => None,
            },
        };
        if next == self.layer_focus {
            return false;
        }
        self.layer_focus = next;
        self.restore_keyboard_focus();
        true
    }

    /// Whether `surface` is (part of) one of this persona's layer surfaces.
    pub fn is_layer_surface(&self, surface: &WlSurface) -> bool {
        self.outputs().any(|o| {
            layer_map_for_output(o)
                .layer_for_surface(surface, WindowSurfaceType::ALL)
                .is_some()
        })
    }

    pub(super) fn holds_exclusively(&self, surface: &WlSurface) -> bool {
        self.outputs().any(|o| {
            layer_map_for_output(o)
                .layer_for_surface(surface, WindowSurfaceType::TOPLEVEL)
                .is_some_and(|l| {
                    l.cached_state().keyboard_interactivity == KeyboardInteractivity::Exclusive
                })
        })
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

fn is_mapped(surface: &WlSurface) -> bool {
    smithay::backend::renderer::utils::with_renderer_surface_state(surface, |s| {
        s.buffer().is_some()
    })
    .unwrap_or(false)
}
