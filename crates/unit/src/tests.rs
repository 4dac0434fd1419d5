//! The unit crate's tests: the suppression proof (a checker that reads only the published
//! figures and enumerates what each withheld cell can be), hand cases, generated record sets,
//! what never appears in the output, the CSV, and the record paths read.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use proptest::prelude::*;
use serde_json::json;

use crate::figures::*;
use crate::sample::{self, Shape};

fn date(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

/// Every value a cell in `lo..=hi` can take when `m` such cells sum to `r`: found by building
/// the set of sums the other cells can reach (prefix and suffix sets), not by a formula.
fn feasible_values(m: usize, r: u64, lo: u64, hi: u64) -> Option<Vec<Vec<u64>>> {
    let r = r as usize;
    let step = |set: &[bool]| -> Vec<bool> {
        let mut out = vec![false; r + 1];
        for (s, _) in set.iter().enumerate().filter(|(_, &b)| b) {
            for x in lo..=hi {
                let t = s + x as usize;
                if t > r {
                    break;
                }
                out[t] = true;
            }
        }
        out
    };
    let mut zero = vec![false; r + 1];
    zero[0] = true;
    let mut prefix = vec![zero.clone()];
    for i in 0..m {
        let next = step(&prefix[i]);
        prefix.push(next);
    }
    if !prefix[m][r] {
        return None; // no assignment at all: this model is contradicted
    }
    let mut suffix = vec![zero; m + 1];
    for i in (0..m).rev() {
        suffix[i] = step(&suffix[i + 1]);
    }
    let mut out = Vec::new();
    for i in 0..m {
        let mut others = vec![false; r + 1];
        for (a, _) in prefix[i].iter().enumerate().filter(|(_, &b)| b) {
            for (b, _) in suffix[i + 1].iter().enumerate().filter(|(_, &b)| b) {
                if a + b <= r {
                    others[a + b] = true;
                }
            }
        }
        out.push((lo..=hi.min(r as u64)).filter(|&v| others[r - v as usize]).collect());
    }
    Some(out)
}

/// The proof, from the published figures only: no shown count is under the threshold, and in
/// every partition table each withheld cell keeps at least two values under each model a
/// reader may hold (anything from 0 to the total; not 0; under the threshold). A model the
/// numbers contradict pins nothing, but "0 to the total" holds for the true counts and must be
/// consistent. With the total withheld, every partition cell must be withheld.
fn check(f: &Figures) -> Result<(), String> {
    let th = f.threshold as u64;
    let small = |c: Cell| c.count().is_some_and(|n| n > 0 && n < th);
    if small(f.total) {
        return Err("the total is shown under the threshold".into());
    }
    for t in &f.tables {
        for r in &t.rows {
            if small(r.value) {
                return Err(format!("{}/{} shown as {:?}", t.id, r.key, r.value));
            }
        }
    }
    for id in PARTITION_TABLES {
        let t = f.table(id).ok_or(format!("no table {id}"))?;
        let Some(total) = f.total.count() else {
            if let Some(r) = t.rows.iter().find(|r| !r.value.is_suppressed()) {
                return Err(format!("total withheld but {id}/{} shown", r.key));
            }
            continue;
        };
        let shown: u64 = t.rows.iter().filter_map(|r| r.value.count()).sum();
        let hidden: Vec<&str> = t.rows.iter().filter(|r| r.value.is_suppressed()).map(|r| r.key.as_str()).collect();
        if shown > total {
            return Err(format!("{id}: shown cells sum past the total"));
        }
        if hidden.is_empty() {
            if shown != total {
                return Err(format!("{id}: rows do not sum to the total"));
            }
            continue;
        }
        let r = total - shown;
        for (model, lo, hi) in [("0..total", 0, total), ("1..total", 1, total), ("1..threshold-1", 1, th - 1)] {
            match feasible_values(hidden.len(), r, lo, hi) {
                None if lo == 0 => return Err(format!("{id}: no counts fit the published numbers")),
                None => {}
                Some(values) => {
                    for (key, vs) in hidden.iter().zip(values) {
                        if vs.len() < 2 {
                            return Err(format!("{id}/{key}: under {model} the published numbers say it is {vs:?}"));
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// The published figures agree with the true counts: shown cells are the counts, and every
/// count under the threshold that is not 0 is withheld.
fn agrees(f: &Figures, c: &Counts) {
    let th = f.threshold as u64;
    if let Some(n) = f.total.count() {
        assert_eq!(n, c.total);
    }
    assert_eq!(f.tables.len(), c.tables.len());
    for (t, ct) in f.tables.iter().zip(&c.tables) {
        assert_eq!(t.id, ct.id);
        assert_eq!(t.rows.len(), ct.rows.len(), "{}", t.id);
        for (r, (k, _, n)) in t.rows.iter().zip(&ct.rows) {
            assert_eq!(&r.key, k);
            match r.value {
                Cell::Count(v) => assert_eq!(v, *n, "{}/{k}", t.id),
                Cell::Suppressed => {}
            }
            if *n > 0 && *n < th {
                assert!(r.value.is_suppressed(), "{}/{k} = {n}", t.id);
            }
        }
    }
}

/// Counts with one partition table set by hand (the others all in one row, so they reveal
/// nothing and need nothing hidden).
fn counts_with(id: &'static str, cells: &[u64]) -> Counts {
    let total: u64 = cells.iter().sum();
    let rows =
        |cells: &[u64]| cells.iter().enumerate().map(|(i, &n)| (format!("r{i}"), format!("Row {i}"), n)).collect();
    let tables = PARTITION_TABLES
        .iter()
        .map(|&t| CountTable { id: t, title: "", note: "", rows: if t == id { rows(cells) } else { rows(&[total]) } })
        .collect();
    Counts { range: Range { from: date("2026-01-05"), to: date("2026-01-11") }, total, tables }
}

fn shown(f: &Figures, id: &str) -> Vec<Option<u64>> {
    f.table(id).expect("table").rows.iter().map(|r| r.value.count()).collect()
}

#[test]
fn one_small_cell_takes_the_next_smallest_with_it() {
    let f = suppress(&counts_with("per-week", &[3, 12, 40, 9, 0]), 5);
    assert_eq!(shown(&f, "per-week"), [None, Some(12), Some(40), None, Some(0)]);
    assert_eq!(f.total, Cell::Count(64));
    check(&f).expect("safe");
}

#[test]
fn two_small_cells_summing_to_two_take_a_third() {
    // Shown as two withheld cells summing to 2 from a total, both would be 1.
    let f = suppress(&counts_with("languages", &[1, 1, 20, 30]), 5);
    assert_eq!(shown(&f, "languages"), [None, None, None, Some(30)]);
    check(&f).expect("safe");
}

#[test]
fn a_small_cell_with_all_others_known_is_not_left_alone() {
    let f = suppress(&counts_with("encounter-type", &[2, 7, 8, 9, 10, 11]), 5);
    assert_eq!(shown(&f, "encounter-type"), [None, None, Some(8), Some(9), Some(10), Some(11)]);
    check(&f).expect("safe");
}

#[test]
fn cells_that_would_all_be_at_the_threshold_take_another() {
    // 4 and 4 withheld, summing to 8: a reader who takes both for primary cells gets 4 and 4.
    let f = suppress(&counts_with("outcome-level", &[4, 4, 30, 31]), 5);
    assert_eq!(shown(&f, "outcome-level"), [None, None, None, Some(31)]);
    check(&f).expect("safe");
}

#[test]
fn ones_everywhere_hide_a_zero() {
    // Five weeks of one screening each, the rest 0: with the zeros and the total shown, each
    // withheld week would be exactly 1. A zero is withheld with them.
    let f = suppress(&counts_with("per-week", &[1, 1, 0, 1, 1, 1, 0]), 5);
    assert_eq!(shown(&f, "per-week"), [None, None, None, None, None, None, Some(0)]);
    assert_eq!(f.total, Cell::Count(5));
    check(&f).expect("safe");
}

#[test]
fn ones_everywhere_and_no_zero_withhold_the_total() {
    let f = suppress(&counts_with("interpreter", &[1, 1, 1, 1, 1]), 5);
    assert_eq!(f.total, Cell::Suppressed);
    for id in PARTITION_TABLES {
        assert!(f.table(id).expect("table").rows.iter().all(|r| r.value.is_suppressed()), "{id}");
    }
    check(&f).expect("safe");
}

#[test]
fn a_total_under_the_threshold_withholds_everything() {
    let c = counts_with("per-week", &[1, 0, 3]);
    let f = suppress(&c, 5);
    assert_eq!(f.total, Cell::Suppressed);
    assert!(f.tables.iter().flat_map(|t| &t.rows).all(|r| r.value.is_suppressed()));
    check(&f).expect("safe");
    let none = suppress(&counts_with("per-week", &[0, 0]), 5);
    assert_eq!(none.total, Cell::Count(0), "no screenings at all is said plainly");
    check(&none).expect("safe");
}

#[test]
fn the_checker_catches_what_primary_suppression_alone_leaves() {
    // Without secondary suppression, each of these is worked out by subtraction.
    let mut f = suppress(&counts_with("per-week", &[3, 12, 40]), 5);
    f.tables[0].rows[1].value = Cell::Count(12);
    assert!(check(&f).unwrap_err().contains("per-week/r0"));
    let mut f = suppress(&counts_with("per-week", &[1, 1, 20, 30]), 5);
    f.tables[0].rows[2].value = Cell::Count(20);
    assert!(check(&f).is_err());
    let mut f = suppress(&counts_with("per-week", &[1, 1, 0, 1, 1, 1, 0]), 5);
    f.tables[0].rows[2].value = Cell::Count(0);
    assert!(check(&f).is_err());
}

fn opts(from: &str, to: &str, threshold: u32) -> FigureOptions {
    FigureOptions { from: date(from), to: date(to), threshold }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// The proof over generated record sets: 1..200 records over a few months, random weeks,
    /// levels, languages, encounters, referrals and amendments; a range inside them; thresholds 3..10.
    #[test]
    fn no_published_combination_reveals_a_withheld_count(
        seed in any::<u64>(),
        n in 1usize..200,
        days in 1u64..120,
        start in 0i64..60,
        span in 0i64..90,
        threshold in 3u32..10,
        amend in 0u64..30,
    ) {
        let base = date("2026-01-01");
        let records = sample::records(seed, n, &Shape { start: base, days, amend_percent: amend });
        let (from, to) = (base + chrono::Duration::days(start / 2), base + chrono::Duration::days(start / 2 + span));
        let f = figures(&records, &FigureOptions { from, to, threshold }).expect("figures");
        prop_assert!(check(&f).is_ok(), "{}", check(&f).unwrap_err());
        agrees(&f, &count(&records, from, to));
    }

    /// Hand-shaped partitions at random: any cells, any threshold.
    #[test]
    fn any_partition_is_made_safe(cells in proptest::collection::vec(0u64..15, 1..12), threshold in 3u32..8) {
        let c = counts_with("per-week", &cells);
        let f = suppress(&c, threshold);
        prop_assert!(check(&f).is_ok(), "{:?}: {}", cells, check(&f).unwrap_err());
        agrees(&f, &c);
    }
}

#[test]
fn nothing_that_names_a_person_an_officer_or_a_record_appears() {
    let records = sample::records(7, 400, &Shape { start: date("2026-03-02"), days: 40, amend_percent: 15 });
    let f = figures(&records, &opts("2026-03-01", "2026-04-30", 5)).expect("figures");
    let json = serde_json::to_string(&f).expect("json");
    let csv = to_csv(&f);
    for out in [&json, &csv] {
        for r in &records {
            assert!(!out.contains(&r.id), "record id {}", r.id);
            assert!(!out.contains(&r.officer_id), "officer id {}", r.officer_id);
            assert!(!out.contains(&r.device_id), "device id {}", r.device_id);
            if let Some(notes) = r.context.get("notes").and_then(|v| v.as_str()) {
                assert!(!out.contains(notes) && !out.contains("NOTES-MARK"), "notes");
            }
        }
        for marker in ["MARK", "+00:00", ":00", "a-type-from-later", "saw a van", "Label of force-item"] {
            assert!(!out.contains(marker), "{marker} in output");
        }
        // Every date written is a week's Monday or an end of the range asked for.
        let b = out.as_bytes();
        for i in 0..b.len().saturating_sub(9) {
            if let Ok(d) = std::str::from_utf8(&b[i..i + 10]).unwrap_or("").parse::<NaiveDate>() {
                assert!(d == f.range.from || d == f.range.to || d.format("%a").to_string() == "Mon", "{d}");
            }
        }
    }
    // Dates are weeks (Mondays) and the range asked for, nothing finer.
    for t in &f.tables {
        if t.id == "per-week" {
            for r in &t.rows {
                assert_eq!(date(&r.key).format("%a").to_string(), "Mon");
            }
        }
    }
}

/// A minimal RFC 4180 reader for the test.
fn parse_csv(s: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut chars = s.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {
                chars.next();
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(field.is_empty() && row.is_empty(), "the last line ends with CRLF");
    rows
}

#[test]
fn csv_reads_back_with_the_same_suppression() {
    let records = sample::records(11, 150, &Shape { start: date("2026-02-02"), days: 60, amend_percent: 10 });
    let f = figures(&records, &opts("2026-02-01", "2026-03-31", 5)).expect("figures");
    assert!(f.tables.iter().flat_map(|t| &t.rows).any(|r| r.value.is_suppressed()), "the sample has small cells");
    let rows = parse_csv(&to_csv(&f));
    assert_eq!(rows[0], ["table", "key", "label", "value"]);
    let mut want =
        vec![vec!["total".into(), "total".into(), "Screenings counted".into(), f.total.shown(5).to_string()]];
    for t in &f.tables {
        for r in &t.rows {
            want.push(vec![t.id.clone(), r.key.clone(), r.label.clone(), r.value.shown(5).to_string()]);
        }
    }
    assert_eq!(rows[1..], want[..]);
    let back: Vec<(String, Cell)> = rows[1..]
        .iter()
        .map(|r| {
            let v = if r[3] == "fewer than 5" { Cell::Suppressed } else { Cell::Count(r[3].parse().expect("a count")) };
            (format!("{}/{}", r[0], r[1]), v)
        })
        .collect();
    let mine: Vec<(String, Cell)> = std::iter::once(("total/total".to_string(), f.total))
        .chain(f.tables.iter().flat_map(|t| t.rows.iter().map(move |r| (format!("{}/{}", t.id, r.key), r.value))))
        .collect();
    assert_eq!(back, mine);
    // Quoting: the title with quotes, a label with a comma.
    let mut g = f.clone();
    g.tables[0].rows[0].label = "a, \"b\"\r\nc".into();
    let rows = parse_csv(&to_csv(&g));
    assert_eq!(rows[2][2], "a, \"b\"\r\nc");
}

#[test]
fn cells_serialize_for_the_ui() {
    assert_eq!(serde_json::to_value(Cell::Count(7)).expect("json"), json!({"count": 7}));
    assert_eq!(serde_json::to_value(Cell::Suppressed).expect("json"), json!({"suppressed": true}));
    assert_eq!(serde_json::from_value::<Cell>(json!({"count": 0})).expect("cell"), Cell::Count(0));
    assert_eq!(serde_json::from_value::<Cell>(json!({"suppressed": true})).expect("cell"), Cell::Suppressed);
    assert!(serde_json::from_value::<Cell>(json!({"suppressed": false})).is_err());
    assert_eq!(Cell::Suppressed.shown(5).to_string(), "fewer than 5");
    assert_eq!(Cell::Suppressed.shown(10).to_string(), "fewer than 10");
    assert_eq!(Cell::Count(12).shown(5).to_string(), "12");
    let f = figures(&[], &opts("2026-01-01", "2026-01-31", 5)).expect("figures");
    let v = serde_json::to_value(&f).expect("json");
    assert_eq!(v["range"], json!({"from": "2026-01-01", "to": "2026-01-31"}));
    assert_eq!(v["total"], json!({"count": 0}));
    assert_eq!(serde_json::from_value::<Figures>(v).expect("back"), f);
}

#[test]
fn options_are_checked() {
    assert_eq!(FigureOptions::new(date("2026-01-01"), date("2026-01-02")).threshold, 5);
    assert!(matches!(figures(&[], &opts("2026-02-01", "2026-01-01", 5)), Err(FigureError::Range { .. })));
    assert_eq!(figures(&[], &opts("2026-01-01", "2026-01-01", 2)), Err(FigureError::Threshold(2)));
}

#[test]
fn the_shipped_breakdowns_in_order() {
    let f = figures(&[], &opts("2026-01-01", "2026-01-31", 5)).expect("figures");
    let ids: Vec<&str> = f.tables.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "per-week",
            "encounter-type",
            "outcome-level",
            "indicator-groups",
            "minors-identified",
            "referrals",
            "languages",
            "interpreter",
            "items-declined",
            "items-not-sure",
            "stopped",
            "partial"
        ]
    );
    // January 2026 meets five ISO weeks, from Monday 29 December.
    let weeks: Vec<(&str, &str)> =
        f.table("per-week").expect("weeks").rows.iter().map(|r| (r.key.as_str(), r.label.as_str())).collect();
    assert_eq!(weeks[0], ("2025-12-29", "2026-W01"));
    assert_eq!(weeks.len(), 5);
}

/// One record with a chosen outcome and context.
fn record(
    id: &str,
    amends: Option<&str>,
    finalized: &str,
    outcome: serde_json::Value,
    context: serde_json::Value,
) -> vault::records::RecordBody {
    vault::records::RecordBody {
        format: "fieldscreen-record/1".into(),
        id: id.into(),
        amends: amends.map(Into::into),
        protocol: screening::outcome::ProtocolRef {
            id: "adult-roadside".into(),
            version: "1".into(),
            content_hash: "h".into(),
        },
        language: "en".into(),
        answers: Vec::new(),
        observations: Vec::new(),
        outcome,
        officer_id: "o".into(),
        device_id: "d".into(),
        started_at: finalized.into(),
        finalized_at: finalized.into(),
        context,
    }
}

fn level(id: &str) -> serde_json::Value {
    json!({ "level": { "id": id, "rank": 1, "title": id } })
}

fn raw(records: &[vault::records::RecordBody], from: &str, to: &str) -> BTreeMap<String, u64> {
    let c = count(records, date(from), date(to));
    let mut out = BTreeMap::new();
    out.insert("total".into(), c.total);
    for t in c.tables {
        for (k, _, n) in t.rows {
            out.insert(format!("{}/{k}", t.id), n);
        }
    }
    out
}

#[test]
fn each_screening_counts_once_as_its_latest_version_dated_by_its_first() {
    let t = "2026-01-05T10:00:00+00:00";
    let recs = vec![
        record("a", None, t, level("low"), json!({})),
        record("a2", Some("a"), "2026-02-20T10:00:00+00:00", level("mid"), json!({})),
        record("a3", Some("a2"), "2026-02-21T10:00:00+00:00", level("high"), json!({})),
        // Two amendments of one record: the later one is the screening's latest version.
        record("b", None, t, level("low"), json!({})),
        record("b1", Some("b"), "2026-01-07T10:00:00+00:00", level("mid"), json!({})),
        record("b2", Some("b"), "2026-01-08T10:00:00+00:00", level("high"), json!({})),
        // An amendment whose first version is not here counts, dated by itself.
        record("c2", Some("c-not-opened"), "2026-01-06T09:00:00+00:00", level("mid"), json!({})),
        // Out of the range.
        record("d", None, "2026-01-12T00:00:00+00:00", level("low"), json!({})),
        record("e", None, "not a time", level("low"), json!({})),
    ];
    let n = raw(&recs, "2026-01-05", "2026-01-11");
    assert_eq!(n["total"], 3);
    assert_eq!(n["outcome-level/high"], 2);
    assert_eq!(n["outcome-level/mid"], 1);
    assert!(!n.contains_key("outcome-level/low"));
    assert_eq!(n["per-week/2026-01-05"], 3);
    // The same set in another order, and with a record given twice: the same figures.
    let mut shuffled = recs.clone();
    shuffled.reverse();
    shuffled.push(recs[0].clone());
    assert_eq!(raw(&shuffled, "2026-01-05", "2026-01-11"), n);
    let many = sample::records(3, 300, &Shape { start: date("2026-01-01"), days: 50, amend_percent: 25 });
    let mut rev = many.clone();
    rev.reverse();
    let o = opts("2026-01-01", "2026-02-28", 5);
    assert_eq!(figures(&many, &o), figures(&rev, &o));
}

#[test]
fn context_keys_absent_are_not_recorded_never_guessed() {
    let t = "2026-01-05T10:00:00+00:00";
    let recs = vec![
        record("a", None, t, json!({}), json!({})),
        record("b", None, t, json!({}), json!({ "encounter": { "type": "welfare-check" } })),
        record("c", None, t, json!({}), json!({ "encounter": { "type": "Smith's garage", "interpreter": "phone" } })),
        record(
            "d",
            None,
            t,
            json!({}),
            json!({ "referrals": { "hotline": "offered", "shelter": "accepted", "legal": "not-offered", "x": "maybe" } }),
        ),
        record("e", None, t, json!({}), json!({ "referrals": { "hotline": "declined", "shelter": "accepted" } })),
    ];
    let n = raw(&recs, "2026-01-05", "2026-01-11");
    assert_eq!(n["encounter-type/not-recorded"], 3);
    assert_eq!(n["encounter-type/welfare-check"], 1);
    assert_eq!(n["encounter-type/unrecognized"], 1);
    assert_eq!(n["interpreter/phone"], 1);
    assert_eq!(n["interpreter/not-recorded"], 4);
    assert_eq!(n["outcome-level/not-recorded"], 5);
    assert_eq!(n["referrals/hotline:offered"], 1);
    assert_eq!(n["referrals/hotline:declined"], 1);
    assert_eq!(n["referrals/shelter:accepted"], 2);
    // Not offered, and a value that is not one of the choices, are counted nowhere.
    assert!(!n.keys().any(|k| k.starts_with("referrals/legal:") || k.starts_with("referrals/x:")));
    assert_eq!(n["stopped/stopped"], 0);
}

/// A real outcome from the shipped adult protocol, serialized as the vault seals it: the paths
/// the figures read are the ones `screening::Outcome` writes.
#[test]
fn reads_the_outcome_the_engine_writes() {
    use screening::{Answer, AnswerKind, Session, Source};
    use std::sync::Arc;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../screening-protocols");
    let mut sources = Vec::new();
    for sub in ["adult-roadside/protocol.toml", "observations/checklist.toml", "glossary.toml"] {
        let path = root.join(sub);
        sources
            .push(Source { path: path.display().to_string(), text: std::fs::read_to_string(&path).expect("shipped") });
    }
    let lib = screening::load(&sources).expect("valid");
    let p = Arc::new(lib.protocol("adult-roadside").expect("protocol").clone());
    let mut s = Session::new(p);
    let (mut declined, mut not_sure) = (Vec::new(), Vec::new());
    // Answer the first items shown: decline one, "not sure" another, yes where yes is taken.
    for _ in 0..12 {
        let Some(it) = s.current().cloned() else { break };
        let tokens = it.answer.tokens();
        let a = if declined.is_empty() && tokens.contains(&AnswerKind::Declined) {
            declined.push(it.id.clone());
            Answer::Declined
        } else if not_sure.is_empty() && tokens.contains(&AnswerKind::NotSure) {
            not_sure.push(it.id.clone());
            Answer::NotSure
        } else if tokens.contains(&AnswerKind::Yes) {
            Answer::Yes
        } else if tokens.contains(&AnswerKind::Seen) {
            Answer::Seen
        } else if tokens.contains(&AnswerKind::Read) {
            Answer::Read
        } else {
            Answer::Declined
        };
        s.answer(&it.id, a).expect("answer");
    }
    s.stop().expect("stop");
    let o = s.outcome(None);
    let json = serde_json::to_value(&o).expect("json");
    let rec = record("r", None, "2026-01-05T10:00:00+00:00", json, json!({}));
    let n = raw(std::slice::from_ref(&rec), "2026-01-05", "2026-01-05");
    assert_eq!(n["total"], 1);
    assert_eq!(n[&format!("outcome-level/{}", o.level.id)], 1);
    assert_eq!(n["stopped/stopped"], 1);
    assert_eq!(n["partial/partial"], 1);
    for d in &o.declined {
        assert_eq!(n[&format!("items-declined/adult-roadside/{}", d.item)], 1);
    }
    for d in &o.not_sure {
        assert_eq!(n[&format!("items-not-sure/adult-roadside/{}", d.item)], 1);
    }
    assert!(!o.declined.is_empty() && !o.not_sure.is_empty(), "the run declined one item and was unsure of one");
    for g in &o.groups {
        assert_eq!(n[&format!("indicator-groups/{}", g.name())], 1, "{g:?}");
    }
    let groups_counted =
        screening::Group::ALL.iter().filter(|g| n[&format!("indicator-groups/{}", g.name())] == 1).count();
    assert_eq!(groups_counted, o.groups.len());
}

#[test]
fn the_threshold_comes_from_the_agency_policy() {
    let lib = {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../screening-protocols");
        let sources: Vec<screening::Source> = durable::read_toml_files(&root)
            .unwrap()
            .into_iter()
            .map(|(p, text)| screening::Source { path: p.display().to_string(), text })
            .collect();
        screening::load(&sources).unwrap()
    };
    let policy = lib.policy("default").unwrap();
    assert_eq!(policy.small_cell_threshold, 5, "the shipped policy says 5");
    let day = |d| chrono::NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
    let o = FigureOptions::for_policy(policy, day(1), day(30));
    assert_eq!((o.threshold, o.from, o.to), (5, day(1), day(30)));
    let mut stricter = policy.clone();
    stricter.small_cell_threshold = 11;
    assert_eq!(FigureOptions::for_policy(&stricter, day(1), day(30)).threshold, 11);
}
