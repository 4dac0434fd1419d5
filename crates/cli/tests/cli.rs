//! The `fieldscreen` CLI contract, run as a real process: exit codes, output shapes, error paths.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(args: &[&str], stdin: Option<&str>) -> Output {
    run_env(args, stdin, &[])
}

fn run_env(args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fieldscreen"));
    cmd.args(args).current_dir(repo()).env_remove("FIELDSCREEN_PROTOCOLS");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn fieldscreen");
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}
fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", out(o), err(o)))
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

fn copy_library(to: &Path) {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let p = e.unwrap().path();
            let dest = to.join(p.file_name().unwrap());
            if p.is_dir() {
                copy(&p, &dest)
            } else {
                std::fs::copy(&p, &dest).unwrap();
            }
        }
    }
    copy(&repo().join("screening-protocols"), to);
}

#[test]
fn protocol_check_passes_on_the_shipped_library() {
    let o = run(&["protocol", "check"], None);
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
    assert!(out(&o).is_empty(), "no problem lines: {}", out(&o));
}

#[test]
fn protocol_check_reports_one_line_per_problem_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let adult = std::fs::read_to_string(repo().join("screening-protocols/adult-roadside/protocol.toml")).unwrap();
    let broken = adult
        .replacen("when = \"consent == yes\"", "when = \"consnet == yes\"", 1)
        .replacen("id = \"adult-roadside\"", "id = \"adult-copy\"", 1);
    let f = write(dir.path(), "protocol.toml", &broken);
    let o = run(&["protocol", "check", f.to_str().unwrap()], None);
    assert_eq!(code(&o), 1, "{}{}", out(&o), err(&o));
    let stdout = out(&o);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line = lines[0];
    // path:line:col: message (hint: ...)
    let parts: Vec<&str> = line.splitn(4, ':').collect();
    assert!(parts[0].ends_with("protocol.toml"), "{line}");
    assert!(parts[1].parse::<usize>().is_ok() && parts[2].parse::<usize>().is_ok(), "{line}");
    assert!(parts[3].contains("unknown item `consnet`") && parts[3].contains("hint:"), "{line}");
    let want_line = broken.lines().position(|l| l.contains("consnet")).unwrap() + 1;
    assert_eq!(parts[1], want_line.to_string());
}

#[test]
fn protocol_check_on_a_missing_path_exits_2() {
    let o = run(&["protocol", "check", "no/such/file.toml"], None);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("does not exist"), "{}", err(&o));
}

#[test]
fn protocol_test_runs_the_cases() {
    let o = run(&["protocol", "test"], None);
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
    let last = out(&o).lines().last().unwrap_or_default().to_string();
    assert!(last.ends_with(" passed, 0 failed"), "{last}");
    let passed: usize = last.split_whitespace().next().unwrap().parse().unwrap();
    assert!(passed >= 20);
}

#[test]
fn protocol_test_fails_when_a_case_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    copy_library(dir.path());
    let cases = dir.path().join("adult-roadside/cases.toml");
    let text = std::fs::read_to_string(&cases).unwrap();
    // Expect the wrong level for the first case.
    let first_level = text.find("expect.level = \"").unwrap() + "expect.level = \"".len();
    let end = first_level + text[first_level..].find('"').unwrap();
    let wrong = format!("{}strong-indicators{}", &text[..first_level], &text[end..]);
    let wrong = if wrong == text { text.replacen("strong-indicators", "no-indicators-seen", 1) } else { wrong };
    std::fs::write(&cases, wrong).unwrap();
    let o = run(&["--protocols", dir.path().to_str().unwrap(), "protocol", "test"], None);
    assert_eq!(code(&o), 1, "{}", out(&o));
    assert!(out(&o).contains("FAIL") && out(&o).contains("level: expected"), "{}", out(&o));
    assert!(out(&o).lines().last().unwrap().ends_with(" passed, 1 failed"));
}

#[test]
fn protocol_list_and_show_json() {
    let o = run(&["protocol", "list", "--json"], None);
    assert_eq!(code(&o), 0);
    let list = json(&o);
    let ids: Vec<&str> = list.as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"adult-roadside") && ids.contains(&"minors"), "{ids:?}");
    for p in list.as_array().unwrap() {
        assert!(p["version"].is_string() && p["languages"].as_array().unwrap().len() >= 2);
    }

    let o = run(&["protocol", "show", "adult-roadside", "--json"], None);
    assert_eq!(code(&o), 0);
    let p = json(&o);
    let items = p["items"].as_array().unwrap();
    let kinds: std::collections::BTreeSet<&str> = items.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.into_iter().collect::<Vec<_>>(), ["observation", "question", "script"]);
    let q = items.iter().find(|i| i["id"] == "traded-sex").unwrap();
    assert_eq!(q["answer"]["options"], serde_json::json!(["yes", "no", "not-sure", "declined"]));
    assert_eq!(q["indicates"]["yes"], serde_json::json!(["purpose-sex"]));
    assert_eq!(q["languages"], serde_json::json!(["en", "es"]));
    assert!(p["minor_rule"]["level"].is_string());

    let o = run(&["protocol", "show", "nope", "--json"], None);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("unknown protocol `nope`") && err(&o).contains("adult-roadside"));
}

#[test]
fn screen_prints_the_outcome_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "a.json",
        r#"{"in-danger": "no", "needs-medical": "no", "documents-held": "seen", "consent": "yes",
            "under-18": "no", "works-for-someone": "yes", "papers-kept": "declined",
            "legal-threats": "yes", "afraid-to-leave": "not-sure", "hurt-or-threatened": "no",
            "traded-sex": "no", "growing-debt": "no"}"#,
    );
    let o = run(&["screen", "--protocol", "adult-roadside", "--answers", f.to_str().unwrap(), "--json"], None);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let v = json(&o);
    for key in ["level", "indicators", "declined", "stopped", "partial", "actions"] {
        assert!(v.get(key).is_some(), "{key} missing: {v}");
    }
    for g in ["force", "fraud", "coercion", "purpose", "minor", "safety"] {
        assert!(v["indicators"][g].is_array(), "{g}");
    }
    assert_eq!(v["declined"][0]["item"], "papers-kept");
    assert!(!v["indicators"]["coercion"].as_array().unwrap().is_empty());
    assert_eq!(v["indicators"]["purpose"][0]["detail"], "labor");
    assert_eq!(v["partial"], true, "observations not recorded, so not every item was covered");
    assert!(v["non_arrest_guidance"].is_string());
}

#[test]
fn screen_minors_rule_whatever_the_means_answers() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "a.toml",
        "in-danger = \"no\"\nneeds-medical = \"no\"\nconsent = \"yes\"\nunder-18 = \"yes\"\nworks-for-someone = \"no\"\n\
         papers-kept = \"no\"\nlegal-threats = \"no\"\nafraid-to-leave = \"no\"\nhurt-or-threatened = \"no\"\ntraded-sex = \"yes\"\n",
    );
    let o = run(&["screen", "--protocol", "adult-roadside", "--answers", f.to_str().unwrap(), "--json"], None);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let v = json(&o);
    assert_eq!(v["minor_rule"], true);
    assert_eq!(v["level"]["id"], "minor-commercial-sex");
    for g in ["force", "fraud", "coercion"] {
        assert!(v["indicators"][g].as_array().unwrap().is_empty());
    }
    assert_eq!(v["actions"][0]["kind"], "child-protection");
}

#[test]
fn screen_stop_after_marks_the_outcome_stopped_and_partial() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "a.json", r#"{"in-danger": "no", "needs-medical": "no", "documents-held": "seen", "consent": "yes", "traded-sex": "yes", "stop_after": "documents-held"}"#);
    let o = run(&["screen", "--protocol", "adult-roadside", "--answers", f.to_str().unwrap(), "--json"], None);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let v = json(&o);
    assert_eq!(v["stopped"], true);
    assert_eq!(v["partial"], true);
    assert_eq!(v["not_asked"], serde_json::json!(["consent", "traded-sex"]));
    assert!(v["indicators"]["purpose"].as_array().unwrap().is_empty(), "nothing past the stop counts");
}

#[test]
fn screen_rejects_unknown_ids_and_invalid_answers_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for (body, needles) in [
        (r#"{"in-danger": "no", "ghost-item": "yes"}"#, vec!["unknown item `ghost-item`"]),
        (r#"{"in-danger": "maybe", "documents-held": "yes"}"#, vec!["invalid answer for `in-danger`", "invalid answer for `documents-held`"]),
        (r#"{"in-danger": true}"#, vec!["invalid answer for `in-danger`"]),
        (r#"{"stop_after": "nowhere"}"#, vec!["unknown item `nowhere` in stop_after"]),
        ("{not json", vec!["not valid JSON"]),
    ] {
        let f = write(dir.path(), "a.json", body);
        let o = run(&["screen", "--protocol", "adult-roadside", "--answers", f.to_str().unwrap(), "--json"], None);
        assert_eq!(code(&o), 2, "{body}: {}", err(&o));
        for n in needles {
            assert!(err(&o).contains(n), "{body}: {}", err(&o));
        }
        assert!(!err(&o).contains("panicked") && !err(&o).contains("backtrace"));
    }
    let o = run(&["screen", "--protocol", "nope", "--answers", "x.json"], None);
    assert_eq!(code(&o), 2);
}

#[test]
fn language_check_flags_terms_with_position_and_alternative() {
    let o = run(&["language", "check", "-"], Some("Spoke with her.\nShe is a prostitute and an illegal alien.\n"));
    assert_eq!(code(&o), 1, "{}", out(&o));
    let lines: Vec<String> = out(&o).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with("-:2:10: \"prostitute\": prefer \""), "{}", lines[0]);
    assert!(lines[1].starts_with("-:2:28: \"illegal alien\""), "{}", lines[1]);

    let o = run(&["language", "check", "-", "--json"], Some("a prostitute"));
    assert_eq!(code(&o), 1);
    assert_eq!(json(&o)[0]["col"], 3);

    let o = run(&["language", "check", "-"], Some("The person said they were not paid what was promised."));
    assert_eq!(code(&o), 0, "{}", out(&o));

    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "notes.txt", "Rescue the girls.");
    let o = run(&["language", "check", f.to_str().unwrap()], None);
    assert_eq!(code(&o), 1);
    assert!(out(&o).starts_with(&format!("{}:1:1:", f.display())), "{}", out(&o));
}

#[test]
fn protocols_folder_comes_from_the_flag_or_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    copy_library(dir.path());
    std::fs::remove_dir_all(dir.path().join("minors")).unwrap();
    let d = dir.path().to_str().unwrap();
    for o in [run(&["--protocols", d, "protocol", "list", "--json"], None), run_env(&["protocol", "list", "--json"], None, &[("FIELDSCREEN_PROTOCOLS", d)])] {
        assert_eq!(code(&o), 0, "{}", err(&o));
        let ids: Vec<String> = json(&o).as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_string()).collect();
        assert_eq!(ids, ["adult-roadside"]);
    }
    let o = run(&["--protocols", "/no/such/dir", "protocol", "list"], None);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("does not exist"));
}
