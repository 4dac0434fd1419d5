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
fn protocol_check_passes_over_hidden_files_and_refuses_a_link_naming_it() {
    let lib = tempfile::tempdir().unwrap();
    copy_library(lib.path());
    let protocols = lib.path().display().to_string();
    // An editor's leftover beside a protocol is not content.
    write(lib.path(), "adult-roadside/.protocol.toml.swp.toml", "not toml at all [");
    let o = run(&["protocol", "check", "--protocols", &protocols], None);
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(lib.path(), lib.path().join("adult-roadside/loop")).unwrap();
        let o = run(&["protocol", "check", "--protocols", &protocols], None);
        assert_eq!(code(&o), 2, "{}{}", out(&o), err(&o));
        assert!(err(&o).contains("adult-roadside/loop") && err(&o).contains("symbolic link"), "{}", err(&o));
    }
}

#[test]
fn protocol_check_reports_one_line_per_problem_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let adult = std::fs::read_to_string(repo().join("screening-protocols/adult-roadside/protocol.toml")).unwrap();
    let broken = adult.replacen("when = \"consent == yes\"", "when = \"consnet == yes\"", 1).replacen(
        "id = \"adult-roadside\"",
        "id = \"adult-copy\"",
        1,
    );
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
    assert_eq!(q["languages"], serde_json::json!(["ar", "en", "es", "fr", "ht", "ko", "pt", "ru", "tl", "vi", "zh"]));
    assert!(p["minor_rule"]["level"].is_string());
    assert_eq!(p["stopped_rule"]["level"], "stopped-nothing-concluded", "the level a stopped screening gets");

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
    let f = write(
        dir.path(),
        "a.json",
        r#"{"in-danger": "no", "needs-medical": "no", "documents-held": "seen", "consent": "yes", "traded-sex": "yes", "stop_after": "documents-held"}"#,
    );
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
        (
            r#"{"in-danger": "maybe", "documents-held": "yes"}"#,
            vec!["invalid answer for `in-danger`", "invalid answer for `documents-held`"],
        ),
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
    // A library without the minors protocol (and so without the scenarios that play it).
    std::fs::remove_dir_all(dir.path().join("minors")).unwrap();
    std::fs::remove_dir_all(dir.path().join("training")).unwrap();
    let d = dir.path().to_str().unwrap();
    for o in [
        run(&["--protocols", d, "protocol", "list", "--json"], None),
        run_env(&["protocol", "list", "--json"], None, &[("FIELDSCREEN_PROTOCOLS", d)]),
    ] {
        assert_eq!(code(&o), 0, "{}", err(&o));
        let ids: Vec<String> =
            json(&o).as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_string()).collect();
        assert_eq!(ids, ["adult-roadside"]);
    }
    let o = run(&["--protocols", "/no/such/dir", "protocol", "list"], None);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("does not exist"));
}

const SECRET: &str = "river lantern copper";

/// `fieldscreen device ...` (or any command) with the vault secret in the environment.
fn with_secret(args: &[&str], secret: &str) -> Output {
    run_env(args, None, &[("FIELDSCREEN_SECRET", secret)])
}

/// A fresh vault in `<tmp>/vault`; returns its path as a string.
fn init_vault(tmp: &Path) -> String {
    let dir = tmp.join("vault").to_str().unwrap().to_string();
    let o = with_secret(&["device", "init", "--data-dir", &dir, "--officer", "4471"], SECRET);
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
    dir
}

fn adult_answers(dir: &Path) -> PathBuf {
    write(
        dir,
        "a.json",
        r#"{"in-danger": "no", "needs-medical": "no", "documents-held": "seen", "consent": "yes",
            "under-18": "no", "works-for-someone": "yes", "papers-kept": "declined",
            "legal-threats": "yes", "afraid-to-leave": "not-sure", "hurt-or-threatened": "no",
            "traded-sex": "no", "growing-debt": "no"}"#,
    )
}

fn assert_no_panic(o: &Output) {
    assert!(!err(o).contains("panicked") && !err(o).contains("backtrace"), "{}", err(o));
}

#[test]
fn device_init_then_screen_save_list_and_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vault");
    let d = dir.to_str().unwrap();
    let o = with_secret(&["device", "init", "--data-dir", d, "--officer", "4471", "--policy", "default"], SECRET);
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
    for needle in ["device ", "officer     4471", "public key "] {
        assert!(out(&o).contains(needle), "{needle}: {}", out(&o));
    }
    let o = with_secret(&["device", "init", "--data-dir", d, "--officer", "4471"], SECRET);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("already exists"), "{}", err(&o));

    let answers = adult_answers(tmp.path());
    let o = with_secret(
        &[
            "screen",
            "--protocol",
            "adult-roadside",
            "--answers",
            answers.to_str().unwrap(),
            "--json",
            "--save",
            "--data-dir",
            d,
        ],
        SECRET,
    );
    assert_eq!(code(&o), 0, "{}", err(&o));
    let screened = json(&o);
    let record_id = screened["record_id"].as_str().expect("record_id in the JSON output").to_string();

    let o = with_secret(&["device", "list", "--data-dir", d, "--json"], SECRET);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let v = json(&o);
    let records = v["records"].as_array().unwrap();
    assert_eq!(records.len(), 1, "{v}");
    let r = &records[0];
    assert_eq!(r["id"], record_id.as_str());
    assert_eq!(r["protocol_id"], "adult-roadside");
    assert_eq!(r["level"], screened["level"]["id"]);
    assert_eq!(r["queued"], true);
    assert_eq!(r["synced"], false);
    assert_eq!(v["drafts"], serde_json::json!([]), "the draft was sealed");

    let o = with_secret(&["device", "verify", "--data-dir", d], SECRET);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(out(&o).starts_with("ok: ") && out(&o).contains(" audit events, 1 records"), "{}", out(&o));
}

#[test]
fn screen_save_needs_a_data_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let answers = adult_answers(tmp.path());
    let o = with_secret(
        &["screen", "--protocol", "adult-roadside", "--answers", answers.to_str().unwrap(), "--save"],
        SECRET,
    );
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("--data-dir"), "{}", err(&o));
}

#[test]
fn device_wrong_secret_or_no_vault_exits_without_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let d = init_vault(tmp.path());
    let o = with_secret(&["device", "list", "--data-dir", &d], "river lantern cobber");
    assert_eq!(code(&o), 3, "{}{}", out(&o), err(&o));
    assert!(err(&o).contains("not correct"), "{}", err(&o));
    assert_no_panic(&o);

    let none = tmp.path().join("elsewhere");
    let o = with_secret(&["device", "list", "--data-dir", none.to_str().unwrap()], SECRET);
    assert_eq!(code(&o), 2, "{}", err(&o));
    assert!(err(&o).contains("device init"), "{}", err(&o));
    assert_no_panic(&o);
}

#[test]
fn device_init_refuses_a_short_secret_naming_the_rule() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vault");
    let o = with_secret(&["device", "init", "--data-dir", dir.to_str().unwrap(), "--officer", "4471"], "copper");
    assert_eq!(code(&o), 2, "{}", err(&o));
    assert!(err(&o).contains("at least 10"), "{}", err(&o));
    assert!(!dir.join("key.json").exists(), "no vault is made");
}

#[test]
fn device_passwd_changes_the_secret() {
    let tmp = tempfile::tempdir().unwrap();
    let d = init_vault(tmp.path());
    let new = "harbor violet anchor";
    let passwd = |new: &str| {
        run_env(
            &["device", "passwd", "--data-dir", &d],
            None,
            &[("FIELDSCREEN_SECRET", SECRET), ("FIELDSCREEN_NEW_SECRET", new)],
        )
    };

    let o = passwd("short");
    assert_eq!(code(&o), 2, "{}", err(&o));
    assert!(err(&o).contains("at least 10"), "{}", err(&o));

    let o = passwd(new);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let o = with_secret(&["device", "list", "--data-dir", &d], new);
    assert_eq!(code(&o), 0, "the new secret unlocks: {}", err(&o));
    let o = with_secret(&["device", "list", "--data-dir", &d], SECRET);
    assert_eq!(code(&o), 3, "the old one does not: {}", err(&o));
    assert!(err(&o).contains("not correct"), "{}", err(&o));
}

#[test]
fn device_wipe_asks_unless_yes_then_the_vault_is_gone() {
    let tmp = tempfile::tempdir().unwrap();
    let d = init_vault(tmp.path());
    let o = run(&["device", "wipe", "--data-dir", &d], None);
    assert_eq!(code(&o), 2, "no terminal and no --yes: {}", err(&o));
    assert!(err(&o).contains("--yes"), "{}", err(&o));
    assert!(Path::new(&d).join("key.json").exists());

    let o = run(&["device", "wipe", "--data-dir", &d, "--yes"], None);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(out(&o).contains("key.json") && out(&o).contains("vault.db"), "{}", out(&o));
    assert!(!Path::new(&d).join("key.json").exists() && !Path::new(&d).join("vault.db").exists());

    let o = with_secret(&["device", "list", "--data-dir", &d], SECRET);
    assert_eq!(code(&o), 3, "{}", err(&o));
    assert!(err(&o).contains("destroyed"), "{}", err(&o));
    assert_no_panic(&o);
}

#[test]
fn device_verify_reports_a_damaged_vault_and_keeps_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let d = init_vault(tmp.path());
    let answers = adult_answers(tmp.path());
    let o = with_secret(
        &[
            "screen",
            "--protocol",
            "adult-roadside",
            "--answers",
            answers.to_str().unwrap(),
            "--json",
            "--save",
            "--data-dir",
            &d,
        ],
        SECRET,
    );
    assert_eq!(code(&o), 0, "{}", err(&o));
    let o = with_secret(
        &["screen", "--protocol", "adult-roadside", "--answers", answers.to_str().unwrap(), "--save", "--data-dir", &d],
        SECRET,
    );
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(out(&o).lines().last().unwrap_or_default().starts_with("saved record "), "{}", out(&o));

    // One flipped bit in a page unlock reads (3), and in one only the integrity check reads (6).
    for page in [2u64, 5] {
        let copy = tmp.path().join(format!("damaged-{page}"));
        std::fs::create_dir_all(&copy).unwrap();
        for f in ["key.json", "unlock-guard.json", "vault.db"] {
            std::fs::copy(Path::new(&d).join(f), copy.join(f)).unwrap();
        }
        let db = copy.join("vault.db");
        let mut bytes = std::fs::read(&db).unwrap();
        let at = (4096 * page + 100) as usize;
        assert!(bytes.len() > at + 4096, "vault.db is only {} bytes", bytes.len());
        bytes[at] ^= 0x01;
        std::fs::write(&db, bytes).unwrap();

        let o = with_secret(&["device", "verify", "--data-dir", copy.to_str().unwrap()], SECRET);
        assert_eq!(code(&o), 1, "page {}: {}{}", page + 1, out(&o), err(&o));
        assert!(err(&o).contains("damaged"), "{}", err(&o));
        assert_no_panic(&o);
        assert!(db.exists(), "the damaged file is kept for recovery");
    }
}

#[test]
fn device_unlock_rules_come_from_the_agency_policy_file() {
    let lib = tempfile::tempdir().unwrap();
    copy_library(lib.path());
    let policy = lib.path().join("policy/default.toml");
    let text = std::fs::read_to_string(&policy).unwrap().replace("min_length = 10", "min_length = 24");
    std::fs::write(&policy, text).unwrap();
    let data = tempfile::tempdir().unwrap();
    let d = data.path().join("v");
    let o = run_env(
        &[
            "--protocols",
            lib.path().to_str().unwrap(),
            "device",
            "init",
            "--data-dir",
            d.to_str().unwrap(),
            "--officer",
            "o-1",
        ],
        None,
        &[("FIELDSCREEN_SECRET", "river lantern copper")],
    );
    assert_eq!(code(&o), 2, "{}", err(&o));
    assert!(err(&o).contains("at least 24"), "{}", err(&o));
    // A policy file that weakens the rules below the floor is refused by the checker.
    let text = std::fs::read_to_string(&policy).unwrap().replace("min_length = 24", "min_length = 4");
    std::fs::write(&policy, text).unwrap();
    let o = run(&["--protocols", lib.path().to_str().unwrap(), "protocol", "check"], None);
    assert_eq!(code(&o), 1);
    assert!(out(&o).contains("unlock.min_length 4 is below 8"), "{}", out(&o));
}

// ---- custodian keys and case bundles (docs/bundle-format.md) ----

/// `keys new` into `dir`; returns (age recipient, custodian signing key).
fn keys_new(dir: &Path) -> (String, String) {
    let o = run(&["keys", "new", "--out", dir.to_str().unwrap()], None);
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
    let field = |name: &str| {
        out(&o)
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("{name} in {}", out(&o)))
            .to_string()
    };
    (field("recipient: "), field("signing key: "))
}

/// A vault with `n` saved screenings; returns (data dir, device public key, record ids).
fn vault_with_records(tmp: &Path, n: usize) -> (String, String, Vec<String>) {
    let dir = tmp.join("vault").to_str().unwrap().to_string();
    let o = with_secret(&["device", "init", "--data-dir", &dir, "--officer", "4471"], SECRET);
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
    let key = out(&o).lines().find_map(|l| l.strip_prefix("public key")).expect("public key line").trim().to_string();
    let answers = adult_answers(tmp);
    let ids = (0..n)
        .map(|_| {
            let o = with_secret(
                &[
                    "screen",
                    "--protocol",
                    "adult-roadside",
                    "--answers",
                    answers.to_str().unwrap(),
                    "--json",
                    "--save",
                    "--data-dir",
                    &dir,
                ],
                SECRET,
            );
            assert_eq!(code(&o), 0, "{}", err(&o));
            json(&o)["record_id"].as_str().unwrap().to_string()
        })
        .collect();
    (dir, key, ids)
}

/// `bundle export` of `ids` with extra arguments (the seal); the vault secret in the environment.
fn export(dir: &str, ids: &[String], seal: &[&str], to: &Path, env: &[(&str, &str)]) -> Output {
    let mut args = vec!["bundle", "export", "--data-dir", dir, "--records"];
    args.extend(ids.iter().map(String::as_str));
    args.extend(seal);
    args.extend(["--out", to.to_str().unwrap()]);
    let mut env = env.to_vec();
    env.push(("FIELDSCREEN_SECRET", SECRET));
    run_env(&args, None, &env)
}

fn audit_events(dir: &str) -> usize {
    let o = with_secret(&["device", "verify", "--data-dir", dir], SECRET);
    assert_eq!(code(&o), 0, "{}", err(&o));
    out(&o)
        .strip_prefix("ok: ")
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{}", out(&o)))
}

fn partial(p: &Path) -> PathBuf {
    PathBuf::from(format!("{}.partial", p.display()))
}

#[test]
fn keys_new_writes_owner_only_files_and_prints_the_public_parts() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("custodian/keys");
    let (recipient, signing) = keys_new(&dir);
    assert!(recipient.starts_with("age1"), "{recipient}");
    assert_eq!(signing.len(), 44, "base64 of 32 bytes: {signing}");
    let identity = std::fs::read_to_string(dir.join("custodian.age-identity")).unwrap();
    let lines: Vec<&str> = identity.lines().collect();
    assert!(lines[0].starts_with("# created: "), "{identity}");
    assert_eq!(lines[1], format!("# public key: {recipient}"));
    assert!(lines[2].starts_with("AGE-SECRET-KEY-1") && lines.len() == 3, "{identity}");
    let key = std::fs::read_to_string(dir.join("custodian-signing.key")).unwrap();
    assert_eq!(key.lines().count(), 1);
    for f in ["custodian.age-identity", "custodian-signing.key"] {
        let mode = std::fs::metadata(dir.join(f)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{f}: {mode:o}");
    }
    // Debian's age reads the identity file and agrees on its recipient.
    let o = Command::new("age-keygen")
        .arg("-y")
        .arg(dir.join("custodian.age-identity"))
        .output()
        .expect("Debian's age is installed by scripts/bootstrap.sh");
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), recipient);

    let o = run(&["keys", "new", "--out", dir.to_str().unwrap()], None);
    assert_eq!(code(&o), 2, "never overwrites a key: {}", err(&o));
    assert!(err(&o).contains("already exists"), "{}", err(&o));
    assert_eq!(std::fs::read_to_string(dir.join("custodian.age-identity")).unwrap(), identity);
}

/// Export -> Debian's age and tar -> verify -> open, and the export is in the vault's audit (EX-05).
#[test]
fn bundle_export_verify_open_round_trip_ex05() {
    let tmp = tempfile::tempdir().unwrap();
    let (d, device_key, ids) = vault_with_records(tmp.path(), 2);
    let keys = tmp.path().join("keys");
    let (recipient, _) = keys_new(&keys);
    let identity = keys.join("custodian.age-identity");
    let id = identity.to_str().unwrap();
    let before = audit_events(&d);

    let f = tmp.path().join("case.fsb");
    let o = export(&d, &ids, &["--to", &recipient], &f, &[]);
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
    assert!(out(&o).starts_with(&format!("exported 2 records to {} (sha256 ", f.display())), "{}", out(&o));
    assert!(err(&o).is_empty(), "no progress off a terminal: {}", err(&o));
    assert!(f.exists() && !partial(&f).exists());
    // EX-05: the export's unlock and the export itself; then verify's own unlock.
    assert_eq!(audit_events(&d), before + 3, "an `export` audit event was recorded");

    // Standard tools open it: age, then tar.
    let plain = tmp.path().join("case.tar");
    let o = Command::new("age")
        .args(["-d", "-i", id, "-o", plain.to_str().unwrap(), f.to_str().unwrap()])
        .output()
        .expect("Debian's age");
    assert!(o.status.success(), "age -d: {}", String::from_utf8_lossy(&o.stderr));
    let o = Command::new("tar").arg("-tf").arg(&plain).output().unwrap();
    let listed: Vec<String> = String::from_utf8_lossy(&o.stdout).lines().map(str::to_owned).collect();
    let mut want: Vec<String> = ids.iter().map(|i| format!("records/{i}.json")).collect();
    want.extend(["manifest.json".into(), "manifest.sig".into()]);
    assert_eq!(listed, want);

    let o = run(&["bundle", "verify", f.to_str().unwrap(), "--identity", id, "--signer", &device_key], None);
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
    assert!(out(&o).starts_with(&format!("ok: 2 records, signed by {device_key}, created ")), "{}", out(&o));

    let dest = tmp.path().join("opened");
    let o = run(
        &[
            "bundle",
            "open",
            f.to_str().unwrap(),
            "--identity",
            id,
            "--signer",
            &device_key,
            "--out",
            dest.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
    assert!(!partial(&dest).exists());
    let x = tmp.path().join("x");
    std::fs::create_dir(&x).unwrap();
    assert!(Command::new("tar").arg("-xf").arg(&plain).arg("-C").arg(&x).status().unwrap().success());
    for i in &ids {
        let name = format!("records/{i}.json");
        assert_eq!(
            std::fs::read(dest.join(&name)).unwrap(),
            std::fs::read(x.join(&name)).unwrap(),
            "{name}: the bytes the device signed"
        );
    }
    assert_eq!(std::fs::read(dest.join("manifest.json")).unwrap(), std::fs::read(x.join("manifest.json")).unwrap());
    // The signature travels with the opened folder, byte for byte as in the bundle.
    assert_eq!(std::fs::read(dest.join("manifest.sig")).unwrap(), std::fs::read(x.join("manifest.sig")).unwrap());
    let summary = std::fs::read_to_string(dest.join("summary.txt")).unwrap();
    assert!(
        summary.contains("Records: 2") && summary.contains(&ids[0]) && summary.contains("officer 4471"),
        "{summary}"
    );

    // Neither the bundle nor the opened folder is ever overwritten.
    let o = run(&["bundle", "open", f.to_str().unwrap(), "--identity", id, "--out", dest.to_str().unwrap()], None);
    assert_eq!(code(&o), 2, "{}", err(&o));
    let o = export(&d, &ids, &["--to", &recipient], &f, &[]);
    assert_eq!(code(&o), 2, "{}", err(&o));
    assert!(err(&o).contains("already exists"), "{}", err(&o));
}

/// A damaged bundle, a wrong signer or a stranger's key: exit 1, and `open` writes nothing.
#[test]
fn bundle_verify_and_open_refuse_damage_wrong_signer_and_strangers() {
    let tmp = tempfile::tempdir().unwrap();
    let (d, device_key, ids) = vault_with_records(tmp.path(), 1);
    let (recipient, custodian_key) = keys_new(&tmp.path().join("keys"));
    let (_, _) = keys_new(&tmp.path().join("stranger"));
    let id = tmp.path().join("keys/custodian.age-identity");
    let id = id.to_str().unwrap();
    let f = tmp.path().join("case.fsb");
    let o = export(&d, &ids, &["--to", &recipient], &f, &[]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let bytes = std::fs::read(&f).unwrap();
    let verify = |file: &Path, extra: &[&str]| {
        let mut args = vec!["bundle", "verify", file.to_str().unwrap()];
        args.extend(extra);
        run(&args, None)
    };

    // One flipped byte anywhere: in age's header or in the payload.
    for at in [30, bytes.len() / 2, bytes.len() - 1] {
        let mut b = bytes.clone();
        b[at] ^= 0x01;
        let bad = tmp.path().join(format!("flipped-{at}.fsb"));
        std::fs::write(&bad, b).unwrap();
        let o = verify(&bad, &["--identity", id]);
        assert_eq!(code(&o), 1, "byte {at}: {}{}", out(&o), err(&o));
        assert!(err(&o).contains("damaged") || err(&o).contains("cannot decrypt"), "{}", err(&o));
        assert_no_panic(&o);
        let dest = tmp.path().join(format!("opened-{at}"));
        let o =
            run(&["bundle", "open", bad.to_str().unwrap(), "--identity", id, "--out", dest.to_str().unwrap()], None);
        assert_eq!(code(&o), 1, "{}", err(&o));
        assert!(!dest.exists() && !partial(&dest).exists(), "a bundle that does not verify writes nothing");
    }
    let cut = tmp.path().join("cut.fsb");
    std::fs::write(&cut, &bytes[..bytes.len() - 100]).unwrap();
    assert_eq!(code(&verify(&cut, &["--identity", id])), 1);

    let o = verify(&f, &["--identity", id, "--signer", &custodian_key]);
    assert_eq!(code(&o), 1, "{}", err(&o));
    assert!(err(&o).contains("not signed by the expected key"), "{}", err(&o));
    assert!(err(&o).contains(&device_key), "names who did sign: {}", err(&o));

    let o = verify(&f, &["--identity", tmp.path().join("stranger/custodian.age-identity").to_str().unwrap()]);
    assert_eq!(code(&o), 1, "{}", err(&o));
    assert!(err(&o).contains("cannot decrypt"), "{}", err(&o));

    // Bad input, not a bad bundle: exit 2.
    let junk = write(tmp.path(), "junk-identity", "not a key\n");
    for (file, extra) in [
        (tmp.path().join("missing.fsb"), vec!["--identity", id]),
        (f.clone(), vec!["--identity", junk.to_str().unwrap()]),
        (f.clone(), vec!["--identity", "/no/such/identity"]),
        (f.clone(), vec!["--identity", id, "--signer", "not base64!"]),
    ] {
        let o = verify(&file, &extra);
        assert_eq!(code(&o), 2, "{extra:?}: {}", err(&o));
        assert_no_panic(&o);
    }

    // A passphrase bundle opens with the passphrase and only with it.
    let pf = tmp.path().join("pass.fsb");
    let env = [("BUNDLE_PASS", "Harbor-Violet-42")];
    let o = export(&d, &ids, &["--passphrase-env", "BUNDLE_PASS"], &pf, &env);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let o = run_env(
        &["bundle", "verify", pf.to_str().unwrap(), "--passphrase-env", "BUNDLE_PASS", "--signer", &device_key],
        None,
        &env,
    );
    assert_eq!(code(&o), 0, "{}", err(&o));
    let o = verify(&pf, &["--identity", id]);
    assert_eq!(code(&o), 1, "{}", err(&o));
    assert!(err(&o).contains("passphrase"), "{}", err(&o));
}

/// EX-04: an export that fails leaves neither the bundle nor a partial file; the seal is checked
/// before the vault is unlocked.
#[test]
fn bundle_export_bad_input_exits_2_and_leaves_nothing_ex04() {
    let tmp = tempfile::tempdir().unwrap();
    let (d, _, ids) = vault_with_records(tmp.path(), 1);
    let (recipient, _) = keys_new(&tmp.path().join("keys"));
    let f = tmp.path().join("case.fsb");
    let left_nothing = |o: &Output| {
        assert_eq!(code(o), 2, "{}{}", out(o), err(o));
        assert_no_panic(o);
        assert!(!f.exists() && !partial(&f).exists(), "no bundle and no partial file");
    };

    let ghost = "01900000-0000-7000-8000-000000000000".to_string();
    let o = export(&d, &[ids[0].clone(), ghost.clone()], &["--to", &recipient], &f, &[]);
    left_nothing(&o);
    assert!(err(&o).contains(&ghost) && !err(&o).contains(&ids[0]), "names the unknown id only: {}", err(&o));

    let o = export(
        &d,
        &ids,
        &["--to", &recipient, "--passphrase-env", "BUNDLE_PASS"],
        &f,
        &[("BUNDLE_PASS", "Harbor-Violet-42")],
    );
    left_nothing(&o);
    let o = export(&d, &ids, &[], &f, &[]);
    left_nothing(&o);

    let o = export(&d, &ids, &["--passphrase-env", "BUNDLE_PASS"], &f, &[("BUNDLE_PASS", "copper")]);
    left_nothing(&o);
    assert!(err(&o).contains("at least 10"), "{}", err(&o));
    let o = export(&d, &ids, &["--passphrase-env", "BUNDLE_PASS"], &f, &[("BUNDLE_PASS", "harborvioletanchor")]);
    left_nothing(&o);
    assert!(err(&o).contains("an upper-case letter") && err(&o).contains("a digit"), "{}", err(&o));

    let o = export(&d, &ids, &["--to", "age1notakey"], &f, &[]);
    left_nothing(&o);
    assert!(err(&o).contains("age1notakey"), "{}", err(&o));

    // A leftover partial file (say, from a power cut) is not ours to reuse or delete.
    std::fs::write(partial(&f), b"left over").unwrap();
    let o = export(&d, &ids, &["--to", &recipient], &f, &[]);
    assert_eq!(code(&o), 2, "{}", err(&o));
    assert!(err(&o).contains("interrupted run"), "{}", err(&o));
    assert!(!f.exists() && std::fs::read(partial(&f)).unwrap() == b"left over");
}

#[test]
fn training_list_and_run_print_the_debrief() {
    let o = run(&["training", "list", "--json"], None);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let list = json(&o);
    let ids: Vec<&str> = list.as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert!(ids.len() >= 10 && ids.contains(&"labor-traffic-stop"), "{ids:?}");
    for id in ids {
        let o = run(&["training", "run", id, "--json"], None);
        assert_eq!(code(&o), 0, "{id}: {}{}", out(&o), err(&o));
        let d = json(&o);
        assert_eq!(d["matched"], true, "{id}: {d}");
        for key in ["expected_level", "found_groups", "missed_groups", "observations_missed", "outcome", "learning"] {
            assert!(d.get(key).is_some(), "{id}: {key} missing");
        }
    }
    let o = run(&["training", "run", "no-such-scenario"], None);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("unknown scenario `no-such-scenario`"));
}

#[test]
fn training_run_exits_1_when_the_outcome_does_not_match() {
    let lib = tempfile::tempdir().unwrap();
    copy_library(lib.path());
    let f = lib.path().join("training/labor-traffic-stop.toml");
    let text = std::fs::read_to_string(&f).unwrap();
    let start = text.find("[expect]").unwrap();
    let lvl = start + text[start..].find("level = \"").unwrap() + "level = \"".len();
    let end = lvl + text[lvl..].find('"').unwrap();
    let wrong = if &text[lvl..end] == "no-indicators-seen" { "indicators-present" } else { "no-indicators-seen" };
    std::fs::write(&f, format!("{}{wrong}{}", &text[..lvl], &text[end..])).unwrap();
    let o = run(&["--protocols", lib.path().to_str().unwrap(), "training", "run", "labor-traffic-stop"], None);
    assert_eq!(code(&o), 1, "{}", out(&o));
    assert!(out(&o).contains("DID NOT match") && out(&o).contains("level: expected"), "{}", out(&o));
    let o = run(&["--protocols", lib.path().to_str().unwrap(), "protocol", "test"], None);
    assert_eq!(code(&o), 1);
    assert!(out(&o).contains("FAIL  scenario :: labor-traffic-stop"), "{}", out(&o));
}

/// A 16-bit mono PCM WAV of `frames` frames, built by hand.
fn pcm_wav(frames: usize) -> Vec<u8> {
    let data = frames * 2;
    let mut b = Vec::new();
    for part in [&b"RIFF"[..], &(36 + data as u32).to_le_bytes(), b"WAVEfmt ", &16u32.to_le_bytes()] {
        b.extend_from_slice(part);
    }
    for part in [&1u16.to_le_bytes()[..], &1u16.to_le_bytes(), &16000u32.to_le_bytes(), &32000u32.to_le_bytes()] {
        b.extend_from_slice(part);
    }
    for part in [&2u16.to_le_bytes()[..], &16u16.to_le_bytes(), b"data", &(data as u32).to_le_bytes()] {
        b.extend_from_slice(part);
    }
    b.extend((0..data).map(|i| (i % 200) as u8));
    b
}

/// `text` with `addition` on new lines after the line that starts with `line_start`.
fn add_after(text: &str, line_start: &str, addition: &str) -> String {
    let at = text.find(line_start).unwrap_or_else(|| panic!("no line `{line_start}`"));
    let end = at + text[at..].find('\n').unwrap();
    format!("{}\n{addition}{}", &text[..end], &text[end..])
}

/// 1-based line and column (in characters) of `needle` in `text`.
fn position(text: &str, needle: &str) -> (usize, usize) {
    let at = text.find(needle).unwrap_or_else(|| panic!("no `{needle}`"));
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    (text[..at].matches('\n').count() + 1, text[line_start..at].chars().count() + 1)
}

#[test]
fn protocol_check_holds_recorded_audio_to_its_references() {
    let dir = tempfile::tempdir().unwrap();
    copy_library(dir.path());
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let folder = root.join("adult-roadside");
    let proto = folder.join("protocol.toml");
    let shipped = std::fs::read_to_string(&proto).unwrap();
    let check = || run(&["--protocols", root.to_str().unwrap(), "protocol", "check"], None);

    // Referenced files that exist and play: speech from eSpeak NG and a hand-built PCM file.
    let spoken = voice::synthesize("ar", "هل أنت مصاب، أو تشعر أنك في خطر الآن؟").unwrap();
    write(&folder, "audio/ar/in-danger.wav", "");
    std::fs::write(folder.join("audio/ar/in-danger.wav"), &spoken.0).unwrap();
    write(&folder, "audio/es/in-danger.wav", "");
    std::fs::write(folder.join("audio/es/in-danger.wav"), pcm_wav(16000)).unwrap();
    let text = add_after(
        &shipped,
        "text.ar = \"هل أنت مصاب",
        "audio.ar = \"audio/ar/in-danger.wav\"\naudio.es = \"audio/es/in-danger.wav\"",
    );
    std::fs::write(&proto, &text).unwrap();
    let o = check();
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));

    // A missing file, a truncated one and one no item refers to.
    let text = add_after(&text, "text.ar = \"هل تحتاج الآن", "audio.ar = \"audio/ar/needs-medical.wav\"");
    let text = add_after(&text, "text.ar = \"أنا من الشرطة", "audio.ar = \"audio/ar/introduction.wav\"");
    std::fs::write(&proto, &text).unwrap();
    let whole = pcm_wav(8000);
    std::fs::write(folder.join("audio/ar/introduction.wav"), &whole[..whole.len() / 2]).unwrap();
    std::fs::write(folder.join("audio/es/left-over.wav"), pcm_wav(100)).unwrap();
    std::fs::write(folder.join("audio/es/notes.txt"), "not audio, not checked").unwrap();
    let o = check();
    assert_eq!(code(&o), 1, "{}{}", out(&o), err(&o));
    let p = proto.display();
    let (ml, mc) = position(&text, "\"audio/ar/needs-medical.wav\"");
    let (tl, tc) = position(&text, "\"audio/ar/introduction.wav\"");
    let stdout = out(&o);
    let mut lines: Vec<&str> = stdout.lines().collect();
    lines.sort();
    let orphan = format!("{}:1:1: audio file belongs to no item", folder.join("audio/es/left-over.wav").display());
    let missing = format!("{p}:{ml}:{mc}: audio file audio/ar/needs-medical.wav is missing");
    let truncated = format!("{p}:{tl}:{tc}: audio file audio/ar/introduction.wav does not play: truncated");
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(lines.contains(&orphan.as_str()), "{orphan}\n{stdout}");
    assert!(lines.contains(&missing.as_str()), "{missing}\n{stdout}");
    assert!(lines.iter().any(|l| l.starts_with(&truncated)), "{truncated}\n{stdout}");
    assert!(err(&o).contains("3 problems found"), "{}", err(&o));

    // The same when the protocol file is named on its own.
    let o = run(&["--protocols", root.to_str().unwrap(), "protocol", "check", proto.to_str().unwrap()], None);
    assert_eq!(code(&o), 1, "{}{}", out(&o), err(&o));
    assert_eq!(out(&o).lines().count(), 3, "{}", out(&o));
}

#[test]
fn protocol_check_reports_a_missing_translation_and_a_number_that_differs_at_their_place() {
    let dir = tempfile::tempdir().unwrap();
    copy_library(dir.path());
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let proto = root.join("adult-roadside/protocol.toml");
    let res = root.join("resources/us-national.toml");
    let shipped = std::fs::read_to_string(&proto).unwrap();
    let resources = std::fs::read_to_string(&res).unwrap();
    // The Chinese text of the first question dropped; a hotline number changed in Arabic.
    let zh_line = shipped.lines().find(|l| l.starts_with("text.zh = ")).unwrap().to_string();
    let text = shipped.replacen(&format!("{zh_line}\n"), "", 1);
    std::fs::write(&proto, &text).unwrap();
    let ar = resources.lines().find(|l| l.starts_with("description.ar = ") && l.contains("1-800-799-7233")).unwrap();
    let broken_ar = ar.replace("1-800-799-7233", "1-800-799-7223");
    let res_text = resources.replacen(ar, &broken_ar, 1);
    std::fs::write(&res, &res_text).unwrap();

    let o = run(&["--protocols", root.to_str().unwrap(), "protocol", "check"], None);
    assert_eq!(code(&o), 1, "{}{}", out(&o), err(&o));
    let stdout = out(&o);
    let (il, ic) = position(&text, "\"in-danger\"");
    let missing = format!("{}:{il}:{ic}: item `in-danger` is missing its `zh` text", proto.display());
    assert!(stdout.lines().any(|l| l.starts_with(&missing)), "{missing}\n{stdout}");
    let (nl, nc) = position(&res_text, &broken_ar["description.ar = \"".len()..]);
    let number = format!("{}:{nl}:{nc}: resource `ndvh`: the `ar` text has the numbers", res.display());
    assert!(stdout.lines().any(|l| l.starts_with(&number) && l.contains("7223")), "{number}\n{stdout}");
}
