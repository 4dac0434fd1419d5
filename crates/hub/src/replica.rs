//! Another replica's folder, made from the first hub's (`fieldscreen-hub init-replica`). Replicas
//! keep nothing a second one would need in memory: records, the device registry, nonces,
//! enrollment codes and attempts all live in the one PostgreSQL they share. Each replica gets its
//! own server certificate from the unit CA, so devices that pin `tls/ca.pem` reach any of them.
//! docs/replicas.md describes the deployment.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::config::{Config, Tls, FILE};
use crate::tls::{Authority, UNIT_CA};

/// Writes `dir/hub.toml` for a replica of the hub configured in `from/hub.toml`: the same
/// storage, unit key and settings, a server certificate for 127.0.0.1, `localhost` and `names`
/// issued by the unit CA in `from/tls/ca.key`, and the CA certificate devices pin. The CA key
/// is not copied. Refuses a SQLite hub (one process owns that file), a hub without TLS or its
/// CA key, and an existing configuration.
pub fn init_replica(from: &Path, dir: &Path, names: &[String], listen: Option<SocketAddr>) -> anyhow::Result<PathBuf> {
    let first = Config::read(&from.join(FILE))?;
    if crate::store::describe(&first.storage) != "postgresql" {
        anyhow::bail!(
            "{}: replicas share one PostgreSQL, and this hub's storage is `{}`; a SQLite hub runs as one process",
            from.join(FILE).display(),
            first.storage
        );
    }
    let Some(tls) = &first.tls else {
        anyhow::bail!("{}: no [tls] section; replicas are reached over TLS", from.join(FILE).display());
    };
    let key_path = first.path(&tls.ca).with_file_name("ca.key");
    let key_pem = std::fs::read_to_string(&key_path).map_err(|e| {
        anyhow::anyhow!("cannot read the unit CA key {}: {e} (run this where `init` made it)", key_path.display())
    })?;
    let ca_pem = std::fs::read_to_string(first.path(&tls.ca))
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", first.path(&tls.ca).display()))?;
    let path = dir.join(FILE);
    if path.exists() {
        anyhow::bail!("{} already exists; not overwriting it", path.display());
    }
    let ca = Authority::from_key(UNIT_CA, &key_pem)?;
    let mut all = vec!["127.0.0.1".to_string(), "localhost".to_string()];
    all.extend(names.iter().cloned());
    let issued = ca.issue(&all, (2024, 1, 1), (2036, 1, 1))?;
    std::fs::create_dir_all(dir.join("tls"))?;
    durable::write_atomic(&dir.join("tls/ca.pem"), ca_pem.as_bytes())?;
    durable::write_atomic(&dir.join("tls/hub.pem"), issued.cert_pem.as_bytes())?;
    durable::write_private(&dir.join("tls/hub.key"), issued.key_pem.as_bytes())?;
    let mut cfg = first.clone();
    if let Some(pg_ca) = &first.postgres.ca {
        let pem = std::fs::read(first.path(pg_ca))
            .map_err(|e| anyhow::anyhow!("cannot read [postgres] ca {}: {e}", first.path(pg_ca).display()))?;
        durable::write_atomic(&dir.join("tls/postgres-ca.pem"), &pem)?;
        cfg.postgres.ca = Some("tls/postgres-ca.pem".into());
    }
    cfg.listen = listen.unwrap_or(first.listen);
    cfg.tls = Some(Tls { cert: "tls/hub.pem".into(), key: "tls/hub.key".into(), ca: "tls/ca.pem".into() });
    cfg.base = dir.to_path_buf();
    cfg.check()?;
    let text = format!(
        "# A Fieldscreen hub replica of {}: same PostgreSQL, same unit key, its own server certificate\n# from the unit CA. docs/replicas.md explains the deployment.\n{}",
        from.display(),
        toml::to_string_pretty(&cfg)?
    );
    durable::write_atomic(&path, text.as_bytes())?;
    Ok(path)
}
