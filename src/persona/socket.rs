//! A persona's listening socket: `$XDG_RUNTIME_DIR/personas/<name>/wayland-0`.
//!
//! The directory is 0700 so only the user reaches it; a session launched for the
//! persona gets that directory as its own `XDG_RUNTIME_DIR`.

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

pub const SOCKET_NAME: &str = "wayland-0";

#[derive(Debug, thiserror::Error)]
pub enum SocketError {
    #[error("{0}: another personas instance is serving this socket")]
    InUse(PathBuf),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// The listening socket; its file and directory are removed on drop.
#[derive(Debug)]
pub struct PersonaSocket {
    pub listener: UnixListener,
    pub dir: PathBuf,
    pub path: PathBuf,
}

/// `$XDG_RUNTIME_DIR/personas`, created 0700.
pub fn personas_dir(runtime_dir: &Path) -> Result<PathBuf, SocketError> {
    let dir = runtime_dir.join("personas");
    make_private_dir(&dir)?;
    Ok(dir)
}

fn make_private_dir(dir: &Path) -> Result<(), SocketError> {
    let io_err = |source| SocketError::Io {
        path: dir.to_owned(),
        source,
    };
    match fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
            // An existing directory may have looser permissions; tighten them.
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(io_err)
        }
        Err(err) => Err(io_err(err)),
    }
}

impl PersonaSocket {
    pub fn bind(runtime_dir: &Path, name: &str) -> Result<PersonaSocket, SocketError> {
        let dir = personas_dir(runtime_dir)?.join(name);
        make_private_dir(&dir)?;
        let path = dir.join(SOCKET_NAME);
        remove_if_stale(&path)?;
        let listener = UnixListener::bind(&path).map_err(|source| SocketError::Io {
            path: path.clone(),
            source,
        })?;
        listener
            .set_nonblocking(true)
            .map_err(|source| SocketError::Io {
                path: path.clone(),
                source,
            })?;
        Ok(PersonaSocket {
            listener,
            dir,
            path,
        })
    }
}

/// A socket file left by a crashed run is replaced; a live one is refused.
pub fn remove_if_stale(path: &Path) -> Result<(), SocketError> {
    if fs::symlink_metadata(path).is_err() {
        return Ok(());
    }
    if UnixStream::connect(path).is_ok() {
        return Err(SocketError::InUse(path.to_owned()));
    }
    fs::remove_file(path).map_err(|source| SocketError::Io {
        path: path.to_owned(),
        source,
    })
}

impl Drop for PersonaSocket {
    /// The directory is the persona's `XDG_RUNTIME_DIR`: what its session left
    /// there is runtime state and goes with it.
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
        let _ = fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn creates_private_dir_and_replaces_stale_socket() {
        let tmp = tempfile::tempdir().unwrap();
        {
            let sock = PersonaSocket::bind(tmp.path(), "work").unwrap();
            assert_eq!(fs::metadata(&sock.dir).unwrap().mode() & 0o777, 0o700);
            assert_eq!(
                fs::metadata(tmp.path().join("personas")).unwrap().mode() & 0o777,
                0o700
            );
            // A second instance must not steal a live socket.
            match PersonaSocket::bind(tmp.path(), "work") {
                Err(SocketError::InUse(p)) => assert_eq!(p, sock.path),
                other => panic!("expected InUse, got {other:?}"),
            }
        }
        // Simulate a crashed run: a socket file that nobody serves any more.
        let stale = tmp.path().join("personas/work/wayland-0");
        fs::create_dir_all(stale.parent().unwrap()).unwrap();
        drop(UnixListener::bind(&stale).unwrap());
        assert!(stale.exists());
        let sock = PersonaSocket::bind(tmp.path(), "work").unwrap();
        assert!(UnixStream::connect(&sock.path).is_ok());
        let dir = sock.dir.clone();
        drop(sock);
        assert!(!dir.exists(), "socket dir removed on clean exit");
    }
}
