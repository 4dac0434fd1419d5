//! De-identified unit figures over the records a custodian has opened, with small-cell
//! suppression. Pure: no IO, no clock (the caller passes the date range), and the output depends
//! only on the set of records given, not on their order.
//!
//! # What is read from a record
//!
//! The record's `outcome` is the JSON of [`screening::Outcome`]; it is read by path, so a record
//! from an older or newer engine still counts for what it holds:
//!
//! | path | used for |
//! |---|---|
//! | `level.id`, `level.title`, `level.rank` | `outcome-level` (rank orders the rows) |
//! | `indicators.force`, `.fraud`, `.coercion`, `.minor`, `.safety` (arrays) | `indicator-groups` |
//! | `indicators.purpose[].detail` (`sex` / `labor`) | `indicator-groups`: purpose-sex, purpose-labor |
//! | `minor_rule` (bool) | `minors-identified`, with a non-empty `indicators.minor` |
//! | `declined[].item`, `not_sure[].item` (and `.label`) | `items-declined`, `items-not-sure` |
//! | `stopped`, `partial` (bool) | `stopped`, `partial` |
//!
//! (`declined` and `not_sure` hold [`screening::outcome::ItemRef`]s, whose id field is `item`.)
//! The record's `context` holds `encounter` {`type`, `setting`, `interpreter`} and `referrals`
//! {resource id: `not-offered` | `offered` | `accepted` | `declined`}, as `src-tauri/src/field.rs`
//! writes them; `language` is the record's own field. An absent or unreadable key is counted as
//! "not recorded" where a table partitions the screenings, and nowhere otherwise: never guessed.
//! A value that is not a known id (or not shaped like an id) is counted as "unrecognized", so no
//! free text can reach the figures.
//!
//! # Which records count
//!
//! Each screening counts once, as its latest version: a record that another given record amends
//! is passed over, and when two records amend the same one, the later `finalized_at` (then the
//! larger id) is the latest. A screening is dated by the `finalized_at` of its first version in
//! the given set (UTC date), so correcting a screening never moves it to another week; it counts
//! when that date is within `from..=to`.
//!
//! # Suppression
//!
//! See [`Cell`] and `docs/figures.md`: every count from 1 to `threshold - 1` is suppressed;
//! then, in every table whose rows partition the screenings, further cells are suppressed
//! (the smallest first) until no suppressed cell can be worked out from the published numbers.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use screening::encounter;
use screening::Group;
use vault::records::RecordBody;

/// The policy's default threshold: a count below it is shown as "fewer than 5".
pub const DEFAULT_THRESHOLD: u32 = screening::resources::DEFAULT_SMALL_CELL_THRESHOLD;

/// The smallest threshold accepted: with 2, "fewer than 2" of a count that is not 0 says 1.
pub const MIN_THRESHOLD: u32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FigureOptions {
    /// First day counted (on the screening's `finalized_at`, UTC).
    pub from: NaiveDate,
    /// Last day counted, inclusive.
    pub to: NaiveDate,
    /// From the policy; [`DEFAULT_THRESHOLD`] when it says nothing.
    pub threshold: u32,
}

impl FigureOptions {
    pub fn new(from: NaiveDate, to: NaiveDate) -> FigureOptions {
        FigureOptions { from, to, threshold: DEFAULT_THRESHOLD }
    }

    /// The range with the agency policy's threshold (`small_cell_threshold`).
    pub fn for_policy(policy: &screening::Policy, from: NaiveDate, to: NaiveDate) -> FigureOptions {
        FigureOptions { from, to, threshold: policy.small_cell_threshold }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FigureError {
    #[error("the range ends ({to}) before it starts ({from})")]
    Range { from: NaiveDate, to: NaiveDate },
    #[error("a suppression threshold of {0} hides nothing (a count under it that is not 0 would be known); use at least {MIN_THRESHOLD}")]
    Threshold(u32),
}

/// One published number.
///
/// `Count(0)` is shown: a zero names no person, and hiding every zero would make most tables
/// unreadable. A zero is suppressed only when that is the only way left to protect another cell
/// (every other cell of its table is already suppressed: for example five weeks of one screening
/// each, where the published zeros and total would otherwise say "exactly one" of each), or when
/// the whole set is too small (the total itself under the threshold). So a suppressed cell means
/// "a count from 0 to the total, withheld: under the threshold, or hidden to protect one that
/// is"; the UI and the CSV say "fewer than N" for either, as [`Cell::shown`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    Count(u64),
    Suppressed,
}

impl Cell {
    pub fn count(self) -> Option<u64> {
        match self {
            Cell::Count(n) => Some(n),
            Cell::Suppressed => None,
        }
    }

    pub fn is_suppressed(self) -> bool {
        self == Cell::Suppressed
    }

    /// The cell as shown: the number, or "fewer than N" for the figures' threshold.
    pub fn shown(self, threshold: u32) -> Shown {
        Shown { cell: self, threshold }
    }
}

/// [`Cell`] as text (the app and the CSV).
pub struct Shown {
    cell: Cell,
    threshold: u32,
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.cell {
            Cell::Count(n) => write!(f, "{n}"),
            Cell::Suppressed => write!(f, "fewer than {}", self.threshold),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum CellRepr {
    Count { count: u64 },
    Suppressed { suppressed: bool },
}

impl Serialize for Cell {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Cell::Count(count) => CellRepr::Count { count },
            Cell::Suppressed => CellRepr::Suppressed { suppressed: true },
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Cell {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Cell, D::Error> {
        match CellRepr::deserialize(d)? {
            CellRepr::Count { count } => Ok(Cell::Count(count)),
            CellRepr::Suppressed { suppressed: true } => Ok(Cell::Suppressed),
            CellRepr::Suppressed { suppressed: false } => {
                Err(serde::de::Error::custom("`suppressed` is only ever true; a shown cell has `count`"))
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    pub key: String,
    pub label: String,
    pub value: Cell,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    pub id: String,
    pub title: String,
    pub note: String,
    pub rows: Vec<Row>,
}

impl Table {
    pub fn row(&self, key: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.key == key)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    pub range: Range,
    pub threshold: u32,
    /// Screenings counted.
    pub total: Cell,
    pub tables: Vec<Table>,
}

impl Figures {
    pub fn table(&self, id: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.id == id)
    }
}

/// The tables whose rows partition the screenings counted: each screening is in exactly one row,
/// so their rows sum to the total. Secondary suppression works on these.
pub const PARTITION_TABLES: [&str; 5] = ["per-week", "encounter-type", "outcome-level", "languages", "interpreter"];

pub(crate) const NOT_RECORDED: &str = "not-recorded";
pub(crate) const UNRECOGNIZED: &str = "unrecognized";

/// Counts before suppression: the same shape as [`Figures`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Counts {
    pub range: Range,
    pub total: u64,
    pub tables: Vec<CountTable>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CountTable {
    pub id: &'static str,
    pub title: &'static str,
    pub note: &'static str,
    pub rows: Vec<(String, String, u64)>,
}

/// The figures for the screenings finalized within the range, suppressed.
pub fn figures(records: &[RecordBody], opts: &FigureOptions) -> Result<Figures, FigureError> {
    if opts.to < opts.from {
        return Err(FigureError::Range { from: opts.from, to: opts.to });
    }
    if opts.threshold < MIN_THRESHOLD {
        return Err(FigureError::Threshold(opts.threshold));
    }
    Ok(suppress(&count(records, opts.from, opts.to), opts.threshold))
}

/// One screening as counted: its latest version, dated by its first.
struct Screening<'a> {
    date: NaiveDate,
    body: &'a RecordBody,
}

fn finalized_date(r: &RecordBody) -> Option<NaiveDate> {
    DateTime::parse_from_rfc3339(&r.finalized_at).ok().map(|t| t.with_timezone(&Utc).date_naive())
}

/// Resolves amendments: each screening once, its latest version, dated by its first version.
/// Independent of input order (duplicates of one id count once).
fn screenings(records: &[RecordBody]) -> Vec<Screening<'_>> {
    let mut by_id: HashMap<&str, &RecordBody> = HashMap::with_capacity(records.len());
    for r in records {
        by_id
            .entry(r.id.as_str())
            .and_modify(|e| {
                // The same id twice: the same signed record opened twice, normally. Keep one,
                // whatever the order.
                let key = |b: &RecordBody| (b.finalized_at.clone(), serde_json::to_string(b).unwrap_or_default());
                if key(r) > key(e) {
                    *e = r
                }
            })
            .or_insert(r);
    }
    fn parent<'a>(r: &'a RecordBody, by_id: &HashMap<&str, &RecordBody>) -> Option<&'a str> {
        r.amends.as_deref().filter(|old| *old != r.id && by_id.contains_key(old))
    }
    let mut children: HashMap<&str, Vec<&RecordBody>> = HashMap::new();
    for r in by_id.values() {
        if let Some(old) = parent(r, &by_id) {
            children.entry(old).or_default().push(r);
        }
    }
    let later = |a: &RecordBody, b: &RecordBody| {
        (a.finalized_at.as_str(), a.id.as_str()) > (b.finalized_at.as_str(), b.id.as_str())
    };
    let mut out = Vec::new();
    for root in by_id.values().filter(|r| parent(r, &by_id).is_none()) {
        let Some(date) = finalized_date(root) else { continue };
        // The latest of the versions nothing amends, under the first version.
        let mut latest: Option<&RecordBody> = None;
        let mut stack = vec![*root];
        let mut seen = BTreeSet::new();
        while let Some(r) = stack.pop() {
            if !seen.insert(r.id.as_str()) {
                continue;
            }
            match children.get(r.id.as_str()) {
                Some(kids) => stack.extend(kids.iter().copied()),
                None => {
                    if latest.is_none_or(|l| later(r, l)) {
                        latest = Some(r)
                    }
                }
            }
        }
        if let Some(body) = latest {
            out.push(Screening { date, body });
        }
    }
    out
}

fn monday(d: NaiveDate) -> NaiveDate {
    d - Duration::days(d.weekday().num_days_from_monday() as i64)
}

/// Shaped like a content id (lowercase letters, digits, `-`, `_`, `.`), not free text.
fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b))
}

/// A language code: letters, digits and `-` (BCP 47 style, `pt-BR`).
fn is_language(s: &str) -> bool {
    !s.is_empty() && s.len() <= 35 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Counts a choice from a fixed list: the list's rows in order, then unrecognized, not recorded.
fn fixed(list: &[encounter::Choice], values: impl Iterator<Item = Option<String>>) -> Vec<(String, String, u64)> {
    let mut n = vec![0u64; list.len() + 2];
    for v in values {
        let i = match v {
            None => list.len() + 1,
            Some(v) => list.iter().position(|c| c.id == v).unwrap_or(list.len()),
        };
        n[i] += 1;
    }
    let mut rows: Vec<_> = list.iter().zip(&n).map(|(c, &k)| (c.id.to_string(), c.label.to_string(), k)).collect();
    rows.push((UNRECOGNIZED.into(), "Not one of the listed choices".into(), n[list.len()]));
    rows.push((NOT_RECORDED.into(), "Not recorded".into(), n[list.len() + 1]));
    rows
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k)).and_then(Value::as_str)
}

fn group_title(g: Group) -> &'static str {
    match g {
        Group::Force => "Force",
        Group::Fraud => "Fraud",
        Group::Coercion => "Coercion",
        Group::PurposeSex => "Purpose: commercial sex",
        Group::PurposeLabor => "Purpose: labor or services",
        Group::Minor => "A minor",
        Group::Safety => "Safety concern",
    }
}

/// The groups with at least one indicator in an outcome (`indicators.<group>` arrays).
fn groups_of(outcome: &Value) -> BTreeSet<Group> {
    let ind = &outcome["indicators"];
    let nonempty = |k: &str| ind.get(k).and_then(Value::as_array).is_some_and(|a| !a.is_empty());
    let mut out = BTreeSet::new();
    for (k, g) in [
        ("force", Group::Force),
        ("fraud", Group::Fraud),
        ("coercion", Group::Coercion),
        ("minor", Group::Minor),
        ("safety", Group::Safety),
    ] {
        if nonempty(k) {
            out.insert(g);
        }
    }
    for p in ind.get("purpose").and_then(Value::as_array).into_iter().flatten() {
        match p.get("detail").and_then(Value::as_str) {
            Some("sex") => out.insert(Group::PurposeSex),
            Some("labor") => out.insert(Group::PurposeLabor),
            _ => false,
        };
    }
    out
}

/// Item ids listed under `key` (`declined` / `not_sure`), with the protocol's label; each item
/// once per screening.
fn items_of<'a>(outcome: &'a Value, key: &str) -> BTreeMap<&'a str, &'a str> {
    outcome
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| {
            let id = r.get("item").and_then(Value::as_str).filter(|s| is_id(s))?;
            Some((id, r.get("label").and_then(Value::as_str).unwrap_or(id)))
        })
        .collect()
}

fn flag(outcome: &Value, key: &str) -> bool {
    outcome.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// Rows keyed `protocol/item`, labels the protocol's (the alphabetically first one seen, so the
/// result does not depend on record order).
#[derive(Default)]
struct ItemTally<'a> {
    n: BTreeMap<(&'a str, &'a str), (u64, &'a str)>,
}

impl<'a> ItemTally<'a> {
    fn add(&mut self, protocol: &'a str, items: BTreeMap<&'a str, &'a str>) {
        for (item, label) in items {
            let e = self.n.entry((protocol, item)).or_insert((0, label));
            e.0 += 1;
            e.1 = e.1.min(label);
        }
    }

    fn rows(self) -> Vec<(String, String, u64)> {
        self.n.into_iter().map(|((p, i), (n, label))| (format!("{p}/{i}"), label.to_string(), n)).collect()
    }
}

pub(crate) fn count(records: &[RecordBody], from: NaiveDate, to: NaiveDate) -> Counts {
    let mut list: Vec<Screening> = screenings(records).into_iter().filter(|s| s.date >= from && s.date <= to).collect();
    list.sort_by_key(|s| (s.date, s.body.id.as_str()));
    let total = list.len() as u64;

    // per-week: every ISO week that meets the range, zeros included.
    let mut weeks: BTreeMap<NaiveDate, u64> = BTreeMap::new();
    let mut w = monday(from);
    while w <= to {
        weeks.insert(w, 0);
        w += Duration::days(7);
    }
    for s in &list {
        *weeks.entry(monday(s.date)).or_default() += 1;
    }
    let per_week = weeks
        .into_iter()
        .map(|(m, n)| {
            let iso = m.iso_week();
            (m.to_string(), format!("{}-W{:02}", iso.year(), iso.week()), n)
        })
        .collect();

    let encounter_of = |s: &Screening, k: &str| -> Option<String> {
        str_at(&s.body.context, &["encounter", k]).map(|v| if is_id(v) { v.to_string() } else { UNRECOGNIZED.into() })
    };
    let encounter_type = fixed(encounter::ENCOUNTER_TYPES, list.iter().map(|s| encounter_of(s, "type")));
    let interpreter = fixed(encounter::INTERPRETERS, list.iter().map(|s| encounter_of(s, "interpreter")));

    // outcome-level: levels seen, by rank then id; then not recorded.
    let mut levels: BTreeMap<&str, (u64, &str, u64)> = BTreeMap::new(); // id -> (min rank, title, n)
    let mut no_level = 0u64;
    // languages: codes seen; then not recorded.
    let mut langs: BTreeMap<&str, u64> = BTreeMap::new();
    let mut no_lang = 0u64;
    let mut groups: BTreeMap<Group, u64> = Group::ALL.iter().map(|&g| (g, 0)).collect();
    let (mut minors, mut stopped, mut partial) = (0u64, 0u64, 0u64);
    let mut referrals: BTreeMap<&str, [u64; 3]> = BTreeMap::new();
    let mut declined = ItemTally::default();
    let mut not_sure = ItemTally::default();

    for s in &list {
        let o = &s.body.outcome;
        match str_at(o, &["level", "id"]).filter(|id| is_id(id)) {
            Some(id) => {
                let rank = o["level"]["rank"].as_u64().unwrap_or(u64::MAX);
                let title = str_at(o, &["level", "title"]).unwrap_or(id);
                let e = levels.entry(id).or_insert((rank, title, 0));
                e.0 = e.0.min(rank);
                e.1 = e.1.min(title);
                e.2 += 1;
            }
            None => no_level += 1,
        }
        let lang = s.body.language.as_str();
        if is_language(lang) {
            *langs.entry(lang).or_default() += 1;
        } else {
            no_lang += 1;
        }
        let gs = groups_of(o);
        for g in &gs {
            *groups.get_mut(g).expect("every group") += 1;
        }
        if flag(o, "minor_rule") || gs.contains(&Group::Minor) {
            minors += 1;
        }
        stopped += flag(o, "stopped") as u64;
        partial += flag(o, "partial") as u64;
        if let Some(map) = s.body.context.get("referrals").and_then(Value::as_object) {
            for (res, choice) in map {
                if !is_id(res) {
                    continue;
                }
                let slot = match choice.as_str() {
                    Some("offered") => 0,
                    Some("accepted") => 1,
                    Some("declined") => 2,
                    _ => continue,
                };
                referrals.entry(res.as_str()).or_default()[slot] += 1;
            }
        }
        let protocol = s.body.protocol.id.as_str();
        if is_id(protocol) {
            declined.add(protocol, items_of(o, "declined"));
            not_sure.add(protocol, items_of(o, "not_sure"));
        }
    }

    let mut level_rows: Vec<_> = levels.into_iter().collect();
    level_rows.sort_by_key(|(id, (rank, _, _))| (*rank, *id));
    let mut outcome_level: Vec<_> =
        level_rows.into_iter().map(|(id, (_, title, n))| (id.to_string(), title.to_string(), n)).collect();
    outcome_level.push((NOT_RECORDED.into(), "Not recorded".into(), no_level));

    let mut languages: Vec<_> = langs.into_iter().map(|(code, n)| (code.to_string(), code.to_string(), n)).collect();
    languages.push((NOT_RECORDED.into(), "Not recorded".into(), no_lang));

    let one = |key: &str, label: &str, n: u64| vec![(key.to_string(), label.to_string(), n)];
    let tables = vec![
        CountTable {
            id: "per-week",
            title: "Screenings per week",
            note: "ISO weeks; the key is the week's Monday.",
            rows: per_week,
        },
        CountTable {
            id: "encounter-type",
            title: "Screenings by encounter type",
            note: "How the officer met the person.",
            rows: encounter_type,
        },
        CountTable {
            id: "outcome-level",
            title: "Outcome levels",
            note: "The level of each screening's outcome (its latest version).",
            rows: outcome_level,
        },
        CountTable {
            id: "indicator-groups",
            title: "Indicator groups seen",
            note: "Screenings with at least one indicator in the group; a screening can count in several.",
            rows: groups.into_iter().map(|(g, n)| (g.name().to_string(), group_title(g).to_string(), n)).collect(),
        },
        CountTable {
            id: "minors-identified",
            title: "Minors identified",
            note: "Screenings where the minors rule applied or a minor indicator was seen.",
            rows: one("minors-identified", "Minors identified", minors),
        },
        CountTable {
            id: "referrals",
            title: "Referrals by resource",
            note: "The person's choice: offered (no answer yet), accepted, declined. Not offered is not counted.",
            rows: referrals
                .into_iter()
                .flat_map(|(res, n)| {
                    [("offered", "offered, no answer yet"), ("accepted", "accepted"), ("declined", "declined")]
                        .into_iter()
                        .zip(n)
                        .map(move |((k, l), n)| (format!("{res}:{k}"), format!("{res}: {l}"), n))
                })
                .collect(),
        },
        CountTable {
            id: "languages",
            title: "Screening languages",
            note: "The language the screening was taken in.",
            rows: languages,
        },
        CountTable {
            id: "interpreter",
            title: "Interpreter use",
            note: "How language was bridged.",
            rows: interpreter,
        },
        CountTable {
            id: "items-declined",
            title: "Items declined",
            note: "For protocol authors: how often the person chose not to answer each item.",
            rows: declined.rows(),
        },
        CountTable {
            id: "items-not-sure",
            title: "Items answered \"not sure\"",
            note: "For protocol authors: how often each item was answered not sure.",
            rows: not_sure.rows(),
        },
        CountTable {
            id: "stopped",
            title: "Stopped",
            note: "Screenings the person stopped.",
            rows: one("stopped", "Stopped by the person", stopped),
        },
        CountTable {
            id: "partial",
            title: "Partial",
            note: "Screenings that did not cover every item.",
            rows: one("partial", "Partial", partial),
        },
    ];
    Counts { range: Range { from, to }, total, tables }
}

/// Whether the published numbers of one partition table leave every suppressed cell at least
/// two values. `m` suppressed cells sum to `r` (the total less the shown cells); each is read
/// under three interval models of what a reader may assume about a withheld cell: anything from
/// 0 to the total (what it can be), not 0 (zeros are rarely withheld), and under the threshold
/// (not a secondary one). A model the numbers contradict teaches the reader that it is wrong and
/// pins nothing; every model they allow must leave each cell a range wider than one value.
pub(crate) fn table_safe(m: u64, r: u64, total: u64, threshold: u64) -> bool {
    if m == 0 {
        return true;
    }
    let pinned = |lo: u64, hi: u64| -> Option<bool> {
        if r < m * lo || r > m * hi {
            return None; // contradicted
        }
        let min = lo.max(r.saturating_sub((m - 1) * hi));
        let max = hi.min(r - (m - 1) * lo);
        Some(min >= max)
    };
    pinned(0, total) == Some(false) && pinned(1, total) != Some(true) && pinned(1, threshold - 1) != Some(true)
}

pub(crate) fn suppress(c: &Counts, threshold: u32) -> Figures {
    let th = threshold as u64;
    let small = |n: u64| n > 0 && n < th;
    let build = |all: bool, partitions_hidden: bool| -> Vec<Table> {
        c.tables
            .iter()
            .map(|t| {
                let partition = PARTITION_TABLES.contains(&t.id);
                let mut hide: Vec<bool> =
                    t.rows.iter().map(|r| all || (partition && partitions_hidden) || small(r.2)).collect();
                if partition && !all && !partitions_hidden {
                    secondary(&t.rows, &mut hide, c.total, th);
                }
                Table {
                    id: t.id.to_string(),
                    title: t.title.to_string(),
                    note: t.note.to_string(),
                    rows: t
                        .rows
                        .iter()
                        .zip(hide)
                        .map(|((k, l, n), h)| Row {
                            key: k.clone(),
                            label: l.clone(),
                            value: if h { Cell::Suppressed } else { Cell::Count(*n) },
                        })
                        .collect(),
                }
            })
            .collect()
    };
    let range = c.range;
    if small(c.total) {
        // Too few screenings for figures: the total and every cell are withheld.
        return Figures { range, threshold, total: Cell::Suppressed, tables: build(true, true) };
    }
    let tables = build(false, false);
    let unfixable =
        tables.iter().zip(&c.tables).filter(|(t, _)| PARTITION_TABLES.contains(&t.id.as_str())).any(|(t, ct)| {
            let m = t.rows.iter().filter(|r| r.value.is_suppressed()).count() as u64;
            let shown: u64 = t.rows.iter().filter_map(|r| r.value.count()).sum();
            debug_assert_eq!(ct.rows.iter().map(|r| r.2).sum::<u64>(), c.total);
            !table_safe(m, c.total - shown, c.total, th)
        });
    if unfixable {
        // A table with every cell withheld still gives one away (each of its rows is 1, say):
        // the total goes too, and with it every cell of every partition table.
        return Figures { range, threshold, total: Cell::Suppressed, tables: build(false, true) };
    }
    Figures { range, threshold, total: Cell::Count(c.total), tables }
}

/// Secondary suppression in one partition table: hides the smallest shown cell that is not 0
/// (then, only when none is left, a 0) until [`table_safe`] holds or every cell is hidden.
fn secondary(rows: &[(String, String, u64)], hide: &mut [bool], total: u64, th: u64) {
    loop {
        let m = hide.iter().filter(|&&h| h).count() as u64;
        let shown: u64 = rows.iter().zip(hide.iter()).filter(|(_, &h)| !h).map(|(r, _)| r.2).sum();
        if table_safe(m, total - shown, total, th) {
            return;
        }
        let next =
            rows.iter().enumerate().filter(|(i, _)| !hide[*i]).min_by_key(|(i, r)| (r.2 == 0, r.2, *i)).map(|(i, _)| i);
        match next {
            Some(i) => hide[i] = true,
            None => return,
        }
    }
}

/// The figures as CSV (RFC 4180: CRLF, fields quoted when they hold `,`, `"` or a line break):
/// `table,key,label,value`, the total first as table `total`; a suppressed value is
/// "fewer than N".
pub fn to_csv(f: &Figures) -> String {
    fn field(out: &mut String, s: &str) {
        if s.contains([',', '"', '\r', '\n']) {
            out.push('"');
            out.push_str(&s.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(s);
        }
    }
    let mut out = String::from("table,key,label,value\r\n");
    let mut line = |t: &str, k: &str, l: &str, v: Cell| {
        for (i, s) in [t, k, l].into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            field(&mut out, s);
        }
        out.push(',');
        field(&mut out, &v.shown(f.threshold).to_string());
        out.push_str("\r\n");
    };
    line("total", "total", "Screenings counted", f.total);
    for t in &f.tables {
        for r in &t.rows {
            line(&t.id, &r.key, &r.label, r.value);
        }
    }
    out
}
