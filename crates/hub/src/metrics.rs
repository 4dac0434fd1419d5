//! Prometheus metrics in the text exposition format (version 0.0.4), written by hand: a few
//! counters, one histogram and three gauges read from the storage at each scrape.
//!
//! Labels carry only values from fixed sets: a route template (`/v1/records/{id}`, never the
//! path a request named), a method, a status code, a refusal kind. No record id, device id,
//! officer id, answer or secret ever becomes a label.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::store::Counts;

/// Upper bounds (seconds) of the push latency histogram's buckets.
pub const PUSH_BUCKETS: [f64; 12] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// The methods a label may name; anything else is `other`.
const METHODS: [&str; 5] = ["GET", "POST", "PUT", "DELETE", "HEAD"];

/// The route label of a request that matched no route.
pub const UNMATCHED: &str = "unmatched";

#[derive(Default)]
pub struct Metrics {
    /// (route template, method, status) -> requests answered.
    requests: Mutex<BTreeMap<(String, &'static str, u16), u64>>,
    push_buckets: [AtomicU64; PUSH_BUCKETS.len()],
    push_count: AtomicU64,
    push_micros: AtomicU64,
    records_stored: AtomicU64,
    records_duplicate: AtomicU64,
    enrolled: AtomicU64,
    /// Refusal kind (`bad-signature`, `replay`, `stale`...) -> requests refused.
    refused: Mutex<BTreeMap<&'static str, u64>>,
}

/// The refusal kinds counted by name; any other 401/403 kind counts as `other`.
const REFUSALS: [&str; 11] = [
    "unsigned",
    "stale",
    "bad-signature",
    "unknown-device",
    "revoked",
    "replay",
    "forbidden",
    "bad-code",
    "code-used",
    "code-expired",
    "rate-limited",
];

fn method_label(m: &str) -> &'static str {
    METHODS.iter().find(|k| **k == m).copied().unwrap_or("other")
}

impl Metrics {
    /// One request answered. `route` is the matched route template or [`UNMATCHED`].
    pub fn request(&self, route: &str, method: &str, status: u16) {
        let mut r = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        *r.entry((route.to_string(), method_label(method), status)).or_default() += 1;
    }

    pub fn push(&self, took: Duration) {
        let s = took.as_secs_f64();
        for (i, le) in PUSH_BUCKETS.iter().enumerate() {
            if s <= *le {
                self.push_buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.push_count.fetch_add(1, Ordering::Relaxed);
        self.push_micros.fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }

    pub fn stored(&self, stored: usize, duplicate: usize) {
        self.records_stored.fetch_add(stored as u64, Ordering::Relaxed);
        self.records_duplicate.fetch_add(duplicate as u64, Ordering::Relaxed);
    }

    pub fn enrolled(&self) {
        self.enrolled.fetch_add(1, Ordering::Relaxed);
    }

    /// A request refused with 401, 403 or 429 and this error kind.
    pub fn refused(&self, kind: &str) {
        let k = REFUSALS.iter().find(|r| **r == kind).copied().unwrap_or("other");
        *self.refused.lock().unwrap_or_else(|e| e.into_inner()).entry(k).or_default() += 1;
    }

    /// The exposition text; `counts` from the storage, or `None` when it did not answer
    /// (`fieldscreen_hub_storage_up 0`).
    pub fn render(&self, counts: Option<Counts>) -> String {
        let mut o = String::new();
        head(
            &mut o,
            "fieldscreen_hub_requests_total",
            "counter",
            "HTTP requests answered, by route template, method and status.",
        );
        for ((route, method, status), n) in self.requests.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(
                o,
                "fieldscreen_hub_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        head(
            &mut o,
            "fieldscreen_hub_push_duration_seconds",
            "histogram",
            "Time to answer a push (POST /v1/records, PUT /v1/records/{id}), storage commit included.",
        );
        for (i, le) in PUSH_BUCKETS.iter().enumerate() {
            let n = self.push_buckets[i].load(Ordering::Relaxed);
            let _ = writeln!(o, "fieldscreen_hub_push_duration_seconds_bucket{{le=\"{le}\"}} {n}");
        }
        let count = self.push_count.load(Ordering::Relaxed);
        let sum = self.push_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(o, "fieldscreen_hub_push_duration_seconds_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(o, "fieldscreen_hub_push_duration_seconds_sum {sum}");
        let _ = writeln!(o, "fieldscreen_hub_push_duration_seconds_count {count}");
        head(
            &mut o,
            "fieldscreen_hub_records_received_total",
            "counter",
            "Records this process received in pushes, by result (stored now, or a duplicate of a stored one).",
        );
        let _ = writeln!(
            o,
            "fieldscreen_hub_records_received_total{{result=\"stored\"}} {}",
            self.records_stored.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            o,
            "fieldscreen_hub_records_received_total{{result=\"duplicate\"}} {}",
            self.records_duplicate.load(Ordering::Relaxed)
        );
        head(&mut o, "fieldscreen_hub_enrollments_total", "counter", "Devices this process enrolled.");
        let _ = writeln!(o, "fieldscreen_hub_enrollments_total {}", self.enrolled.load(Ordering::Relaxed));
        head(
            &mut o,
            "fieldscreen_hub_refused_total",
            "counter",
            "Requests refused at authentication or enrollment (401, 403, 429), by reason.",
        );
        for (k, n) in self.refused.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(o, "fieldscreen_hub_refused_total{{reason=\"{k}\"}} {n}");
        }
        head(&mut o, "fieldscreen_hub_storage_up", "gauge", "Whether the storage answered this scrape's count query.");
        let _ = writeln!(o, "fieldscreen_hub_storage_up {}", u8::from(counts.is_some()));
        if let Some(c) = counts {
            head(&mut o, "fieldscreen_hub_records", "gauge", "Records held in the storage (all replicas).");
            let _ = writeln!(o, "fieldscreen_hub_records {}", c.records);
            head(&mut o, "fieldscreen_hub_devices", "gauge", "Devices in the registry, by state.");
            let _ = writeln!(o, "fieldscreen_hub_devices{{state=\"active\"}} {}", c.active);
            let _ = writeln!(o, "fieldscreen_hub_devices{{state=\"revoked\"}} {}", c.revoked);
        }
        o
    }
}

/// A metric's `# HELP` and `# TYPE` lines.
fn head(o: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// A label value as the exposition format quotes it.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_has_help_type_and_cumulative_buckets() {
        let m = Metrics::default();
        m.request("/v1/records/{id}", "PUT", 201);
        m.request(UNMATCHED, "PATCH", 404);
        m.push(Duration::from_millis(30));
        m.push(Duration::from_secs(60));
        m.refused("bad-signature");
        m.refused("something-new");
        let t = m.render(Some(Counts { records: 3, active: 2, revoked: 1 }));
        for line in [
            "fieldscreen_hub_requests_total{route=\"/v1/records/{id}\",method=\"PUT\",status=\"201\"} 1",
            "fieldscreen_hub_requests_total{route=\"unmatched\",method=\"other\",status=\"404\"} 1",
            "fieldscreen_hub_push_duration_seconds_bucket{le=\"0.025\"} 0",
            "fieldscreen_hub_push_duration_seconds_bucket{le=\"0.05\"} 1",
            "fieldscreen_hub_push_duration_seconds_bucket{le=\"30\"} 1",
            "fieldscreen_hub_push_duration_seconds_bucket{le=\"+Inf\"} 2",
            "fieldscreen_hub_push_duration_seconds_count 2",
            "fieldscreen_hub_refused_total{reason=\"bad-signature\"} 1",
            "fieldscreen_hub_refused_total{reason=\"other\"} 1",
            "fieldscreen_hub_devices{state=\"revoked\"} 1",
            "fieldscreen_hub_records 3",
        ] {
            assert!(t.lines().any(|l| l == line), "missing `{line}` in\n{t}");
        }
        for l in t.lines().filter(|l| !l.starts_with('#')) {
            let (_, value) = l.rsplit_once(' ').unwrap();
            value.parse::<f64>().unwrap_or_else(|_| panic!("not a sample line: {l}"));
        }
        assert!(m.render(None).contains("fieldscreen_hub_storage_up 0"));
    }
}
