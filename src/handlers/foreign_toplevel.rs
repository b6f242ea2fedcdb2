//! ext-foreign-toplevel-list per persona: a panel or task switcher running in
//! a persona lists that persona's windows only (the list lives on its display).

use smithay::delegate_foreign_toplevel_list;
use smithay::desktop::Window;
use smithay::wayland::foreign_toplevel_list::{
    ForeignToplevelListHandler, ForeignToplevelListState,
};

use crate::persona::PersonaState;

impl ForeignToplevelListHandler for PersonaState {
    fn foreign_toplevel_list_state(&mut self) -> &mut ForeignToplevelListState {
        &mut self.foreign_toplevel_list_state
    }
}

impl PersonaState {
    /// A window mapped: listed for this persona's clients.
    pub fn list_window(&mut self, window: &Window, title: Option<String>, app_id: Option<String>) {
        let handle = self
            .foreign_toplevel_list_state
            .new_toplevel::<PersonaState>(title.unwrap_or_default(), app_id.unwrap_or_default());
        self.foreign_toplevels.push((window.clone(), handle));
        self.wlr_window_mapped(window);
    }

    /// A window's title or app id changed.
    pub fn update_listed_window(
        &mut self,
        window: &Window,
        title: Option<String>,
        app_id: Option<String>,
    ) {
        if let Some((_, handle)) = self.foreign_toplevels.iter().find(|(w, _)| w == window) {
            handle.send_title(&title.unwrap_or_default());
            handle.send_app_id(&app_id.unwrap_or_default());
            handle.send_done();
        }
        self.wlr_window_renamed(window);
    }

    /// A window went away: `closed` for the list's clients.
    pub fn unlist_window(&mut self, window: &Window) {
        if let Some(pos) = self.foreign_toplevels.iter().position(|(w, _)| w == window) {
            let (_, handle) = self.foreign_toplevels.remove(pos);
            self.foreign_toplevel_list_state.remove_toplevel(&handle);
        }
        self.wlr_window_unmapped(window);
    }
}

delegate_foreign_toplevel_list!(PersonaState);
