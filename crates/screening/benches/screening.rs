//! Benchmarks: loading and validating the shipped library (goal under 20 ms), and one engine
//! step on a generated 300-item protocol (goal under 50 microseconds).
//!
//! `cargo bench -p screening` measures (median of many runs, each timed alone);
//! `cargo test -p screening --bench screening` runs each once with tiny sizes.

use std::path::Path;
use std::sync::Arc;

use std::hint::black_box;
use std::time::{Duration, Instant};

use benchkit::Better;
use screening::{load, Answer, Session, Source};

fn shipped_sources() -> Vec<Source> {
    let files = durable::read_toml_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../screening-protocols"))
        .expect("screening-protocols");
    files.into_iter().map(|(p, text)| Source { path: p.display().to_string(), text }).collect()
}

/// A protocol with `n` yes-no questions in sections of 10; every third item is a follow-up
/// shown only after a yes to the item before it, and items indicate rotating groups.
pub fn generated_protocol(n: usize) -> String {
    const GROUPS: [&str; 6] = ["force", "fraud", "coercion", "purpose-sex", "purpose-labor", "safety"];
    let mut s = String::from(
        "[protocol]\nid = \"generated\"\nversion = \"1.0.0\"\ntitle = \"Generated\"\npopulation = \"adult\"\nlanguages = [\"en\", \"es\"]\n",
    );
    for i in 0..n {
        if i % 10 == 0 {
            let safety = if i == 0 { "true" } else { "false" };
            s += &format!("\n[[section]]\nid = \"s{i}\"\ntitle = \"Section {i}\"\nsafety = {safety}\n");
        }
        s += &format!(
            "\n[[section.item]]\nid = \"q{i}\"\nkind = \"question\"\nlabel = \"Question {i}\"\nanswer = \"yes-no\"\n\
             text.en = \"Question {i}?\"\ntext.es = \"¿Pregunta {i}?\"\nguidance.why = \"w\"\nguidance.how = \"h\"\nguidance.avoid = \"a\"\n\
             indicates.yes = [\"{}\"]\nsources = [\"generated\"]\n",
            GROUPS[i % GROUPS.len()]
        );
        if i % 3 == 2 {
            s += &format!("when = \"q{} == yes or q{} == not-sure\"\n", i - 1, i - 2);
        }
    }
    s += "\n[[level]]\nid = \"none\"\nrank = 0\ntitle = \"None\"\nmeaning = \"m\"\n\
          [[level]]\nid = \"some\"\nrank = 1\ntitle = \"Some\"\nmeaning = \"m\"\n\
          [[level]]\nid = \"stopped\"\nrank = 2\ntitle = \"Stopped\"\nmeaning = \"m\"\n\
          [[level]]\nid = \"minor\"\nrank = 3\ntitle = \"Minor\"\nmeaning = \"m\"\n\
          [[action]]\nid = \"hotline\"\nkind = \"hotline\"\ntext = \"Offer the hotline.\"\n\
          [[outcome]]\nwhen = \"count(force, fraud, coercion) >= 2\"\nlevel = \"some\"\nactions = [\"hotline\"]\n\
          [minor_rule]\nlevel = \"minor\"\nactions = [\"hotline\"]\n\
          [stopped_rule]\nlevel = \"stopped\"\nactions = [\"hotline\"]\n";
    s
}

/// Median time of `f` over `n` runs, each timed alone, in seconds.
fn each(n: usize, mut f: impl FnMut() -> Duration) -> f64 {
    let samples: Vec<f64> = (0..n).map(|_| f().as_secs_f64()).collect();
    benchkit::median(&samples)
}

fn main() {
    println!("screening benchmark{}", if benchkit::smoke() { " (smoke: tiny sizes)" } else { "" });
    let sources = shipped_sources();
    let load_s = each(benchkit::size(60, 1), || {
        let t = Instant::now();
        black_box(load(black_box(&sources)).expect("shipped content is valid"));
        t.elapsed()
    });
    benchkit::report(
        "protocol library load + validate (all shipped files)",
        load_s * 1e3,
        "ms",
        Some(20.0),
        Better::Lower,
        "",
    );

    let text = generated_protocol(300);
    let lib = load(&[Source { path: "generated.toml".into(), text }]).expect("generated protocol is valid");
    let p = Arc::new(lib.protocols[0].clone());
    assert_eq!(p.items.len(), 300);
    // Walk half the protocol, answering yes, so the steps below run mid-session.
    let mut mid = Session::new(p.clone());
    for _ in 0..150 {
        let id = mid.current().expect("an item").id.clone();
        mid.answer(&id, Answer::Yes).expect("answer");
    }
    let n = benchkit::size(2000, 3);
    // Each step runs on its own copy of the mid-session state; only the step is timed.
    let step = each(n, || {
        let mut s = mid.clone();
        let id = s.current().expect("an item").id.clone();
        let t = Instant::now();
        s.answer(&id, Answer::No).expect("answer");
        t.elapsed()
    });
    benchkit::report("engine step, next answer (300-item protocol)", step * 1e6, "µs", Some(50.0), Better::Lower, "");
    let change = each(n, || {
        let mut s = mid.clone();
        let t = Instant::now();
        s.answer("q1", Answer::No).expect("answer");
        t.elapsed()
    });
    benchkit::report(
        "engine step, change an early answer (300 items)",
        change * 1e6,
        "µs",
        Some(50.0),
        Better::Lower,
        "",
    );
    let outcome = each(benchkit::size(500, 2), || {
        let t = Instant::now();
        black_box(mid.outcome(None));
        t.elapsed()
    });
    benchkit::report("outcome of a 300-item session, 150 answered", outcome * 1e6, "µs", None, Better::Lower, "");
}
