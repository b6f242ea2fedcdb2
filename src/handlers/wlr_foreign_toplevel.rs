//! wlr-foreign-toplevel-management per persona: a panel's task list (waybar's
//! wlr/taskbar, sfwbar, …) sees and manages its own persona's windows only —
//! the manager lives on that persona's display. Activate, close and
//! fullscreen work; maximize and minimize are accepted and change nothing
//! (every window here is maximized, none is minimized).

use smithay::desktop::Window;
use smithay::reexports::wayland_protocols::xdg::shell::server::xdg_toplevel;
use smithay::reexports::wayland_protocols_wlr::foreign_toplevel::v1::server::{
    zwlr_foreign_toplevel_handle_v1::{self, ZwlrForeignToplevelHandleV1},
    zwlr_foreign_toplevel_manager_v1::{self, ZwlrForeignToplevelManagerV1},
};
use smithay::reexports::wayland_server::{
    Client, DataInit, Dispatch, DisplayHandle, GlobalDispatch, New, Resource,
};
use smithay::wayland::shell::xdg::XdgShellHandler;

use crate::persona::PersonaState;

pub const VERSION: u32 = 3;

/// The persona's bound managers and, per mapped window, its handles and
/// the state they were last told.
#[derive(Default)]
pub struct WlrToplevels {
    managers: Vec<ZwlrForeignToplevelManagerV1>,
    windows: Vec<Listed>,
}

struct Listed {
    window: Window,
    handles: Vec<ZwlrForeignToplevelHandleV1>,
    states: Vec<u8>,
}

impl Listed {
    /// Tells its handles `states` if they changed.
    fn update(&mut self, states: Vec<u8>) {
        if self.states != states {
            for handle in &self.handles {
                handle.state(states.clone());
                handle.done();
            }
            self.states = states;
        }
    }
}

/// A handle's window.
pub struct HandleData {
    window: Window,
}

/// The global's visibility: never for sandboxed clients.
pub struct ManagerGlobal;

pub fn create_global(dh: &DisplayHandle) {
    dh.create_global::<PersonaState, ZwlrForeignToplevelManagerV1, _>(VERSION, ManagerGlobal);
}

impl PersonaState {
    /// The protocol's state array for `window`.
    fn wlr_states(&self, window: &Window) -> Vec<u8> {
        let mut states = Vec::new();
        let mut push = |s: zwlr_foreign_toplevel_handle_v1::State| {
            states.extend_from_slice(&(s as u32).to_ne_bytes())
        };
        let (maximized, fullscreen) = match (window.toplevel(), window.x11_surface()) {
            (Some(toplevel), _) => {
                let current = toplevel.current_state().states;
                (
                    current.contains(xdg_toplevel::State::Maximized),
                    current.contains(xdg_toplevel::State::Fullscreen),
                )
            }
            (None, Some(x11)) => (x11.is_maximized(), x11.is_fullscreen()),
            (None, None) => return states,
        };
        if maximized {
            push(zwlr_foreign_toplevel_handle_v1::State::Maximized);
        }
        if fullscreen {
            push(zwlr_foreign_toplevel_handle_v1::State::Fullscreen);
        }
        if self.focused_window() == Some(window) {
            push(zwlr_foreign_toplevel_handle_v1::State::Activated);
        }
        states
    }

    /// Tells `handle` about `window` (its output too when `new`), then `done`.
    fn wlr_describe(
        &self,
        handle: &ZwlrForeignToplevelHandleV1,
        window: &Window,
        states: &[u8],
        new: bool,
    ) {
        let (app_id, title) = crate::persona::windows::window_names(window);
        handle.title(title.unwrap_or_default());
        handle.app_id(app_id.unwrap_or_default());
        if let Some(client) = handle.client().filter(|_| new) {
            for output in self.output_of(window).client_outputs(&client) {
                handle.output_enter(&output);
            }
        }
        handle.state(states.to_vec());
        handle.done();
    }

    fn wlr_new_handle(
        &self,
        manager: &ZwlrForeignToplevelManagerV1,
        window: &Window,
        states: &[u8],
    ) -> Option<ZwlrForeignToplevelHandleV1> {
        let client = manager.client()?;
        let handle = client
            .create_resource::<ZwlrForeignToplevelHandleV1, HandleData, PersonaState>(
                &self.display_handle,
                manager.version(),
                HandleData {
                    window: window.clone(),
                },
            )
            .ok()?;
        manager.toplevel(&handle);
        self.wlr_describe(&handle, window, states, true);
        Some(handle)
    }

    /// A window mapped: every task list hears of it.
    pub fn wlr_window_mapped(&mut self, window: &Window) {
        let states = self.wlr_states(window);
        let handles = self
            .wlr_toplevels
            .managers
            .iter()
            .filter_map(|m| self.wlr_new_handle(m, window, &states))
            .collect();
        self.wlr_toplevels.windows.push(Listed {
            window: window.clone(),
            handles,
            states,
        });
    }

    /// Its title or app id changed.
    pub fn wlr_window_renamed(&self, window: &Window) {
        if let Some(listed) = self
            .wlr_toplevels
            .windows
            .iter()
            .find(|l| &l.window == window)
        {
            for handle in &listed.handles {
                self.wlr_describe(handle, window, &listed.states, false);
            }
        }
    }

    /// Focus or fullscreen may have changed: each window whose state did is told.
    pub fn wlr_states_changed(&mut self) {
        if self
            .wlr_toplevels
            .windows
            .iter()
            .all(|l| l.handles.is_empty())
        {
            return;
        }
        let fresh: Vec<Vec<u8>> = self
            .wlr_toplevels
            .windows
            .iter()
            .map(|l| self.wlr_states(&l.window))
            .collect();
        for (listed, states) in self.wlr_toplevels.windows.iter_mut().zip(fresh) {
            listed.update(states);
        }
    }

    /// A commit of `window` may have applied a fullscreen it acked.
    pub fn wlr_window_committed(&mut self, window: &Window) {
        let told = |l: &Listed| &l.window == window && !l.handles.is_empty();
        if !self.wlr_toplevels.windows.iter().any(told) {
            return;
        }
        let states = self.wlr_states(window);
        if let Some(listed) = self.wlr_toplevels.windows.iter_mut().find(|l| told(l)) {
            listed.update(states);
        }
    }

    /// A window went away: `closed` for every handle of it.
    pub fn wlr_window_unmapped(&mut self, window: &Window) {
        if let Some(pos) = self
            .wlr_toplevels
            .windows
            .iter()
            .position(|l| &l.window == window)
        {
            for handle in self.wlr_toplevels.windows.remove(pos).handles {
                handle.closed();
            }
        }
    }
}

impl GlobalDispatch<ZwlrForeignToplevelManagerV1, ManagerGlobal> for PersonaState {
    fn bind(
        state: &mut Self,
        _dh: &DisplayHandle,
        _client: &Client,
        resource: New<ZwlrForeignToplevelManagerV1>,
        _global: &ManagerGlobal,
        data_init: &mut DataInit<'_, Self>,
    ) {
        let manager = data_init.init(resource, ());
        let mut listed = std::mem::take(&mut state.wlr_toplevels.windows);
        for entry in &mut listed {
            // States are kept up to date only while someone listens.
            entry.states = state.wlr_states(&entry.window);
            if let Some(handle) = state.wlr_new_handle(&manager, &entry.window, &entry.states) {
                entry.handles.push(handle);
            }
        }
        state.wlr_toplevels.windows = listed;
        state.wlr_toplevels.managers.push(manager);
    }

    fn can_view(client: Client, _global: &ManagerGlobal) -> bool {
        super::privileged::not_sandboxed(&client)
    }
}

impl Dispatch<ZwlrForeignToplevelManagerV1, ()> for PersonaState {
    fn request(
        state: &mut Self,
        _client: &Client,
        manager: &ZwlrForeignToplevelManagerV1,
        request: zwlr_foreign_toplevel_manager_v1::Request,
        _data: &(),
        _dh: &DisplayHandle,
        _data_init: &mut DataInit<'_, Self>,
    ) {
        if let zwlr_foreign_toplevel_manager_v1::Request::Stop = request {
            state.wlr_toplevels.managers.retain(|m| m != manager);
            manager.finished();
        }
    }

    fn destroyed(
        state: &mut Self,
        _client: smithay::reexports::wayland_server::backend::ClientId,
        manager: &ZwlrForeignToplevelManagerV1,
        _data: &(),
    ) {
        state.wlr_toplevels.managers.retain(|m| m != manager);
    }
}

impl Dispatch<ZwlrForeignToplevelHandleV1, HandleData> for PersonaState {
    fn request(
        state: &mut Self,
        _client: &Client,
        _handle: &ZwlrForeignToplevelHandleV1,
        request: zwlr_foreign_toplevel_handle_v1::Request,
        data: &HandleData,
        _dh: &DisplayHandle,
        _data_init: &mut DataInit<'_, Self>,
    ) {
        let window = &data.window;
        if !state.focus_stack.contains(window) {
            // Gone or unmapped: its handle is closed or about to be.
            return;
        }
        use zwlr_foreign_toplevel_handle_v1::Request;
        match (request, window.toplevel().cloned(), window.x11_surface()) {
            (Request::Activate { .. }, _, _) => state.focus_window(window.clone()),
            (Request::Close, Some(toplevel), _) => toplevel.send_close(),
            (Request::Close, None, Some(x11)) => {
                let _ = x11.close();
            }
            (Request::SetFullscreen { .. }, Some(toplevel), _) => {
                state.fullscreen_request(toplevel, None)
            }
            (Request::UnsetFullscreen, Some(toplevel), _) => state.unfullscreen_request(toplevel),
            (Request::SetFullscreen { .. }, None, Some(x11)) => {
                let _ = x11.set_fullscreen(true);
                state.fit_x11_window(&x11.clone());
            }
            (Request::UnsetFullscreen, None, Some(x11)) => {
                let _ = x11.set_fullscreen(false);
                state.fit_x11_window(&x11.clone());
            }
            // Every window is maximized and none minimized; a taskbar's
            // rectangle hint has no use here.
            _ => {}
        }
        state.wlr_states_changed();
    }

    fn destroyed(
        state: &mut Self,
        _client: smithay::reexports::wayland_server::backend::ClientId,
        handle: &ZwlrForeignToplevelHandleV1,
        _data: &HandleData,
    ) {
        for listed in &mut state.wlr_toplevels.windows {
            listed.handles.retain(|h| h != handle);
        }
    }
}
