//! The client side: `personas msg ...` and helpers for tests and benchmarks.
//!
//! ```text
//! personas msg list | active | switch NAME | next | prev | screenshot FILE.png [--persona NAME]
//!              | subscribe | reload | stats
//!              | input key KEYNAME press|release|tap
//!              | input pointer move X Y
//!              | input pointer button BTN press|release|tap
//!              | input touch down|move|up ID X Y
//!              | session start|stop NAME
//! ```
//! `--json` prints the raw JSON replies (and events); `--socket PATH`
//! overrides `$PERSONAS_SOCKET` / `$XDG_RUNTIME_DIR/personas/control.sock`.
//! Both may be given before or after the subcommand.

use std::fmt::Write as _;
use std::fs;
use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use base64::Engine as _;
use clap::builder::PossibleValue;

use super::protocol::{
    default_socket_path, ButtonState, Event, InputEvent, KeyState, PersonaInfo, Reply, Request,
    SessionInfo, SocketPathError, Stats, SwitchName, TouchPhase,
};

/// Read/write timeout of [`request`]: how long to wait for the compositor.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Arguments of `personas msg`.
#[derive(clap::Args, Debug, Clone, PartialEq)]
pub struct MsgArgs {
    /// Print replies and events as raw JSON, one per line
    #[arg(long, global = true)]
    pub json: bool,
    /// Control socket [default: $PERSONAS_SOCKET, else $XDG_RUNTIME_DIR/personas/control.sock]
    #[arg(long, global = true, value_name = "PATH")]
    pub socket: Option<PathBuf>,
    #[command(subcommand)]
    pub command: MsgCommand,
}

/// The `personas msg` subcommands.
#[derive(clap::Subcommand, Debug, Clone, PartialEq)]
pub enum MsgCommand {
    /// List the personas
    List,
    /// Print the active persona
    Active,
    /// Make NAME the active persona
    Switch { name: String },
    /// Switch to the next persona
    Next,
    /// Switch to the previous persona
    Prev,
    /// Save a screenshot (PNG) of the active persona, or of --persona NAME
    Screenshot {
        /// Where to write the PNG file
        file: PathBuf,
        /// Capture this persona instead of the active one
        #[arg(long)]
        persona: Option<String>,
        /// Capture what this physical output shows (default: the primary)
        #[arg(long)]
        output: Option<String>,
    },
    /// List the physical outputs and where they sit
    Outputs,
    /// List every persona's windows and layer surfaces, with their places
    Windows,
    /// Print events (switches, windows, reloads) until the compositor exits
    Subscribe,
    /// Reload the configuration
    Reload,
    /// Lock the session with the configured `lock` screen
    Lock,
    /// Print counters and switch latencies
    Stats,
    /// Inject input (only with --backend headless --test-input)
    Input {
        #[command(subcommand)]
        event: InputCommand,
    },
    /// Start or stop a persona's session
    Session {
        #[command(subcommand)]
        action: SessionCommand,
    },
    /// Change a physical output (HEADLESS-1 on the headless backend)
    Output {
        /// The output's connector name
        name: String,
        #[command(subcommand)]
        action: OutputCommand,
    },
}

/// `personas msg output NAME ...`.
#[derive(clap::Subcommand, Debug, Clone, PartialEq)]
pub enum OutputCommand {
    /// Turn it: normal, 90, 180, 270, flipped, flipped-90, flipped-180 or flipped-270
    Transform { transform: String },
    /// Power it off (input or `on` wakes it)
    Off,
    /// Power it on
    On,
    /// Set the panel's backlight, 0 to 100 percent
    Brightness {
        #[arg(value_parser = clap::value_parser!(u32).range(0..=100))]
        percent: u32,
    },
}

/// `personas msg session ...`.
#[derive(clap::Subcommand, Debug, Clone, PartialEq)]
pub enum SessionCommand {
    /// Start NAME's configured session (the restart backoff starts over)
    Start { name: String },
    /// Stop NAME's session: SIGTERM, then SIGKILL after a timeout; no restart
    Stop { name: String },
}

/// `personas msg input ...`.
#[derive(clap::Subcommand, Debug, Clone, PartialEq)]
pub enum InputCommand {
    /// A key: an xkb keysym name (Super_L, Right, a, Tab) or code:N (evdev keycode)
    Key {
        key: String,
        #[arg(value_name = "press|release|tap")]
        state: KeyState,
    },
    /// Pointer motion or button
    Pointer {
        #[command(subcommand)]
        action: PointerCommand,
    },
    /// A touch point: touch down|move|up ID X Y
    #[command(allow_negative_numbers = true)]
    Touch {
        #[arg(value_name = "down|move|up")]
        phase: TouchPhase,
        id: i32,
        #[arg(value_parser = parse_coordinate)]
        x: f64,
        #[arg(value_parser = parse_coordinate)]
        y: f64,
    },
    /// A hardware switch: switch lid|tablet-mode on|off (lid on = closed)
    Switch {
        #[arg(value_name = "lid|tablet-mode")]
        switch: SwitchName,
        #[arg(value_name = "on|off", value_parser = parse_on_off, action = clap::ArgAction::Set)]
        on: bool,
    },
}

fn parse_on_off(s: &str) -> Result<bool, String> {
    match s {
        "on" => Ok(true),
        "off" => Ok(false),
        other => Err(format!("`{other}`: expected on or off")),
    }
}

/// `personas msg input pointer ...`.
#[derive(clap::Subcommand, Debug, Clone, PartialEq)]
pub enum PointerCommand {
    /// Move the pointer to X Y (global coordinates)
    #[command(allow_negative_numbers = true)]
    Move {
        #[arg(value_parser = parse_coordinate)]
        x: f64,
        #[arg(value_parser = parse_coordinate)]
        y: f64,
    },
    /// Press, release or tap a button: left, right, middle or an evdev code
    Button {
        #[arg(value_parser = parse_button)]
        button: String,
        #[arg(value_name = "press|release|tap")]
        state: ButtonState,
    },
}

fn parse_coordinate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!("`{s}` is not a finite number")),
    }
}

fn parse_button(s: &str) -> Result<String, String> {
    if matches!(s, "left" | "right" | "middle") || s.parse::<u32>().is_ok() {
        Ok(s.to_string())
    } else {
        Err(format!(
            "`{s}` is not a button (left, right, middle or an evdev code)"
        ))
    }
}

impl clap::ValueEnum for KeyState {
    fn value_variants<'a>() -> &'a [Self] {
        &[KeyState::Press, KeyState::Release, KeyState::Tap]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(match self {
            KeyState::Press => "press",
            KeyState::Release => "release",
            KeyState::Tap => "tap",
        }))
    }
}

impl clap::ValueEnum for ButtonState {
    fn value_variants<'a>() -> &'a [Self] {
        &[ButtonState::Press, ButtonState::Release, ButtonState::Tap]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(match self {
            ButtonState::Press => "press",
            ButtonState::Release => "release",
            ButtonState::Tap => "tap",
        }))
    }
}

impl clap::ValueEnum for SwitchName {
    fn value_variants<'a>() -> &'a [Self] {
        &[SwitchName::Lid, SwitchName::TabletMode]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(match self {
            SwitchName::Lid => "lid",
            SwitchName::TabletMode => "tablet-mode",
        }))
    }
}

impl clap::ValueEnum for TouchPhase {
    fn value_variants<'a>() -> &'a [Self] {
        &[TouchPhase::Down, TouchPhase::Move, TouchPhase::Up]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(match self {
            TouchPhase::Down => "down",
            TouchPhase::Move => "move",
            TouchPhase::Up => "up",
        }))
    }
}

impl MsgCommand {
    /// The request this command sends.
    pub fn to_request(&self) -> Request {
        match self {
            MsgCommand::List => Request::List,
            MsgCommand::Active => Request::Active,
            MsgCommand::Switch { name } => Request::Switch { name: name.clone() },
            MsgCommand::Next => Request::Next,
            MsgCommand::Prev => Request::Prev,
            MsgCommand::Screenshot {
                persona, output, ..
            } => Request::Screenshot {
                persona: persona.clone(),
                output: output.clone(),
            },
            MsgCommand::Outputs => Request::Outputs,
            MsgCommand::Windows => Request::Windows,
            MsgCommand::Subscribe => Request::Subscribe,
            MsgCommand::Reload => Request::Reload,
            MsgCommand::Lock => Request::Lock,
            MsgCommand::Stats => Request::Stats,
            MsgCommand::Input { event } => Request::Input {
                event: event.to_event(),
            },
            MsgCommand::Session {
                action: SessionCommand::Start { name },
            } => Request::SessionStart { name: name.clone() },
            MsgCommand::Session {
                action: SessionCommand::Stop { name },
            } => Request::SessionStop { name: name.clone() },
            MsgCommand::Output {
                name,
                action: OutputCommand::Transform { transform },
            } => Request::OutputTransform {
                output: name.clone(),
                transform: transform.clone(),
            },
            MsgCommand::Output {
                name,
                action: OutputCommand::Off,
            } => Request::OutputPower {
                output: name.clone(),
                on: false,
            },
            MsgCommand::Output {
                name,
                action: OutputCommand::On,
            } => Request::OutputPower {
                output: name.clone(),
                on: true,
            },
            MsgCommand::Output {
                name,
                action: OutputCommand::Brightness { percent },
            } => Request::OutputBrightness {
                output: name.clone(),
                percent: *percent,
            },
        }
    }
}

impl InputCommand {
    /// The input event this command injects.
    pub fn to_event(&self) -> InputEvent {
        match self {
            InputCommand::Key { key, state } => InputEvent::Key {
                key: key.clone(),
                state: *state,
            },
            InputCommand::Pointer {
                action: PointerCommand::Move { x, y },
            } => InputEvent::PointerMove { x: *x, y: *y },
            InputCommand::Pointer {
                action: PointerCommand::Button { button, state },
            } => InputEvent::PointerButton {
                button: button.clone(),
                state: *state,
            },
            InputCommand::Touch { phase, id, x, y } => InputEvent::Touch {
                phase: *phase,
                id: *id,
                x: *x,
                y: *y,
            },
            InputCommand::Switch { switch, on } => InputEvent::Switch {
                switch: *switch,
                on: *on,
            },
        }
    }
}

/// Errors talking to the compositor.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    SocketPath(#[from] SocketPathError),
    /// Nothing listens at the socket path (missing file or connection refused).
    #[error(
        "cannot connect to the personas control socket {}: {source}; is personas running? \
         (--socket or PERSONAS_SOCKET select another instance)",
        .path.display()
    )]
    NotRunning {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot connect to the personas control socket {}: {source}", .path.display())]
    Connect {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("timed out waiting for the compositor")]
    Timeout,
    #[error("control socket I/O error: {0}")]
    Io(#[source] io::Error),
    #[error("the compositor closed the connection without replying")]
    Closed,
    #[error("cannot parse the compositor's message: {0}")]
    Parse(#[from] serde_json::Error),
}

impl From<io::Error> for ClientError {
    fn from(e: io::Error) -> Self {
        match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => ClientError::Timeout,
            _ => ClientError::Io(e),
        }
    }
}

/// An open control connection (several requests, or an event stream).
#[derive(Debug)]
pub struct Connection {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl Connection {
    /// Connects to the control socket (blocking, no timeout).
    pub fn connect(socket: &Path) -> Result<Connection, ClientError> {
        let stream = UnixStream::connect(socket).map_err(|source| {
            let path = socket.to_path_buf();
            match source.kind() {
                io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused => {
                    ClientError::NotRunning { path, source }
                }
                _ => ClientError::Connect { path, source },
            }
        })?;
        let writer = stream.try_clone()?;
        Ok(Connection {
            reader: BufReader::new(stream),
            writer,
        })
    }

    /// Sets read and write timeouts (`None`: wait forever).
    pub fn set_timeout(&self, timeout: Option<Duration>) -> Result<(), ClientError> {
        self.writer.set_read_timeout(timeout)?;
        self.writer.set_write_timeout(timeout)?;
        Ok(())
    }

    /// Sends one request line.
    pub fn send(&mut self, request: &Request) -> Result<(), ClientError> {
        let mut line = serde_json::to_vec(request)?;
        line.push(b'\n');
        self.writer.write_all(&line)?;
        Ok(())
    }

    /// Reads one line (without its newline); `None` at end of stream.
    pub fn read_line(&mut self) -> Result<Option<String>, ClientError> {
        let mut buf = Vec::new();
        if self.reader.read_until(b'\n', &mut buf)? == 0 {
            return Ok(None);
        }
        if buf.last() == Some(&b'\n') {
            buf.pop();
        }
        String::from_utf8(buf)
            .map(Some)
            .map_err(|e| ClientError::Io(io::Error::new(io::ErrorKind::InvalidData, e)))
    }

    /// Reads the next reply.
    pub fn recv_reply(&mut self) -> Result<Reply, ClientError> {
        let line = self.read_line()?.ok_or(ClientError::Closed)?;
        Ok(serde_json::from_str(&line)?)
    }

    /// Reads the next event of a subscribed connection; `None` at end of stream.
    pub fn recv_event(&mut self) -> Result<Option<Event>, ClientError> {
        match self.read_line()? {
            None => Ok(None),
            Some(line) => Ok(Some(serde_json::from_str(&line)?)),
        }
    }

    /// Sends `request` and waits for its reply.
    pub fn request(&mut self, request: &Request) -> Result<Reply, ClientError> {
        self.send(request)?;
        self.recv_reply()
    }
}

/// One-shot: connects to `socket`, sends `req`, returns the reply. Waits at
/// most [`REQUEST_TIMEOUT`] for the compositor.
pub fn request(socket: &Path, req: &Request) -> Result<Reply, ClientError> {
    let mut conn = Connection::connect(socket)?;
    conn.set_timeout(Some(REQUEST_TIMEOUT))?;
    conn.request(req)
}

/// The error [`run`] returns for an `Error` reply; its `Display` is the
/// compositor's message. `run` does not print it: the caller (`main`) prints
/// the returned error to stderr and exits non-zero.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ReplyError(pub String);

/// `personas msg ...`: sends one request and prints the reply to stdout.
/// See [`run_with_output`].
pub fn run(args: MsgArgs) -> anyhow::Result<()> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    run_with_output(args, &mut out)
}

/// [`run`] writing to `out`: human-readable output by default, raw JSON
/// lines with `--json`. `screenshot` writes the PNG file and prints its path
/// and size; `subscribe` prints one line per event until the compositor
/// closes the stream. An `Error` reply is returned as [`ReplyError`] (with
/// `--json` its JSON is also printed to `out`); connection failures name the
/// socket path. A broken pipe on `out` ends quietly.
pub fn run_with_output(args: MsgArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let socket = match args.socket {
        Some(path) => path,
        None => default_socket_path()?,
    };
    let request = args.command.to_request();
    if request == Request::Subscribe {
        return subscribe(&socket, args.json, out);
    }
    let reply = self::request(&socket, &request)?;
    if let Reply::Error { message } = &reply {
        if args.json {
            emit(out, &serde_json::to_string(&reply)?)?;
        }
        return Err(ReplyError(message.clone()).into());
    }
    match (&args.command, reply) {
        (
            MsgCommand::Screenshot { file, .. },
            Reply::Screenshot {
                width,
                height,
                png_base64,
            },
        ) => {
            let png = base64::engine::general_purpose::STANDARD
                .decode(png_base64.as_bytes())
                .context("the compositor sent an invalid base64 image")?;
            fs::write(file, &png).with_context(|| format!("cannot write {}", file.display()))?;
            let text = if args.json {
                serde_json::json!({
                    "file": file,
                    "width": width,
                    "height": height,
                    "bytes": png.len(),
                })
                .to_string()
            } else {
                format!(
                    "{}: {width}x{height} PNG, {} bytes",
                    file.display(),
                    png.len()
                )
            };
            emit(out, &text)
        }
        (_, reply) => {
            let text = if args.json {
                serde_json::to_string(&reply)?
            } else {
                format_reply(&reply)
            };
            emit(out, &text)
        }
    }
}

fn subscribe(socket: &Path, json: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut conn = Connection::connect(socket)?;
    conn.set_timeout(Some(REQUEST_TIMEOUT))?;
    let reply = conn.request(&Request::Subscribe)?;
    match reply {
        Reply::Subscribed => {}
        Reply::Error { message } => return Err(ReplyError(message).into()),
        other => anyhow::bail!("unexpected reply to subscribe: {other:?}"),
    }
    conn.set_timeout(None)?;
    while let Some(line) = conn.read_line()? {
        let text = if json {
            line
        } else {
            match serde_json::from_str::<Event>(&line) {
                Ok(event) => format_event(&event),
                Err(_) => line,
            }
        };
        if !emit_line(out, &text)? {
            break;
        }
    }
    Ok(())
}

/// Writes `text` and a newline; a closed stdout (broken pipe) is not an error.
fn emit(out: &mut dyn Write, text: &str) -> anyhow::Result<()> {
    emit_line(out, text).map(|_| ())
}

/// Like [`emit`], flushing; returns false when the reader went away.
fn emit_line(out: &mut dyn Write, text: &str) -> anyhow::Result<bool> {
    let result = writeln!(out, "{text}").and_then(|()| out.flush());
    match result {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(e).context("cannot write to stdout"),
    }
}

/// Human-readable rendering of a reply.
pub fn format_reply(reply: &Reply) -> String {
    match reply {
        Reply::Ok => "ok".to_string(),
        Reply::Error { message } => format!("error: {message}"),
        Reply::Personas { personas } => format_personas(personas),
        Reply::Active { name } => name.clone(),
        Reply::Switched { from, to } if from == to => format!("already on {to}"),
        Reply::Switched { from, to } => format!("switched from {from} to {to}"),
        Reply::Screenshot { width, height, .. } => format!("screenshot {width}x{height}"),
        Reply::Subscribed => "subscribed".to_string(),
        Reply::Reloaded {
            added,
            removed,
            changed,
        } => {
            let list = |v: &Vec<String>| {
                if v.is_empty() {
                    "none".to_string()
                } else {
                    v.join(", ")
                }
            };
            format!(
                "reloaded; added: {}; removed: {}; changed: {}",
                list(added),
                list(removed),
                list(changed)
            )
        }
        Reply::Stats { stats } => format_stats(stats),
        Reply::Outputs { outputs } => outputs
            .iter()
            .map(|o| {
                format!(
                    "{:<12} {}x{} @ {:.3} Hz  scale {}  transform {}  at {},{}",
                    o.name,
                    o.width,
                    o.height,
                    o.refresh_mhz as f64 / 1000.0,
                    o.scale,
                    o.transform,
                    o.x,
                    o.y
                ) + if o.off { "  (off)" } else { "" }
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Reply::Windows { windows, layers } => windows
            .iter()
            .map(|w| {
                format!(
                    "{:<12} {}{:<24} {}x{} at {},{}  {}",
                    w.persona,
                    if w.focused { "*" } else { " " },
                    printable(w.app_id.as_deref().unwrap_or("-")),
                    w.width,
                    w.height,
                    w.x,
                    w.y,
                    printable(w.title.as_deref().unwrap_or(""))
                )
            })
            .chain(layers.iter().map(|l| {
                format!(
                    "{:<12}  layer {} {:<16} {}x{} at {},{} on {}",
                    l.persona,
                    l.layer,
                    printable(&l.namespace),
                    l.width,
                    l.height,
                    l.x,
                    l.y,
                    l.output
                )
            }))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// Text a client chose (a title, an app id), safe to print on a terminal:
/// control characters (escape sequences) are shown escaped.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn session_text(session: &Option<SessionInfo>) -> String {
    match session {
        None => "-".to_string(),
        Some(s) => {
            let mut text = s.state.clone();
            let restarts = match s.restarts {
                0 => None,
                1 => Some("1 restart".to_string()),
                n => Some(format!("{n} restarts")),
            };
            let detail: Vec<String> = s
                .pid
                .map(|p| format!("pid {p}"))
                .into_iter()
                .chain(s.exit.clone())
                .chain(restarts)
                .chain(s.isolation.as_ref().map(|i| format!("isolation {i}")))
                .collect();
            if !detail.is_empty() {
                let _ = write!(text, " ({})", detail.join(", "));
            }
            text
        }
    }
}

/// `:2`, or `:2 NOT ISOLATED` when every persona's programs can reach it.
fn x11_text(x11: &Option<crate::ipc::protocol::X11Info>) -> String {
    match x11 {
        None => "-".into(),
        Some(x) => {
            let mut text = x.display.clone();
            if x.state != "running" {
                text.push_str(&format!(" ({})", x.state));
            }
            if !x.isolated {
                text.push_str(" NOT ISOLATED");
            }
            text
        }
    }
}

fn format_personas(personas: &[PersonaInfo]) -> String {
    if personas.is_empty() {
        return "no personas".to_string();
    }
    let header = [
        "NAME", "COLOR", "WINDOWS", "CLIENTS", "SESSION", "X11", "SOCKET",
    ];
    let rows: Vec<[String; 7]> = personas
        .iter()
        .map(|p| {
            [
                p.name.clone(),
                p.color.clone(),
                p.windows.to_string(),
                p.clients.to_string(),
                session_text(&p.session),
                x11_text(&p.x11),
                p.socket.clone(),
            ]
        })
        .collect();
    let mut width = header.map(str::len);
    for row in &rows {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |marker: &str, cells: [&str; 7]| {
        let mut s = format!(
            "{marker} {:<w0$}  {:<w1$}  {:>w2$}  {:>w3$}  {:<w4$}  {:<w5$}  {}",
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            cells[4],
            cells[5],
            cells[6],
            w0 = width[0],
            w1 = width[1],
            w2 = width[2],
            w3 = width[3],
            w4 = width[4],
            w5 = width[5],
        );
        s.truncate(s.trim_end().len());
        s
    };
    let mut text = line(" ", header);
    for (p, row) in personas.iter().zip(&rows) {
        text.push('\n');
        text.push_str(&line(
            if p.active {
                "*"
            } else if p.attention {
                "!"
            } else {
                " "
            },
            [
                &row[0], &row[1], &row[2], &row[3], &row[4], &row[5], &row[6],
            ],
        ));
    }
    text
}

fn ms(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{v:.2}"))
}

fn format_stats(stats: &Stats) -> String {
    let mut text = format!(
        "switches         {}\nframes rendered  {}\nscanned out      {}\nbadge on plane   {}\nuptime           {:.1} s\n\n",
        stats.switches,
        stats.frames_rendered,
        stats.frames_scanned_out,
        stats.frames_badge_on_plane,
        stats.uptime_s
    );
    let rows = stats.latencies();
    let _ = write!(
        text,
        "{:<28} {:>7} {:>9} {:>9} {:>9}",
        "latency (ms)", "count", "last", "median", "worst"
    );
    for (name, l) in rows {
        let _ = write!(
            text,
            "\n{:<28} {:>7} {:>9} {:>9} {:>9}",
            name,
            l.count,
            ms(l.last),
            ms(l.median),
            ms(l.worst)
        );
    }
    text
}

fn window_text(app_id: &Option<String>, title: &Option<String>) -> String {
    let app = app_id.as_deref().unwrap_or("?");
    match title {
        Some(t) => format!("{app} {t:?}"),
        None => app.to_string(),
    }
}

/// Human-readable rendering of an event (one line).
pub fn format_event(event: &Event) -> String {
    match event {
        Event::Switched { from, to } => format!("switched {from} -> {to}"),
        Event::PersonaAdded { name } => format!("persona added: {name}"),
        Event::PersonaRemoved { name } => format!("persona removed: {name}"),
        Event::WindowOpened {
            persona,
            app_id,
            title,
        } => format!("window opened in {persona}: {}", window_text(app_id, title)),
        Event::WindowClosed {
            persona,
            app_id,
            title,
        } => format!("window closed in {persona}: {}", window_text(app_id, title)),
        Event::ConfigReloaded => "config reloaded".to_string(),
        Event::Attention { persona } => format!("{persona} wants attention"),
        Event::TabletMode { on: true } => "tablet mode on".to_string(),
        Event::TabletMode { on: false } => "tablet mode off".to_string(),
        Event::Lid { closed: true } => "lid closed".to_string(),
        Event::Lid { closed: false } => "lid open".to_string(),
        Event::Locked { locked: true } => "locked".to_string(),
        Event::Locked { locked: false } => "unlocked".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_text_is_printed_without_escape_sequences() {
        assert_eq!(printable("plain title"), "plain title");
        assert_eq!(
            printable("evil\u{1b}]0;pwned\u{7}"),
            "evil\\u{1b}]0;pwned\\u{7}"
        );
        let reply = Reply::Windows {
            windows: vec![crate::ipc::protocol::WindowInfo {
                persona: "work".into(),
                app_id: Some("a\u{1b}[2J".into()),
                title: Some("t\nx".into()),
                x: 0,
                y: 0,
                width: 10,
                height: 10,
                focused: true,
                fullscreen: false,
                x11: false,
            }],
            layers: vec![],
        };
        let text = format_reply(&reply);
        assert!(!text.contains('\u{1b}'), "{text:?}");
        assert!(!text.contains('\n'), "{text:?}");
    }
    use crate::ipc::protocol::Latency;
    use crate::ipc::protocol::{decode_png, encode_png};
    use crate::ipc::server::ControlServer;
    use clap::{CommandFactory, Parser};
    use smithay::reexports::calloop::EventLoop;
    use std::thread;

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(subcommand)]
        cmd: Top,
    }

    #[derive(clap::Subcommand, Debug)]
    enum Top {
        Msg(MsgArgs),
    }

    fn parse(args: &[&str]) -> Result<MsgArgs, clap::Error> {
        let argv = std::iter::once("personas").chain(args.iter().copied());
        Cli::try_parse_from(argv).map(|cli| match cli.cmd {
            Top::Msg(m) => m,
        })
    }

    fn req(args: &[&str]) -> Request {
        parse(args).unwrap().command.to_request()
    }

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn cli_parses_every_command() {
        assert_eq!(req(&["msg", "list"]), Request::List);
        assert_eq!(req(&["msg", "active"]), Request::Active);
        assert_eq!(
            req(&["msg", "switch", "work"]),
            Request::Switch {
                name: "work".into()
            }
        );
        assert_eq!(req(&["msg", "next"]), Request::Next);
        assert_eq!(req(&["msg", "prev"]), Request::Prev);
        assert_eq!(req(&["msg", "subscribe"]), Request::Subscribe);
        assert_eq!(req(&["msg", "reload"]), Request::Reload);
        assert_eq!(req(&["msg", "stats"]), Request::Stats);
        assert_eq!(
            req(&["msg", "output", "eDP-1", "off"]),
            Request::OutputPower {
                output: "eDP-1".into(),
                on: false
            }
        );
        assert_eq!(
            req(&["msg", "output", "eDP-1", "transform", "90"]),
            Request::OutputTransform {
                output: "eDP-1".into(),
                transform: "90".into()
            }
        );
        assert_eq!(
            req(&["msg", "session", "start", "work"]),
            Request::SessionStart {
                name: "work".into()
            }
        );
        assert_eq!(
            req(&["msg", "session", "stop", "kids"]),
            Request::SessionStop {
                name: "kids".into()
            }
        );
        assert!(parse(&["msg", "session", "start"]).is_err());
        assert!(parse(&["msg", "session", "restart", "work"]).is_err());
        let a = parse(&["msg", "screenshot", "out.png", "--persona", "kids"]).unwrap();
        assert_eq!(
            a.command,
            MsgCommand::Screenshot {
                file: "out.png".into(),
                persona: Some("kids".into()),
                output: None
            }
        );
        assert_eq!(
            a.command.to_request(),
            Request::Screenshot {
                persona: Some("kids".into()),
                output: None
            }
        );
        assert_eq!(
            req(&["msg", "screenshot", "x.png"]),
            Request::Screenshot {
                persona: None,
                output: None
            }
        );
    }

    #[test]
    fn cli_global_flags_anywhere() {
        let a = parse(&["msg", "--json", "--socket", "/tmp/s", "list"]).unwrap();
        assert!(a.json);
        assert_eq!(a.socket, Some(PathBuf::from("/tmp/s")));
        let b = parse(&["msg", "list", "--json", "--socket", "/tmp/s"]).unwrap();
        assert_eq!(a, b);
        let c = parse(&["msg", "input", "key", "a", "tap", "--json"]).unwrap();
        assert!(c.json);
        assert!(!parse(&["msg", "list"]).unwrap().json);
    }

    #[test]
    fn cli_parses_input() {
        let input = |event| Request::Input { event };
        assert_eq!(
            req(&["msg", "input", "key", "Super_L", "press"]),
            input(InputEvent::Key {
                key: "Super_L".into(),
                state: KeyState::Press
            })
        );
        assert_eq!(
            req(&["msg", "input", "key", "code:30", "release"]),
            input(InputEvent::Key {
                key: "code:30".into(),
                state: KeyState::Release
            })
        );
        assert_eq!(
            req(&["msg", "input", "pointer", "move", "10.5", "-3"]),
            input(InputEvent::PointerMove { x: 10.5, y: -3.0 })
        );
        assert_eq!(
            req(&["msg", "input", "pointer", "button", "left", "tap"]),
            input(InputEvent::PointerButton {
                button: "left".into(),
                state: ButtonState::Tap
            })
        );
        assert_eq!(
            req(&["msg", "input", "pointer", "button", "274", "press"]),
            input(InputEvent::PointerButton {
                button: "274".into(),
                state: ButtonState::Press
            })
        );
        assert_eq!(
            req(&["msg", "input", "touch", "down", "0", "100", "200"]),
            input(InputEvent::Touch {
                phase: TouchPhase::Down,
                id: 0,
                x: 100.0,
                y: 200.0
            })
        );
        assert_eq!(
            req(&["msg", "input", "touch", "up", "-1", "-5", "0"]),
            input(InputEvent::Touch {
                phase: TouchPhase::Up,
                id: -1,
                x: -5.0,
                y: 0.0
            })
        );
        assert!(parse(&["msg", "input", "key", "a", "hold"]).is_err());
        assert!(parse(&["msg", "input", "pointer", "button", "thumb", "tap"]).is_err());
        assert!(parse(&["msg", "input", "pointer", "move", "nan", "1"]).is_err());
        assert!(parse(&["msg", "input", "touch", "swipe", "0", "1", "1"]).is_err());
        assert!(parse(&["msg", "switch"]).is_err());
    }

    #[test]
    fn missing_socket_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("control.sock");
        let err = request(&path, &Request::List).unwrap_err();
        assert!(matches!(err, ClientError::NotRunning { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(msg.contains("is personas running"), "{msg}");

        // A stale socket file: connection refused.
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        let err = request(&path, &Request::List).unwrap_err();
        assert!(matches!(err, ClientError::NotRunning { .. }), "{err:?}");

        let args = MsgArgs {
            json: false,
            socket: Some(path.clone()),
            command: MsgCommand::List,
        };
        let err = run_with_output(args, &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("is personas running"), "{err}");
    }

    #[test]
    fn human_formatting() {
        let list = Reply::Personas {
            personas: vec![
                PersonaInfo {
                    name: "work".into(),
                    color: "#3366cc".into(),
                    active: true,
                    socket: "/run/user/1000/personas/work/wayland-0".into(),
                    windows: 12,
                    clients: 3,
                    session: Some(SessionInfo {
                        state: "running".into(),
                        pid: Some(4242),
                        exit: None,
                        restarts: 0,
                        isolation: None,
                    }),
                    attention: false,
                    x11: Some(crate::ipc::protocol::X11Info {
                        display: ":2".into(),
                        state: "running".into(),
                        isolated: true,
                    }),
                },
                PersonaInfo {
                    name: "personal".into(),
                    color: "#cc6633".into(),
                    active: false,
                    socket: "/run/user/1000/personas/personal/wayland-0".into(),
                    windows: 0,
                    clients: 0,
                    session: None,
                    attention: true,
                    x11: Some(crate::ipc::protocol::X11Info {
                        display: ":3".into(),
                        state: "restarting".into(),
                        isolated: false,
                    }),
                },
            ],
        };
        assert_eq!(
            format_reply(&list),
            "  NAME      COLOR    WINDOWS  CLIENTS  SESSION             X11                           SOCKET\n\
             * work      #3366cc       12        3  running (pid 4242)  :2                            /run/user/1000/personas/work/wayland-0\n\
             ! personal  #cc6633        0        0  -                   :3 (restarting) NOT ISOLATED  /run/user/1000/personas/personal/wayland-0"
        );
        let restarting = Some(SessionInfo {
            state: "restarting".into(),
            pid: None,
            exit: Some("exit status 3".into()),
            restarts: 2,
            isolation: None,
        });
        assert_eq!(
            session_text(&restarting),
            "restarting (exit status 3, 2 restarts)"
        );
        let stats = Reply::Stats {
            stats: Stats {
                switches: 4,
                frames_rendered: 99,
                uptime_s: 61.25,
                switch_request_to_render_ms: Latency::from_samples(&[10.0, 20.0, 12.5]),
                ..Stats::default()
            },
        };
        let text = format_reply(&stats);
        assert!(text.starts_with("switches         4\nframes rendered  99\nscanned out      0\n"));
        assert!(text.contains("switch_request_to_render_ms        3     12.50     12.50     20.00"));
        assert!(text.contains("switch_to_present_ms               0         -         -         -"));
        assert_eq!(
            format_reply(&Reply::Switched {
                from: "a".into(),
                to: "b".into()
            }),
            "switched from a to b"
        );
        assert_eq!(
            format_event(&Event::WindowOpened {
                persona: "work".into(),
                app_id: Some("foot".into()),
                title: Some("~".into())
            }),
            "window opened in work: foot \"~\""
        );
        assert_eq!(format_event(&Event::ConfigReloaded), "config reloaded");
    }

    /// End to end: `run_with_output` on a thread against a real server.
    struct Harness {
        _dir: tempfile::TempDir,
        path: PathBuf,
        event_loop: EventLoop<'static, Option<crate::ipc::EventSink>>,
        sink: crate::ipc::EventSink,
    }

    fn harness() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("control.sock");
        let server = ControlServer::bind(&path).unwrap();
        let event_loop = EventLoop::try_new().unwrap();
        let sink = server
            .insert(&event_loop.handle(), |_: &mut Option<_>, req| match req {
                Request::Screenshot { .. } => {
                    let rgba: Vec<u8> = (0..3 * 2 * 4).map(|i| i as u8).collect();
                    let png = encode_png(3, 2, &rgba).unwrap();
                    Reply::Screenshot {
                        width: 3,
                        height: 2,
                        png_base64: base64::engine::general_purpose::STANDARD.encode(png),
                    }
                }
                Request::Switch { name } if name == "nope" => Reply::error("unknown persona: nope"),
                Request::Active => Reply::Active {
                    name: "work".into(),
                },
                _ => Reply::Ok,
            })
            .unwrap();
        Harness {
            _dir: dir,
            path,
            event_loop,
            sink,
        }
    }

    impl Harness {
        fn run(&mut self, json: bool, command: MsgCommand) -> (anyhow::Result<()>, String) {
            let args = MsgArgs {
                json,
                socket: Some(self.path.clone()),
                command,
            };
            let thread = thread::spawn(move || {
                let mut out = Vec::new();
                let result = run_with_output(args, &mut out);
                (result, String::from_utf8(out).unwrap())
            });
            let mut state = None;
            for _ in 0..2000 {
                if thread.is_finished() {
                    break;
                }
                self.event_loop
                    .dispatch(Some(Duration::from_millis(5)), &mut state)
                    .unwrap();
            }
            assert!(thread.is_finished(), "msg command did not finish");
            thread.join().unwrap()
        }
    }

    #[test]
    fn run_end_to_end() {
        let mut h = harness();
        let (r, out) = h.run(false, MsgCommand::Active);
        r.unwrap();
        assert_eq!(out, "work\n");
        let (r, out) = h.run(true, MsgCommand::Active);
        r.unwrap();
        assert_eq!(out, "{\"reply\":\"active\",\"name\":\"work\"}\n");

        let (r, out) = h.run(
            false,
            MsgCommand::Switch {
                name: "nope".into(),
            },
        );
        let err = r.unwrap_err();
        assert_eq!(
            err.downcast_ref::<ReplyError>().map(|e| e.0.as_str()),
            Some("unknown persona: nope")
        );
        assert_eq!(out, "");

        let file = h._dir.path().join("shot.png");
        let (r, out) = h.run(
            false,
            MsgCommand::Screenshot {
                file: file.clone(),
                persona: None,
                output: None,
            },
        );
        r.unwrap();
        let png = fs::read(&file).unwrap();
        assert_eq!(
            out,
            format!("{}: 3x2 PNG, {} bytes\n", file.display(), png.len())
        );
        let (w, h2, rgba) = decode_png(&png).unwrap();
        assert_eq!((w, h2), (3, 2));
        assert_eq!(rgba, (0..24).map(|i| i as u8).collect::<Vec<_>>());
    }

    #[test]
    fn subscribe_prints_events_until_eof() {
        let mut h = harness();
        let args = MsgArgs {
            json: false,
            socket: Some(h.path.clone()),
            command: MsgCommand::Subscribe,
        };
        let json_args = MsgArgs {
            json: true,
            ..args.clone()
        };
        let spawn = |args: MsgArgs| {
            thread::spawn(move || {
                let mut out = Vec::new();
                let result = run_with_output(args, &mut out);
                (result, String::from_utf8(out).unwrap())
            })
        };
        let human = spawn(args);
        let json = spawn(json_args);
        let mut state = None;
        for _ in 0..2000 {
            if h.sink.subscriber_count() == 2 {
                break;
            }
            h.event_loop
                .dispatch(Some(Duration::from_millis(5)), &mut state)
                .unwrap();
        }
        assert_eq!(h.sink.subscriber_count(), 2);
        h.sink.broadcast(&Event::Switched {
            from: "work".into(),
            to: "kids".into(),
        });
        h.sink
            .broadcast(&Event::PersonaRemoved { name: "old".into() });
        // Dropping the loop closes every connection: the subscribers see EOF.
        let Harness { event_loop, .. } = h;
        drop(event_loop);
        let (r, out) = human.join().unwrap();
        r.unwrap();
        assert_eq!(out, "switched work -> kids\npersona removed: old\n");
        let (r, out) = json.join().unwrap();
        r.unwrap();
        assert_eq!(
            out,
            "{\"event\":\"switched\",\"from\":\"work\",\"to\":\"kids\"}\n\
             {\"event\":\"persona-removed\",\"name\":\"old\"}\n"
        );
    }
}
