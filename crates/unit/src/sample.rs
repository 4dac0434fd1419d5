//! Generated opened records for the tests and the benchmark: deterministic from a seed, shaped
//! like what `vault` seals (an `Outcome` as JSON, the app's context object). Every id, the
//! officer and device ids and the notes carry markers a test can look for in the output.

use chrono::{Duration, NaiveDate};
use serde_json::{json, Value};

use screening::outcome::ProtocolRef;
use vault::records::RecordBody;

/// SplitMix64: small, seeded, good enough to spread test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

/// How generated records vary; skewed so that small cells are common.
pub struct Shape {
    /// First day records may be finalized on.
    pub start: NaiveDate,
    /// Days over which they spread.
    pub days: u64,
    /// Percent of records that amend an earlier one.
    pub amend_percent: u64,
}

const LEVELS: &[(&str, u64, &str)] = &[
    ("no-indicators", 0, "No indicators seen"),
    ("some-indicators", 1, "Some indicators"),
    ("strong-indicators", 2, "Strong indicators"),
    ("stopped-early", 1, "Stopped before the end"),
    ("minor-in-sex-trade", 3, "A minor in commercial sex"),
];
const LANGS: &[&str] = &["en", "en", "en", "es", "es", "fr", "ar", "tir"];
const TYPES: &[&str] = &["traffic-stop", "traffic-stop", "welfare-check", "call-for-service", "person-came-forward"];
const INTERPRETERS: &[&str] = &["not-needed", "not-needed", "screen", "phone", "in-person"];
const RESOURCES: &[&str] = &["hotline", "shelter-north", "legal-aid"];
const CHOICES: &[&str] = &["not-offered", "offered", "accepted", "declined"];
const ITEMS: &[&str] = &["safe-now", "documents", "debt", "movement", "threats", "pay", "age"];

pub fn officer(i: u64) -> String {
    format!("OFFICER-MARK-{i}")
}

pub fn notes(i: u64) -> String {
    format!("NOTES-MARK-{i}: saw a van, spoke with the person's \"friend\"")
}

fn indicator(item: &str, detail: Option<&str>) -> Value {
    json!({ "item": item, "label": format!("Label of {item}"), "answer": "yes", "detail": detail })
}

/// One outcome JSON as `screening::Outcome` serializes.
fn outcome(rng: &mut Rng, protocol: &str) -> Value {
    let (id, rank, title) = *rng.pick(LEVELS);
    let mut ind = json!({ "force": [], "fraud": [], "coercion": [], "purpose": [], "minor": [], "safety": [] });
    for g in ["force", "fraud", "coercion", "minor", "safety"] {
        if rng.chance(15) {
            ind[g].as_array_mut().expect("array").push(indicator(&format!("{g}-item"), None));
        }
    }
    if rng.chance(10) {
        ind["purpose"].as_array_mut().expect("array").push(indicator("sold-sex", Some("sex")));
    }
    if rng.chance(10) {
        ind["purpose"].as_array_mut().expect("array").push(indicator("work-unpaid", Some("labor")));
    }
    let refs = |rng: &mut Rng, p: u64| -> Vec<Value> {
        ITEMS.iter().filter(|_| rng.chance(p)).map(|i| json!({ "item": i, "label": format!("Label of {i}") })).collect()
    };
    let stopped = rng.chance(8);
    let partial = stopped || rng.chance(5);
    json!({
        "protocol": { "id": protocol, "version": "1.0.0", "content_hash": "abc" },
        "status": if stopped { "stopped" } else { "complete" },
        "level": { "id": id, "rank": rank, "title": title, "meaning": "..." },
        "groups": [],
        "indicators": ind,
        "declined": refs(rng, 6),
        "not_sure": refs(rng, 9),
        "stopped": stopped,
        "partial": partial,
        "stop_rule": null,
        "minor_rule": id == "minor-in-sex-trade",
        "unanswered": [],
        "actions": [],
        "non_arrest_guidance": null,
    })
}

fn context(rng: &mut Rng, i: u64) -> Value {
    let mut c = serde_json::Map::new();
    if !rng.chance(5) {
        let mut e = serde_json::Map::new();
        if !rng.chance(5) {
            e.insert("type".into(), json!(if rng.chance(2) { "a-type-from-later" } else { rng.pick(TYPES) }));
        }
        e.insert("setting".into(), json!("unknown"));
        if !rng.chance(5) {
            e.insert("interpreter".into(), json!(rng.pick(INTERPRETERS)));
        }
        c.insert("encounter".into(), Value::Object(e));
    }
    if rng.chance(70) {
        let mut r = serde_json::Map::new();
        for res in RESOURCES {
            if rng.chance(60) {
                r.insert(res.to_string(), json!(rng.pick(CHOICES)));
            }
        }
        c.insert("referrals".into(), Value::Object(r));
    }
    if rng.chance(50) {
        c.insert("notes".into(), json!(notes(i)));
    }
    Value::Object(c)
}

/// `n` records (with some amendments among them).
pub fn records(seed: u64, n: usize, shape: &Shape) -> Vec<RecordBody> {
    let mut rng = Rng::new(seed);
    let mut out: Vec<RecordBody> = Vec::with_capacity(n);
    for i in 0..n as u64 {
        let day = shape.start + Duration::days(rng.below(shape.days.max(1)) as i64);
        let amends = (!out.is_empty() && rng.chance(shape.amend_percent))
            .then(|| out[rng.below(out.len() as u64) as usize].id.clone());
        let protocol = if rng.chance(20) { "minor-observe" } else { "adult-roadside" };
        let finalized = format!("{day}T{:02}:{:02}:00+00:00", rng.below(24), rng.below(60));
        out.push(RecordBody {
            format: "fieldscreen-record/1".into(),
            id: format!("RECORD-MARK-{seed}-{i}"),
            amends,
            protocol: ProtocolRef { id: protocol.into(), version: "1.0.0".into(), content_hash: "abc".into() },
            language: if rng.chance(3) { String::new() } else { rng.pick(LANGS).to_string() },
            answers: Vec::new(),
            observations: Vec::new(),
            outcome: outcome(&mut rng, protocol),
            officer_id: officer(rng.below(7)),
            device_id: format!("DEVICE-MARK-{}", rng.below(5)),
            started_at: finalized.clone(),
            finalized_at: finalized,
            context: context(&mut rng, i),
        });
    }
    out
}
