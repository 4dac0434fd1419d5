//! `fieldscreen screen`: a headless screening from an answers file, optionally sealed into the vault.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use screening::{run_answer_map, RawAnswer};

use crate::library::{find_protocol, load_library};
use crate::{device, Exit};

#[derive(clap::Args)]
pub struct Args {
    /// Protocol id (see `fieldscreen protocol list`).
    #[arg(long)]
    protocol: String,
    /// JSON or TOML file mapping item ids to answers; a `stop_after` key stops there.
    #[arg(long, value_name = "FILE")]
    answers: PathBuf,
    /// Agency policy id, for the non-arrest guidance.
    #[arg(long, default_value = "default")]
    policy: String,
    #[arg(long)]
    json: bool,
    /// Seal the screening as a record in the vault (`--data-dir`).
    #[arg(long, requires = "data_dir")]
    save: bool,
    /// The vault's folder, for `--save`.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

/// An answers file: item id -> answer in file order, plus an optional `stop_after` item id.
type AnswersFile = (Vec<(String, RawAnswer)>, Option<String>);

/// Reads the answers file.
fn read_answers(path: &Path) -> Result<AnswersFile, Exit> {
    let text =
        std::fs::read_to_string(path).map_err(|e| Exit::new(2, format!("cannot read {}: {e}", path.display())))?;
    let is_json = path.extension().is_some_and(|e| e == "json") || text.trim_start().starts_with('{');
    let mut pairs: Vec<(String, Option<RawAnswer>, String)> = Vec::new();
    if is_json {
        let v: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| Exit::new(2, format!("{}: not valid JSON: {e}", path.display())))?;
        let obj = v
            .as_object()
            .ok_or_else(|| Exit::new(2, format!("{}: expected an object of item id -> answer", path.display())))?;
        for (k, v) in obj {
            pairs.push((k.clone(), RawAnswer::from_json(v), v.to_string()));
        }
    } else {
        let v: toml::Table = toml::from_str(&text)
            .map_err(|e| Exit::new(2, format!("{}: not valid TOML: {}", path.display(), e.message())))?;
        for (k, v) in v {
            pairs.push((k.clone(), RawAnswer::from_toml(&v), v.to_string()));
        }
    }
    let mut answers = Vec::new();
    let mut stop_after = None;
    let mut bad = Vec::new();
    for (k, a, shown) in pairs {
        match (k.as_str(), a) {
            ("stop_after", Some(RawAnswer::Text(s))) => stop_after = Some(s),
            ("stop_after", _) => bad.push(format!("`stop_after` must be an item id, not {shown}")),
            (_, Some(a)) => answers.push((k, a)),
            (_, None) => {
                bad.push(format!("invalid answer for `{k}`: {shown} (use a token, a choice id, a number or text)"))
            }
        }
    }
    if !bad.is_empty() {
        return Err(Exit::new(2, bad.join("\n")));
    }
    Ok((answers, stop_after))
}

pub fn run(root: &Path, args: Args) -> Result<u8, Exit> {
    let lib = load_library(root)?;
    let p = find_protocol(&lib, &args.protocol)?;
    let policy = lib.policy(&args.policy).ok_or_else(|| Exit::new(2, format!("unknown policy `{}`", args.policy)))?;
    let (answers, stop_after) = read_answers(&args.answers)?;
    let protocol = Arc::new(p.clone());
    let run = run_answer_map(protocol.clone(), &answers, stop_after.as_deref())
        .map_err(|errs| Exit::new(2, errs.join("\n")))?;
    let outcome = run.session.outcome(Some(policy));
    let record_id = match (&args.data_dir, args.save) {
        (Some(dir), true) => Some(device::save(dir, &protocol, run.session.log(), policy)?),
        _ => None,
    };
    if args.json {
        let mut v = serde_json::to_value(&outcome).map_err(|e| Exit::new(2, e.to_string()))?;
        v["not_shown"] = serde_json::json!(run.not_shown);
        v["not_asked"] = serde_json::json!(run.not_asked);
        if let Some(id) = &record_id {
            v["record_id"] = serde_json::json!(id);
        }
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        println!("{} {}: {}", p.id, p.version, outcome.level.title);
        println!("  {}", outcome.level.meaning);
        if outcome.partial {
            println!("  PARTIAL: not every item was covered; this concludes nothing about what was not asked.");
        }
        if let Some(s) = &outcome.stop_rule {
            println!("  Concluded: {}", s.reason);
        }
        let ind = &outcome.indicators;
        for (name, list) in [
            ("force", &ind.force),
            ("fraud", &ind.fraud),
            ("coercion", &ind.coercion),
            ("purpose", &ind.purpose),
            ("minor", &ind.minor),
            ("safety", &ind.safety),
        ] {
            for i in list {
                let detail = i.detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default();
                println!("  {name:<9} {}{detail}", i.label);
            }
        }
        for d in &outcome.declined {
            println!("  declined  {}", d.label);
        }
        for (n, a) in outcome.actions.iter().enumerate() {
            println!("  {}. {}", n + 1, a.text);
        }
        if let Some(g) = &outcome.non_arrest_guidance {
            println!("  Non-arrest guidance: {g}");
        }
        if let Some(id) = &record_id {
            println!("saved record {id}");
        }
    }
    Ok(0)
}
