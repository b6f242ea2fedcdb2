//! The control protocol: one JSON request per line from the client, one JSON
//! reply per line from the compositor; a subscribed connection additionally
//! receives one [`Event`] per line.
//!
//! This is the only module that defines the wire format. It is shared by the
//! server (`ipc::server`) and the CLI (`ipc::client`, `personas msg ...`).
//!
//! Wire shapes (pinned by the tests below):
//!
//! ```text
//! {"request":"switch","name":"work"}
//! {"request":"screenshot","persona":null}
//! {"request":"input","event":{"kind":"key","key":"Super_L","state":"tap"}}
//! {"reply":"switched","from":"work","to":"personal"}
//! {"reply":"error","message":"unknown persona: foo"}
//! {"event":"persona-added","name":"kids"}
//! ```

use std::collections::VecDeque;
use std::ffi::OsStr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Longest accepted request line in bytes (without the terminating newline).
/// A longer line is answered with `Error { message: "request too long" }` and
/// the connection is closed.
pub const MAX_REQUEST_LEN: usize = 64 * 1024;

/// Environment variable naming the control socket.
pub const SOCKET_ENV: &str = "PERSONAS_SOCKET";

/// Path of the control socket below `$XDG_RUNTIME_DIR`.
pub const SOCKET_SUBPATH: &str = "personas/control.sock";

/// A request from a client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "kebab-case")]
pub enum Request {
    /// All personas → [`Reply::Personas`].
    List,
    /// The active persona → [`Reply::Active`].
    Active,
    /// Make `name` the active persona → [`Reply::Switched`].
    Switch { name: String },
    /// Switch to the next persona → [`Reply::Switched`].
    Next,
    /// Switch to the previous persona → [`Reply::Switched`].
    Prev,
    /// Capture a persona's output (the active one when `persona` is `None`)
    /// → [`Reply::Screenshot`].
    Screenshot {
        #[serde(default)]
        persona: Option<String>,
        /// What this physical output shows (the primary when `None`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        output: Option<String>,
    },
    /// The physical outputs and where they sit → [`Reply::Outputs`].
    Outputs,
    /// Every persona's windows and layer surfaces, with their places →
    /// [`Reply::Windows`].
    Windows,
    /// Turn this connection into an event stream → [`Reply::Subscribed`],
    /// then one [`Event`] per line. Handled inside the server.
    Subscribe,
    /// Re-read the configuration → [`Reply::Reloaded`].
    Reload,
    /// Counters and latencies → [`Reply::Stats`].
    Stats,
    /// Inject an input event. Only honoured when the compositor was started
    /// with `--backend headless --test-input`; otherwise an error reply.
    Input { event: InputEvent },
    /// Start a persona's configured session (the restart backoff starts over)
    /// → [`Reply::Ok`], or [`Reply::Error`] when it is already running, has no
    /// `session`, or cannot be started.
    SessionStart { name: String },
    /// Stop a persona's session: SIGTERM to its process group, SIGKILL a few
    /// seconds later if it is still there; no restart → [`Reply::Ok`].
    SessionStop { name: String },
    /// Turn a physical output: `transform` is `normal`, `90`, `180`, `270`,
    /// `flipped`, `flipped-90`, `flipped-180` or `flipped-270` (for a rotation
    /// daemon) → [`Reply::Ok`], or [`Reply::Error`] for an unknown output or
    /// transform.
    OutputTransform { output: String, transform: String },
    /// Turn a physical output off or on (`on: false` is off) → [`Reply::Ok`],
    /// or [`Reply::Error`] for an unknown output. Input turns it on again.
    OutputPower { output: String, on: bool },
    /// Set the backlight of a physical output's panel, 0–100 → [`Reply::Ok`],
    /// or [`Reply::Error`] naming what is missing (no backlight, no permission).
    OutputBrightness { output: String, percent: u32 },
    /// Lock the session: start the configured `lock` screen → [`Reply::Ok`],
    /// or [`Reply::Error`] when no `lock` is configured. There is no unlock
    /// request: only the lock screen unlocks.
    Lock,
}

/// A synthetic input event (test input on the headless backend).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum InputEvent {
    /// `key` is an xkb keysym name such as `"Super_L"`, `"Right"`, `"a"`,
    /// `"Tab"` (resolved by the server), or `"code:N"` for evdev keycode N.
    Key { key: String, state: KeyState },
    /// Absolute pointer position in global compositor coordinates.
    PointerMove { x: f64, y: f64 },
    /// `button` is `"left"`, `"right"`, `"middle"` or an evdev button code.
    PointerButton { button: String, state: ButtonState },
    /// A touch point; `x`/`y` in global compositor coordinates.
    Touch {
        phase: TouchPhase,
        id: i32,
        x: f64,
        y: f64,
    },
    /// A hardware switch: `"lid"` (on = closed) or `"tablet-mode"`.
    Switch { switch: SwitchName, on: bool },
}

/// The hardware switches input injection knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SwitchName {
    Lid,
    TabletMode,
}

/// Key transition; `Tap` is a press immediately followed by a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyState {
    Press,
    Release,
    Tap,
}

/// Button transition; `Tap` is a press immediately followed by a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ButtonState {
    Press,
    Release,
    Tap,
}

/// Touch point phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TouchPhase {
    Down,
    Move,
    Up,
}

/// A reply from the compositor; exactly one per request, in request order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "kebab-case")]
pub enum Reply {
    Ok,
    Error {
        message: String,
    },
    Personas {
        personas: Vec<PersonaInfo>,
    },
    Active {
        name: String,
    },
    Switched {
        from: String,
        to: String,
    },
    /// A PNG image, base64 (standard alphabet, padded).
    Screenshot {
        width: u32,
        height: u32,
        png_base64: String,
    },
    Subscribed,
    Reloaded {
        added: Vec<String>,
        removed: Vec<String>,
        changed: Vec<String>,
    },
    Stats {
        stats: Stats,
    },
    Outputs {
        outputs: Vec<OutputInfo>,
    },
    Windows {
        windows: Vec<WindowInfo>,
        layers: Vec<LayerInfo>,
    },
}

impl Reply {
    /// Shorthand for `Reply::Error { message }`.
    pub fn error(message: impl Into<String>) -> Reply {
        Reply::Error {
            message: message.into(),
        }
    }
}

/// One persona as listed by [`Request::List`].
/// A physical output, for `outputs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputInfo {
    pub name: String,
    /// The mode, in the panel's own orientation.
    pub width: i32,
    pub height: i32,
    pub refresh_mhz: i32,
    /// `normal`, `90`, `180`, `270`, `flipped`, `flipped-90`, …
    pub transform: String,
    /// Where it sits (display space, the primary at the origin).
    pub x: i32,
    pub y: i32,
    /// Its scale (config `scale`): its personas' outputs are this much smaller.
    #[serde(default = "one")]
    pub scale: f64,
    /// Turned off by hand (`output NAME off`) while others show.
    #[serde(default)]
    pub off: bool,
}

fn one() -> f64 {
    1.0
}

/// A mapped toplevel, for `windows`: where it is in its persona's space
/// (logical pixels, the primary output's corner at the origin).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowInfo {
    pub persona: String,
    #[serde(default)]
    pub app_id: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    pub x: i32,
    pub y: i32,
    pub width: i32,
    pub height: i32,
    /// It has its persona's keyboard focus (shown only while the persona is).
    pub focused: bool,
    pub fullscreen: bool,
    /// An X11 window (through the persona's Xwayland).
    #[serde(default)]
    pub x11: bool,
}

/// A layer surface (a panel, a wallpaper, an on-screen keyboard), for `windows`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerInfo {
    pub persona: String,
    pub namespace: String,
    /// `background`, `bottom`, `top` or `overlay`.
    pub layer: String,
    pub output: String,
    pub x: i32,
    pub y: i32,
    pub width: i32,
    pub height: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonaInfo {
    pub name: String,
    /// `"#rrggbb"`.
    pub color: String,
    pub active: bool,
    /// Path of the persona's Wayland socket.
    pub socket: String,
    pub windows: u32,
    pub clients: u32,
    #[serde(default)]
    pub session: Option<SessionInfo>,
    /// A background client asked to be activated (xdg-activation); cleared
    /// when the persona comes to the front.
    #[serde(default)]
    pub attention: bool,
    /// Its X server (Xwayland), when it has one.
    #[serde(default)]
    pub x11: Option<X11Info>,
}

/// A persona's X server, for `list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct X11Info {
    /// `DISPLAY` for its X clients, e.g. `":2"`.
    pub display: String,
    /// `"idle"` (no server: the first X client starts one), `"starting"`,
    /// `"running"` or `"restarting"` (it exited soon after starting; the
    /// next client starts one after a backoff).
    pub state: String,
    /// Only this persona's sessions can reach it. False when any persona
    /// runs with `isolation = "none"` (or without namespaces): its programs
    /// see the host's /tmp/.X11-unix, so they can connect to every
    /// persona's server, see its windows and read its input and selections.
    pub isolated: bool,
}

/// State of the session launched for a persona.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// `"running"`, `"stopping"` (SIGTERM sent), `"restarting"` (a restart is
    /// scheduled), `"failed"` (could not be started; retried as configured) or
    /// `"stopped"`.
    pub state: String,
    /// The process (and process group) id while it runs.
    #[serde(default)]
    pub pid: Option<u32>,
    /// How it last ended, e.g. `"exit status 1"` or `"signal 9 (SIGKILL)"`, or
    /// why it could not start.
    #[serde(default)]
    pub exit: Option<String>,
    /// How many times it was restarted (or a failed start retried).
    #[serde(default)]
    pub restarts: u32,
    /// `"namespaces"`, `"none"`, or `"none (namespaces unavailable: …)"`.
    #[serde(default)]
    pub isolation: Option<String>,
}

/// Counters and latencies reported by [`Request::Stats`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub switches: u64,
    pub frames_rendered: u64,
    /// Frames in which a client's buffer was the whole frame of an output
    /// (direct scan-out on the tty, on the primary plane; headless: a
    /// sole opaque surface), so nothing was composited there.
    #[serde(default)]
    pub frames_scanned_out: u64,
    /// Frames in which the badge indicator was on a plane of its own (the
    /// tty's cursor plane), not drawn into the composited frame.
    #[serde(default)]
    pub frames_badge_on_plane: u64,
    pub uptime_s: f64,
    /// Control request or key binding → first frame of the new persona rendered.
    pub switch_request_to_render_ms: Latency,
    /// The key event's own timestamp → first frame of the new persona rendered.
    pub switch_input_to_render_ms: Latency,
    /// Switch → presentation (page flip) of the new persona's first frame.
    pub switch_to_present_ms: Latency,
    /// The key event's own timestamp → presentation (page flip): what the
    /// user waits from pressing the binding to seeing the other persona.
    #[serde(default)]
    pub switch_input_to_present_ms: Latency,
}

impl Stats {
    /// Every latency with its name, in the order `stats` prints them.
    pub fn latencies(&self) -> [(&'static str, &Latency); 4] {
        [
            (
                "switch_request_to_render_ms",
                &self.switch_request_to_render_ms,
            ),
            ("switch_input_to_render_ms", &self.switch_input_to_render_ms),
            ("switch_to_present_ms", &self.switch_to_present_ms),
            (
                "switch_input_to_present_ms",
                &self.switch_input_to_present_ms,
            ),
        ]
    }
}

/// Summary of latency samples, in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    pub count: u64,
    #[serde(default)]
    pub last: Option<f64>,
    #[serde(default)]
    pub median: Option<f64>,
    #[serde(default)]
    pub worst: Option<f64>,
}

impl Latency {
    /// Summarises `samples` (oldest first): `count` is the number of samples,
    /// `last` the final one, `median` the median (mean of the two middle
    /// samples for an even count) and `worst` the maximum. NaN samples are
    /// ignored for median and worst.
    pub fn from_samples(samples: &[f64]) -> Latency {
        let mut sorted: Vec<f64> = samples.iter().copied().filter(|v| !v.is_nan()).collect();
        sorted.sort_by(f64::total_cmp);
        Latency {
            count: samples.len() as u64,
            last: samples.last().copied(),
            median: median_of_sorted(&sorted),
            worst: sorted.last().copied(),
        }
    }
}

fn median_of_sorted(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        None
    } else if n % 2 == 1 {
        Some(sorted[n / 2])
    } else {
        Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0)
    }
}

/// A bounded ring of latency samples, as kept by the compositor for each of
/// the [`Stats`] latencies.
///
/// [`LatencySamples::latency`] reports `count` and `worst` over every sample
/// ever pushed, `last` as the newest sample, and `median` over the samples
/// still in the ring (the newest `capacity`).
#[derive(Debug, Clone, PartialEq)]
pub struct LatencySamples {
    ring: VecDeque<f64>,
    capacity: usize,
    total: u64,
    worst: Option<f64>,
}

impl LatencySamples {
    /// Default ring size used by [`LatencySamples::default`].
    pub const DEFAULT_CAPACITY: usize = 256;

    /// A ring keeping the newest `capacity` samples (at least one).
    pub fn with_capacity(capacity: usize) -> LatencySamples {
        let capacity = capacity.max(1);
        LatencySamples {
            ring: VecDeque::with_capacity(capacity),
            capacity,
            total: 0,
            worst: None,
        }
    }

    /// Records one sample in milliseconds. NaN samples are ignored.
    pub fn push(&mut self, ms: f64) {
        if ms.is_nan() {
            return;
        }
        if self.ring.len() == self.capacity {
            self.ring.pop_front();
        }
        self.ring.push_back(ms);
        self.total += 1;
        self.worst = Some(self.worst.map_or(ms, |w| w.max(ms)));
    }

    /// Number of samples ever pushed.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The summary sent over the wire.
    pub fn latency(&self) -> Latency {
        let mut sorted: Vec<f64> = self.ring.iter().copied().collect();
        sorted.sort_by(f64::total_cmp);
        Latency {
            count: self.total,
            last: self.ring.back().copied(),
            median: median_of_sorted(&sorted),
            worst: self.worst,
        }
    }
}

impl Default for LatencySamples {
    fn default() -> Self {
        LatencySamples::with_capacity(Self::DEFAULT_CAPACITY)
    }
}

/// An event sent to subscribed connections, one per line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    Switched {
        from: String,
        to: String,
    },
    PersonaAdded {
        name: String,
    },
    PersonaRemoved {
        name: String,
    },
    WindowOpened {
        persona: String,
        #[serde(default)]
        app_id: Option<String>,
        #[serde(default)]
        title: Option<String>,
    },
    WindowClosed {
        persona: String,
        #[serde(default)]
        app_id: Option<String>,
        #[serde(default)]
        title: Option<String>,
    },
    ConfigReloaded,
    /// A background persona wants attention (a client asked to be activated).
    Attention {
        persona: String,
    },
    /// A convertible folded into a tablet (`on`) or back into a laptop: an
    /// on-screen keyboard shows itself or hides.
    TabletMode {
        on: bool,
    },
    /// The lid closed (the internal panel is off) or opened.
    Lid {
        closed: bool,
    },
    /// The session was locked (no persona is shown, switching is refused)
    /// or unlocked.
    Locked {
        locked: bool,
    },
}

/// Why no control socket path could be determined.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SocketPathError {
    #[error("cannot locate the personas control socket: neither PERSONAS_SOCKET nor XDG_RUNTIME_DIR is set")]
    NotSet,
}

/// The control socket path: `$PERSONAS_SOCKET`, else
/// `$XDG_RUNTIME_DIR/personas/control.sock`. Empty variables count as unset.
pub fn default_socket_path() -> Result<PathBuf, SocketPathError> {
    socket_path_from(
        std::env::var_os(SOCKET_ENV).as_deref(),
        std::env::var_os("XDG_RUNTIME_DIR").as_deref(),
    )
}

/// [`default_socket_path`] with the two variables passed in (for tests and
/// for callers that build a child's environment).
pub fn socket_path_from(
    personas_socket: Option<&OsStr>,
    xdg_runtime_dir: Option<&OsStr>,
) -> Result<PathBuf, SocketPathError> {
    if let Some(p) = personas_socket.filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    if let Some(dir) = xdg_runtime_dir.filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join(SOCKET_SUBPATH));
    }
    Err(SocketPathError::NotSet)
}

/// Errors of [`encode_png`] / [`decode_png`].
#[derive(Debug, thiserror::Error)]
pub enum PngError {
    #[error("pixel buffer has {actual} bytes, {width}x{height} RGBA needs {expected}")]
    Size {
        width: u32,
        height: u32,
        expected: u64,
        actual: usize,
    },
    #[error("PNG encoding failed: {0}")]
    Encode(#[from] png::EncodingError),
    #[error("PNG decoding failed: {0}")]
    Decode(#[from] png::DecodingError),
    #[error("unsupported PNG layout: {0}")]
    Unsupported(String),
}

/// Encodes 8-bit RGBA pixels (row-major, no padding) as a PNG file.
pub fn encode_png(width: u32, height: u32, rgba: &[u8]) -> Result<Vec<u8>, PngError> {
    let expected = u64::from(width) * u64::from(height) * 4;
    if expected != rgba.len() as u64 || width == 0 || height == 0 {
        return Err(PngError::Size {
            width,
            height,
            expected,
            actual: rgba.len(),
        });
    }
    let mut out = Vec::with_capacity(rgba.len() / 4 + 1024);
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Fast);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(rgba)?;
        writer.finish()?;
    }
    Ok(out)
}

/// Decodes a PNG file into `(width, height, rgba)` with 8-bit RGBA pixels
/// (grey, grey-alpha, RGB, palette and 16-bit images are converted).
/// One line of the control socket as a request: `None` for a blank line,
/// else the request or why it is not one. The only parser of what a control
/// client sends (fuzzed by `fuzz/fuzz_targets/ipc_request.rs`).
pub fn parse_request(line: &[u8]) -> Option<Result<Request, serde_json::Error>> {
    let line = line.trim_ascii();
    if line.is_empty() {
        return None;
    }
    Some(serde_json::from_slice::<Request>(line))
}

pub fn decode_png(bytes: &[u8]) -> Result<(u32, u32, Vec<u8>), PngError> {
    let mut decoder = png::Decoder::new(bytes);
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info()?;
    let mut buf = vec![0u8; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf)?;
    buf.truncate(info.buffer_size());
    let (width, height) = (info.width, info.height);
    if info.bit_depth != png::BitDepth::Eight {
        return Err(PngError::Unsupported(format!(
            "bit depth {:?} after conversion",
            info.bit_depth
        )));
    }
    let pixels = width as usize * height as usize;
    let channels = match info.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => {
            return Err(PngError::Unsupported(
                "palette image after expansion".into(),
            ))
        }
    };
    let row_in = width as usize * channels;
    if info.line_size < row_in || buf.len() < info.line_size.saturating_mul(height as usize) {
        return Err(PngError::Unsupported("short image buffer".into()));
    }
    let mut rgba = Vec::with_capacity(pixels * 4);
    for row in 0..height as usize {
        let line = &buf[row * info.line_size..row * info.line_size + row_in];
        match channels {
            4 => rgba.extend_from_slice(line),
            3 => {
                for px in line.chunks_exact(3) {
                    rgba.extend_from_slice(&[px[0], px[1], px[2], 255]);
                }
            }
            2 => {
                for px in line.chunks_exact(2) {
                    rgba.extend_from_slice(&[px[0], px[0], px[0], px[1]]);
                }
            }
            _ => {
                for &g in line {
                    rgba.extend_from_slice(&[g, g, g, 255]);
                }
            }
        }
    }
    Ok((width, height, rgba))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json<T: Serialize>(v: &T) -> String {
        serde_json::to_string(v).unwrap()
    }

    #[test]
    fn request_wire_format() {
        assert_eq!(json(&Request::List), r#"{"request":"list"}"#);
        assert_eq!(
            json(&Request::Switch {
                name: "work".into()
            }),
            r#"{"request":"switch","name":"work"}"#
        );
        assert_eq!(
            json(&Request::Screenshot {
                persona: None,
                output: None
            }),
            r#"{"request":"screenshot","persona":null}"#
        );
        assert_eq!(
            json(&Request::SessionStart {
                name: "work".into()
            }),
            r#"{"request":"session-start","name":"work"}"#
        );
        assert_eq!(
            json(&Request::SessionStop {
                name: "work".into()
            }),
            r#"{"request":"session-stop","name":"work"}"#
        );
        // A reply from before `restarts` existed still parses.
        let old: SessionInfo =
            serde_json::from_str(r#"{"state":"running","pid":1,"exit":null}"#).unwrap();
        assert_eq!(old.restarts, 0);
        assert_eq!(
            json(&Request::Input {
                event: InputEvent::Key {
                    key: "Super_L".into(),
                    state: KeyState::Tap
                }
            }),
            r#"{"request":"input","event":{"kind":"key","key":"Super_L","state":"tap"}}"#
        );
        assert_eq!(
            json(&Request::Input {
                event: InputEvent::PointerButton {
                    button: "left".into(),
                    state: ButtonState::Press
                }
            }),
            r#"{"request":"input","event":{"kind":"pointer-button","button":"left","state":"press"}}"#
        );
        assert_eq!(
            json(&Request::Input {
                event: InputEvent::Touch {
                    phase: TouchPhase::Down,
                    id: 3,
                    x: 1.5,
                    y: 2.0
                }
            }),
            r#"{"request":"input","event":{"kind":"touch","phase":"down","id":3,"x":1.5,"y":2.0}}"#
        );
    }

    #[test]
    fn request_parsing_is_lenient_where_it_should_be() {
        // Optional fields may be omitted; unknown fields are ignored.
        let r: Request = serde_json::from_str(r#"{"request":"screenshot"}"#).unwrap();
        assert_eq!(
            r,
            Request::Screenshot {
                persona: None,
                output: None
            }
        );
        let r: Request =
            serde_json::from_str(r#"{"request":"screenshot","persona":"kids","x":1}"#).unwrap();
        assert_eq!(
            r,
            Request::Screenshot {
                persona: Some("kids".into()),
                output: None
            }
        );
        let r: Request = serde_json::from_str(
            r#"{"request":"input","event":{"kind":"pointer-move","x":10,"y":-2.5}}"#,
        )
        .unwrap();
        assert_eq!(
            r,
            Request::Input {
                event: InputEvent::PointerMove { x: 10.0, y: -2.5 }
            }
        );
        assert!(serde_json::from_str::<Request>(r#"{"request":"nope"}"#).is_err());
        assert!(serde_json::from_str::<Request>(r#"{"request":"switch"}"#).is_err());
        assert!(serde_json::from_str::<Request>(r#"{}"#).is_err());
        assert!(serde_json::from_str::<Request>(r#""list""#).is_err());
    }

    #[test]
    fn reply_wire_format() {
        assert_eq!(json(&Reply::Ok), r#"{"reply":"ok"}"#);
        assert_eq!(
            json(&Reply::error("boom")),
            r#"{"reply":"error","message":"boom"}"#
        );
        assert_eq!(
            json(&Reply::Switched {
                from: "work".into(),
                to: "personal".into()
            }),
            r#"{"reply":"switched","from":"work","to":"personal"}"#
        );
        assert_eq!(
            json(&Reply::Personas {
                personas: vec![PersonaInfo {
                    name: "work".into(),
                    color: "#3366cc".into(),
                    active: true,
                    socket: "/run/user/1000/personas/work/wayland-0".into(),
                    windows: 2,
                    clients: 1,
                    session: Some(SessionInfo {
                        state: "running".into(),
                        pid: Some(42),
                        exit: None,
                        restarts: 2,
                        isolation: Some("namespaces".into()),
                    }),
                    attention: false,
                    x11: Some(X11Info {
                        display: ":2".into(),
                        state: "running".into(),
                        isolated: true,
                    }),
                }]
            }),
            concat!(
                r##"{"reply":"personas","personas":[{"name":"work","color":"#3366cc","active":true,"##,
                r#""socket":"/run/user/1000/personas/work/wayland-0","windows":2,"clients":1,"#,
                r#""session":{"state":"running","pid":42,"exit":null,"restarts":2,"#,
                r#""isolation":"namespaces"},"attention":false,"#,
                r#""x11":{"display":":2","state":"running","isolated":true}}]}"#
            )
        );
        let stats = Stats {
            switches: 3,
            frames_rendered: 100,
            uptime_s: 12.5,
            switch_request_to_render_ms: Latency::from_samples(&[4.0]),
            ..Stats::default()
        };
        assert_eq!(
            json(&Reply::Stats { stats }),
            concat!(
                r#"{"reply":"stats","stats":{"switches":3,"frames_rendered":100,"frames_scanned_out":0,"frames_badge_on_plane":0,"uptime_s":12.5,"#,
                r#""switch_request_to_render_ms":{"count":1,"last":4.0,"median":4.0,"worst":4.0},"#,
                r#""switch_input_to_render_ms":{"count":0,"last":null,"median":null,"worst":null},"#,
                r#""switch_to_present_ms":{"count":0,"last":null,"median":null,"worst":null},"#,
                r#""switch_input_to_present_ms":{"count":0,"last":null,"median":null,"worst":null}}}"#
            )
        );
    }

    #[test]
    fn event_wire_format() {
        assert_eq!(
            json(&Event::PersonaAdded {
                name: "kids".into()
            }),
            r#"{"event":"persona-added","name":"kids"}"#
        );
        assert_eq!(
            json(&Event::WindowOpened {
                persona: "work".into(),
                app_id: Some("foot".into()),
                title: None
            }),
            r#"{"event":"window-opened","persona":"work","app_id":"foot","title":null}"#
        );
        assert_eq!(
            json(&Event::ConfigReloaded),
            r#"{"event":"config-reloaded"}"#
        );
    }

    #[test]
    fn round_trips() {
        let values = vec![
            Reply::Ok,
            Reply::Subscribed,
            Reply::Active { name: "a".into() },
            Reply::Screenshot {
                width: 2,
                height: 1,
                png_base64: "AAAA".into(),
            },
            Reply::Reloaded {
                added: vec!["x".into()],
                removed: vec![],
                changed: vec!["y".into(), "z".into()],
            },
            Reply::Stats {
                stats: Stats {
                    switch_to_present_ms: Latency::from_samples(&[1.0, 2.0, 9.0]),
                    ..Stats::default()
                },
            },
        ];
        for v in values {
            let back: Reply = serde_json::from_str(&json(&v)).unwrap();
            assert_eq!(back, v);
        }
        let requests = vec![
            Request::Active,
            Request::Next,
            Request::Prev,
            Request::Subscribe,
            Request::Reload,
            Request::Stats,
            Request::Lock,
            Request::Input {
                event: InputEvent::Key {
                    key: "code:30".into(),
                    state: KeyState::Release,
                },
            },
        ];
        for r in requests {
            let back: Request = serde_json::from_str(&json(&r)).unwrap();
            assert_eq!(back, r);
        }
    }

    #[test]
    fn latency_from_samples() {
        assert_eq!(
            Latency::from_samples(&[]),
            Latency {
                count: 0,
                last: None,
                median: None,
                worst: None
            }
        );
        assert_eq!(
            Latency::from_samples(&[5.0, 1.0, 3.0]),
            Latency {
                count: 3,
                last: Some(3.0),
                median: Some(3.0),
                worst: Some(5.0)
            }
        );
        assert_eq!(
            Latency::from_samples(&[8.0, 2.0, 4.0, 6.0]),
            Latency {
                count: 4,
                last: Some(6.0),
                median: Some(5.0),
                worst: Some(8.0)
            }
        );
        let l = Latency::from_samples(&[1.0, f64::NAN]);
        assert_eq!(l.count, 2);
        assert_eq!(l.median, Some(1.0));
        assert_eq!(l.worst, Some(1.0));
    }

    #[test]
    fn latency_ring() {
        let mut ring = LatencySamples::with_capacity(3);
        assert_eq!(ring.latency(), Latency::default());
        for v in [100.0, 1.0, 2.0, 3.0, 4.0] {
            ring.push(v);
        }
        ring.push(f64::NAN);
        let l = ring.latency();
        assert_eq!(l.count, 5);
        assert_eq!(ring.total(), 5);
        assert_eq!(l.last, Some(4.0));
        assert_eq!(l.median, Some(3.0)); // over [2, 3, 4]
        assert_eq!(l.worst, Some(100.0)); // over everything ever pushed
    }

    #[test]
    fn socket_path_resolution() {
        let s = |v: &str| Some(OsStr::new(v).to_owned());
        assert_eq!(
            socket_path_from(s("/tmp/x.sock").as_deref(), s("/run/user/1").as_deref()),
            Ok(PathBuf::from("/tmp/x.sock"))
        );
        assert_eq!(
            socket_path_from(s("").as_deref(), s("/run/user/1").as_deref()),
            Ok(PathBuf::from("/run/user/1/personas/control.sock"))
        );
        assert_eq!(
            socket_path_from(None, s("").as_deref()),
            Err(SocketPathError::NotSet)
        );
        assert_eq!(socket_path_from(None, None), Err(SocketPathError::NotSet));
    }

    #[test]
    fn png_round_trip() {
        let (w, h) = (7u32, 5u32);
        let rgba: Vec<u8> = (0..w * h * 4).map(|i| (i * 37 % 251) as u8).collect();
        let png = encode_png(w, h, &rgba).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(decode_png(&png).unwrap(), (w, h, rgba));
    }

    #[test]
    fn png_decode_converts_rgb_and_grey() {
        let mut rgb_png = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut rgb_png, 2, 1);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let mut w = enc.write_header().unwrap();
            w.write_image_data(&[1, 2, 3, 4, 5, 6]).unwrap();
        }
        assert_eq!(
            decode_png(&rgb_png).unwrap(),
            (2, 1, vec![1, 2, 3, 255, 4, 5, 6, 255])
        );
        let mut grey_png = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut grey_png, 1, 2);
            enc.set_color(png::ColorType::GrayscaleAlpha);
            enc.set_depth(png::BitDepth::Eight);
            let mut w = enc.write_header().unwrap();
            w.write_image_data(&[9, 100, 7, 200]).unwrap();
        }
        assert_eq!(
            decode_png(&grey_png).unwrap(),
            (1, 2, vec![9, 9, 9, 100, 7, 7, 7, 200])
        );
    }

    #[test]
    fn png_errors_do_not_panic() {
        assert!(matches!(
            encode_png(2, 2, &[0; 15]),
            Err(PngError::Size { expected: 16, .. })
        ));
        assert!(encode_png(0, 0, &[]).is_err());
        assert!(decode_png(b"not a png").is_err());
        let png = encode_png(4, 4, &[7; 64]).unwrap();
        assert!(decode_png(&png[..png.len() / 2]).is_err());
    }
}
