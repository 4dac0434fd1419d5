//! What every Fieldscreen benchmark shares. A benchmark binary calls [`report`] once per figure:
//! the figure is printed, and when `FIELDSCREEN_BENCH_OUT` names a file, appended to it as one
//! JSON line, which `scripts/bench.py` gathers into the table `make bench` prints.
//!
//! Smoke mode (`cargo test --bench X` passes no `--bench`, or `FIELDSCREEN_BENCH_SMOKE=1`): every
//! benchmark runs once with tiny sizes, so it cannot rot; its numbers are marked as smoke.

use std::io::Write;
use std::time::Duration;

/// True when the benchmark should run once with tiny sizes.
pub fn smoke() -> bool {
    std::env::var_os("FIELDSCREEN_BENCH_SMOKE").is_some() || !std::env::args().any(|a| a == "--bench")
}

/// `full` when measuring, `tiny` in smoke mode.
pub fn size<T>(full: T, tiny: T) -> T {
    if smoke() {
        tiny
    } else {
        full
    }
}

/// The value at quantile `q` (0..=1) of unsorted samples.
pub fn quantile(samples: &[f64], q: f64) -> f64 {
    assert!(!samples.is_empty(), "no samples");
    let mut v = samples.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() - 1) as f64 * q.clamp(0.0, 1.0)).round() as usize]
}

pub fn median(samples: &[f64]) -> f64 {
    quantile(samples, 0.5)
}

/// Runs `a` and `b` alternately (ABAB..., starting with the other one every round) and returns
/// the median of each side's times in seconds: on a shared, noisy machine, both sides see the
/// same noise.
pub fn side_by_side(rounds: usize, mut a: impl FnMut() -> Duration, mut b: impl FnMut() -> Duration) -> (f64, f64) {
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    for r in 0..rounds.max(1) {
        if r % 2 == 0 {
            ta.push(a().as_secs_f64());
            tb.push(b().as_secs_f64());
        } else {
            tb.push(b().as_secs_f64());
            ta.push(a().as_secs_f64());
        }
    }
    (median(&ta), median(&tb))
}

/// Which way is better for a figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    Lower,
    Higher,
}

/// One figure. `goal` is the target on the same unit (`None`: reported for information).
pub fn report(figure: &str, value: f64, unit: &str, goal: Option<f64>, better: Better, note: &str) {
    let met = goal.map(|g| match better {
        Better::Lower => value <= g,
        Better::Higher => value >= g,
    });
    let goal_text = match (goal, better) {
        (Some(g), Better::Lower) => format!("at most {} {unit}", fmt(g)),
        (Some(g), Better::Higher) => format!("at least {} {unit}", fmt(g)),
        (None, _) => String::new(),
    };
    let mark = match met {
        _ if smoke() => "(smoke run: not a measurement)",
        Some(true) => "met",
        Some(false) => "NOT met",
        None => "",
    };
    println!("  {figure:<58} {:>12} {unit:<5} {goal_text:<22} {mark}", fmt(value));
    if let Some(path) = std::env::var_os("FIELDSCREEN_BENCH_OUT") {
        let line = serde_json::json!({
            "figure": figure, "value": value, "unit": unit, "goal": goal,
            "better": if better == Better::Lower { "lower" } else { "higher" },
            "met": met, "note": note, "smoke": smoke(),
        });
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .expect("FIELDSCREEN_BENCH_OUT is writable");
        writeln!(f, "{line}").expect("writing the benchmark report");
    }
}

/// Three significant digits, no exponent for the ranges benchmarks print.
pub fn fmt(v: f64) -> String {
    let a = v.abs();
    if a >= 100.0 || a == 0.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_and_formatting() {
        let s = [5.0, 1.0, 3.0, 2.0, 4.0];
        assert_eq!(median(&s), 3.0);
        assert_eq!(quantile(&s, 0.0), 1.0);
        assert_eq!(quantile(&s, 1.0), 5.0);
        assert_eq!(fmt(1234.5), "1234");
        assert_eq!(fmt(0.01234), "0.012");
    }

    #[test]
    fn side_by_side_alternates_and_takes_medians() {
        let mut order = Vec::new();
        let order_cell = std::cell::RefCell::new(&mut order);
        let (a, b) = side_by_side(
            3,
            || {
                order_cell.borrow_mut().push('a');
                Duration::from_millis(2)
            },
            || {
                order_cell.borrow_mut().push('b');
                Duration::from_millis(4)
            },
        );
        assert_eq!(order.iter().collect::<String>(), "abbaab");
        assert!((a - 0.002).abs() < 1e-9 && (b - 0.004).abs() < 1e-9);
    }
}
