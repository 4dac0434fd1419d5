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
    /// Keep the officer id given to `fieldscreen-hub enroll --officer` in the device registry.
    /// Off by default: the codes and the registry then hold no officer id at all.
    #[serde(default)]
    pub keep_officer_id: bool,
    /// Timeouts and the connection cap of the listener.
    #[serde(default)]
    pub limits: Limits,
    /// How many enrollment attempts a source address and a code get.
    #[serde(default)]
    pub enroll_limits: EnrollLimits,
    /// How the hub talks to PostgreSQL (ignored for SQLite).
    #[serde(default)]
    pub postgres: PgOptions,
    /// Prometheus metrics at `/metrics`.
    #[serde(default)]
    pub metrics: MetricsOptions,
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

/// The listener's timeouts (milliseconds) and connection cap. Every connection, TLS or plain
/// HTTP on loopback, gets them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// The TLS handshake must finish within this after the connection is accepted.
    pub handshake_timeout_ms: u64,
    /// A request's headers must arrive whole within this, counted from when the hub starts
    /// waiting for them (the connection opened or the previous answer went out).
    pub header_timeout_ms: u64,
    /// A request body must arrive whole within this after its headers (`408 timeout`).
    pub body_timeout_ms: u64,
    /// A connection with no request in flight is closed after this.
    pub idle_timeout_ms: u64,
    /// At most this many connections at once; further ones wait in the kernel's queue until one
    /// closes (logged once each time the cap is reached).
    pub max_connections: usize,
    /// On shutdown, connections get this long to finish the request in flight.
    pub drain_timeout_ms: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            handshake_timeout_ms: 10_000,
            header_timeout_ms: 10_000,
            body_timeout_ms: 60_000,
            idle_timeout_ms: 60_000,
            max_connections: 512,
            drain_timeout_ms: 10_000,
        }
    }
}

/// Enrollment attempts counted in a fixed window, kept in the storage (so replicas behind one
/// address share them): every `POST /v1/enroll` counts against its source address, and every
/// one that names a code counts against that code. Over the limit: `429` with `Retry-After`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EnrollLimits {
    pub per_source: i64,
    pub per_code: i64,
    pub window_secs: i64,
}

impl Default for EnrollLimits {
    fn default() -> EnrollLimits {
        EnrollLimits { per_source: 30, per_code: 5, window_secs: 900 }
    }
}

/// PostgreSQL connections: TLS verified against `ca` (required unless the server is on this
/// machine), a pool, and timeouts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PgOptions {
    /// The CA certificate (PEM) that signed the PostgreSQL server's certificate. With it every
    /// connection is TLS, the certificate chain and the host name are checked; without it only
    /// a Unix socket or a loopback host is accepted.
    pub ca: Option<PathBuf>,
    /// Connections in the pool; a request takes any free one.
    pub pool_size: usize,
    /// Connecting (TCP, TLS and login) must finish within this.
    pub connect_timeout_ms: u64,
    /// PostgreSQL cancels a statement that runs longer (`statement_timeout`), lock waits included.
    pub statement_timeout_ms: u64,
}

impl Default for PgOptions {
    fn default() -> PgOptions {
        PgOptions { ca: None, pool_size: 8, connect_timeout_ms: 5_000, statement_timeout_ms: 30_000 }
    }
}

/// Where `/metrics` is served. With `listen`, on that address only (plain HTTP, with
/// `/healthz` and `/readyz`); without it, on the hub's own listener when that is a loopback
/// address, and nowhere when it is not. `enabled = false` serves it nowhere.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsOptions {
    pub enabled: bool,
    pub listen: Option<SocketAddr>,
}

impl Default for MetricsOptions {
    fn default() -> MetricsOptions {
        MetricsOptions { enabled: true, listen: None }
    }
}

impl Config {
    /// Whether `/metrics` is answered on the hub's own listener.
    pub fn metrics_on_api(&self) -> bool {
        self.metrics.enabled && self.metrics.listen.is_none() && self.listen.ip().is_loopback()
    }

    /// The separate metrics listener, if one is configured.
    pub fn metrics_listen(&self) -> Option<SocketAddr> {
        self.metrics.listen.filter(|_| self.metrics.enabled)
    }
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
            anyhow::bail!(
                "plain HTTP is only allowed on a loopback address; add a [tls] section to listen on {}",
                self.listen
            );
        }
        if let Some(k) = &self.unit_key {
            sync::wire::public_key(k).map_err(|e| anyhow::anyhow!("unit_key: {e}"))?;
        }
        if self.max_body < 1024 {
            anyhow::bail!("max_body must be at least 1024 bytes");
        }
        let l = &self.limits;
        for (name, v) in [
            ("handshake_timeout_ms", l.handshake_timeout_ms),
            ("header_timeout_ms", l.header_timeout_ms),
            ("body_timeout_ms", l.body_timeout_ms),
            ("idle_timeout_ms", l.idle_timeout_ms),
            ("drain_timeout_ms", l.drain_timeout_ms),
            ("connect_timeout_ms", self.postgres.connect_timeout_ms),
            ("statement_timeout_ms", self.postgres.statement_timeout_ms),
        ] {
            if v == 0 {
                anyhow::bail!("{name} must be above 0 (milliseconds)");
            }
        }
        if self.metrics_listen().is_some_and(|m| m == self.listen && m.port() != 0) {
            anyhow::bail!("metrics.listen must differ from listen ({})", self.listen);
        }
        if l.max_connections == 0 || self.postgres.pool_size == 0 {
            anyhow::bail!("limits.max_connections and postgres.pool_size must be at least 1");
        }
        let e = &self.enroll_limits;
        if e.per_source < 1 || e.per_code < 1 || e.window_secs < 1 {
            anyhow::bail!("enroll_limits: per_source, per_code and window_secs must be at least 1");
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
pub fn init(
    dir: &Path,
    unit_key: Option<&str>,
    names: &[String],
    listen: Option<SocketAddr>,
) -> anyhow::Result<PathBuf> {
    let path = dir.join(FILE);
    if path.exists() {
        anyhow::bail!("{} already exists; not overwriting it", path.display());
    }
    std::fs::create_dir_all(dir.join("tls"))?;
    let ca = Authority::new(crate::tls::UNIT_CA)?;
    let mut all = vec!["127.0.0.1".to_string(), "localhost".to_string()];
    all.extend(names.iter().cloned());
    let issued = ca.issue(&all, (2024, 1, 1), (2036, 1, 1))?;
    durable::write_private(&dir.join("tls/ca.key"), ca.key.serialize_pem().as_bytes())?;
    durable::write_atomic(&dir.join("tls/ca.pem"), ca.cert_pem().as_bytes())?;
    durable::write_atomic(&dir.join("tls/hub.pem"), issued.cert_pem.as_bytes())?;
    durable::write_private(&dir.join("tls/hub.key"), issued.key_pem.as_bytes())?;
    let cfg = Config {
        listen: listen.unwrap_or_else(|| "127.0.0.1:8443".parse().expect("a valid address")),
        storage: "sqlite:hub.db".into(),
        unit_key: unit_key.map(str::to_string),
        max_body: default_max_body(),
        code_ttl_hours: default_code_hours(),
        keep_officer_id: false,
        limits: Limits::default(),
        enroll_limits: EnrollLimits::default(),
        postgres: PgOptions::default(),
        metrics: MetricsOptions::default(),
        tls: Some(Tls { cert: "tls/hub.pem".into(), key: "tls/hub.key".into(), ca: "tls/ca.pem".into() }),
        base: dir.to_path_buf(),
    };
    cfg.check()?;
    let text = format!(
        "# Fieldscreen hub. Devices pin tls/ca.pem (fieldscreen device enroll --ca).\n# storage: sqlite:PATH or postgres://user:password@host/db ([postgres] ca = the CA of its\n# server certificate, required unless PostgreSQL is on this machine). docs/sync.md explains\n# every setting.\n{}",
        toml::to_string_pretty(&cfg)?
    );
    durable::write_atomic(&path, text.as_bytes())?;
    Ok(path)
}
