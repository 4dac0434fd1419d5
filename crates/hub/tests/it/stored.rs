//! What the hub stores is exactly what `docs/sync.md` lists (PR-01): every table, and every
//! column of a stored row of each, on both backends; officer ids only when the hub keeps them.

use std::collections::BTreeMap;

use chrono::Utc;

use crate::support::*;

/// `## What the hub stores` in docs/sync.md: `### \`table\`` headings, each with a table whose
/// rows start with `| \`column\` |`.
fn documented() -> BTreeMap<String, Vec<String>> {
    let doc = std::fs::read_to_string(repo().join("docs/sync.md")).unwrap();
    let section =
        doc.split("\n## What the hub stores").nth(1).expect("docs/sync.md has a section `## What the hub stores`");
    let section = section.split("\n## ").next().unwrap();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in section.lines() {
        if let Some(h) = line.strip_prefix("### `") {
            let name = h.split('`').next().unwrap().to_string();
            out.insert(name.clone(), Vec::new());
            current = Some(name);
        } else if let (Some(t), Some(c)) = (&current, line.strip_prefix("| `")) {
            out.get_mut(t).unwrap().push(c.split('`').next().unwrap().to_string());
        }
    }
    assert!(!out.is_empty() && out.values().all(|c| !c.is_empty()), "{out:?}");
    out
}

/// Every table in the hub's storage with the columns of its first row, and the officer ids held.
fn stored(h: &TestHub, b: &Backend) -> (BTreeMap<String, Vec<String>>, Vec<Option<String>>) {
    let mut out = BTreeMap::new();
    match b {
        Backend::Sqlite => {
            let c = rusqlite::Connection::open(h.dir.path().join("hub.db")).unwrap();
            let tables: Vec<String> = c
                .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            for t in tables {
                let mut st = c.prepare(&format!("SELECT * FROM {t} LIMIT 1")).unwrap();
                let cols = st.column_names().map(|s| s.to_string()).collect();
                assert!(st.exists([]).unwrap(), "sqlite: no row stored in {t}");
                out.insert(t, cols);
            }
            let officers = c
                .prepare("SELECT officer_id FROM devices UNION ALL SELECT officer_id FROM enroll_codes")
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            (out, officers)
        }
        Backend::Postgres(_) => h.rt.block_on(async {
            let (c, conn) = tokio_postgres::connect(&h.cfg.storage, tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(conn);
            let tables = c
                .query(
                    "SELECT table_name::TEXT FROM information_schema.tables WHERE table_schema = current_schema()",
                    &[],
                )
                .await
                .unwrap();
            for t in tables {
                let t: String = t.get(0);
                let rows = c.query(&format!("SELECT * FROM {t} LIMIT 1"), &[]).await.unwrap();
                let row = rows.first().unwrap_or_else(|| panic!("postgresql: no row stored in {t}"));
                out.insert(t, row.columns().iter().map(|c| c.name().to_string()).collect());
            }
            let officers = c
                .query("SELECT officer_id FROM devices UNION ALL SELECT officer_id FROM enroll_codes", &[])
                .await
                .unwrap();
            (out, officers.iter().map(|r| r.get(0)).collect())
        }),
    }
}

/// A hub that has seen one of everything: a used code and an unused one, an enrolled device,
/// a record, a nonce, a unit configuration, counted enrollment attempts.
fn busy_hub(b: &Backend, keep: bool) -> TestHub {
    let h = TestHub::start_cfg(b, false, |c| c.keep_officer_id = keep);
    let dir = tempfile::tempdir().unwrap();
    let v = new_vault(dir.path());
    enroll(&h, &v);
    publish_unit(&h, &Custodian::new(), 1);
    add_records(&v, &library(), 1);
    assert_eq!(sync::device::sync_once(&v, Utc::now).unwrap().sent, 1);
    h.code(MARKER);
    h
}

#[test]
fn pr_01_the_hub_stores_exactly_what_docs_sync_md_lists() {
    let doc = documented();
    assert_eq!(doc.keys().cloned().collect::<Vec<_>>(), {
        let mut t: Vec<String> = hub::store::TABLES.iter().map(|s| s.to_string()).collect();
        t.sort();
        t
    });
    for b in backends() {
        let h = busy_hub(&b, false);
        let (tables, officers) = stored(&h, &b);
        assert_eq!(tables, doc, "{}: the stored tables and columns are the documented ones", b.name());
        assert!(
            officers.iter().all(Option::is_none),
            "{}: PR-01: no officer id is kept by default: {officers:?}",
            b.name()
        );
        assert!(h.devices().iter().all(|d| d.officer_id.is_none()));
    }
}

#[test]
fn pr_01_the_officer_id_is_kept_only_when_the_hub_is_configured_to() {
    for b in backends() {
        let h = busy_hub(&b, true);
        let (_, officers) = stored(&h, &b);
        let kept: Vec<_> = officers.iter().flatten().collect();
        assert_eq!(kept, [MARKER, MARKER], "{}: the device's row, and the unused code", b.name());
        assert_eq!(h.devices()[0].officer_id.as_deref(), Some(MARKER));
        // Turning it off again forgets them at the next start.
        let cfg = hub::config::Config { keep_officer_id: false, ..h.cfg.clone() };
        let mut h = h;
        let r = h.running.take().unwrap();
        h.rt.block_on(r.stop());
        h.running = Some(h.rt.block_on(hub::serve::start(&cfg)).unwrap());
        let (_, officers) = stored(&h, &b);
        assert!(officers.iter().all(Option::is_none), "{}: {officers:?}", b.name());
    }
    let h = TestHub::start(&Backend::Sqlite);
    let dir = tempfile::tempdir().unwrap();
    let v = new_vault(dir.path());
    enroll(&h, &v);
    let bytes: Vec<u8> = std::fs::read_dir(h.dir.path())
        .unwrap()
        .flat_map(|e| std::fs::read(e.unwrap().path()).unwrap_or_default())
        .collect();
    assert!(
        !bytes.windows(MARKER.len()).any(|w| w == MARKER.as_bytes()),
        "the officer id is nowhere in the hub's files"
    );
}
