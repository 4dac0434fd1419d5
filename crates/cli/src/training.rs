//! `fieldscreen training list|run`: scenarios for demos and classes, played through the engine.

use std::path::Path;
use std::sync::Arc;

use serde_json::json;

use crate::library::{find_protocol, load_library};
use crate::Exit;

pub fn list(root: &Path, as_json: bool) -> Result<u8, Exit> {
    let lib = load_library(root)?;
    if as_json {
        let v: Vec<_> = lib
            .scenarios
            .iter()
            .map(|s| json!({"id": s.id, "title": s.title, "protocol": s.protocol, "language": s.language, "summary": s.summary, "expected_level": s.case.expect.level}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        for s in &lib.scenarios {
            println!("{:<36} {:<16} {:<3} {}", s.id, s.protocol, s.language, s.title);
        }
    }
    Ok(0)
}

pub fn run(root: &Path, id: &str, as_json: bool) -> Result<u8, Exit> {
    let lib = load_library(root)?;
    let Some(s) = lib.scenario(id) else {
        let known: Vec<&str> = lib.scenarios.iter().map(|s| s.id.as_str()).collect();
        return Err(Exit::new(2, format!("unknown scenario `{id}`; known: {}", known.join(", "))));
    };
    let p = Arc::new(find_protocol(&lib, &s.protocol)?.clone());
    let d = screening::training::run(s, &p);
    if as_json {
        println!("{}", serde_json::to_string_pretty(&d).map_err(|e| Exit::new(2, e.to_string()))?);
    } else {
        println!("{} ({})", d.title, d.scenario);
        if let Some(o) = &d.outcome {
            println!("  outcome: {} (expected {})", o.level.id, d.expected_level);
        }
        let names = |v: &[screening::Group]| v.iter().map(|g| g.name()).collect::<Vec<_>>().join(", ");
        println!("  indicators found: {}", names(&d.found_groups));
        if !d.missed_groups.is_empty() {
            println!("  expected but not found: {}", names(&d.missed_groups));
        }
        if !d.extra_groups.is_empty() {
            println!("  found but not expected: {}", names(&d.extra_groups));
        }
        for m in &d.observations_missed {
            println!("  observation not recorded: {} ({})", m.label, m.item);
        }
        for l in &d.learning {
            println!("  learn: {} ({})", l.point, l.source);
        }
        println!("  {}", if d.matched { "matched the expected outcome" } else { "DID NOT match the expected outcome" });
        for m in &d.mismatches {
            println!("    {m}");
        }
    }
    Ok(if d.matched { 0 } else { 1 })
}
