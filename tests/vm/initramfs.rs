//! The guest's initramfs, built at test time from what the host has installed:
//! a static busybox, the init script and the kernel modules the guest needs.
//! Debian's kernel builds none of the virtio, DRM or 9p drivers in, so they
//! come from `/lib/modules/<version>`, in dependency order.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The drivers the guest needs; their dependencies come along from
/// `modules.dep`. The virtio PCI transport, the GPU (card0, connector
/// Virtual-1), keyboard and tablet (event nodes through evdev), and 9p for the
/// shared directories.
pub const MODULES: &[&str] = &[
    "virtio_pci",
    "virtio_gpu",
    "virtio_input",
    "evdev",
    "9pnet_virtio",
    "9p",
];

/// A kernel image with its modules directory.
pub struct Kernel {
    pub image: PathBuf,
    pub modules: PathBuf,
}

/// The newest `/boot/vmlinuz-*` that has a `/lib/modules/<version>`.
pub fn find_kernel() -> Result<Kernel, String> {
    let mut found = Vec::new();
    let entries = std::fs::read_dir("/boot").map_err(|e| format!("reading /boot: {e}"))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(version) = name.strip_prefix("vmlinuz-") else {
            continue;
        };
        let modules = Path::new("/lib/modules").join(version);
        if modules.join("modules.dep").exists() {
            found.push(Kernel {
                image: entry.path(),
                modules,
            });
        }
    }
    // Version strings of one distribution sort well enough by name.
    found.sort_by(|a, b| a.image.cmp(&b.image));
    found.pop().ok_or_else(|| {
        "no /boot/vmlinuz-* with a matching /lib/modules/<version>/modules.dep \
         (install linux-image-amd64)"
            .to_string()
    })
}

/// `virtio-gpu` and `virtio_gpu` are the same module to the kernel.
fn module_key(name: &str) -> String {
    name.replace('-', "_")
}

/// The module name of a `modules.dep` path: `kernel/…/virtio-gpu.ko.xz` → `virtio_gpu`.
fn module_name(path: &str) -> String {
    let file = path.rsplit('/').next().unwrap_or(path);
    module_key(file.split(".ko").next().unwrap_or(file))
}

/// The modules to load for `wanted`, dependencies first, as paths relative to
/// the modules directory. Modules built into the kernel are left out.
pub fn load_order(modules_dir: &Path, wanted: &[&str]) -> Result<Vec<String>, String> {
    let dep_file = modules_dir.join("modules.dep");
    let deps = std::fs::read_to_string(&dep_file)
        .map_err(|e| format!("reading {}: {e}", dep_file.display()))?;
    let builtin: HashSet<String> = std::fs::read_to_string(modules_dir.join("modules.builtin"))
        .unwrap_or_default()
        .lines()
        .map(module_name)
        .collect();
    // name → (path, dependency paths)
    let mut table: HashMap<String, (String, Vec<String>)> = HashMap::new();
    for line in deps.lines() {
        let Some((path, rest)) = line.split_once(':') else {
            continue;
        };
        let list = rest.split_whitespace().map(str::to_string).collect();
        table.insert(module_name(path), (path.to_string(), list));
    }
    let mut order = Vec::new();
    let mut seen = HashSet::new();
    fn visit(
        name: &str,
        table: &HashMap<String, (String, Vec<String>)>,
        seen: &mut HashSet<String>,
        order: &mut Vec<String>,
    ) {
        if !seen.insert(name.to_string()) {
            return;
        }
        let (path, deps) = &table[name];
        for dep in deps {
            visit(&module_name(dep), table, seen, order);
        }
        order.push(path.clone());
    }
    for name in wanted {
        let key = module_key(name);
        if table.contains_key(&key) {
            visit(&key, &table, &mut seen, &mut order);
        } else if !builtin.contains(&key) {
            return Err(format!(
                "kernel module {name} is neither in {} nor built in",
                dep_file.display()
            ));
        }
    }
    Ok(order)
}

/// A module file as busybox `insmod` can load it: compressed ones are
/// unpacked on the host, since busybox may not know the compression.
fn module_bytes(path: &Path) -> Result<Vec<u8>, String> {
    let name = path.to_string_lossy();
    let tool = if name.ends_with(".ko") {
        return std::fs::read(path).map_err(|e| format!("reading {name}: {e}"));
    } else if name.ends_with(".ko.xz") {
        "xz"
    } else if name.ends_with(".ko.zst") {
        "zstd"
    } else if name.ends_with(".ko.gz") {
        "gzip"
    } else {
        return Err(format!("unknown module compression: {name}"));
    };
    let out = Command::new(tool)
        .args(["-dc"])
        .arg(path)
        .output()
        .map_err(|e| format!("running {tool} to unpack {name}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{tool} -dc {name} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(out.stdout)
}

/// Whether an ELF file asks for a program interpreter (is dynamically
/// linked). The initramfs has no libc, so busybox must be static.
fn has_interpreter(elf: &[u8]) -> bool {
    const PT_INTERP: u32 = 3;
    let u16_at = |o: usize| elf.get(o..o + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let u32_at = |o: usize| {
        elf.get(o..o + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let u64_at = |o: usize| {
        elf.get(o..o + 8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap()))
    };
    // 64-bit little-endian ELF only; anything else counts as unusable.
    if elf.get(..6) != Some(&[0x7f, b'E', b'L', b'F', 2, 1]) {
        return true;
    }
    let (Some(phoff), Some(phentsize), Some(phnum)) = (u64_at(0x20), u16_at(0x36), u16_at(0x38))
    else {
        return true;
    };
    (0..phnum as usize).any(|i| u32_at(phoff as usize + i * phentsize as usize) == Some(PT_INTERP))
}

/// A cpio archive in the "newc" format the kernel unpacks.
#[derive(Default)]
struct Cpio {
    data: Vec<u8>,
    inode: u32,
}

impl Cpio {
    fn entry(&mut self, name: &str, mode: u32, body: &[u8]) {
        self.inode += 1;
        let fields = [
            self.inode,
            mode,
            0, // uid
            0, // gid
            1, // nlink
            0, // mtime
            body.len() as u32,
            0, // dev major
            0, // dev minor
            0, // rdev major
            0, // rdev minor
            name.len() as u32 + 1,
            0, // check
        ];
        self.data.extend_from_slice(b"070701");
        for field in fields {
            self.data
                .extend_from_slice(format!("{field:08x}").as_bytes());
        }
        self.data.extend_from_slice(name.as_bytes());
        self.data.push(0);
        self.pad();
        self.data.extend_from_slice(body);
        self.pad();
    }

    fn pad(&mut self) {
        while !self.data.len().is_multiple_of(4) {
            self.data.push(0);
        }
    }

    fn dir(&mut self, name: &str) {
        self.entry(name, 0o040755, &[]);
    }

    fn file(&mut self, name: &str, mode: u32, body: &[u8]) {
        self.entry(name, 0o100000 | mode, body);
    }

    fn symlink(&mut self, name: &str, target: &str) {
        self.entry(name, 0o120777, target.as_bytes());
    }

    fn finish(mut self) -> Vec<u8> {
        self.entry("TRAILER!!!", 0, &[]);
        self.data
    }
}

/// Writes the initramfs to `out`: `/bin/busybox` with a symlink per applet,
/// `/init`, and `/modules/*.ko` with `/modules/order` (one file name a line,
/// in load order). Returns the module names in load order.
pub fn build(
    kernel: &Kernel,
    busybox: &Path,
    init: &str,
    out: &Path,
) -> Result<Vec<String>, String> {
    let busybox_bytes =
        std::fs::read(busybox).map_err(|e| format!("reading {}: {e}", busybox.display()))?;
    if has_interpreter(&busybox_bytes) {
        return Err(format!(
            "{} is not a static x86-64 executable (install busybox-static)",
            busybox.display()
        ));
    }
    let list = Command::new(busybox)
        .arg("--list")
        .output()
        .map_err(|e| format!("running {} --list: {e}", busybox.display()))?;
    let applets = String::from_utf8_lossy(&list.stdout).into_owned();

    let mut cpio = Cpio::default();
    cpio.dir("bin");
    cpio.file("bin/busybox", 0o755, &busybox_bytes);
    for applet in applets.lines().map(str::trim) {
        if !applet.is_empty() && applet != "busybox" && !applet.contains('/') {
            cpio.symlink(&format!("bin/{applet}"), "busybox");
        }
    }
    cpio.file("init", 0o755, init.as_bytes());
    cpio.dir("modules");
    let order = load_order(&kernel.modules, MODULES)?;
    let mut names = Vec::new();
    for path in &order {
        let bytes = module_bytes(&kernel.modules.join(path))?;
        let file = format!("{}.ko", module_name(path));
        cpio.file(&format!("modules/{file}"), 0o644, &bytes);
        names.push(file);
    }
    let mut listing = names.join("\n");
    listing.push('\n');
    cpio.file("modules/order", 0o644, listing.as_bytes());
    std::fs::write(out, cpio.finish()).map_err(|e| format!("writing {}: {e}", out.display()))?;
    Ok(names)
}
