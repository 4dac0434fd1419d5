//! PostgreSQL through `tokio-postgres`: a small fixed set of connections, each used by one
//! request at a time; a broken one is replaced on its next use. Commits are durable when
//! PostgreSQL acknowledges them (its default `synchronous_commit = on`).

use std::sync::atomic::{AtomicUsize, Ordering};

use sync::wire::{DeviceInfo, Incoming, ItemResult, RecordMeta};
use tokio::sync::{Mutex, MutexGuard};
use tokio_postgres::{Client, NoTls, Row};

use super::{item_result, Device, EnrollRefusal, NewDevice, Nonce, StoreError, StoredUnit};

const POOL: usize = 8;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS devices (
    device_id TEXT PRIMARY KEY,
    officer_id TEXT NOT NULL,
    public_key TEXT NOT NULL,
    enrolled_at TEXT NOT NULL,
    revoked_at TEXT,
    wipe BOOLEAN NOT NULL DEFAULT FALSE,
    wipe_reported_at TEXT
);
CREATE TABLE IF NOT EXISTS enroll_codes (
    code_hash TEXT PRIMARY KEY,
    officer_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_by TEXT
);
CREATE TABLE IF NOT EXISTS records (
    seq BIGSERIAL PRIMARY KEY,
    record_id TEXT NOT NULL UNIQUE,
    device_id TEXT NOT NULL REFERENCES devices(device_id),
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    received_at TEXT NOT NULL,
    envelope BYTEA NOT NULL
);
CREATE TABLE IF NOT EXISTS nonces (
    signer TEXT NOT NULL,
    nonce TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (signer, nonce)
);
CREATE TABLE IF NOT EXISTS unit_config (
    serial BIGINT PRIMARY KEY,
    document BYTEA NOT NULL,
    signature TEXT NOT NULL,
    published_at TEXT NOT NULL
);
CREATE OR REPLACE FUNCTION fieldscreen_records_immutable() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN RAISE EXCEPTION 'stored records are never overwritten'; END $$;
DROP TRIGGER IF EXISTS records_never_overwritten ON records;
CREATE TRIGGER records_never_overwritten BEFORE UPDATE ON records
    FOR EACH ROW EXECUTE FUNCTION fieldscreen_records_immutable();
";

fn be(e: tokio_postgres::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

pub struct Postgres {
    url: String,
    clients: Vec<Mutex<Option<Client>>>,
    next: AtomicUsize,
}

async fn connect(url: &str) -> Result<Client, StoreError> {
    let (client, conn) = tokio_postgres::connect(url, NoTls).await.map_err(|e| StoreError::Backend(format!("cannot reach PostgreSQL: {e}")))?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::warn!(error = %e, "postgresql connection ended");
        }
    });
    Ok(client)
}

struct Lease<'a>(MutexGuard<'a, Option<Client>>);

impl Lease<'_> {
    fn client(&mut self) -> &mut Client {
        self.0.as_mut().expect("a lease always holds a connected client")
    }
}

impl Postgres {
    pub async fn connect(url: &str) -> Result<Postgres, StoreError> {
        let first = connect(url).await?;
        // Two hubs starting at once on an empty database would race on CREATE: serialize them.
        first.batch_execute(&format!("SELECT pg_advisory_lock(4171); {SCHEMA} SELECT pg_advisory_unlock(4171);")).await.map_err(be)?;
        let mut clients = vec![Mutex::new(Some(first))];
        clients.extend((1..POOL).map(|_| Mutex::new(None)));
        Ok(Postgres { url: url.to_string(), clients, next: AtomicUsize::new(0) })
    }

    async fn lease(&self) -> Result<Lease<'_>, StoreError> {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.clients.len();
        let mut g = self.clients[i].lock().await;
        if g.as_ref().is_none_or(|c| c.is_closed()) {
            *g = Some(connect(&self.url).await?);
        }
        Ok(Lease(g))
    }

    pub async fn add_code(&self, code_hash: &str, officer: &str, now: &str, expires: &str) -> Result<(), StoreError> {
        let mut l = self.lease().await?;
        l.client()
            .execute("INSERT INTO enroll_codes (code_hash, officer_id, created_at, expires_at) VALUES ($1, $2, $3, $4)", &[&code_hash, &officer, &now, &expires])
            .await
            .map_err(be)?;
        Ok(())
    }

    pub async fn enroll(&self, d: &NewDevice<'_>, now: &str) -> Result<Result<(), EnrollRefusal>, StoreError> {
        let mut l = self.lease().await?;
        let tx = l.client().transaction().await.map_err(be)?;
        let code = tx.query_opt("SELECT expires_at, used_by FROM enroll_codes WHERE code_hash = $1 FOR UPDATE", &[&d.code_hash]).await.map_err(be)?;
        let refusal = match code {
            None => Some(EnrollRefusal::UnknownCode),
            Some(r) if r.get::<_, Option<String>>(1).is_some() => Some(EnrollRefusal::UsedCode),
            Some(r) if r.get::<_, String>(0).as_str() < now => Some(EnrollRefusal::ExpiredCode),
            Some(_) => {
                let exists: bool = tx.query_one("SELECT EXISTS (SELECT 1 FROM devices WHERE device_id = $1)", &[&d.device_id]).await.map_err(be)?.get(0);
                exists.then_some(EnrollRefusal::DeviceExists)
            }
        };
        if let Some(r) = refusal {
            return Ok(Err(r));
        }
        tx.execute("UPDATE enroll_codes SET used_by = $1 WHERE code_hash = $2", &[&d.device_id, &d.code_hash]).await.map_err(be)?;
        tx.execute(
            "INSERT INTO devices (device_id, officer_id, public_key, enrolled_at) VALUES ($1, $2, $3, $4)",
            &[&d.device_id, &d.officer_id, &d.public_key, &now],
        )
        .await
        .map_err(be)?;
        tx.commit().await.map_err(be)?;
        Ok(Ok(()))
    }

    pub async fn device(&self, id: &str) -> Result<Option<Device>, StoreError> {
        let mut l = self.lease().await?;
        let row = l
            .client()
            .query_opt("SELECT device_id, officer_id, public_key, revoked_at IS NOT NULL, wipe FROM devices WHERE device_id = $1", &[&id])
            .await
            .map_err(be)?;
        Ok(row.map(|r| Device { device_id: r.get(0), officer_id: r.get(1), public_key: r.get(2), revoked: r.get(3), wipe: r.get(4) }))
    }

    pub async fn devices(&self) -> Result<Vec<DeviceInfo>, StoreError> {
        let mut l = self.lease().await?;
        let rows = l
            .client()
            .query(
                "SELECT d.device_id, d.officer_id, d.public_key, d.enrolled_at, d.revoked_at, d.wipe, d.wipe_reported_at,
                        (SELECT count(*) FROM records r WHERE r.device_id = d.device_id),
                        (SELECT COALESCE(sum(size), 0)::BIGINT FROM records r WHERE r.device_id = d.device_id)
                 FROM devices d ORDER BY d.enrolled_at, d.device_id",
                &[],
            )
            .await
            .map_err(be)?;
        Ok(rows
            .iter()
            .map(|r| DeviceInfo {
                device_id: r.get(0),
                officer_id: r.get(1),
                public_key: r.get(2),
                enrolled_at: r.get(3),
                revoked_at: r.get(4),
                wipe: r.get(5),
                wipe_reported_at: r.get(6),
                records: r.get(7),
                bytes: r.get(8),
            })
            .collect())
    }

    pub async fn revoke(&self, id: &str, wipe: bool, now: &str) -> Result<bool, StoreError> {
        let mut l = self.lease().await?;
        let n = l
            .client()
            .execute("UPDATE devices SET revoked_at = COALESCE(revoked_at, $1), wipe = $2 WHERE device_id = $3", &[&now, &wipe, &id])
            .await
            .map_err(be)?;
        Ok(n == 1)
    }

    pub async fn report_wipe(&self, id: &str, nonce: &Nonce<'_>, at: &str) -> Result<bool, StoreError> {
        let mut l = self.lease().await?;
        let tx = l.client().transaction().await.map_err(be)?;
        if !insert_nonce(&tx, nonce, at).await? {
            return Ok(false);
        }
        tx.execute("UPDATE devices SET wipe_reported_at = COALESCE(wipe_reported_at, $1) WHERE device_id = $2", &[&at, &id]).await.map_err(be)?;
        tx.commit().await.map_err(be)?;
        Ok(true)
    }

    pub async fn use_nonce(&self, nonce: &Nonce<'_>, now: &str) -> Result<bool, StoreError> {
        let mut l = self.lease().await?;
        let tx = l.client().transaction().await.map_err(be)?;
        let fresh = insert_nonce(&tx, nonce, now).await?;
        tx.commit().await.map_err(be)?;
        Ok(fresh)
    }

    pub async fn put_records(&self, device: &str, nonce: &Nonce<'_>, items: Vec<Incoming>, now: &str) -> Result<Option<Vec<ItemResult>>, StoreError> {
        let mut l = self.lease().await?;
        let tx = l.client().transaction().await.map_err(be)?;
        if !insert_nonce(&tx, nonce, now).await? {
            return Ok(None);
        }
        let insert = tx
            .prepare(
                "INSERT INTO records (record_id, device_id, size, sha256, received_at, envelope) VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (record_id) DO NOTHING RETURNING seq",
            )
            .await
            .map_err(be)?;
        let mut out = Vec::with_capacity(items.len());
        for it in items {
            let size = it.envelope.len() as i64;
            let inserted = tx.query_opt(&insert, &[&it.id, &device, &size, &it.sha256, &now, &it.envelope]).await.map_err(be)?;
            let r = if inserted.is_some() {
                item_result(&it.id, device, None, &it.sha256, Some((size as u64, now)))
            } else {
                let row = tx.query_one("SELECT device_id, sha256, size, received_at FROM records WHERE record_id = $1", &[&it.id]).await.map_err(be)?;
                let existing = (row.get::<_, String>(0), row.get::<_, String>(1), row.get::<_, i64>(2) as u64, row.get::<_, String>(3));
                item_result(&it.id, device, Some(existing), &it.sha256, None)
            };
            out.push(r);
        }
        tx.commit().await.map_err(be)?;
        Ok(Some(out))
    }

    pub async fn list_records(&self, after: i64, limit: i64) -> Result<Vec<RecordMeta>, StoreError> {
        let mut l = self.lease().await?;
        let rows = l
            .client()
            .query("SELECT seq, record_id, device_id, size, sha256, received_at FROM records WHERE seq > $1 ORDER BY seq LIMIT $2", &[&after, &limit])
            .await
            .map_err(be)?;
        Ok(rows.iter().map(meta).collect())
    }

    pub async fn envelope(&self, id: &str) -> Result<Option<(RecordMeta, Vec<u8>)>, StoreError> {
        let mut l = self.lease().await?;
        let row = l
            .client()
            .query_opt("SELECT seq, record_id, device_id, size, sha256, received_at, envelope FROM records WHERE record_id = $1", &[&id])
            .await
            .map_err(be)?;
        Ok(row.map(|r| (meta(&r), r.get(6))))
    }

    pub async fn unit(&self) -> Result<Option<StoredUnit>, StoreError> {
        let mut l = self.lease().await?;
        let row = l.client().query_opt("SELECT serial, document, signature FROM unit_config ORDER BY serial DESC LIMIT 1", &[]).await.map_err(be)?;
        Ok(row.map(|r| StoredUnit { serial: r.get(0), document: r.get(1), signature: r.get(2) }))
    }

    pub async fn publish_unit(&self, u: &StoredUnit, nonce: &Nonce<'_>, now: &str) -> Result<Option<bool>, StoreError> {
        let mut l = self.lease().await?;
        let tx = l.client().transaction().await.map_err(be)?;
        if !insert_nonce(&tx, nonce, now).await? {
            return Ok(None);
        }
        tx.execute("LOCK TABLE unit_config IN EXCLUSIVE MODE", &[]).await.map_err(be)?;
        let current: Option<i64> = tx.query_one("SELECT max(serial) FROM unit_config", &[]).await.map_err(be)?.get(0);
        if current.is_some_and(|c| c >= u.serial) {
            return Ok(Some(false));
        }
        tx.execute("INSERT INTO unit_config (serial, document, signature, published_at) VALUES ($1, $2, $3, $4)", &[&u.serial, &u.document, &u.signature, &now])
            .await
            .map_err(be)?;
        tx.commit().await.map_err(be)?;
        Ok(Some(true))
    }

    pub async fn prune_nonces(&self, before: &str) -> Result<u64, StoreError> {
        let mut l = self.lease().await?;
        l.client().execute("DELETE FROM nonces WHERE seen_at < $1", &[&before]).await.map_err(be)
    }

    pub async fn clear(&self) -> Result<(), StoreError> {
        let mut l = self.lease().await?;
        l.client().batch_execute("TRUNCATE records, nonces, unit_config, enroll_codes, devices RESTART IDENTITY").await.map_err(be)
    }
}

fn meta(r: &Row) -> RecordMeta {
    RecordMeta { seq: r.get(0), id: r.get(1), device_id: r.get(2), size: r.get::<_, i64>(3) as u64, sha256: r.get(4), received_at: r.get(5) }
}

async fn insert_nonce(tx: &tokio_postgres::Transaction<'_>, nonce: &Nonce<'_>, now: &str) -> Result<bool, StoreError> {
    let n = tx
        .execute("INSERT INTO nonces (signer, nonce, seen_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", &[&nonce.signer, &nonce.nonce, &now])
        .await
        .map_err(be)?;
    Ok(n == 1)
}
