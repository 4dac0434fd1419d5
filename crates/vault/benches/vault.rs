//! Vault benchmark (not a timed test): unlock including the KDF, answer commit p50/p99 with
//! synchronous=FULL, and SQLCipher against plain SQLite on the same workload, measured side by
//! side (alternating, median of rounds) because shared machines are noisy.
//!
//! `cargo bench -p vault`; `cargo test -p vault --benches` runs it once with tiny sizes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use benchkit::Better;
use screening::{Answer, Event, Source};
use vault::{CreateOptions, UnlockPolicy, Vault, MIN_ITERATIONS};

const SECRET: &str = "river lantern copper";

fn quick() -> bool {
    benchkit::smoke()
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn protocol() -> Arc<screening::Protocol> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../screening-protocols");
    let mut sources = Vec::new();
    for sub in ["adult-roadside/protocol.toml", "observations/checklist.toml", "glossary.toml"] {
        let path = root.join(sub);
        sources.push(Source {
            path: path.display().to_string(),
            text: std::fs::read_to_string(&path).expect("shipped content"),
        });
    }
    let lib = screening::load(&sources).expect("valid");
    Arc::new(lib.protocol("adult-roadside").expect("adult-roadside").clone())
}

/// Inserts `n` rows, one transaction each, on a connection set up like the vault's.
fn workload(conn: &rusqlite::Connection, n: usize) -> Duration {
    conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA temp_store=MEMORY; PRAGMA secure_delete=ON; CREATE TABLE IF NOT EXISTS e (id INTEGER PRIMARY KEY, body TEXT NOT NULL);")
        .expect("setup");
    let start = Instant::now();
    for i in 0..n {
        conn.execute(
            "INSERT INTO e (body) VALUES (?1)",
            [format!("{{\"event\":\"answer\",\"item\":\"item-{i}\",\"answer\":{{\"kind\":\"yes\"}}}}")],
        )
        .expect("insert");
    }
    start.elapsed()
}

fn main() {
    let q = quick();
    let rounds = if q { 1 } else { 5 };
    let commits = if q { 5 } else { 300 };
    let ratio_rows = if q { 10 } else { 500 };

    // Unlock, including PBKDF2 at the production iteration count.
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = UnlockPolicy::default();
    let now = chrono::Utc::now();
    let opts = CreateOptions { officer_id: "bench", recovery_recipient: None, iterations: MIN_ITERATIONS };
    Vault::create(dir.path(), SECRET, &opts, &policy, now).expect("create").lock();
    let mut unlocks = Vec::new();
    for _ in 0..rounds {
        let start = Instant::now();
        let v = Vault::unlock(dir.path(), SECRET, &policy, chrono::Utc::now()).expect("unlock");
        unlocks.push(start.elapsed());
        v.lock();
    }
    unlocks.sort();

    // Answer commits: each append is durable when it returns.
    let p = protocol();
    let v = Vault::unlock(dir.path(), SECRET, &policy, chrono::Utc::now()).expect("unlock");
    let draft = v.create_draft(&p, "en", None, chrono::Utc::now()).expect("draft");
    let item = p.items[0].id.clone();
    let mut lat = Vec::new();
    for i in 0..commits {
        let a = if i % 2 == 0 { Answer::Yes } else { Answer::No };
        let start = Instant::now();
        v.append(&draft, &p, &Event::Answer { item: item.clone(), answer: a }, chrono::Utc::now()).expect("append");
        lat.push(start.elapsed());
    }
    lat.sort();
    v.lock();

    // SQLCipher against plain SQLite: same workload, alternating, median of rounds.
    let mut ratios = Vec::new();
    for r in 0..if q { 3 } else { 11 } {
        let d = tempfile::tempdir().expect("tempdir");
        let run_plain =
            || workload(&rusqlite::Connection::open(d.path().join(format!("plain-{r}.db"))).expect("open"), ratio_rows);
        let run_cipher = || {
            let c = rusqlite::Connection::open(d.path().join(format!("cipher-{r}.db"))).expect("open");
            c.pragma_update(None, "key", "x'2b7e151628aed2a6abf7158809cf4f3c2b7e151628aed2a6abf7158809cf4f3c'")
                .expect("key");
            workload(&c, ratio_rows)
        };
        let (a, b) = if r % 2 == 0 {
            (run_plain(), run_cipher())
        } else {
            let c = run_cipher();
            (run_plain(), c)
        };
        ratios.push(b.as_secs_f64() / a.as_secs_f64());
    }
    ratios.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let ratio = ratios[ratios.len() / 2];

    println!("vault benchmark{}", if q { " (smoke: tiny sizes)" } else { "" });
    let secs = |d: Duration| d.as_secs_f64();
    benchkit::report(
        &format!("unlock incl. PBKDF2-HMAC-SHA256 x{MIN_ITERATIONS} (median of {rounds})"),
        secs(unlocks[unlocks.len() / 2]) * 1e3,
        "ms",
        Some(1000.0),
        Better::Lower,
        "",
    );
    benchkit::report(
        &format!("answer commit p50 (synchronous=FULL, {commits} commits)"),
        secs(pct(&lat, 0.5)) * 1e3,
        "ms",
        None,
        Better::Lower,
        "",
    );
    benchkit::report(
        "answer commit p99",
        secs(pct(&lat, 0.99)) * 1e3,
        "ms",
        Some(100.0),
        Better::Lower,
        "RL-09 budgets p95 at 100 ms; p99 held to it",
    );
    benchkit::report(
        &format!("SQLCipher / plain SQLite, {ratio_rows} durable inserts"),
        ratio,
        "x",
        Some(1.15),
        Better::Lower,
        "side by side, alternating, median; Zetetic cites 5-15% (RL-09)",
    );
}
