//! Figures benchmark (not a timed test): amendments resolved, every breakdown counted and
//! suppressed over 10,000 generated opened records, median of rounds. The goal is at
//! most 200 ms on this machine.
//!
//! `cargo bench -p unit`; `cargo test -p unit --benches` runs it once with tiny sizes.

use std::time::Instant;

use benchkit::Better;
use chrono::NaiveDate;

#[allow(dead_code)]
#[path = "../src/sample.rs"]
mod sample;

fn main() {
    let n = benchkit::size(10_000, 200);
    let rounds = benchkit::size(15, 2);
    let start = NaiveDate::from_ymd_opt(2026, 1, 5).expect("date");
    let records = sample::records(42, n, &sample::Shape { start, days: 365, amend_percent: 5 });
    let opts = unit::FigureOptions::new(start, NaiveDate::from_ymd_opt(2026, 12, 31).expect("date"));
    let mut times = Vec::new();
    let mut tables = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        let f = unit::figures(&records, &opts).expect("figures");
        times.push(t.elapsed().as_secs_f64());
        tables = f.tables.len();
        std::hint::black_box(f);
    }
    println!("figures benchmark{}", if benchkit::smoke() { " (smoke: tiny sizes)" } else { "" });
    benchkit::report(
        &format!("figures over {n} records ({tables} tables, median of {rounds})"),
        benchkit::median(&times) * 1e3,
        "ms",
        Some(200.0),
        Better::Lower,
        "amendments, every breakdown, primary and secondary suppression",
    );
}
