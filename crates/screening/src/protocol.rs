//! Compiling a protocol file: sections with included checklists, items, answer types,
//! conditions, stop rules, levels, actions, outcome rules, the minors and stopped rules, and the
//! whole-protocol checks (unreachable items, rules that can never hold).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;

use sha2::{Digest, Sha256};
use toml::Spanned;

use crate::answer::AnswerKind;
use crate::checklist::Checklist;
use crate::condition::{self, Cond, Scope, Use};
use crate::diag::{parse_toml, FileCtx, Problem};
use crate::group::compile_groups;
use crate::ids::{check_id, check_semver};
use crate::language::Glossary;
use crate::model::*;
use crate::raw::{RawItem, RawProtocolFile};
use crate::satisfy;
use crate::translations::{check_fixed_parts, Language};

type S<T> = Spanned<T>;

/// Reads and compiles one protocol file against the checklists and glossary already read.
pub(crate) fn compile(
    cx: &FileCtx,
    checklists: &[Checklist],
    glossary: &Glossary,
    registry: &[Language],
    out: &mut Vec<Problem>,
) -> Option<Protocol> {
    let raw = parse_toml::<RawProtocolFile>(cx, out)?;
    compile_protocol(cx, raw, checklists, glossary, registry, out)
}

/// An item as gathered from a protocol or a checklist, with the file it came from.
struct Gathered<'a> {
    raw: RawItem,
    section: usize,
    cx: FileCtx<'a>,
}

struct ItemScope<'a> {
    index: &'a HashMap<String, usize>,
    specs: &'a [AnswerSpec],
}

impl Scope for ItemScope<'_> {
    fn lookup(&self, id: &str) -> Option<(usize, &AnswerSpec)> {
        self.index.get(id).map(|&i| (i, &self.specs[i]))
    }
}

fn compile_cond(
    cx: &FileCtx,
    src: &S<String>,
    scope: &ItemScope,
    ids: &dyn Fn(usize) -> String,
    usage: Use,
    out: &mut Vec<Problem>,
) -> Option<Cond> {
    let base = cx.string_start(src.span().start);
    let parsed = condition::parse(src.get_ref()).and_then(|e| condition::resolve(&e, scope, ids, usage));
    match parsed {
        Ok(c) => Some(c),
        Err(e) => {
            out.push(cx.problem(base + e.offset, e.message, e.hint));
            None
        }
    }
}

fn check_text(cx: &FileCtx, glossary: &Glossary, s: &S<String>, lang: &str, out: &mut Vec<Problem>) {
    let base = cx.string_start(s.span().start);
    for f in glossary.check(s.get_ref(), lang) {
        out.push(cx.problem(
            base + f.start,
            format!("\"{}\" is on the glossary's avoid list", f.found),
            Some(format!("prefer \"{}\": {}", f.prefer, f.why)),
        ));
    }
}

fn compile_protocol(
    cx: &FileCtx,
    raw: RawProtocolFile,
    checklists: &[Checklist],
    glossary: &Glossary,
    registry: &[Language],
    out: &mut Vec<Problem>,
) -> Option<Protocol> {
    let before = out.len();
    let h = &raw.protocol;
    check_id(cx, &h.id, out);
    check_semver(cx, &h.version, out);
    check_text(cx, glossary, &h.title, "en", out);
    let population = match h.population.get_ref().as_str() {
        "adult" => Population::Adult,
        "minor" => Population::Minor,
        other => {
            out.push(cx.problem(
                h.population.span().start,
                format!("unknown population `{other}`"),
                Some("\"adult\" or \"minor\"".into()),
            ));
            Population::Adult
        }
    };
    let languages = h.languages.get_ref().clone();
    for must in ["en", "es"] {
        if !languages.iter().any(|l| l == must) {
            out.push(cx.problem(
                h.languages.span().start,
                format!("languages must include `{must}`"),
                Some("every protocol ships in English and Spanish at least".into()),
            ));
        }
    }
    if !registry.is_empty() {
        for lang in &languages {
            if !registry.iter().any(|l| l.code == *lang) {
                out.push(
                    cx.problem(
                        h.languages.span().start,
                        format!("language `{lang}` is not in the language registry"),
                        Some(
                            "register it (name, direction, translation status) in screening-protocols/languages.toml"
                                .into(),
                        ),
                    ),
                );
            }
        }
    }
    let mut hasher = Sha256::new();
    hasher.update(cx.text.as_bytes());

    // Sections and items, in order, with included checklists expanded.
    let mut sections = Vec::new();
    let mut gathered: Vec<Gathered> = Vec::new();
    let mut seen_sections = HashSet::new();
    let mut saw_non_safety = false;
    for (si, sec) in raw.section.iter().enumerate() {
        check_id(cx, &sec.id, out);
        if !seen_sections.insert(sec.id.get_ref().clone()) {
            out.push(cx.problem(sec.id.span().start, format!("section `{}` is defined twice", sec.id.get_ref()), None));
        }
        check_text(cx, glossary, &sec.title, "en", out);
        if sec.safety && saw_non_safety {
            out.push(cx.problem(
                sec.id.span().start,
                format!("safety section `{}` comes after other sections", sec.id.get_ref()),
                Some("safety and medical needs come first: move it to the top".into()),
            ));
        }
        if !sec.safety {
            saw_non_safety = true;
        }
        if si == 0 && !sec.safety {
            out.push(cx.problem(
                sec.id.span().start,
                "the first section is not a safety section",
                Some("start with a section marked `safety = true` (safety and medical needs first)".into()),
            ));
        }
        sections.push(Section { id: sec.id.get_ref().clone(), title: sec.title.get_ref().clone(), safety: sec.safety });
        if let Some(inc) = &sec.include {
            match checklists.iter().find(|c| c.id == *inc.get_ref()) {
                Some(c) => {
                    hasher.update(c.text.as_bytes());
                    for it in &c.items {
                        gathered.push(Gathered {
                            raw: it.clone(),
                            section: si,
                            cx: FileCtx { path: c.path, text: c.text },
                        });
                    }
                }
                None => out.push(cx.problem(
                    inc.span().start,
                    format!("unknown checklist `{}`", inc.get_ref()),
                    Some("a checklist file has [checklist] with this id".into()),
                )),
            }
        }
        for it in &sec.item {
            gathered.push(Gathered { raw: it.clone(), section: si, cx: FileCtx { path: cx.path, text: cx.text } });
        }
        if sec.include.is_none() && sec.item.is_empty() {
            out.push(cx.problem(sec.id.span().start, format!("section `{}` has no items", sec.id.get_ref()), None));
        }
    }
    if raw.section.is_empty() {
        out.push(cx.problem(h.id.span().start, "the protocol has no sections", None));
    }

    // First pass: ids and answer types, so conditions can refer to any item.
    let mut index = HashMap::new();
    let mut specs = Vec::new();
    for (i, g) in gathered.iter().enumerate() {
        let id = &g.raw.id;
        check_id(&g.cx, id, out);
        if index.insert(id.get_ref().clone(), i).is_some() {
            out.push(g.cx.problem(
                id.span().start,
                format!("item id `{}` is used twice", id.get_ref()),
                Some("item ids are unique across a protocol and the checklists it includes".into()),
            ));
        }
        specs.push(answer_spec(&g.cx, &g.raw, &languages, glossary, out));
    }
    let ids: Vec<String> = gathered.iter().map(|g| g.raw.id.get_ref().clone()).collect();
    let id_of = |i: usize| ids.get(i).cloned().unwrap_or_default();
    let scope = ItemScope { index: &index, specs: &specs };

    let mut items = Vec::new();
    let mut audio_refs = Vec::new();
    for (i, g) in gathered.iter().enumerate() {
        let r = &g.raw;
        let gcx = &g.cx;
        let kind = match r.kind.get_ref().as_str() {
            "question" => ItemKind::Question,
            "observation" => ItemKind::Observation,
            "script" => ItemKind::Script,
            other => {
                out.push(gcx.problem(
                    r.kind.span().start,
                    format!("unknown item kind `{other}`"),
                    Some("\"question\", \"observation\" or \"script\"".into()),
                ));
                ItemKind::Question
            }
        };
        let label = match &r.label {
            Some(l) if !l.get_ref().trim().is_empty() => {
                check_text(gcx, glossary, l, "en", out);
                l.get_ref().clone()
            }
            _ => {
                out.push(gcx.problem(
                    r.id.span().start,
                    format!("item `{}` has no label", r.id.get_ref()),
                    Some("add `label`: a short officer-facing name".into()),
                ));
                String::new()
            }
        };
        let mut text = BTreeMap::new();
        match kind {
            ItemKind::Observation => {
                if let Some((_, t)) = r.text.iter().next() {
                    out.push(gcx.problem(
                        t.span().start,
                        "an observation is not read to the person, so it has no `text`",
                        Some("put what the officer looks for in `label`".into()),
                    ));
                }
            }
            _ => {
                for lang in &languages {
                    match r.text.get(lang) {
                        Some(t) if !t.get_ref().trim().is_empty() => {}
                        _ => out.push(gcx.problem(
                            r.id.span().start,
                            format!("item `{}` is missing its `{lang}` text", r.id.get_ref()),
                            Some(format!("add text.{lang}")),
                        )),
                    }
                }
                for (lang, t) in &r.text {
                    if !languages.contains(lang) {
                        out.push(gcx.problem(
                            t.span().start,
                            format!("text in `{lang}`, which the protocol does not list"),
                            Some("add the language to `languages` or remove this text".into()),
                        ));
                    }
                    check_text(gcx, glossary, t, lang, out);
                    text.insert(lang.clone(), t.get_ref().clone());
                }
                let texts: Vec<(&str, &S<String>)> = r.text.iter().map(|(l, t)| (l.as_str(), t)).collect();
                check_fixed_parts(gcx, &format!("item `{}`", r.id.get_ref()), &texts, "en", out);
            }
        }
        let audio = check_audio(gcx, r, kind, &languages, &mut audio_refs, out);
        let guidance = match &r.guidance {
            Some(gd) => {
                for part in [&gd.why, &gd.how, &gd.avoid] {
                    if part.get_ref().trim().is_empty() {
                        out.push(gcx.problem(
                            part.span().start,
                            "officer guidance is empty",
                            Some("say why we ask, how to ask, and what to avoid saying".into()),
                        ));
                    }
                    check_text(gcx, glossary, part, "en", out);
                }
                Guidance {
                    why: gd.why.get_ref().clone(),
                    how: gd.how.get_ref().clone(),
                    avoid: gd.avoid.get_ref().clone(),
                }
            }
            None => {
                out.push(gcx.problem(
                    r.id.span().start,
                    format!("item `{}` has no officer guidance", r.id.get_ref()),
                    Some("add guidance.why, guidance.how and guidance.avoid".into()),
                ));
                Guidance { why: String::new(), how: String::new(), avoid: String::new() }
            }
        };
        let sources = match &r.sources {
            Some(s) if s.get_ref().iter().any(|x| !x.trim().is_empty()) => s.get_ref().clone(),
            _ => {
                out.push(gcx.problem(
                    r.id.span().start,
                    format!("item `{}` cites no source", r.id.get_ref()),
                    Some("add `sources`: where the fact behind this item comes from".into()),
                ));
                Vec::new()
            }
        };
        let spec = specs[i].clone();
        if kind == ItemKind::Observation && spec != AnswerSpec::Observation {
            if let Some(a) = &r.answer {
                out.push(gcx.problem(
                    a.span().start,
                    "an observation takes seen / not-seen / not-sure; leave `answer` out",
                    None,
                ));
            }
        }
        let when = r.when.as_ref().and_then(|w| compile_cond(gcx, w, &scope, &id_of, Use::SkipLogic { item: i }, out));
        let mut indicates = Vec::new();
        if let Some(ind) = &r.indicates {
            for (key, groups) in ind {
                let valid_key = if key == "declined" {
                    out.push(gcx.problem(
                        groups.span().start,
                        "`declined` cannot indicate anything",
                        Some("declining is the person's right, never an indicator".into()),
                    ));
                    false
                } else {
                    let token_ok = AnswerKind::parse_token(key).is_some_and(|k| spec.tokens().contains(&k));
                    let choice_ok = matches!(&spec, AnswerSpec::Choice(c) if c.iter().any(|c| c.id == *key));
                    if !token_ok && !choice_ok {
                        out.push(gcx.problem(
                            groups.span().start,
                            format!("`indicates.{key}`: `{key}` is not an answer of `{}`", r.id.get_ref()),
                            Some(format!("it takes {}", spec.describe())),
                        ));
                    }
                    token_ok || choice_ok
                };
                let gs = compile_groups(gcx, groups.get_ref(), out);
                if valid_key {
                    indicates.push((key.clone(), gs));
                }
            }
        }
        let mut indicates_if = Vec::new();
        for ii in &r.indicates_if {
            if let Some(c) = compile_cond(gcx, &ii.when, &scope, &id_of, Use::ItemIndicator { item: i }, out) {
                let mut mentioned = Vec::new();
                c.literals_for(i, &mut mentioned);
                if mentioned.iter().any(|v| matches!(v, condition::Value::Kind(AnswerKind::Declined))) {
                    out.push(gcx.problem(
                        ii.when.span().start,
                        "`declined` cannot indicate anything",
                        Some("declining is the person's right, never an indicator".into()),
                    ));
                }
                indicates_if.push((c, compile_groups(gcx, &ii.groups, out)));
            }
        }
        items.push(Item {
            id: r.id.get_ref().clone(),
            kind,
            label,
            section: g.section,
            text,
            audio,
            guidance,
            answer: spec,
            when,
            when_src: r.when.as_ref().map(|w| w.get_ref().clone()),
            indicates,
            indicates_if,
            sources,
        });
    }
    if !items.iter().any(|i| i.kind != ItemKind::Script) && !items.is_empty() {
        out.push(cx.problem(h.id.span().start, "the protocol has no questions or observations", None));
    }

    // Levels and actions.
    let mut levels = Vec::new();
    let mut level_ix = HashMap::new();
    for l in &raw.level {
        check_id(cx, &l.id, out);
        if level_ix.insert(l.id.get_ref().clone(), levels.len()).is_some() {
            out.push(cx.problem(l.id.span().start, format!("level `{}` is defined twice", l.id.get_ref()), None));
        }
        if levels.iter().any(|x: &Level| x.rank == *l.rank.get_ref()) {
            out.push(cx.problem(
                l.rank.span().start,
                format!("two levels have rank {}", l.rank.get_ref()),
                Some("ranks order the levels; each is used once".into()),
            ));
        }
        check_text(cx, glossary, &l.title, "en", out);
        check_text(cx, glossary, &l.meaning, "en", out);
        levels.push(Level {
            id: l.id.get_ref().clone(),
            rank: *l.rank.get_ref(),
            title: l.title.get_ref().clone(),
            meaning: l.meaning.get_ref().clone(),
        });
    }
    if !levels.iter().any(|l| l.rank == 0) {
        out.push(cx.problem(
            h.id.span().start,
            "no level has rank 0",
            Some("rank 0 is the level shown when no outcome rule holds".into()),
        ));
    }
    let mut actions = Vec::new();
    let mut action_ix = HashMap::new();
    for a in &raw.action {
        check_id(cx, &a.id, out);
        if action_ix.insert(a.id.get_ref().clone(), actions.len()).is_some() {
            out.push(cx.problem(a.id.span().start, format!("action `{}` is defined twice", a.id.get_ref()), None));
        }
        let kind = ActionKind::parse(a.kind.get_ref()).unwrap_or_else(|| {
            out.push(cx.problem(
                a.kind.span().start,
                format!("unknown action kind `{}`", a.kind.get_ref()),
                Some(ActionKind::HINT.into()),
            ));
            ActionKind::Guidance
        });
        check_text(cx, glossary, &a.text, "en", out);
        actions.push(Action { id: a.id.get_ref().clone(), kind, text: a.text.get_ref().clone() });
    }
    let action_refs = |list: &[S<String>], out: &mut Vec<Problem>| -> Vec<usize> {
        list.iter()
            .filter_map(|a| {
                let ix = action_ix.get(a.get_ref()).copied();
                if ix.is_none() {
                    out.push(cx.problem(
                        a.span().start,
                        format!("unknown action `{}`", a.get_ref()),
                        Some("define it in an [[action]] table".into()),
                    ));
                }
                ix
            })
            .collect()
    };
    let level_ref = |l: &S<String>, out: &mut Vec<Problem>| -> Option<usize> {
        let ix = level_ix.get(l.get_ref()).copied();
        if ix.is_none() {
            out.push(cx.problem(
                l.span().start,
                format!("unknown level `{}`", l.get_ref()),
                Some("define it in a [[level]] table".into()),
            ));
        }
        ix
    };

    let mut stops = Vec::new();
    let mut stop_ids = HashSet::new();
    let mut stop_spans: Vec<Range<usize>> = Vec::new();
    for s in &raw.stop {
        check_id(cx, &s.id, out);
        if !stop_ids.insert(s.id.get_ref().clone()) {
            out.push(cx.problem(s.id.span().start, format!("stop rule `{}` is defined twice", s.id.get_ref()), None));
        }
        check_text(cx, glossary, &s.reason, "en", out);
        let acts = action_refs(&s.actions, out);
        if let Some(c) = compile_cond(cx, &s.when, &scope, &id_of, Use::Rule, out) {
            stops.push(StopRule {
                id: s.id.get_ref().clone(),
                when: c,
                when_src: s.when.get_ref().clone(),
                reason: s.reason.get_ref().clone(),
                actions: acts,
            });
            stop_spans.push(s.when.span());
        }
    }
    let mut outcomes = Vec::new();
    let mut outcome_spans = Vec::new();
    for o in &raw.outcome {
        let lv = level_ref(&o.level, out);
        let acts = action_refs(&o.actions, out);
        if let (Some(c), Some(lv)) = (compile_cond(cx, &o.when, &scope, &id_of, Use::Rule, out), lv) {
            outcomes.push(OutcomeRule { when: c, when_src: o.when.get_ref().clone(), level: lv, actions: acts });
            outcome_spans.push(o.when.span());
        }
    }
    let minor_rule = match &raw.minor_rule {
        Some(m) => {
            let lv = level_ref(&m.level, out);
            let acts = action_refs(&m.actions, out);
            if let Some(lv) = lv {
                let top = levels.iter().map(|l| l.rank).max().unwrap_or(0);
                if levels[lv].rank != top {
                    out.push(
                        cx.problem(
                            m.level.span().start,
                            format!("the minors rule's level `{}` is not the highest rank", levels[lv].id),
                            Some(
                                "a minor in commercial sex is trafficking by law (22 U.S.C. 7102): nothing outranks it"
                                    .into(),
                            ),
                        ),
                    );
                }
            }
            if acts.is_empty() {
                out.push(cx.problem(
                    m.level.span().start,
                    "the minors rule names no action",
                    Some("refer to child protection".into()),
                ));
            }
            MinorRule { level: lv.unwrap_or(0), actions: acts }
        }
        None => {
            out.push(cx.problem(h.id.span().start, "the protocol has no [minor_rule]", Some("every protocol states the minors rule: a minor in commercial sex is trafficking whatever the answers on force, fraud or coercion".into())));
            MinorRule { level: 0, actions: Vec::new() }
        }
    };

    let stopped_rule = match &raw.stopped_rule {
        Some(m) => {
            let lv = level_ref(&m.level, out);
            let acts = action_refs(&m.actions, out);
            if let Some(lv) = lv {
                if levels[lv].rank == 0 {
                    out.push(
                        cx.problem(
                            m.level.span().start,
                            format!("the stopped level `{}` is the no-indicators level (rank 0)", levels[lv].id),
                            Some(
                                "a stopped screening concludes nothing past what was seen: give it a level of its own"
                                    .into(),
                            ),
                        ),
                    );
                } else if raw.minor_rule.as_ref().is_some_and(|r| r.level.get_ref() == m.level.get_ref()) {
                    out.push(cx.problem(
                        m.level.span().start,
                        format!("the stopped level `{}` is also the minors rule's level", levels[lv].id),
                        Some("give a stopped screening a level of its own".into()),
                    ));
                }
                for o in &raw.outcome {
                    if o.level.get_ref() == m.level.get_ref() {
                        out.push(cx.problem(o.level.span().start, format!("an outcome rule gives the stopped level `{}`", levels[lv].id), Some("only the engine gives it, to a stopped or unfinished screening; name another level".into())));
                    }
                }
            }
            StoppedRule { level: lv.unwrap_or(0), actions: acts }
        }
        None => {
            out.push(cx.problem(h.id.span().start, "the protocol has no [stopped_rule]", Some("name the level a stopped or unfinished screening gets instead of the no-indicators level: it concluded nothing past what was seen".into())));
            StoppedRule { level: 0, actions: Vec::new() }
        }
    };

    if out.len() > before {
        // Reachability needs well-formed items; report what we have.
        return None;
    }

    let mut dependents = vec![Vec::new(); items.len()];
    for (i, it) in items.iter().enumerate() {
        if let Some(w) = &it.when {
            let mut refs = Vec::new();
            w.items(&mut refs);
            for r in refs {
                dependents[r].push(i);
            }
        }
    }
    let protocol = Protocol {
        id: h.id.get_ref().clone(),
        version: h.version.get_ref().clone(),
        title: h.title.get_ref().clone(),
        summary: h.summary.clone(),
        population,
        languages,
        sections,
        items,
        stops,
        levels,
        actions,
        outcomes,
        minor_rule,
        stopped_rule,
        content_hash: hex::encode(hasher.finalize()),
        path: cx.path.to_string(),
        index,
        audio_refs,
        dependents,
    };

    // Whole-protocol checks: unreachable items and rules that can never hold.
    let reach = satisfy::Reach::of(&protocol);
    for (i, it) in protocol.items.iter().enumerate() {
        if !reach.items[i] {
            let g = &gathered[i];
            let at = g.raw.when.as_ref().map_or(g.raw.id.span().start, |w| w.span().start);
            out.push(g.cx.problem(
                at,
                format!("item `{}` can never be shown: its condition cannot hold", it.id),
                Some("check the values it tests, and that the items it reads can be shown".into()),
            ));
        }
    }
    for (k, s) in protocol.stops.iter().enumerate() {
        if !reach.can_hold(&protocol, &s.when) {
            out.push(cx.problem(
                stop_spans[k].start,
                format!("stop rule `{}` can never hold", s.id),
                Some("no combination of answers makes its condition true".into()),
            ));
        }
    }
    for (k, o) in protocol.outcomes.iter().enumerate() {
        if !reach.can_hold(&protocol, &o.when) {
            out.push(cx.problem(
                outcome_spans[k].start,
                "this outcome rule can never fire",
                Some("no combination of answers makes its condition true; check the groups and values it tests".into()),
            ));
        }
    }
    Some(protocol)
}

/// An item's `audio.<lang>` references: a language of the protocol, an item read to the person,
/// and a path inside the protocol's folder of the form `audio/<lang>/....wav`. The checked ones
/// go into `refs` with their position, for whoever looks for the files.
fn check_audio(
    cx: &FileCtx,
    r: &RawItem,
    kind: ItemKind,
    languages: &[String],
    refs: &mut Vec<AudioRef>,
    out: &mut Vec<Problem>,
) -> BTreeMap<String, String> {
    let mut audio = BTreeMap::new();
    for (lang, path) in &r.audio {
        let at = path.span().start;
        let p = path.get_ref();
        let problem = if kind == ItemKind::Observation {
            Some((
                "an observation is not read to the person, so it has no `audio`".to_string(),
                "recorded audio goes with questions and scripts".to_string(),
            ))
        } else if !languages.contains(lang) {
            Some((
                format!("audio in `{lang}`, which the protocol does not list"),
                "add the language to `languages` or remove this audio".to_string(),
            ))
        } else {
            audio_path_problem(lang, p).map(|m| (m, format!("audio.{lang} = \"audio/{lang}/{}.wav\"", r.id.get_ref())))
        };
        match problem {
            Some((message, hint)) => out.push(cx.problem(at, message, Some(hint))),
            None => {
                let (line, col) = crate::diag::line_col(cx.text, at);
                refs.push(AudioRef { item: r.id.get_ref().clone(), lang: lang.clone(), path: p.clone(), line, col });
                audio.insert(lang.clone(), p.clone());
            }
        }
    }
    audio
}

/// What is wrong with `path` as the `lang` audio of an item, if anything.
fn audio_path_problem(lang: &str, path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split('/').collect();
    if path.starts_with('/') || path.contains('\\') || path.contains(':') {
        Some(format!("audio path `{path}` is not relative to the protocol's folder"))
    } else if parts.contains(&"..") {
        Some(format!("audio path `{path}` goes up with `..`: it must stay in the protocol's folder"))
    } else if !path.ends_with(".wav") {
        Some(format!("audio path `{path}` does not end in `.wav`"))
    } else if parts.len() < 3 || parts[0] != "audio" || parts[1] != lang {
        Some(format!("audio path `{path}` is not under `audio/{lang}/`"))
    } else if parts.iter().any(|c| c.is_empty() || c.starts_with('.')) {
        Some(format!("audio path `{path}` has an empty or hidden part"))
    } else {
        None
    }
}

fn answer_spec(
    cx: &FileCtx,
    r: &RawItem,
    languages: &[String],
    glossary: &Glossary,
    out: &mut Vec<Problem>,
) -> AnswerSpec {
    let kind = r.kind.get_ref().as_str();
    let name = r.answer.as_ref().map(|a| a.get_ref().as_str());
    let at = r.answer.as_ref().map_or(r.id.span().start, |a| a.span().start);
    match (kind, name) {
        ("observation", _) => return AnswerSpec::Observation,
        ("script", None) => return AnswerSpec::Read,
        ("question", None) => {
            out.push(cx.problem(
                r.id.span().start,
                format!("question `{}` has no `answer` type", r.id.get_ref()),
                Some("answer = \"yes-no\", \"choice\", \"number\" or \"text\"".into()),
            ));
            return AnswerSpec::YesNo;
        }
        _ => {}
    }
    let spec = match name.unwrap_or("") {
        "yes-no" => AnswerSpec::YesNo,
        "number" => AnswerSpec::Number { min: r.min, max: r.max },
        "text" => AnswerSpec::Text,
        "read" => AnswerSpec::Read,
        "choice" => {
            let mut choices = Vec::new();
            let mut ids = HashSet::new();
            for c in &r.choices {
                check_id(cx, &c.id, out);
                if AnswerKind::parse_token(c.id.get_ref()).is_some() {
                    out.push(cx.problem(
                        c.id.span().start,
                        format!("choice id `{}` is an answer token", c.id.get_ref()),
                        Some("not-sure and declined are always offered; pick another id".into()),
                    ));
                }
                if !ids.insert(c.id.get_ref().clone()) {
                    out.push(cx.problem(
                        c.id.span().start,
                        format!("choice `{}` is listed twice", c.id.get_ref()),
                        None,
                    ));
                }
                for lang in languages {
                    if !c.text.contains_key(lang) {
                        out.push(cx.problem(
                            c.id.span().start,
                            format!("choice `{}` is missing its `{lang}` text", c.id.get_ref()),
                            Some(format!("add text.{lang}")),
                        ));
                    }
                }
                for (lang, t) in &c.text {
                    check_text(cx, glossary, t, lang, out);
                }
                let texts: Vec<(&str, &S<String>)> = c.text.iter().map(|(l, t)| (l.as_str(), t)).collect();
                check_fixed_parts(cx, &format!("choice `{}`", c.id.get_ref()), &texts, "en", out);
                if let Some(l) = &c.label {
                    check_text(cx, glossary, l, "en", out);
                }
                choices.push(Choice {
                    id: c.id.get_ref().clone(),
                    text: c.text.iter().map(|(k, v)| (k.clone(), v.get_ref().clone())).collect(),
                });
            }
            if choices.len() < 2 {
                out.push(cx.problem(at, "a choice item needs at least two choices", None));
            }
            AnswerSpec::Choice(choices)
        }
        other => {
            out.push(cx.problem(
                at,
                format!("unknown answer type `{other}`"),
                Some("\"yes-no\", \"choice\", \"number\" or \"text\"".into()),
            ));
            AnswerSpec::YesNo
        }
    };
    if kind == "script" && !matches!(spec, AnswerSpec::Read | AnswerSpec::YesNo) {
        out.push(cx.problem(
            at,
            "a script is read aloud: its answer is `read`, or `yes-no` when it ends with a question",
            None,
        ));
    }
    if !matches!(spec, AnswerSpec::Choice(_)) && !r.choices.is_empty() {
        out.push(cx.problem(r.choices[0].id.span().start, "`choices` only go with answer = \"choice\"", None));
    }
    if let (Some(lo), Some(hi)) = (r.min, r.max) {
        if lo > hi {
            out.push(cx.problem(at, format!("min {lo} is above max {hi}"), None));
        }
    }
    spec
}
