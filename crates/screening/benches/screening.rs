//! Benchmarks: loading and validating the shipped library (goal under 20 ms), and one engine
//! step on a generated 300-item protocol (goal under 50 microseconds).
//!
//! `cargo bench -p screening` measures; `cargo test -p screening --benches` runs each once.

use std::path::Path;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use screening::{load, Answer, Session, Source};

fn shipped_sources() -> Vec<Source> {
    fn walk(d: &Path, out: &mut Vec<Source>) {
        let mut entries: Vec<_> = std::fs::read_dir(d).expect("screening-protocols").map(|e| e.expect("entry").path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out)
            } else if p.extension().is_some_and(|e| e == "toml") {
                out.push(Source { path: p.display().to_string(), text: std::fs::read_to_string(&p).expect("read") });
            }
        }
    }
    let mut v = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../screening-protocols"), &mut v);
    v
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
          [[level]]\nid = \"minor\"\nrank = 2\ntitle = \"Minor\"\nmeaning = \"m\"\n\
          [[action]]\nid = \"hotline\"\nkind = \"hotline\"\ntext = \"Offer the hotline.\"\n\
          [[outcome]]\nwhen = \"count(force, fraud, coercion) >= 2\"\nlevel = \"some\"\nactions = [\"hotline\"]\n\
          [minor_rule]\nlevel = \"minor\"\nactions = [\"hotline\"]\n";
    s
}

fn benches(c: &mut Criterion) {
    let sources = shipped_sources();
    c.bench_function("load and validate shipped protocols", |b| {
        b.iter(|| load(std::hint::black_box(&sources)).expect("shipped content is valid"))
    });

    let text = generated_protocol(300);
    let lib = load(&[Source { path: "generated.toml".into(), text }]).expect("generated protocol is valid");
    let p = Arc::new(lib.protocols[0].clone());
    assert_eq!(p.items.len(), 300);
    // Walk half the protocol, answering yes, so the step below runs mid-session.
    let mut mid = Session::new(p.clone());
    for _ in 0..150 {
        let id = mid.current().expect("an item").id.clone();
        mid.answer(&id, Answer::Yes).expect("answer");
    }
    c.bench_function("engine step (300-item protocol)", |b| {
        b.iter_batched(
            || mid.clone(),
            |mut s| {
                let id = s.current().expect("an item").id.clone();
                s.answer(&id, Answer::No).expect("answer");
                s
            },
            BatchSize::SmallInput,
        )
    });
    c.bench_function("engine step, change an early answer (300 items)", |b| {
        b.iter_batched(
            || mid.clone(),
            |mut s| {
                s.answer("q1", Answer::No).expect("answer");
                s
            },
            BatchSize::SmallInput,
        )
    });
    c.bench_function("outcome (300 items, 150 answered)", |b| b.iter(|| mid.outcome(None)));
}

criterion_group!(screening_benches, benches);
criterion_main!(screening_benches);
