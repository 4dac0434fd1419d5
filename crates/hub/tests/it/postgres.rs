//! PostgreSQL transport and pool against the real server `scripts/postgres.sh` runs (TLS on,
//! its test CA): verified TLS with the configured CA, a wrong CA refused, a busy connection
//! not blocking the others, the statement and connect timeouts.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::Utc;
use hub::config::PgOptions;
use hub::store::{NewDevice, Store, StoreError};

use crate::support::*;

/// The PostgreSQL URL when the suite runs on it.
fn pg_url() -> Option<String> {
    backends().into_iter().find_map(|b| match b {
        Backend::Postgres(url) => Some(url),
        Backend::Sqlite => None,
    })
}

/// The CA `scripts/postgres.sh` made (FIELDSCREEN_PG_CA, or the script's default folder).
fn pg_ca() -> PathBuf {
    let p = std::env::var("FIELDSCREEN_PG_CA")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from("/var/lib/postgresql/fieldscreen-tls/ca.pem"));
    assert!(
        p.exists(),
        "{} is missing: run scripts/postgres.sh (it turns TLS on and writes its CA there), or set FIELDSCREEN_PG_CA",
        p.display()
    );
    p
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

async fn plain(url: &str) -> tokio_postgres::Client {
    let (c, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    c
}

#[test]
fn nw_01_the_hub_reaches_postgresql_over_tls_checked_against_the_configured_ca() {
    let Some(url) = pg_url() else { return };
    let ca = pg_ca();
    let rt = rt();
    let name = format!("fs-tls-{}", uuid::Uuid::now_v7().simple());
    let schema_url = format!("{}&application_name={name}", pg_schema_url(&url));
    let opts = PgOptions { ca: Some(ca.clone()), ..PgOptions::default() };
    rt.block_on(async {
        let store = Store::open(&schema_url, std::path::Path::new("/"), &opts).await.expect("TLS with the script's CA");
        let code = hub::admin::new_code(&store, None, 1, Utc::now()).await.unwrap();
        assert_eq!(code.len(), 23);
        let watcher = plain(&url).await;
        let rows = watcher
            .query(
                "SELECT s.ssl, s.version FROM pg_stat_ssl s JOIN pg_stat_activity a ON a.pid = s.pid WHERE a.application_name = $1",
                &[&name],
            )
            .await
            .unwrap();
        assert!(!rows.is_empty(), "the hub's connections are visible");
        for r in &rows {
            let (ssl, version): (bool, Option<String>) = (r.get(0), r.get(1));
            assert!(ssl, "every hub connection is TLS");
            assert!(version.as_deref().is_some_and(|v| v == "TLSv1.3" || v == "TLSv1.2"), "{version:?}");
        }

        let other = hub::tls::Authority::new("not the database's CA").unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("other.pem"), other.cert_pem()).unwrap();
        let wrong = PgOptions {
            ca: Some(dir.path().join("other.pem")),
            ..PgOptions::default()
        };
        match Store::open(&schema_url, dir.path(), &wrong).await {
            Err(StoreError::Backend(m)) => assert!(m.contains("certificate") || m.contains("UnknownIssuer"), "{m}"),
            Err(e) => panic!("a wrong CA: {e}"),
            Ok(_) => panic!("a server certificate from another CA was accepted"),
        }
        std::fs::write(dir.path().join("empty.pem"), "").unwrap();
        let empty = PgOptions {
            ca: Some("empty.pem".into()),
            ..PgOptions::default()
        };
        match Store::open(&schema_url, dir.path(), &empty).await {
            Err(StoreError::Refused(m)) => assert!(m.contains("holds no certificate"), "{m}"),
            other => panic!("an empty CA file: {:?}", other.err()),
        }
    });
}

#[test]
fn a_busy_postgresql_connection_does_not_block_requests_a_free_one_can_serve_and_statements_time_out() {
    let Some(url) = pg_url() else { return };
    let rt = rt();
    let schema_url = pg_schema_url(&url);
    let opts = PgOptions { pool_size: 2, statement_timeout_ms: 1500, ..PgOptions::default() };
    rt.block_on(async {
        let store = Store::open(&schema_url, std::path::Path::new("/"), &opts).await.unwrap();
        let code = hub::admin::new_code(&store, None, 1, Utc::now()).await.unwrap();
        let hash = hub::admin::code_hash(&code);
        // Another session holds the code's row: the enrollment waits on it, holding one
        // connection of the two.
        let mut blocker = plain(&schema_url).await;
        let tx = blocker.transaction().await.unwrap();
        tx.execute("SELECT 1 FROM enroll_codes WHERE code_hash = $1 FOR UPDATE", &[&hash]).await.unwrap();
        let d = NewDevice { code_hash: &hash, device_id: "dev-1", public_key: "k", keep_officer_id: false };
        let t = Instant::now();
        let now = hub::stamp(Utc::now());
        let (blocked, quick) = tokio::join!(store.enroll(&d, &now), async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let mut slowest = Duration::ZERO;
            for _ in 0..10 {
                let q = Instant::now();
                assert!(store.device("nobody").await.unwrap().is_none());
                slowest = slowest.max(q.elapsed());
            }
            (slowest, t.elapsed())
        });
        let (slowest, done) = quick;
        assert!(slowest < Duration::from_millis(500), "a request waited {slowest:?} behind the busy connection");
        assert!(
            done < Duration::from_millis(1400),
            "all ten were served while the other connection was busy ({done:?})"
        );
        match blocked {
            Err(StoreError::Backend(m)) => assert!(m.contains("statement timeout"), "{m}"),
            other => panic!("the blocked statement should time out: {other:?}"),
        }
        let took = t.elapsed();
        assert!(
            took >= Duration::from_millis(1400) && took < Duration::from_secs(5),
            "statement_timeout_ms = 1500 fired after {took:?}"
        );
        tx.rollback().await.unwrap();
        assert!(
            store.enroll(&d, &hub::stamp(Utc::now())).await.unwrap().is_ok(),
            "the pool recovers: the code enrolls once free"
        );
    });
}

#[test]
fn connecting_to_a_postgresql_that_never_answers_times_out() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let held = std::thread::spawn(move || {
        let conns: Vec<_> = silent.incoming().take(1).collect();
        std::thread::sleep(Duration::from_secs(4));
        drop(conns);
    });
    let opts = PgOptions { connect_timeout_ms: 700, ..PgOptions::default() };
    let t = Instant::now();
    let r =
        rt().block_on(Store::open(&format!("postgres://u:p@127.0.0.1:{port}/db"), std::path::Path::new("/"), &opts));
    let took = t.elapsed();
    match r {
        Err(StoreError::Backend(m)) => assert!(m.contains("connect_timeout_ms"), "{m}"),
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("a server that never answers"),
    }
    assert!(took < Duration::from_millis(2500), "gave up after {took:?}");
    held.join().unwrap();
}
