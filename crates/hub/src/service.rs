//! The systemd service `fieldscreen-hub init` writes beside `hub.toml`: a hardened unit that
//! runs `serve` as the dedicated system user `fieldscreen-hub`, and the sysusers.d snippet that
//! creates that user. docs/hub-ops.md says where they go.

use std::path::{Path, PathBuf};

pub const UNIT: &str = "fieldscreen-hub.service";
pub const SYSUSERS: &str = "fieldscreen-hub.sysusers.conf";
pub const USER: &str = "fieldscreen-hub";

/// Whether `dir` lies where `ProtectHome=` would hide it.
fn under_home(dir: &Path) -> bool {
    ["/home", "/root", "/run/user"].iter().any(|h| dir.starts_with(h))
}

/// The unit for a hub whose configuration is in `dir` (absolute), run by `exe`, listening on
/// `port`. Only a port below 1024 gets a capability (`CAP_NET_BIND_SERVICE`); otherwise the
/// bounding set is empty.
pub fn unit(dir: &Path, exe: &Path, port: u16) -> String {
    let caps = if port < 1024 {
        "CapabilityBoundingSet=CAP_NET_BIND_SERVICE\nAmbientCapabilities=CAP_NET_BIND_SERVICE"
    } else {
        "CapabilityBoundingSet=\nAmbientCapabilities="
    };
    // ProtectHome=yes would hide a data folder under /home; read-only keeps the rest of the
    // home folders unwritable while ReadWritePaths= opens this one.
    let home = if under_home(dir) { "read-only" } else { "yes" };
    let d = dir.display();
    format!(
        "# Written by `fieldscreen-hub init`. Install: docs/hub-ops.md.
[Unit]
Description=Fieldscreen sync hub
Documentation=file://{d}/hub.toml
After=network-online.target
Wants=network-online.target

[Service]
Type=exec
ExecStart={exe} serve --config {d}/hub.toml
Restart=on-failure
RestartSec=2s
User={USER}
Group={USER}
Environment=FIELDSCREEN_HUB_LOG=info
LimitNOFILE=65536
UMask=0077
{caps}
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths={d}
ProtectHome={home}
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
ProcSubset=pid
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
RemoveIPC=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
SystemCallErrorNumber=EPERM

[Install]
WantedBy=multi-user.target
",
        exe = exe.display()
    )
}

/// The sysusers.d line that creates the service's system user and group, with no login shell
/// and `dir` as its home.
pub fn sysusers(dir: &Path) -> String {
    format!(
        "# Written by `fieldscreen-hub init`: the system user {USER}.service runs as.\nu {USER} - \"Fieldscreen sync hub\" {} /usr/sbin/nologin\n",
        dir.display()
    )
}

/// Writes both files into `dir` (refusing to overwrite either); returns their paths.
pub fn write(dir: &Path, exe: &Path, port: u16) -> anyhow::Result<[PathBuf; 2]> {
    let dir = std::fs::canonicalize(dir).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
    let paths = [dir.join(UNIT), dir.join(SYSUSERS)];
    for p in &paths {
        if p.exists() {
            anyhow::bail!("{} already exists; not overwriting it", p.display());
        }
    }
    durable::write_atomic(&paths[0], unit(&dir, exe, port).as_bytes())?;
    durable::write_atomic(&paths[1], sysusers(&dir).as_bytes())?;
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_low_port_gets_only_the_bind_capability() {
        let u = unit(Path::new("/srv/hub"), Path::new("/usr/local/bin/fieldscreen-hub"), 443);
        assert!(u.contains("\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE\n"), "{u}");
        let u = unit(Path::new("/srv/hub"), Path::new("/usr/local/bin/fieldscreen-hub"), 8443);
        assert!(u.contains("\nCapabilityBoundingSet=\n"), "{u}");
        assert!(u.contains("\nProtectHome=yes\n"));
        let u = unit(Path::new("/home/it/hub"), Path::new("/usr/local/bin/fieldscreen-hub"), 8443);
        assert!(u.contains("\nProtectHome=read-only\n") && u.contains("\nReadWritePaths=/home/it/hub\n"), "{u}");
    }
}
