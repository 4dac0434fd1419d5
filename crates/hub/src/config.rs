//! The hub's configuration file (TOML) and `fieldscreen-hub init`, which writes a working one.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::tls::Authority;

pub const FILE: &str = "hub.toml";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address and port to listen on.
    pub listen: SocketAddr,
    /// `sqlite:PATH` (relative to the configuration's folder) or `postgres://...`.
    pub storage: String,
    /// The unit custodian's Ed25519 public key (base64): it signs the unit configuration and the
    /// custodian's requests.
    #[serde(default)]
    pub unit_key: Option<String>,
    /// Largest request body, in bytes.
    #[serde(default = "default_max_body")]
    pub max_body: usize,
    /// How long an enrollment code stays valid.
    #[serde(default = "default_code_hours")]
    pub code_ttl_hours: i64,
    /// Without `[tls]` the hub speaks plain HTTP, and only on a loopback address (tests).
    #[serde(default)]
    pub tls: Option<Tls>,
    /// Where relative paths start (the configuration file's folder); not written to the file.
    #[serde(skip)]
    pub base: PathBuf,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tls {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// The CA that devices pin (`fieldscreen device enroll --ca`).
    pub ca: PathBuf,
}

fn default_max_body() -> usize {
    4 << 20
}
fn default_code_hours() -> i64 {
    24
}

impl Config {
    pub fn read(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        let mut c: Config = toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        c.base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        c.check()?;
        Ok(c)
    }

    pub fn check(&self) -> anyhow::Result<()> {
        if self.tls.is_none() && !self.listen.ip().is_loopback() {
            anyhow::bail!("plain HTTP is only allowed on a loopback address; add a [tls] section to listen on {}", self.listen);
        }
        if let Some(k) = &self.unit_key {
            sync::wire::public_key(k).map_err(|e| anyhow::anyhow!("unit_key: {e}"))?;
        }
        if self.max_body < 1024 {
            anyhow::bail!("max_body must be at least 1024 bytes");
        }
        Ok(())
    }

    pub fn path(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base.join(p)
        }
    }

    pub fn url(&self) -> String {
        format!("{}://{}", if self.tls.is_some() { "https" } else { "http" }, self.listen)
    }
}

/// Writes `DIR/hub.toml` with embedded SQLite, a unit CA and a server certificate for
/// 127.0.0.1, `localhost` and the given names, listening on 127.0.0.1:8443. Refuses to
/// overwrite a configuration.
pub fn init(dir: &Path, unit_key: Option<&str>, names: &[String], listen: Option<SocketAddr>) -> anyhow::Result<PathBuf> {
    let path = dir.join(FILE);
    if path.exists() {
        anyhow::bail!("{} already exists; not overwriting it", path.display());
    }
    std::fs::create_dir_all(dir.join("tls"))?;
    let ca = Authority::new("Fieldscreen unit hub CA")?;
    let mut all = vec!["127.0.0.1".to_string(), "localhost".to_string()];
    all.extend(names.iter().cloned());
    let issued = ca.issue(&all, (2024, 1, 1), (2036, 1, 1))?;
    write_private(&dir.join("tls/ca.key"), ca.key.serialize_pem().as_bytes())?;
    std::fs::write(dir.join("tls/ca.pem"), ca.cert_pem())?;
    std::fs::write(dir.join("tls/hub.pem"), &issued.cert_pem)?;
    write_private(&dir.join("tls/hub.key"), issued.key_pem.as_bytes())?;
    let cfg = Config {
        listen: listen.unwrap_or_else(|| "127.0.0.1:8443".parse().expect("a valid address")),
        storage: "sqlite:hub.db".into(),
        unit_key: unit_key.map(str::to_string),
        max_body: default_max_body(),
        code_ttl_hours: default_code_hours(),
        tls: Some(Tls { cert: "tls/hub.pem".into(), key: "tls/hub.key".into(), ca: "tls/ca.pem".into() }),
        base: dir.to_path_buf(),
    };
    cfg.check()?;
    let text = format!(
        "# Fieldscreen hub. Devices pin tls/ca.pem (fieldscreen device enroll --ca).\n# storage: sqlite:PATH or postgres://user:password@host/db\n{}",
        toml::to_string_pretty(&cfg)?
    );
    std::fs::write(&path, text)?;
    Ok(path)
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}
