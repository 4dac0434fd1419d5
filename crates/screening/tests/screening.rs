//! One test binary for the screening crate: validator cases (data in testdata/validator.toml),
//! engine behaviour on a small protocol, the shipped content, and property tests.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use proptest::prelude::*;
use screening::cases::Mismatch;
use screening::{load, Answer, Group, Library, Session, Source, Status};

fn testdata(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata").join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn base_sources(protocol: &str) -> Vec<Source> {
    vec![
        Source { path: "glossary.toml".into(), text: testdata("glossary.toml") },
        Source { path: "checklist.toml".into(), text: testdata("checklist.toml") },
        Source { path: "base.toml".into(), text: protocol.to_string() },
    ]
}

fn base() -> Arc<screening::Protocol> {
    let lib = load(&base_sources(&testdata("base.toml"))).unwrap_or_else(|p| panic!("base.toml: {p:#?}"));
    Arc::new(lib.protocol("base").unwrap().clone())
}

fn shipped_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../screening-protocols")
}

fn shipped_sources() -> Vec<Source> {
    let files = durable::read_toml_files(&shipped_root()).unwrap();
    files.into_iter().map(|(p, text)| Source { path: p.display().to_string(), text }).collect()
}

fn shipped() -> Library {
    static LIB: std::sync::OnceLock<Library> = std::sync::OnceLock::new();
    LIB.get_or_init(load_shipped).clone()
}

fn load_shipped() -> Library {
    load(&shipped_sources()).unwrap_or_else(|p| {
        panic!("shipped content has problems:\n{}", p.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n"))
    })
}

// ---------- validator: data-driven ----------

#[derive(serde::Deserialize)]
struct ValidatorCase {
    name: String,
    /// The file the case breaks: `base.toml` (the default) or `policy.toml`.
    #[serde(default)]
    file: Option<String>,
    replace: (String, String),
    expect: String,
    at: Option<String>,
    #[serde(default)]
    nth: usize,
}

#[derive(serde::Deserialize)]
struct ValidatorCases {
    policy: String,
    languages: String,
    case: Vec<ValidatorCase>,
}

fn line_col_of(text: &str, needle: &str, nth: usize) -> Option<(usize, usize)> {
    let off = text.match_indices(needle).nth(nth)?.0;
    Some(screening::diag::line_col(text, off))
}

#[test]
fn validator_cases() {
    let base_text = testdata("base.toml");
    let cases: ValidatorCases = toml::from_str(&testdata("validator.toml")).unwrap();
    assert!(cases.case.len() >= 20);
    let with = |base: &str, policy: &str, languages: &str| {
        let mut s = base_sources(base);
        s.push(Source { path: "policy.toml".into(), text: policy.to_string() });
        s.push(Source { path: "languages.toml".into(), text: languages.to_string() });
        s
    };
    let lib = load(&with(&base_text, &cases.policy, &cases.languages))
        .unwrap_or_else(|p| panic!("the cases' policy and languages: {p:#?}"));
    assert_eq!(lib.policy("test-policy").unwrap().recipients.len(), 2);
    assert_eq!(lib.languages.len(), 2);
    let mut failures = Vec::new();
    for c in &cases.case {
        let (file, original) = match c.file.as_deref() {
            None | Some("base.toml") => ("base.toml", &base_text),
            Some("policy.toml") => ("policy.toml", &cases.policy),
            Some("languages.toml") => ("languages.toml", &cases.languages),
            Some(other) => panic!("{}: no file `{other}` to break", c.name),
        };
        assert!(original.contains(&c.replace.0), "{}: {file} has no `{}`", c.name, c.replace.0);
        let broken = original.replacen(&c.replace.0, &c.replace.1, 1);
        let sources = match file {
            "base.toml" => with(&broken, &cases.policy, &cases.languages),
            "policy.toml" => with(&base_text, &broken, &cases.languages),
            _ => with(&base_text, &cases.policy, &broken),
        };
        let problems = match load(&sources) {
            Ok(_) => {
                failures.push(format!("{}: loaded without problems", c.name));
                continue;
            }
            Err(p) => p,
        };
        let hit = problems.iter().find(|p| p.message.contains(&c.expect));
        let Some(hit) = hit else {
            failures.push(format!(
                "{}: no problem says `{}`; got:\n  {}",
                c.name,
                c.expect,
                problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n  ")
            ));
            continue;
        };
        assert_eq!(hit.path, file, "{}", c.name);
        if let Some(at) = &c.at {
            let want = line_col_of(&broken, at, c.nth).unwrap_or_else(|| panic!("{}: `at` not found", c.name));
            if (hit.line, hit.col) != want {
                failures.push(format!(
                    "{}: points at {}:{}, expected {}:{} ({hit})",
                    c.name, hit.line, hit.col, want.0, want.1
                ));
            }
        }
        // Every problem renders as path:line:col: message.
        for p in &problems {
            let s = p.to_string();
            assert!(s.starts_with(&format!("{}:{}:{}: ", p.path, p.line, p.col)), "{s}");
        }
    }
    assert!(failures.is_empty(), "validator cases failed:\n{}", failures.join("\n"));
}

#[test]
fn base_is_valid_and_problems_name_their_file() {
    base();
    let bad_glossary = "[[term]]\navoid = \"x\"\n";
    let mut srcs = base_sources(&testdata("base.toml"));
    srcs[0].text = bad_glossary.into();
    let p = load(&srcs).unwrap_err();
    assert!(p.iter().any(|p| p.path == "glossary.toml" && p.line == 1), "{p:?}");
    let p = load(&[Source { path: "x.toml".into(), text: "a = 1".into() }]).unwrap_err();
    assert!(p[0].message.contains("not a Fieldscreen content file"));
}

#[test]
fn audio_references_are_kept_with_their_position() {
    let text = testdata("base.toml").replacen(
        "text.es = \"¿Está en peligro ahora?\"",
        "text.es = \"¿Está en peligro ahora?\"\naudio.es = \"audio/es/danger.wav\"\naudio.en = \"audio/en/danger.wav\"",
        1,
    );
    let lib = load(&base_sources(&text)).unwrap_or_else(|p| panic!("{p:#?}"));
    let p = lib.protocol("base").unwrap();
    let refs: Vec<_> = p.audio_refs().iter().map(|r| (r.item.as_str(), r.lang.as_str(), r.path.as_str())).collect();
    assert_eq!(refs, [("danger", "en", "audio/en/danger.wav"), ("danger", "es", "audio/es/danger.wav")]);
    let es = &p.audio_refs()[1];
    assert_eq!((es.line, es.col), line_col_of(&text, "\"audio/es/danger.wav\"", 0).unwrap());
    assert_eq!(p.item("danger").unwrap().audio.get("en").map(String::as_str), Some("audio/en/danger.wav"));
    assert!(base().audio_refs().is_empty());
}

// ---------- engine ----------

fn outcome_groups(s: &Session) -> Vec<Group> {
    s.outcome(None).groups
}

#[test]
fn safety_comes_first_and_skip_logic_follows_answers() {
    let p = base();
    let mut s = Session::new(p.clone());
    assert_eq!(s.current().unwrap().id, "danger");
    s.answer("danger", Answer::No).unwrap();
    assert_eq!(s.current().unwrap().id, "consent");
    s.answer("consent", Answer::Yes).unwrap();
    s.answer("papers-held", Answer::NotSeen).unwrap();
    s.answer("age", Answer::Number(30.0)).unwrap();
    assert!(!s.is_visible("threat"), "threat is shown only after a yes to traded or a kind of work");
    s.answer("traded", Answer::Yes).unwrap();
    assert!(s.is_visible("threat"));
    assert_eq!(s.current().unwrap().id, "work");
    // Changing an earlier answer hides the follow-up again and its answer stops counting.
    s.answer("work", Answer::Declined).unwrap();
    s.answer("threat", Answer::Yes).unwrap();
    assert_eq!(outcome_groups(&s), vec![Group::Coercion, Group::PurposeSex]);
    s.answer("traded", Answer::No).unwrap();
    assert!(!s.is_visible("threat"));
    assert!(outcome_groups(&s).is_empty(), "hidden answers never count");
    assert_eq!(s.status(), Status::Complete);
}

#[test]
fn declined_is_never_no_and_never_an_indicator() {
    let p = base();
    let mut s = Session::new(p);
    s.answer("danger", Answer::Declined).unwrap();
    s.answer("consent", Answer::Yes).unwrap();
    s.answer("papers-held", Answer::NotSure).unwrap();
    s.answer("age", Answer::Declined).unwrap();
    s.answer("traded", Answer::Declined).unwrap();
    s.answer("work", Answer::Declined).unwrap();
    let o = s.outcome(None);
    assert!(o.groups.is_empty());
    let declined: Vec<_> = o.declined.iter().map(|d| d.item.as_str()).collect();
    assert_eq!(declined, ["danger", "age", "traded", "work"]);
    assert_eq!(o.not_sure.len(), 1);
    assert!(!s.is_visible("threat"), "`traded == yes` is false for declined");
    assert_eq!(o.level.id, "none-seen");
    assert_eq!(o.non_arrest_guidance, None);
}

#[test]
fn the_person_can_stop_at_any_point() {
    let p = base();
    let mut s = Session::new(p);
    s.answer("danger", Answer::No).unwrap();
    s.answer("consent", Answer::Yes).unwrap();
    s.answer("papers-held", Answer::Seen).unwrap();
    s.stop().unwrap();
    assert_eq!(s.status(), Status::Stopped);
    let o = s.outcome(None);
    assert!(o.stopped && o.partial);
    assert_eq!(o.groups, vec![Group::Coercion], "what was seen still counts");
    assert_eq!(o.unanswered, ["age", "traded", "work"]);
    assert!(matches!(s.answer("age", Answer::Number(20.0)), Err(screening::EngineError::Stopped)));
    assert!(s.back().is_err());
    assert!(!s.can_go_back());
}

#[test]
fn a_stop_rule_concludes_and_going_back_reopens() {
    let p = base();
    let mut s = Session::new(p);
    s.answer("danger", Answer::No).unwrap();
    s.answer("consent", Answer::No).unwrap();
    assert_eq!(s.status(), Status::Concluded);
    let o = s.outcome(None);
    assert!(!o.partial && !o.stopped);
    assert_eq!(o.stop_rule.as_ref().unwrap().id, "no-consent");
    assert_eq!(o.actions.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["hotline"]);
    assert!(matches!(s.answer("papers-held", Answer::Seen), Err(screening::EngineError::Concluded(_))));
    s.back().unwrap();
    assert_eq!(s.current().unwrap().id, "consent");
    s.answer("consent", Answer::Yes).unwrap();
    assert_eq!(s.status(), Status::InProgress);
    assert_eq!(s.current().unwrap().id, "papers-held");
}

#[test]
fn back_walks_the_items_shown() {
    let p = base();
    let mut s = Session::new(p);
    assert!(matches!(s.back(), Err(screening::EngineError::AtStart)));
    s.answer("danger", Answer::No).unwrap();
    s.answer("consent", Answer::Yes).unwrap();
    assert_eq!(s.progress(), (3, 6), "threat is hidden, so six items are shown");
    s.back().unwrap();
    assert_eq!(s.current().unwrap().id, "consent");
    assert_eq!(s.progress(), (2, 6));
}

#[test]
fn the_minors_rule_holds_whatever_else_is_answered() {
    let p = base();
    let mut s = Session::new(p);
    s.answer("danger", Answer::No).unwrap();
    s.answer("consent", Answer::Yes).unwrap();
    s.answer("papers-held", Answer::NotSeen).unwrap();
    s.answer("age", Answer::Number(15.0)).unwrap();
    s.answer("traded", Answer::Yes).unwrap();
    s.answer("work", Answer::Declined).unwrap();
    s.answer("threat", Answer::No).unwrap();
    let o = s.outcome(None);
    assert!(o.minor_rule);
    assert_eq!(o.level.id, "minor-sex");
    assert_eq!(o.actions[0].id, "cps", "child protection comes first");
    assert!(o.indicators.force.is_empty() && o.indicators.fraud.is_empty() && o.indicators.coercion.is_empty());
}

#[test]
fn invalid_answers_are_refused_with_the_reason() {
    let p = base();
    let mut s = Session::new(p);
    let e = s.answer("danger", Answer::Seen).unwrap_err().to_string();
    assert!(e.contains("takes yes, no, not-sure or declined"), "{e}");
    s.answer("danger", Answer::No).unwrap();
    s.answer("consent", Answer::Yes).unwrap();
    let e = s.answer("age", Answer::Number(130.0)).unwrap_err().to_string();
    assert!(e.contains("above the maximum 120"), "{e}");
    let e = s.answer("work", Answer::Choice("office".into())).unwrap_err().to_string();
    assert!(e.contains("not one of the choices"), "{e}");
    assert!(matches!(s.answer("ghost", Answer::Yes), Err(screening::EngineError::UnknownItem(_))));
    assert!(matches!(s.answer("threat", Answer::Yes), Err(screening::EngineError::NotShown(_))));
    assert_eq!(s.log().len(), 2, "refused answers are not logged");
}

#[test]
fn non_arrest_guidance_appears_with_indicators() {
    let lib = shipped();
    let policy = lib.policy("default").expect("default policy");
    let p = base();
    let mut s = Session::new(p);
    s.answer("danger", Answer::No).unwrap();
    s.answer("consent", Answer::Yes).unwrap();
    assert_eq!(s.outcome(Some(policy)).non_arrest_guidance, None);
    s.answer("papers-held", Answer::Seen).unwrap();
    assert_eq!(s.outcome(Some(policy)).non_arrest_guidance.as_deref(), Some(policy.non_arrest_guidance.as_str()));
}

#[test]
fn outcome_is_available_at_any_point_and_says_partial() {
    let s = Session::new(base());
    let o = s.outcome(None);
    assert!(o.partial && !o.stopped);
    assert_eq!(o.level.id, "partial", "an unfinished screening concludes nothing, so it is not `none-seen`");
}

#[test]
fn a_stopped_session_never_gets_the_no_indicators_level() {
    let mut s = Session::new(base());
    s.answer("danger", Answer::No).unwrap();
    s.answer("consent", Answer::Yes).unwrap();
    s.stop().unwrap();
    let o = s.outcome(None);
    assert!(o.stopped && o.partial && o.groups.is_empty());
    assert_eq!(o.level.id, "partial");
    assert_eq!(o.actions.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["hotline"], "the stopped rule's actions");

    // What was seen before the stop still raises the level; the stopped level replaces only
    // the no-indicators one.
    let mut s = Session::new(base());
    s.answer("danger", Answer::No).unwrap();
    s.answer("consent", Answer::Yes).unwrap();
    s.answer("papers-held", Answer::Seen).unwrap();
    s.stop().unwrap();
    assert_eq!(s.outcome(None).level.id, "some");

    // A screening that runs to its end with nothing seen does get the no-indicators level.
    let mut s = Session::new(base());
    for (id, a) in [
        ("danger", Answer::No),
        ("consent", Answer::Yes),
        ("papers-held", Answer::NotSeen),
        ("age", Answer::Number(30.0)),
        ("traded", Answer::No),
        ("work", Answer::Declined),
    ] {
        s.answer(id, a).unwrap();
    }
    let o = s.outcome(None);
    assert!(!o.partial, "{:?}", o.unanswered);
    assert_eq!(o.level.id, "none-seen");
}

// ---------- shipped content ----------

#[test]
fn shipped_content_is_valid_and_complete() {
    let lib = shipped();
    let adult = lib.protocol("adult-roadside").expect("adult-roadside");
    assert!(adult.asked_items() <= 15, "adult-roadside asks {} items", adult.asked_items());
    assert!(adult.items.iter().any(|i| i.kind == screening::ItemKind::Observation));
    let minors = lib.protocol("minors").expect("minors");
    assert_eq!(minors.population, screening::Population::Minor);
    assert!(!minors.stops.is_empty(), "the minors protocol stops once the child discloses");
    for p in [adult, minors] {
        assert!(p.sections[0].safety, "{}: safety first", p.id);
        assert!(p.languages.iter().any(|l| l == "es"));
        let cases = lib.cases.iter().filter(|c| c.protocol == p.id).map(|c| c.cases.len()).sum::<usize>();
        assert!(cases >= 10, "{} has {cases} cases", p.id);
    }
    assert!(lib.glossary.terms.len() >= 40, "glossary has {} terms", lib.glossary.terms.len());
    let national = lib.directories.iter().find(|d| d.scope == "national").expect("a national directory");
    let hotline =
        national.resources.iter().find(|r| r.phone.as_deref() == Some("1-888-373-7888")).expect("the hotline");
    assert!(hotline.text.is_some() && hotline.tty.is_some());
    assert!(lib.policy("default").is_some());
}

#[test]
fn shipped_protocol_cases_pass() {
    let lib = shipped();
    let mut failures = Vec::new();
    let mut n = 0;
    for file in &lib.cases {
        let p = Arc::new(lib.protocol(&file.protocol).unwrap().clone());
        for case in &file.cases {
            n += 1;
            let r = screening::run_case(&p, case);
            if !r.mismatches.is_empty() {
                failures.push(format!(
                    "{}:{} {}: {}",
                    file.path,
                    r.line,
                    r.name,
                    r.mismatches.iter().map(|m| m.to_string()).collect::<Vec<_>>().join("; ")
                ));
            }
        }
    }
    assert!(n >= 20);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------- properties ----------

const FRAGMENTS: &[&str] = &[
    "\"",
    "]",
    "[",
    "[[section.item]]",
    "[[section]]",
    "when = \"x ==\"",
    "indicates.declined = [\"force\"]",
    "id = \"a\"",
    "\n",
    "=",
    "{",
    "}",
    "kind = \"observation\"",
    "answer = \"choice\"",
    "rank = -1",
    "\u{0}",
    "é",
    "[minor_rule]",
    "when = \"has(\"",
    "when = \"count(force) >= \"",
    "include = \"observation-checklist\"",
    "'''",
    "text.xx = \"\"",
    "min = 5\nmax = 1",
    "[[outcome]]\nwhen = \"not not not\"",
    "sources = []",
];

fn arb_mutation() -> impl Strategy<Value = (usize, usize, usize)> {
    (any::<usize>(), 0..FRAGMENTS.len(), 0usize..40)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    #[test]
    fn loader_never_panics_on_mutated_shipped_files(muts in prop::collection::vec(arb_mutation(), 1..6), which in any::<usize>()) {
        let mut srcs = shipped_sources();
        let k = which % srcs.len();
        let mut text = srcs[k].text.clone();
        for (pos, frag, cut) in muts {
            let mut at = pos % (text.len() + 1);
            while !text.is_char_boundary(at) { at -= 1; }
            let mut end = (at + cut).min(text.len());
            while !text.is_char_boundary(end) { end -= 1; }
            text.replace_range(at..end, FRAGMENTS[frag]);
        }
        srcs[k].text = text;
        let _ = load(&srcs);
    }

    #[test]
    fn loader_never_panics_on_arbitrary_text(header in prop::sample::select(vec!["[protocol]", "[checklist]", "[[case]]", "[[term]]", "[directory]", "[policy]", ""]), body in ".{0,400}") {
        let text = format!("{header}\n{body}");
        let mut srcs = base_sources(&testdata("base.toml"));
        srcs.push(Source { path: "fuzz.toml".into(), text });
        let _ = load(&srcs);
    }

    #[test]
    fn condition_parser_never_panics(src in "[a-z()\\[\\],=!<>\" 0-9.-]{0,60}") {
        let _ = screening::condition::parse(&src);
    }

    #[test]
    fn a_session_is_a_function_of_its_log(steps in prop::collection::vec((0usize..64, 0usize..8), 0..40), which in 0usize..2) {
        let lib = shipped();
        let p = Arc::new(lib.protocols[which % lib.protocols.len()].clone());
        let mut s = Session::new(p.clone());
        for (item, pick) in steps {
            // Mostly answer the current item; sometimes go back, answer another, or stop.
            let _ = match pick {
                7 => s.back(),
                6 if item % 5 == 0 => s.stop(),
                _ => {
                    let it = match s.current() { Some(c) if item % 4 != 0 => c.clone(), _ => p.items[item % p.items.len()].clone() };
                    let a = pick_answer(&it, pick);
                    s.answer(&it.id, a)
                }
            };
            // Invariants at every step.
            let o = s.outcome(None);
            for list in [&o.indicators.force, &o.indicators.fraud, &o.indicators.coercion, &o.indicators.purpose, &o.indicators.minor, &o.indicators.safety] {
                prop_assert!(list.iter().all(|i| i.answer != "declined"), "declined never indicates");
            }
            if o.groups.contains(&Group::Minor) && o.groups.contains(&Group::PurposeSex) {
                prop_assert!(o.minor_rule);
                prop_assert_eq!(&o.level.id, &p.levels[p.minor_rule.level].id);
            }
            if o.stopped { prop_assert!(o.partial); }
        }
        let again = Session::replay(p, s.log()).unwrap();
        prop_assert_eq!(again.outcome(None), s.outcome(None));
        prop_assert_eq!(again.current().map(|i| &i.id), s.current().map(|i| &i.id));
        prop_assert_eq!(again.progress(), s.progress());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    /// A stopped session concludes nothing past what was seen: whatever was answered before the
    /// stop, and wherever it came, its level is never the no-indicators level.
    #[test]
    fn a_stopped_session_is_never_at_the_no_indicators_level(picks in prop::collection::vec(0usize..8, 0..40), stop_at in 0usize..40, which in 0usize..2) {
        let lib = shipped();
        let p = Arc::new(lib.protocols[which % lib.protocols.len()].clone());
        let mut s = Session::new(p.clone());
        for pick in picks.iter().take(stop_at) {
            let Some(it) = s.current().cloned() else { break };
            s.answer(&it.id, pick_answer(&it, *pick)).unwrap();
        }
        if s.status() != Status::InProgress {
            // Ended by a stop rule or answered to the end before the stop point: not stopped.
            return Ok(());
        }
        s.stop().unwrap();
        let o = s.outcome(None);
        prop_assert!(o.stopped && o.partial);
        let no_indicators = &p.levels[p.base_level()];
        prop_assert_eq!(no_indicators.rank, 0);
        prop_assert_ne!(&o.level.id, &no_indicators.id, "stopped after {} answers", s.log().len());
        // In place of no indicators it is the stopped level, with the stopped rule's actions.
        if o.level.id == p.levels[p.stopped_rule.level].id {
            for a in &p.stopped_rule.actions {
                prop_assert!(o.actions.iter().any(|x| x.id == p.actions[*a].id));
            }
        }
    }
}

fn pick_answer(it: &screening::Item, pick: usize) -> Answer {
    use screening::model::AnswerSpec;
    match &it.answer {
        AnswerSpec::YesNo => [Answer::Yes, Answer::No, Answer::NotSure, Answer::Declined][pick % 4].clone(),
        AnswerSpec::Observation => [Answer::Seen, Answer::NotSeen, Answer::NotSure][pick % 3].clone(),
        AnswerSpec::Read => Answer::Read,
        AnswerSpec::Choice(c) => {
            if pick.is_multiple_of(3) {
                Answer::Declined
            } else {
                Answer::Choice(c[pick % c.len()].id.clone())
            }
        }
        AnswerSpec::Number { min, .. } => {
            if pick.is_multiple_of(3) {
                Answer::NotSure
            } else {
                Answer::Number(min.unwrap_or(0.0) + (pick * 7) as f64)
            }
        }
        AnswerSpec::Text => {
            if pick.is_multiple_of(2) {
                Answer::Declined
            } else {
                Answer::Text("x".into())
            }
        }
    }
}

#[test]
fn the_adult_minors_rule_holds_for_every_other_answer() {
    // Exhaustive over the adult protocol's means answers: a minor who traded sex is at the top level.
    let lib = shipped();
    let p = Arc::new(lib.protocol("adult-roadside").unwrap().clone());
    let minor_items: Vec<_> = p
        .items
        .iter()
        .filter(|i| i.indicates.iter().any(|(_, g)| g.contains(&Group::Minor)))
        .map(|i| i.id.clone())
        .collect();
    let sex_items: Vec<_> = p
        .items
        .iter()
        .filter(|i| i.indicates.iter().any(|(_, g)| g.contains(&Group::PurposeSex)))
        .map(|i| i.id.clone())
        .collect();
    assert!(!minor_items.is_empty() && !sex_items.is_empty());
    for pick in 0..8 {
        let mut s = Session::new(p.clone());
        while let Some(it) = s.current().cloned() {
            let a = if minor_items.contains(&it.id) || sex_items.contains(&it.id) {
                it.indicates
                    .iter()
                    .find(|(_, g)| g.contains(&Group::Minor) || g.contains(&Group::PurposeSex))
                    .map(|(k, _)| Answer::from_input(&it.answer, k).unwrap())
                    .unwrap()
            } else {
                pick_answer(&it, pick + it.id.len())
            };
            if s.answer(&it.id, a).is_err() {
                break;
            }
        }
        let o = s.outcome(None);
        if o.groups.contains(&Group::Minor) && o.groups.contains(&Group::PurposeSex) {
            assert_eq!(o.level.id, p.levels[p.minor_rule.level].id, "pick {pick}");
        }
    }
}

// ---------- training scenarios ----------

const SCENARIO: &str = r#"
[scenario]
id = "test-scenario"
title = "Test"
protocol = "base"
language = "es"
summary = "A minor who traded sex for a place to stay."

[trainer]
profile = "Sixteen, staying with an older man."
story = "Trades sex for a place to sleep."
notes = "The minors rule applies without any force, fraud or coercion."

[answers]
danger = "no"
consent = "yes"
age = 16
traded = "yes"
work = "declined"
threat = "no"

[[observe]]
item = "papers-held"
answer = "not-seen"
cue = "She has her own school ID."

[expect]
level = "minor-sex"
groups = ["minor", "purpose-sex"]
declined = ["work"]

[[learning]]
point = "A minor in commercial sex is trafficking by law."
source = "22 U.S.C. 7102"
"#;

fn scenario_sources(text: &str) -> Vec<Source> {
    let mut s = base_sources(&testdata("base.toml"));
    s.push(Source { path: "scenario.toml".into(), text: text.into() });
    s
}

#[test]
fn a_scenario_plays_through_the_engine_and_the_debrief_compares() {
    let lib = load(&scenario_sources(SCENARIO)).unwrap_or_else(|p| panic!("{p:#?}"));
    let s = lib.scenario("test-scenario").unwrap();
    let p = Arc::new(lib.protocol("base").unwrap().clone());
    let d = screening::training::run(s, &p);
    assert!(d.matched, "{:?}", d.mismatches);
    assert_eq!(d.found_groups, vec![Group::PurposeSex, Group::Minor]);
    assert!(d.missed_groups.is_empty() && d.extra_groups.is_empty());
    // A scenario whose expectation is wrong does not match, and says why.
    let wrong = SCENARIO.replace("level = \"minor-sex\"", "level = \"some\"");
    let lib = load(&scenario_sources(&wrong)).unwrap();
    let d = screening::training::run(lib.scenario("test-scenario").unwrap(), &p);
    assert!(!d.matched);
    assert_eq!(d.mismatches[0], Mismatch::Level { expected: "some".into(), got: "minor-sex".into() });
    assert_eq!(d.mismatches[0].to_string(), "level: expected `some`, got `minor-sex`");
}

/// The debrief carries each difference as facts; `Display` is the line the CLI has always printed.
#[test]
fn mismatches_are_structured_and_print_the_cli_line() {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let cases = [
        (Mismatch::Answers { problem: "no item `x`".into() }, "no item `x`"),
        (Mismatch::Level { expected: "some".into(), got: "none".into() }, "level: expected `some`, got `none`"),
        (
            Mismatch::Groups { expected: vec![Group::Force, Group::PurposeSex], got: vec![] },
            "groups: expected [force, purpose-sex], got []",
        ),
        (
            Mismatch::Declined { expected: s(&["a", "b"]), got: s(&["a"]) },
            r#"declined: expected ["a", "b"], got ["a"]"#,
        ),
        (Mismatch::Stopped { expected: true, got: false }, "stopped: expected true, got false"),
        (Mismatch::Partial { expected: false, got: true }, "partial: expected false, got true"),
        (Mismatch::StopRule { expected: "r".into(), got: None }, "stop rule: expected `r`, got None"),
        (
            Mismatch::StopRule { expected: "r".into(), got: Some("q".into()) },
            r#"stop rule: expected `r`, got Some("q")"#,
        ),
        (
            Mismatch::Action { expected: "hotline".into(), got: s(&["unit"]) },
            r#"actions: expected `hotline` among ["unit"]"#,
        ),
    ];
    for (m, line) in cases {
        assert_eq!(m.to_string(), line);
    }
    // The wire shape the UI reads: a `what` tag and the fields.
    let v = serde_json::to_value(Mismatch::StopRule { expected: "r".into(), got: None }).unwrap();
    assert_eq!(v, serde_json::json!({"what": "stop-rule", "expected": "r", "got": null}));
}

#[test]
fn scenario_problems_are_reported_with_their_place() {
    for (from, to, want) in [
        ("protocol = \"base\"", "protocol = \"nope\"", "unknown protocol `nope`"),
        ("language = \"es\"", "language = \"fr\"", "has no `fr`"),
        ("traded = \"yes\"", "traded = \"maybe\"", "invalid answer for `traded`"),
        ("item = \"papers-held\"", "item = \"traded\"", "is asked, not observed"),
        ("danger = \"no\"", "danger = \"no\"\n\"papers-held\" = \"seen\"", "is an observation"),
        ("cue = \"She has her own school ID.\"", "cue = \" \"", "has no cue"),
        ("source = \"22 U.S.C. 7102\"", "source = \"\"", "learning points, each with its source"),
        ("notes = \"The minors rule", "notes = \"No child prostitute here. The minors rule", "avoid list"),
        ("level = \"minor-sex\"", "level = \"medium\"", "unknown level `medium`"),
    ] {
        assert!(SCENARIO.contains(from), "{from}");
        let p =
            load(&scenario_sources(&SCENARIO.replacen(from, to, 1))).err().unwrap_or_else(|| panic!("{want}: loaded"));
        let hit = p.iter().find(|p| p.message.contains(want)).unwrap_or_else(|| panic!("{want}: {p:#?}"));
        assert_eq!(hit.path, "scenario.toml");
        assert!(hit.line > 1);
    }
}

#[test]
fn shipped_scenarios_cover_the_curriculum_and_match() {
    let lib = shipped();
    assert!(lib.scenarios.len() >= 10, "{} scenarios", lib.scenarios.len());
    for id in [
        "adult-sex-debt-documents",
        "labor-traffic-stop",
        "domestic-servitude",
        "minor-no-third-party",
        "minor-discloses-midway",
        "domestic-violence-no-trafficking",
        "smuggling-not-trafficking",
        "declines-everything",
        "stops-early",
        "immediate-danger",
    ] {
        let s = lib.scenario(id).unwrap_or_else(|| panic!("scenario `{id}` is missing"));
        let p = Arc::new(lib.protocol(&s.protocol).unwrap().clone());
        let d = screening::training::run(s, &p);
        assert!(d.matched, "{id}: {:?}", d.mismatches);
        if id == "immediate-danger" {
            // Safety first: emergency and medical actions lead, even when a stop rule also holds.
            let kinds: Vec<_> = d.outcome.unwrap().actions.iter().map(|a| a.kind).collect();
            assert_eq!(
                &kinds[..2],
                &[screening::model::ActionKind::Emergency, screening::model::ActionKind::Medical],
                "{kinds:?}"
            );
        }
    }
}

/// Issue 14's languages: at least ten, the named ones among them, each registered with an honest
/// status, Arabic right to left, and every person-facing text in every one of them.
#[test]
fn shipped_content_speaks_at_least_ten_languages_and_is_honest_about_their_review() {
    use screening::{Direction, TranslationStatus};
    let lib = shipped();
    for code in ["en", "es", "zh", "vi", "tl", "ko", "ru", "ht", "pt", "fr", "ar"] {
        assert!(lib.language(code).is_some(), "`{code}` is registered");
    }
    assert_eq!(lib.language("en").unwrap().status, TranslationStatus::Source);
    assert_eq!(lib.language("ar").unwrap().direction, Direction::Rtl);
    for l in &lib.languages {
        assert!(!l.name.is_empty() && !l.english.is_empty(), "{}", l.code);
        if let TranslationStatus::Reviewed { by, on } = &l.status {
            assert!(!by.is_empty() && on.len() == 10, "{}: a review names who and when", l.code);
        }
    }
    for p in &lib.protocols {
        assert!(p.languages.len() >= 10, "{}: {:?}", p.id, p.languages);
        for it in p.items.iter().filter(|i| i.kind != screening::ItemKind::Observation) {
            for lang in &p.languages {
                assert!(
                    it.text.get(lang).is_some_and(|t| !t.trim().is_empty()),
                    "{} {}: no `{lang}` text",
                    p.id,
                    it.id
                );
            }
        }
    }
    for d in &lib.directories {
        for r in &d.resources {
            for l in &lib.languages {
                assert!(r.description.contains_key(&l.code), "{}: no `{}` description", r.id, l.code);
            }
        }
    }
}
