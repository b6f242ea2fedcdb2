//! The overview (action `overview`): every persona's kept output side by
//! side, picked with the arrow keys and Enter, a click or a tap; Escape or
//! the binding again closes it. While it is open the compositor takes all
//! new input: no key, button or touch begun there reaches any client (what
//! was already held still ends where it began).

use smithay::backend::renderer::element::solid::SolidColorBuffer;
use smithay::input::keyboard::keysyms;
use smithay::utils::{Physical, Point, Rectangle, Size};

use super::State;
use crate::input::InputEvent;
use crate::persona::list::Personas;
use crate::persona::switch::SwitchOrigin;
use crate::persona::PersonaId;
use crate::render::notice::Notice;
use crate::render::overview::{columns, layout, overview_scene, Cell, Item, OverviewElement};
use crate::render::{RenderError, Scene, SceneRenderer};

pub struct Overview {
    /// The personas in the order shown (config order when it opened).
    pub ids: Vec<PersonaId>,
    /// Index into `ids` of the framed one.
    pub selected: usize,
    /// Where a mouse points, in display space.
    pointer: Point<f64, Physical>,
    pub labels: Vec<Notice>,
    pub solids: Vec<SolidColorBuffer>,
}

impl State {
    /// Opens the overview, or closes it when open (the binding toggles).
    pub fn toggle_overview(&mut self) {
        if self.overview.is_some() {
            self.close_overview(None);
            return;
        }
        let ids = self.personas.ids().to_vec();
        let active = self.personas.active_id();
        let display = self.backend.front_output().display_size();
        let labels = ids
            .iter()
            .filter_map(|id| self.personas.get(*id))
            .map(|p| Notice::new(&p.state.name, p.state.color, display))
            .collect();
        self.overview = Some(Overview {
            selected: ids.iter().position(|id| *id == active).unwrap_or(0),
            ids,
            pointer: (display.w as f64 / 2.0, display.h as f64 / 2.0).into(),
            labels,
            solids: Vec::new(),
        });
        self.redraw_whole();
    }

    /// Closes the overview; `pick` becomes the persona on screen.
    pub fn close_overview(&mut self, pick: Option<PersonaId>) {
        if self.overview.take().is_none() {
            return;
        }
        if let Some(target) = pick.filter(|t| *t != self.personas.active_id()) {
            let origin = SwitchOrigin {
                requested: std::time::Instant::now(),
                input: None,
            };
            if self.switch_to(target, origin) {
                return;
            }
        }
        self.redraw_whole();
    }

    /// Forgets the damage state and draws the next frame whole.
    pub fn redraw_whole(&mut self) {
        self.backend.reset_damage();
        self.personas.active_mut().state.needs_redraw = true;
        self.queue_redraw();
    }

    /// The cells of the open overview.
    pub fn overview_cells(&self) -> Vec<Cell> {
        let n = self.overview.as_ref().map_or(0, |o| o.ids.len());
        let picture = self.backend.output_spec().display_size();
        layout(n, self.backend.front_output().display_size(), picture)
    }

    /// Input while the overview is open; true when the overview took it.
    pub fn overview_input(&mut self, event: &InputEvent) -> bool {
        let display = self.backend.front_output().display_size();
        let primary = self.backend.output_spec().display_size();
        let front_place = self.front_place();
        let Some(overview) = self.overview.as_mut() else {
            return false;
        };
        match *event {
            // Keys go through the bindings first (`on_key`).
            InputEvent::Key { .. } => false,
            InputEvent::PointerMotionAbsolute { x, y } => {
                // On the front output as the layout places it: that spot;
                // elsewhere (a tablet mapped to the primary): the same
                // place, proportionally.
                overview.pointer = match front_place {
                    Some(place) if place.to_f64().contains((x, y)) => {
                        let at = Point::<f64, Physical>::from((x, y)) - place.loc.to_f64();
                        onto(place.size, (at.x, at.y), display)
                    }
                    _ => onto(primary, (x, y), display),
                };
                true
            }
            InputEvent::PointerMotion { dx, dy, .. } => {
                let p = overview.pointer;
                overview.pointer = (
                    (p.x + dx).clamp(0.0, display.w as f64 - 1.0),
                    (p.y + dy).clamp(0.0, display.h as f64 - 1.0),
                )
                    .into();
                true
            }
            InputEvent::PointerButton { pressed: true, .. } => {
                let at = overview.pointer;
                self.overview_pick_at(at);
                true
            }
            // A button held since before the overview ends where it began.
            InputEvent::PointerButton {
                button,
                pressed: false,
            } => !self.pointer_router.buttons.contains_key(&button),
            InputEvent::TouchDown { x, y, .. } => {
                let touched = self.touch_output().unwrap_or(self.backend.output_spec());
                let at = onto(touched.display_size(), (x, y), display);
                self.overview_pick_at(at);
                true
            }
            InputEvent::TouchMotion { slot, .. }
            | InputEvent::TouchUp { slot }
            | InputEvent::TouchCancel { slot } => !self.pointer_router.touches.contains_key(&slot),
            // A gesture or pen stroke begun before ends where it began.
            InputEvent::Touchpad(_) => self.pointer_router.touchpad_gesture.is_none(),
            InputEvent::Tablet { .. } => !self.pointer_router.tablet_tip,
            InputEvent::PointerAxis { .. } => true,
            InputEvent::Switch { .. } => false,
        }
    }

    /// A key pressed while the overview is open (not a binding).
    pub fn overview_key(&mut self, keysym: u32) {
        let Some(overview) = self.overview.as_mut() else {
            return;
        };
        let n = overview.ids.len().max(1);
        let cols = columns(n);
        let s = overview.selected;
        overview.selected = match keysym {
            keysyms::KEY_Right | keysyms::KEY_Tab => (s + 1) % n,
            keysyms::KEY_Left | keysyms::KEY_ISO_Left_Tab => (s + n - 1) % n,
            keysyms::KEY_Down if s + cols < n => s + cols,
            keysyms::KEY_Up if s >= cols => s - cols,
            keysyms::KEY_Return | keysyms::KEY_KP_Enter | keysyms::KEY_space => {
                let pick = overview.ids.get(s).copied();
                self.close_overview(pick);
                return;
            }
            keysyms::KEY_Escape => {
                self.close_overview(None);
                return;
            }
            _ => s,
        };
        self.redraw_whole();
    }

    /// Where the front output is in display space (the primary's pixels,
    /// the others where the layout puts them), when it is not the primary
    /// and not a mirror of it.
    fn front_place(&self) -> Option<Rectangle<i32, Physical>> {
        let front = self.backend.front_index();
        if front == 0 || self.config.output_layout == crate::config::OutputLayout::Mirror {
            return None;
        }
        let placed = self.placed_outputs(&self.config).into_iter().nth(front)?;
        let scale = self.backend.output_spec().scale;
        let logical = placed
            .spec
            .display_size()
            .to_f64()
            .to_logical(placed.spec.scale);
        let place = Rectangle::new(
            placed.position.to_f64().to_physical(scale).to_i32_round(),
            logical.to_physical(scale).to_i32_round(),
        );
        Some(place)
    }

    fn overview_pick_at(&mut self, at: Point<f64, Physical>) {
        let cells = self.overview_cells();
        let Some(overview) = self.overview.as_ref() else {
            return;
        };
        let hit = cells
            .iter()
            .position(|c| c.cell.to_f64().contains(at))
            .and_then(|i| overview.ids.get(i).copied());
        if let Some(pick) = hit {
            self.close_overview(Some(pick));
        }
    }
}

/// A position on an output of size `from` (where an absolute device or a
/// touchscreen is mapped), put at the same place on the overview's output:
/// the overview may be on another output than the device (the primary
/// turned off).
fn onto(
    from: Size<i32, Physical>,
    (x, y): (f64, f64),
    to: Size<i32, Physical>,
) -> Point<f64, Physical> {
    if from == to {
        return (x, y).into();
    }
    let scale = |v: f64, a: i32, b: i32| v * b as f64 / a.max(1) as f64;
    (scale(x, from.w, to.w), scale(y, from.h, to.h)).into()
}

/// The overview's scene, drawn with `renderer` (the backend's, or GLES in
/// the pixel tests).
pub fn overview_scene_for<R: SceneRenderer>(
    personas: &Personas,
    overview: &mut Overview,
    cells: &[Cell],
    renderer: &mut R,
    dim: Option<&SolidColorBuffer>,
) -> Result<Scene<OverviewElement<R>>, RenderError> {
    let items: Vec<Item<'_>> = overview
        .ids
        .iter()
        .zip(cells)
        .zip(&overview.labels)
        .enumerate()
        .filter_map(|(i, ((id, cell), label))| {
            Some(Item {
                persona: &personas.get(*id)?.state,
                cell: *cell,
                label,
                selected: i == overview.selected,
            })
        })
        .collect();
    overview_scene(renderer, &items, &mut overview.solids, dim)
}
