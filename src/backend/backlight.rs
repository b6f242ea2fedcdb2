//! The panel's backlight: `personas msg output NAME brightness PCT`.
//!
//! Written to `/sys/class/backlight/*/brightness` when we may (root, or a udev
//! rule granting the video group); otherwise through logind's
//! `Session.SetBrightness` with `busctl`, which any user of the active
//! session may call.

use std::path::{Path, PathBuf};

pub const SYSFS: &str = "/sys/class/backlight";

#[derive(Debug, thiserror::Error)]
pub enum BacklightError {
    #[error("no backlight device under {0} (an external monitor's brightness is its own menu's)")]
    NoDevice(String),
    #[error("brightness is a percentage, 0 to 100, not {0}")]
    Range(u32),
    #[error("reading {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "setting {device} to {value} failed: not writable ({write}) and logind refused ({logind})"
    )]
    Write {
        device: String,
        value: u32,
        write: std::io::Error,
        logind: String,
    },
}

/// One backlight device.
#[derive(Debug, Clone, PartialEq)]
pub struct Backlight {
    pub dir: PathBuf,
    pub name: String,
    pub max: u32,
}

/// The device the kernel's own tools would pick: firmware (ACPI) first, then
/// platform, then raw (the GPU's), as systemd-backlight and brightnessctl do.
pub fn find(root: &Path) -> Result<Backlight, BacklightError> {
    let none = || BacklightError::NoDevice(root.display().to_string());
    let mut found: Vec<(u8, Backlight)> = Vec::new();
    for entry in std::fs::read_dir(root).map_err(|_| none())?.flatten() {
        let dir = entry.path();
        let read = |file: &str| std::fs::read_to_string(dir.join(file)).ok();
        let Some(max) = read("max_brightness").and_then(|s| s.trim().parse::<u32>().ok()) else {
            continue;
        };
        if max == 0 {
            continue;
        }
        let rank = match read("type").as_deref().map(str::trim) {
            Some("firmware") => 0,
            Some("platform") => 1,
            _ => 2,
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        found.push((rank, Backlight { dir, name, max }));
    }
    found.sort_by(|a, b| (a.0, &a.1.name).cmp(&(b.0, &b.1.name)));
    found.into_iter().next().map(|(_, b)| b).ok_or_else(none)
}

impl Backlight {
    /// The raw value for `percent`: never 0 unless asked, since a panel at 0
    /// is black on many laptops and the user could not see to raise it.
    pub fn value_for(&self, percent: u32) -> u32 {
        if percent == 0 {
            return 0;
        }
        ((self.max as u64 * percent as u64).div_ceil(100) as u32).clamp(1, self.max)
    }

    pub fn percent(&self) -> Result<u32, BacklightError> {
        let path = self.dir.join("brightness");
        let raw = std::fs::read_to_string(&path).map_err(|source| BacklightError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let value: u64 = raw.trim().parse().unwrap_or(0);
        Ok(((value * 100 + self.max as u64 / 2) / self.max as u64) as u32)
    }

    /// Sets the brightness to `percent` through sysfs; where that is not
    /// allowed, asks logind from a thread (a D-Bus call may take seconds,
    /// and the compositor must not wait for it): its failure is logged.
    pub fn set(&self, percent: u32) -> Result<(), BacklightError> {
        if percent > 100 {
            return Err(BacklightError::Range(percent));
        }
        let value = self.value_for(percent);
        let write = match std::fs::write(self.dir.join("brightness"), value.to_string()) {
            Ok(()) => return Ok(()),
            Err(err) => err,
        };
        let device = self.name.clone();
        std::thread::Builder::new()
            .name("backlight".into())
            .spawn(move || {
                let result = std::process::Command::new("busctl")
                    .args([
                        "call",
                        "--timeout=5",
                        "org.freedesktop.login1",
                        "/org/freedesktop/login1/session/auto",
                        "org.freedesktop.login1.Session",
                        "SetBrightness",
                        "ssu",
                        "backlight",
                        &device,
                        &value.to_string(),
                    ])
                    .output();
                let logind = match result {
                    Ok(out) if out.status.success() => return,
                    Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_string(),
                    Err(err) => format!("busctl: {err}"),
                };
                tracing::error!(
                    "{}",
                    BacklightError::Write {
                        device,
                        value,
                        write,
                        logind,
                    }
                );
            })
            .map(|_| ())
            .map_err(|err| BacklightError::Read {
                path: "a thread for logind".into(),
                source: err,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(root: &Path, name: &str, kind: &str, max: u32) {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("type"), format!("{kind}\n")).unwrap();
        std::fs::write(dir.join("max_brightness"), format!("{max}\n")).unwrap();
        std::fs::write(dir.join("brightness"), "0\n").unwrap();
    }

    #[test]
    fn firmware_comes_before_the_gpu_and_percentages_round_up() {
        let root = tempfile::tempdir().unwrap();
        assert!(matches!(
            find(root.path()),
            Err(BacklightError::NoDevice(_))
        ));
        device(root.path(), "intel_backlight", "raw", 96000);
        device(root.path(), "acpi_video0", "firmware", 15);
        let b = find(root.path()).unwrap();
        assert_eq!(b.name, "acpi_video0");
        assert_eq!(b.value_for(0), 0);
        assert_eq!(b.value_for(1), 1, "1 % is dim, not black");
        assert_eq!(b.value_for(50), 8);
        assert_eq!(b.value_for(100), 15);
        b.set(40).unwrap();
        assert_eq!(
            std::fs::read_to_string(b.dir.join("brightness")).unwrap(),
            "6"
        );
        assert_eq!(b.percent().unwrap(), 40);
        assert!(matches!(b.set(101), Err(BacklightError::Range(101))));
    }
}
