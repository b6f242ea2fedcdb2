//! Tablets (zwp_tablet_v2) and cursor-shape. Tablets and tools are announced
//! to a persona's clients the first time they are used in that persona, and a
//! tool leaves proximity of the old persona's surface on a switch.

use smithay::wayland::tablet_manager::TabletSeatHandler;
use smithay::{delegate_cursor_shape, delegate_tablet_manager};

use crate::persona::PersonaState;

impl TabletSeatHandler for PersonaState {}

delegate_tablet_manager!(PersonaState);
delegate_cursor_shape!(PersonaState);
