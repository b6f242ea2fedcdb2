//! A persona's session log: `$XDG_STATE_HOME/personas/<name>.log` (directory
//! 0700, file 0600), rotated to `<name>.log.1` once it would grow past its cap.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Size past which a log is rotated.
pub const LOG_CAP: u64 = 1024 * 1024;

/// `$XDG_STATE_HOME/personas` (default `$HOME/.local/state/personas`).
pub fn log_dir() -> Option<PathBuf> {
    Some(xdg_dir("XDG_STATE_HOME", ".local/state")?.join("personas"))
}

/// An XDG base directory: `$var` when absolute (the spec ignores a relative
/// one), else `$HOME/fallback`.
pub fn xdg_dir(var: &str, fallback: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .map(|home| home.join(fallback))
        })
}

/// An open, size-capped log file. Shared between the compositor (its own
/// lines) and the thread copying the session's output.
pub struct LogFile {
    path: PathBuf,
    file: File,
    size: u64,
    cap: u64,
}

pub type SharedLog = Arc<Mutex<LogFile>>;

impl LogFile {
    /// Opens (appending) `<dir>/<name>.log`, creating `dir` with mode 0700.
    pub fn open(dir: &Path, name: &str, cap: u64) -> io::Result<LogFile> {
        if let Some(parent) = dir.parent() {
            fs::create_dir_all(parent)?;
        }
        match fs::DirBuilder::new().mode(0o700).create(dir) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
                fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
            }
            Err(err) => return Err(err),
        }
        let path = dir.join(format!("{name}.log"));
        let file = open_private(&path, false)?;
        let size = file.metadata()?.len();
        Ok(LogFile {
            path,
            file,
            size,
            cap,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `data`, first rotating when it would take the file past its cap.
    pub fn write(&mut self, data: &[u8]) {
        if self.size > 0 && self.size + data.len() as u64 > self.cap {
            if let Err(err) = self.rotate() {
                tracing::warn!(log = %self.path.display(), "log rotation failed: {err}");
            }
        }
        match self.file.write_all(data) {
            Ok(()) => self.size += data.len() as u64,
            Err(err) => tracing::warn!(log = %self.path.display(), "log write failed: {err}"),
        }
    }

    /// A line of the compositor's own about this session.
    pub fn note(&mut self, text: &str) {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.write(format!("[personas {secs}] {text}\n").as_bytes());
    }

    fn rotate(&mut self) -> io::Result<()> {
        let mut old = self.path.clone().into_os_string();
        old.push(".1");
        fs::rename(&self.path, &old)?;
        self.file = open_private(&self.path, true)?;
        self.size = 0;
        Ok(())
    }
}

fn open_private(path: &Path, truncate: bool) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).mode(0o600);
    if truncate {
        options.write(true).truncate(true);
    } else {
        options.append(true);
    }
    let file = options.open(path)?;
    // An existing file keeps its mode on open: make it private too.
    file.set_permissions(fs::Permissions::from_mode(0o600))?;
    Ok(file)
}

/// Copies everything read from `source` into `log` until end of file (all
/// writers, the session and its children, closed it), on its own thread.
pub fn copy_to_log(mut source: impl Read + Send + 'static, log: SharedLog) {
    let spawned = super::spawn_thread("session-log", move || {
        let mut buf = [0u8; 8192];
        loop {
            match source.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    if let Ok(mut log) = log.lock() {
                        log.write(&buf[..n]);
                    }
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
    });
    if let Err(err) = spawned {
        tracing::warn!("session log thread not started: {err}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_rotated_past_the_cap() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("state/personas");
        let mut log = LogFile::open(&dir, "work", 100).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(log.path()), 0o600);
        log.write(&[b'a'; 60]);
        log.write(&[b'b'; 30]);
        assert_eq!(fs::read(log.path()).unwrap().len(), 90);
        // The next write would pass 100 bytes: the old log moves to .log.1.
        log.write(&[b'c'; 20]);
        let rotated = dir.join("work.log.1");
        assert_eq!(fs::read(&rotated).unwrap().len(), 90);
        assert_eq!(fs::read(log.path()).unwrap(), [b'c'; 20]);
        assert_eq!(mode(log.path()), 0o600);
        // Reopening appends and keeps counting.
        drop(log);
        let mut log = LogFile::open(&dir, "work", 100).unwrap();
        log.write(&[b'd'; 70]);
        assert_eq!(fs::read(log.path()).unwrap().len(), 90);
        assert_eq!(fs::read(&rotated).unwrap().len(), 90);
        log.write(&[b'e'; 11]);
        assert_eq!(fs::read(log.path()).unwrap(), [b'e'; 11]);
        assert_eq!(fs::read(&rotated).unwrap()[..20], [b'c'; 20]);
    }
}
