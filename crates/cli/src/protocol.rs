//! `fieldscreen protocol check|test|list|show`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{json, Value};

use screening::model::AnswerSpec;
use screening::{run_case, Protocol};

use crate::library::{find_protocol, load_library, report, sources_for};
use crate::Exit;

pub fn check(root: &Path, paths: &[PathBuf]) -> Result<u8, Exit> {
    let srcs = sources_for(root, paths)?;
    match screening::load(&srcs) {
        Ok(lib) => {
            let problems = crate::audio::check(&lib)?;
            if !problems.is_empty() {
                return Err(report(&problems));
            }
            eprintln!(
                "{} files valid: {} protocols, {} case files, {} scenarios, {} glossary terms",
                srcs.len(),
                lib.protocols.len(),
                lib.cases.len(),
                lib.scenarios.len(),
                lib.glossary.terms.len()
            );
            Ok(0)
        }
        Err(problems) => Err(report(&problems)),
    }
}

pub fn test(root: &Path, paths: &[PathBuf]) -> Result<u8, Exit> {
    let srcs = sources_for(root, paths)?;
    let lib = screening::load(&srcs).map_err(|p| report(&p))?;
    let (mut passed, mut failed) = (0, 0);
    for file in &lib.cases {
        let Some(p) = lib.protocol(&file.protocol) else { continue };
        let p = Arc::new(p.clone());
        for case in &file.cases {
            let r = run_case(&p, case);
            if r.mismatches.is_empty() {
                passed += 1;
                println!("ok    {} :: {}", p.id, r.name);
            } else {
                failed += 1;
                println!("FAIL  {} :: {} ({}:{})", p.id, r.name, file.path, r.line);
                for m in &r.mismatches {
                    println!("        {m}");
                }
            }
        }
    }
    // Training scenarios are cases too: their expected outcomes must hold.
    for s in &lib.scenarios {
        let Some(p) = lib.protocol(&s.protocol) else { continue };
        let d = screening::training::run(s, &Arc::new(p.clone()));
        if d.matched {
            passed += 1;
            println!("ok    scenario :: {}", s.id);
        } else {
            failed += 1;
            println!("FAIL  scenario :: {} ({})", s.id, s.path);
            for m in &d.mismatches {
                println!("        {m}");
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if passed + failed == 0 {
        return Err(Exit::new(1, "no test cases found"));
    }
    Ok(if failed == 0 { 0 } else { 1 })
}

fn summary(p: &Protocol) -> Value {
    json!({
        "id": p.id,
        "version": p.version,
        "title": p.title,
        "summary": p.summary,
        "population": p.population,
        "languages": p.languages,
        "items": p.items.len(),
        "asked_items": p.asked_items(),
        "content_hash": p.content_hash,
        "path": p.path,
    })
}

pub fn list(root: &Path, as_json: bool) -> Result<u8, Exit> {
    let lib = load_library(root)?;
    if as_json {
        let v: Vec<Value> = lib.protocols.iter().map(summary).collect();
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        for p in &lib.protocols {
            println!(
                "{:<20} {:<8} {:<7} {:>3} items ({} asked)  {}",
                p.id,
                p.version,
                format!("{:?}", p.population).to_lowercase(),
                p.items.len(),
                p.asked_items(),
                p.title
            );
        }
    }
    Ok(0)
}

fn answer_json(spec: &AnswerSpec) -> Value {
    let (choices, min, max) = match spec {
        AnswerSpec::Choice(c) => {
            (c.iter().map(|c| json!({"id": c.id, "text": c.text})).collect::<Vec<_>>(), None, None)
        }
        AnswerSpec::Number { min, max } => (Vec::new(), *min, *max),
        _ => (Vec::new(), None, None),
    };
    json!({
        "type": spec.name(),
        "options": spec.tokens().iter().map(|t| t.token()).collect::<Vec<_>>(),
        "choices": choices,
        "min": min,
        "max": max,
    })
}

pub fn show_json(p: &Protocol) -> Value {
    let items: Vec<Value> = p
        .items
        .iter()
        .map(|it| {
            let indicates: serde_json::Map<String, Value> =
                it.indicates.iter().map(|(k, gs)| (k.clone(), json!(gs))).collect();
            json!({
                "id": it.id,
                "kind": it.kind,
                "section": p.sections[it.section].id,
                "label": it.label,
                "text": it.text,
                "languages": it.text.keys().collect::<Vec<_>>(),
                "guidance": it.guidance,
                "answer": answer_json(&it.answer),
                "when": it.when_src,
                "indicates": indicates,
                "indicates_if": it.indicates_if.iter().map(|(_, gs)| json!({"groups": gs})).collect::<Vec<_>>(),
                "sources": it.sources,
            })
        })
        .collect();
    let action_ids = |v: &[usize]| v.iter().map(|a| p.actions[*a].id.clone()).collect::<Vec<_>>();
    let mut v = summary(p);
    v["sections"] = json!(p.sections);
    v["items"] = json!(items);
    v["stop_rules"] = json!(p
        .stops
        .iter()
        .map(|s| json!({"id": s.id, "when": s.when_src, "reason": s.reason, "actions": action_ids(&s.actions)}))
        .collect::<Vec<_>>());
    v["levels"] = json!(p.levels);
    v["actions"] = json!(p.actions);
    v["outcome_rules"] = json!(p
        .outcomes
        .iter()
        .map(|o| json!({"when": o.when_src, "level": p.levels[o.level].id, "actions": action_ids(&o.actions)}))
        .collect::<Vec<_>>());
    v["minor_rule"] = json!({"level": p.levels[p.minor_rule.level].id, "actions": action_ids(&p.minor_rule.actions)});
    v["stopped_rule"] =
        json!({"level": p.levels[p.stopped_rule.level].id, "actions": action_ids(&p.stopped_rule.actions)});
    v
}

pub fn show(root: &Path, id: &str, as_json: bool) -> Result<u8, Exit> {
    let lib = load_library(root)?;
    let p = find_protocol(&lib, id)?;
    if as_json {
        println!("{}", serde_json::to_string_pretty(&show_json(p)).unwrap_or_default());
    } else {
        println!("{} {} ({})", p.id, p.version, p.title);
        let mut section = usize::MAX;
        for it in &p.items {
            if it.section != section {
                section = it.section;
                let s = &p.sections[section];
                println!("\n[{}]{}", s.title, if s.safety { " (safety first)" } else { "" });
            }
            let when = it.when_src.as_deref().map(|w| format!("  when {w}")).unwrap_or_default();
            println!(
                "  {:<24} {:<11} {:<11} {}{}",
                it.id,
                format!("{:?}", it.kind).to_lowercase(),
                it.answer.name(),
                it.label,
                when
            );
        }
    }
    Ok(0)
}
