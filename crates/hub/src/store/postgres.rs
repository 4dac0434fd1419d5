//! PostgreSQL through `tokio-postgres` and a `deadpool` pool: a request takes any free
//! connection (a broken one is dropped and replaced), connecting is bounded by
//! `connect_timeout_ms` and every statement by PostgreSQL's `statement_timeout`. Connections
//! are TLS (rustls) verified against the configured CA; plaintext only to a Unix socket or a
//! loopback address. Commits are durable when PostgreSQL acknowledges them (its default
//! `synchronous_commit = on`).

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod, Runtime};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use sync::wire::{DeviceInfo, ItemResult, RecordMeta};
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::types::{FromSqlOwned, ToSql};
use tokio_postgres::{NoTls, Row};

use super::{
    sql, Attempt, Attempts, Cols, Device, EnrollRefusal, NewCode, NewDevice, Nonce, Push, StoreError, StoredUnit,
};
use crate::config::PgOptions;

/// Hubs made before officer ids became optional: the columns lose NOT NULL (a no-op after).
const MIGRATE: &str = "
ALTER TABLE devices ALTER COLUMN officer_id DROP NOT NULL;
ALTER TABLE enroll_codes ALTER COLUMN officer_id DROP NOT NULL;
";

const TRIGGER: &str = "
CREATE OR REPLACE FUNCTION fieldscreen_records_immutable() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN RAISE EXCEPTION 'stored records are never overwritten'; END $$;
DROP TRIGGER IF EXISTS records_never_overwritten ON records;
CREATE TRIGGER records_never_overwritten BEFORE UPDATE ON records
    FOR EACH ROW EXECUTE FUNCTION fieldscreen_records_immutable();
";

fn be(e: tokio_postgres::Error) -> StoreError {
    StoreError::Backend(describe(&e))
}

fn get<T: FromSqlOwned>(r: &Row, i: usize) -> Result<T, StoreError> {
    r.try_get(i).map_err(be)
}

cols_via!(Row, get);

/// How the hub reaches PostgreSQL.
#[derive(Debug, Clone, PartialEq)]
pub enum PgTransport {
    /// TLS, the server's certificate checked against this CA and the host name.
    Tls(PathBuf),
    /// Plaintext, allowed only because every host is a Unix socket or a loopback address.
    Local,
}

fn is_local(h: &Host) -> bool {
    match h {
        Host::Unix(_) => true,
        Host::Tcp(name) => {
            name.eq_ignore_ascii_case("localhost")
                || name.trim_matches(['[', ']']).parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
        }
    }
}

fn host_name(h: &Host) -> String {
    match h {
        Host::Unix(p) => p.display().to_string(),
        Host::Tcp(n) => n.clone(),
    }
}

/// Decides TLS or plaintext for a storage URL: with a CA, TLS always (a URL asking for
/// `sslmode=disable` is refused); without one, plaintext only when every host (and `hostaddr`)
/// is on this machine. Errors name the host, never the password.
pub fn pg_transport(url: &str, ca: Option<&Path>) -> Result<PgTransport, StoreError> {
    let cfg = tokio_postgres::Config::from_str(url)
        .map_err(|e| StoreError::Refused(format!("storage: the PostgreSQL URL is not valid: {e}")))?;
    let remote: Vec<String> = cfg
        .get_hosts()
        .iter()
        .filter(|h| !is_local(h))
        .map(host_name)
        .chain(cfg.get_hostaddrs().iter().filter(|a| !a.is_loopback()).map(|a| a.to_string()))
        .collect();
    match ca {
        Some(ca) if cfg.get_ssl_mode() == SslMode::Disable => Err(StoreError::Refused(format!(
            "storage: the URL says sslmode=disable but [postgres] ca = {} asks for TLS; remove one of them",
            ca.display()
        ))),
        Some(ca) => Ok(PgTransport::Tls(ca.to_path_buf())),
        None if !remote.is_empty() => Err(StoreError::Refused(format!(
            "storage: PostgreSQL at {} is not on this machine, and the hub sends device keys, code hashes and ciphertext to it only over verified TLS: set `ca` under [postgres] in hub.toml to the CA certificate that signed the server's certificate",
            remote.join(", ")
        ))),
        None if cfg.get_ssl_mode() == SslMode::Require => Err(StoreError::Refused(
            "storage: the URL says sslmode=require, which needs the server's CA to check it against: set `ca` under [postgres] in hub.toml".into(),
        )),
        None => Ok(PgTransport::Local),
    }
}

fn tls_connector(ca: &Path) -> Result<tokio_postgres_rustls::MakeRustlsConnect, StoreError> {
    let refused = |m: String| StoreError::Refused(format!("storage: [postgres] ca {}: {m}", ca.display()));
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(ca).map_err(|e| refused(e.to_string()))? {
        roots.add(c.map_err(|e| refused(e.to_string()))?).map_err(|e| refused(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(refused("holds no certificate".into()));
    }
    let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| refused(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(cfg))
}

pub struct Postgres {
    pool: Pool,
    connect_timeout: Duration,
}

/// Every record of a push in one statement, in the order sent.
const INSERT_RECORDS: &str = "INSERT INTO records (record_id, device_id, size, sha256, received_at, envelope)
     SELECT r.id, $2, r.size, r.sha256, $3, r.envelope
     FROM UNNEST($1::text[], $4::bigint[], $5::text[], $6::bytea[]) WITH ORDINALITY AS r(id, size, sha256, envelope, n)
     ORDER BY r.n
     ON CONFLICT (record_id) DO NOTHING RETURNING record_id";
/// The stored rows for these ids, as [`sql::RECORD`] reads one, with the id last.
const EXISTING_RECORDS: &str =
    "SELECT device_id, sha256, size, received_at, record_id FROM records WHERE record_id = ANY($1)";

impl Postgres {
    pub async fn connect(url: &str, ca: Option<&Path>, opts: &PgOptions) -> Result<Postgres, StoreError> {
        let transport = pg_transport(url, ca)?;
        let mut cfg = tokio_postgres::Config::from_str(url)
            .map_err(|e| StoreError::Refused(format!("storage: the PostgreSQL URL is not valid: {e}")))?;
        let connect_timeout = Duration::from_millis(opts.connect_timeout_ms);
        let statement = format!("-c statement_timeout={}", opts.statement_timeout_ms);
        let options = match cfg.get_options() {
            Some(o) if !o.is_empty() => format!("{o} {statement}"),
            _ => statement,
        };
        cfg.options(&options).connect_timeout(connect_timeout).keepalives(true);
        let mc = ManagerConfig { recycling_method: RecyclingMethod::Fast };
        let manager = match transport {
            PgTransport::Tls(ca) => {
                cfg.ssl_mode(SslMode::Require);
                Manager::from_config(cfg, tls_connector(&ca)?, mc)
            }
            PgTransport::Local => {
                cfg.ssl_mode(SslMode::Disable);
                Manager::from_config(cfg, NoTls, mc)
            }
        };
        let pool = Pool::builder(manager)
            .max_size(opts.pool_size)
            .runtime(Runtime::Tokio1)
            .create_timeout(Some(connect_timeout))
            .wait_timeout(Some(Duration::from_millis(opts.statement_timeout_ms) + connect_timeout))
            .recycle_timeout(Some(connect_timeout))
            .build()
            .map_err(|e| StoreError::Backend(format!("the PostgreSQL pool: {e}")))?;
        let p = Postgres { pool, connect_timeout };
        // Two hubs starting at once on an empty database would race on CREATE: serialize them.
        p.lease()
            .await?
            .batch_execute(&format!(
                "SELECT pg_advisory_lock(4171); {} {MIGRATE} {TRIGGER} SELECT pg_advisory_unlock(4171);",
                super::tables("BIGSERIAL PRIMARY KEY", "BYTEA")
            ))
            .await
            .map_err(be)?;
        Ok(p)
    }

    /// Any free connection (a new one when none is free and the pool has room).
    async fn lease(&self) -> Result<Object, StoreError> {
        self.pool.get().await.map_err(|e| match e {
            PoolError::Timeout(deadpool_postgres::TimeoutType::Create) => StoreError::Backend(format!(
                "cannot reach PostgreSQL: no connection within {} ms (connect_timeout_ms)",
                self.connect_timeout.as_millis()
            )),
            PoolError::Timeout(_) => StoreError::Backend(
                "every PostgreSQL connection stayed busy (the pool is full); try again later".into(),
            ),
            PoolError::Backend(e) => StoreError::Backend(format!("cannot reach PostgreSQL: {}", describe(&e))),
            other => StoreError::Backend(format!("cannot reach PostgreSQL: {other}")),
        })
    }

    async fn one(&self, q: &str, p: &[&(dyn ToSql + Sync)]) -> Result<Option<Row>, StoreError> {
        self.lease().await?.query_opt(q, p).await.map_err(be)
    }

    async fn all(&self, q: &str, p: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>, StoreError> {
        self.lease().await?.query(q, p).await.map_err(be)
    }

    /// Runs a statement with one text parameter: rows changed.
    pub async fn exec(&self, q: &'static str, p: &str) -> Result<u64, StoreError> {
        self.lease().await?.execute(q, &[&p]).await.map_err(be)
    }

    /// Runs a statement without parameters: rows changed.
    pub async fn exec0(&self, q: &'static str) -> Result<u64, StoreError> {
        self.lease().await?.execute(q, &[]).await.map_err(be)
    }

    pub async fn add_code(&self, code: &NewCode<'_>) -> Result<(), StoreError> {
        let c = code;
        self.lease()
            .await?
            .execute(sql::ADD_CODE, &[&c.code_hash, &c.officer, &c.now, &c.expires])
            .await
            .map_err(be)?;
        Ok(())
    }

    pub async fn enroll(&self, d: &NewDevice<'_>, now: &str) -> Result<Result<(), EnrollRefusal>, StoreError> {
        let mut l = self.lease().await?;
        let tx = l.transaction().await.map_err(be)?;
        let code = tx
            .query_opt(&format!("{} FOR UPDATE", sql::CODE), &[&d.code_hash])
            .await
            .map_err(be)?
            .map(|r| super::code_row(&r))
            .transpose()?;
        let officer = match super::code_decision(code, d, now) {
            Ok(super::CodeUse::Fresh(o)) => o,
            Ok(super::CodeUse::Repeat) => {
                let dev = tx
                    .query_opt(sql::DEVICE_KEY, &[&d.device_id])
                    .await
                    .map_err(be)?
                    .map(|r| Ok::<_, StoreError>((r.text(0)?, r.opt_text(1)?)))
                    .transpose()?;
                return Ok(super::repeat_decision(dev, d));
            }
            Err(r) => return Ok(Err(r)),
        };
        if tx.query_one(sql::DEVICE_EXISTS, &[&d.device_id]).await.map_err(be)?.flag(0)? {
            return Ok(Err(EnrollRefusal::DeviceExists));
        }
        tx.execute(sql::USE_CODE, &[&d.device_id, &d.code_hash]).await.map_err(be)?;
        tx.execute(sql::INSERT_DEVICE, &[&d.device_id, &officer, &d.public_key, &now]).await.map_err(be)?;
        tx.commit().await.map_err(be)?;
        Ok(Ok(()))
    }

    pub async fn device(&self, id: &str) -> Result<Option<Device>, StoreError> {
        self.one(sql::DEVICE, &[&id]).await?.map(|r| super::device_row(&r)).transpose()
    }

    pub async fn devices(&self) -> Result<Vec<DeviceInfo>, StoreError> {
        self.all(sql::DEVICES, &[]).await?.iter().map(super::device_info_row).collect()
    }

    pub async fn revoke(&self, id: &str, wipe: bool, now: &str) -> Result<bool, StoreError> {
        Ok(self.lease().await?.execute(sql::REVOKE, &[&now, &wipe, &id]).await.map_err(be)? == 1)
    }

    pub async fn report_wipe(&self, id: &str, nonce: &Nonce<'_>, at: &str) -> Result<bool, StoreError> {
        let mut l = self.lease().await?;
        let tx = l.transaction().await.map_err(be)?;
        if !insert_nonce(&tx, nonce, at).await? {
            return Ok(false);
        }
        tx.execute(sql::WIPE_REPORTED, &[&at, &id]).await.map_err(be)?;
        tx.commit().await.map_err(be)?;
        Ok(true)
    }

    pub async fn use_nonce(&self, nonce: &Nonce<'_>, now: &str) -> Result<bool, StoreError> {
        let l = self.lease().await?;
        Ok(l.execute(sql::INSERT_NONCE, &[&nonce.signer, &nonce.nonce, &now]).await.map_err(be)? == 1)
    }

    pub async fn put_records(&self, push: Push<'_>) -> Result<Option<Vec<ItemResult>>, StoreError> {
        let Push { device, nonce, items, now } = push;
        let nonce = &nonce;
        let mut l = self.lease().await?;
        let tx = l.transaction().await.map_err(be)?;
        if !insert_nonce(&tx, nonce, now).await? {
            return Ok(None);
        }
        // One statement for the whole push (a round trip per record was most of a push's time);
        // `seq` follows the order sent.
        let n = items.len();
        let (mut ids, mut sizes, mut shas, mut envelopes) =
            (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        for it in items {
            sizes.push(it.envelope.len() as i64);
            ids.push(it.id);
            shas.push(it.sha256);
            envelopes.push(it.envelope);
        }
        let mut inserted = std::collections::HashSet::new();
        for r in tx.query(INSERT_RECORDS, &[&ids, &device, &now, &sizes, &shas, &envelopes]).await.map_err(be)? {
            inserted.insert(r.text(0)?);
        }
        // The first occurrence of an id just inserted is stored; any other is looked up.
        let stored: Vec<bool> = ids.iter().map(|id| inserted.remove(id)).collect();
        let lookup: Vec<&str> = ids.iter().zip(&stored).filter(|(_, s)| !**s).map(|(id, _)| id.as_str()).collect();
        let mut existing = std::collections::HashMap::new();
        if !lookup.is_empty() {
            for r in tx.query(EXISTING_RECORDS, &[&lookup]).await.map_err(be)? {
                existing.insert(r.text(4)?, super::existing_row(&r)?);
            }
        }
        let out = (0..n)
            .map(|i| {
                let at = stored[i].then_some((sizes[i] as u64, now));
                let old = if stored[i] { None } else { existing.get(&ids[i]).cloned() };
                super::item_result(&ids[i], device, old, &shas[i], at)
            })
            .collect();
        tx.commit().await.map_err(be)?;
        Ok(Some(out))
    }

    pub async fn list_records(&self, after: i64, limit: i64) -> Result<Vec<RecordMeta>, StoreError> {
        self.all(sql::LIST, &[&after, &limit]).await?.iter().map(super::meta_row).collect()
    }

    pub async fn envelope(&self, id: &str) -> Result<Option<(RecordMeta, Vec<u8>)>, StoreError> {
        self.one(sql::ENVELOPE, &[&id]).await?.map(|r| super::envelope_row(&r)).transpose()
    }

    pub async fn unit(&self) -> Result<Option<StoredUnit>, StoreError> {
        self.one(sql::UNIT, &[]).await?.map(|r| super::unit_row(&r)).transpose()
    }

    pub async fn publish_unit(&self, u: &StoredUnit, nonce: &Nonce<'_>, now: &str) -> Result<Option<bool>, StoreError> {
        let mut l = self.lease().await?;
        let tx = l.transaction().await.map_err(be)?;
        if !insert_nonce(&tx, nonce, now).await? {
            return Ok(None);
        }
        tx.execute("LOCK TABLE unit_config IN EXCLUSIVE MODE", &[]).await.map_err(be)?;
        let current: Option<i64> = tx.query_one(sql::MAX_SERIAL, &[]).await.map_err(be)?.get(0);
        if current.is_some_and(|c| c >= u.serial) {
            return Ok(Some(false));
        }
        tx.execute(sql::INSERT_UNIT, &[&u.serial, &u.document, &u.signature, &now]).await.map_err(be)?;
        tx.commit().await.map_err(be)?;
        Ok(Some(true))
    }

    pub async fn enroll_attempt(&self, a: &Attempt<'_>) -> Result<(i64, String), StoreError> {
        let p: [&(dyn ToSql + Sync); 4] = [&a.scope, &a.key, &a.now, &a.window_floor];
        let r = self.lease().await?.query_one(sql::ENROLL_ATTEMPT, &p).await.map_err(be)?;
        Ok((r.int(0)?, r.text(1)?))
    }

    pub async fn enroll_attempts(&self, since: &str) -> Result<Vec<Attempts>, StoreError> {
        self.all(sql::ATTEMPTS, &[&since]).await?.iter().map(super::attempts_row).collect()
    }

    /// Runs a query and reads no row.
    pub async fn probe(&self, q: &str) -> Result<(), StoreError> {
        self.lease().await?.query(q, &[]).await.map_err(be)?;
        Ok(())
    }

    /// The first row of a query of integer columns.
    pub async fn ints(&self, q: &'static str) -> Result<Vec<i64>, StoreError> {
        let r = self.lease().await?.query_one(q, &[]).await.map_err(be)?;
        (0..r.len()).map(|i| r.int(i)).collect()
    }

    pub async fn texts(&self, q: &'static str) -> Result<Vec<Vec<Option<String>>>, StoreError> {
        self.all(q, &[]).await?.iter().map(|r| (0..r.len()).map(|i| r.opt_text(i)).collect()).collect()
    }

    pub async fn records_after(&self, after: i64, limit: i64) -> Result<Vec<(RecordMeta, Vec<u8>)>, StoreError> {
        self.all(sql::RECORDS_AFTER, &[&after, &limit]).await?.iter().map(super::envelope_row).collect()
    }

    pub async fn clear(&self) -> Result<(), StoreError> {
        self.lease()
            .await?
            .batch_execute(
                "TRUNCATE records, nonces, unit_config, enroll_codes, devices, enroll_attempts RESTART IDENTITY",
            )
            .await
            .map_err(be)
    }
}

/// A connection error with its causes (the TLS reason is in the source chain).
fn describe(e: &tokio_postgres::Error) -> String {
    let mut out = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let s = c.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cause = c.source();
    }
    out
}

async fn insert_nonce(tx: &tokio_postgres::Transaction<'_>, nonce: &Nonce<'_>, now: &str) -> Result<bool, StoreError> {
    Ok(tx.execute(sql::INSERT_NONCE, &[&nonce.signer, &nonce.nonce, &now]).await.map_err(be)? == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(url: &str, ca: Option<&Path>) -> String {
        match pg_transport(url, ca) {
            Err(StoreError::Refused(m)) => m,
            other => panic!("{url}: expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn nw_01_plaintext_postgresql_only_on_this_machine() {
        let ca = Path::new("/etc/hub/pg-ca.pem");
        for local in [
            "postgres://u:p@127.0.0.1/db",
            "postgres://u:p@127.0.0.9:5433/db",
            "postgres://u:p@localhost/db",
            "postgres://u:p@[::1]/db",
            "postgresql://u:p@%2Fvar%2Frun%2Fpostgresql/db",
            "host=/var/run/postgresql user=u dbname=db",
            "postgres://u:p@127.0.0.1/db?sslmode=disable",
        ] {
            assert_eq!(pg_transport(local, None).unwrap(), PgTransport::Local, "{local}");
        }
        for remote in [
            "postgres://u:secret-pw@db.example.org/db",
            "postgres://u:secret-pw@10.0.0.5/db",
            "postgres://u:secret-pw@127.0.0.1,db.example.org/db",
            "host=localhost hostaddr=10.1.2.3 user=u password=secret-pw",
        ] {
            let m = refusal(remote, None);
            assert!(m.contains("not on this machine") && m.contains("[postgres]") && m.contains("ca"), "{remote}: {m}");
            assert!(!m.contains("secret-pw"), "the error never shows the password: {m}");
            assert_eq!(
                pg_transport(remote, Some(ca)).unwrap(),
                PgTransport::Tls(ca.into()),
                "{remote}: with a CA it is TLS"
            );
        }
        assert!(refusal("postgres://u:p@db.example.org/db", None).contains("db.example.org"), "names the host");
        assert!(refusal("postgres://u:p@127.0.0.1/db?sslmode=require", None).contains("sslmode=require"));
        assert!(refusal("postgres://u:p@db.example.org/db?sslmode=disable", Some(ca)).contains("sslmode=disable"));
        assert_eq!(
            pg_transport("postgres://u:p@127.0.0.1/db", Some(ca)).unwrap(),
            PgTransport::Tls(ca.into()),
            "a CA means TLS even on loopback"
        );
        assert!(refusal("postgres://u:p@host/db?nonsense=1", None).contains("not valid"));
    }
}
