use super::*;

fn names(root: &Path, files: &[PathBuf]) -> Vec<String> {
    files.iter().map(|p| p.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/")).collect()
}

fn put(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

#[test]
fn atomic_write_creates_and_replaces_and_leaves_no_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("key.json");
    write_atomic(&p, b"first").unwrap();
    assert_eq!(fs::read(&p).unwrap(), b"first");
    write_atomic(&p, b"second, longer").unwrap();
    assert_eq!(fs::read(&p).unwrap(), b"second, longer");
    assert!(!temp_path(&p).exists(), "the temp file is renamed away");
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[cfg(unix)]
#[test]
fn atomic_and_private_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let a = dir.path().join("a");
    // A temp file a crash left behind with a wider mode is made owner-only again.
    fs::write(temp_path(&a), b"old").unwrap();
    fs::set_permissions(temp_path(&a), fs::Permissions::from_mode(0o644)).unwrap();
    write_atomic(&a, b"x").unwrap();
    assert_eq!(mode(&a), 0o600);
    // A link planted where the temp file goes is replaced, never written through.
    let victim = dir.path().join("victim");
    fs::write(&victim, b"untouched").unwrap();
    std::os::unix::fs::symlink(&victim, temp_path(&a)).unwrap();
    write_atomic(&a, b"y").unwrap();
    assert_eq!(fs::read(&victim).unwrap(), b"untouched");
    assert_eq!(fs::read(&a).unwrap(), b"y");
    assert!(fs::symlink_metadata(&victim).unwrap().file_type().is_file());
    let b = dir.path().join("b");
    write_private(&b, b"y").unwrap();
    assert_eq!(mode(&b), 0o600);
    assert_eq!(fs::read(&b).unwrap(), b"y");
}

#[test]
fn a_crash_at_any_step_leaves_the_old_or_the_new_file() {
    for step in Step::ALL {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("settings.json");
        write_atomic(&p, b"old content").unwrap();
        write_atomic_until(&p, b"new content", Some(step)).unwrap();
        let now = fs::read(&p).unwrap();
        if step == Step::Renamed {
            assert_eq!(now, b"new content", "{step:?}");
        } else {
            assert_eq!(now, b"old content", "{step:?}: the old file stands until the rename");
        }
        // The next write after a crash replaces whatever temp file was left.
        write_atomic(&p, b"after").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"after");
        assert!(!temp_path(&p).exists());
    }
}

#[test]
fn a_failed_rename_keeps_the_old_target_and_removes_the_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    // A non-empty folder where the file should go: the rename itself fails.
    let p = dir.path().join("target");
    put(dir.path(), "target/kept.txt", "kept");
    let e = write_atomic(&p, b"new").unwrap_err();
    assert!(matches!(e, Error::Rename { .. }), "{e}");
    assert!(e.to_string().contains("cannot rename") && e.to_string().contains("target"), "{e}");
    assert!(std::error::Error::source(&e).is_some(), "the IO error is kept as the source");
    assert_eq!(fs::read_to_string(p.join("kept.txt")).unwrap(), "kept");
    assert!(!temp_path(&p).exists(), "no temp file is left after an error");
}

#[test]
fn a_write_into_a_missing_folder_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("missing/file");
    let e = write_atomic(&p, b"x").unwrap_err();
    assert!(e.to_string().starts_with("cannot create") && e.to_string().contains("missing"), "{e}");
    assert_eq!(e.io_error().unwrap().kind(), io::ErrorKind::NotFound);
}

#[test]
fn create_private_never_opens_an_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ca.key");
    fs::write(&p, b"existing").unwrap();
    let e = write_private(&p, b"new").unwrap_err();
    assert_eq!(e.io_error().unwrap().kind(), io::ErrorKind::AlreadyExists);
    assert_eq!(fs::read(&p).unwrap(), b"existing");
}

#[test]
fn rename_moves_a_folder_and_syncs() {
    let dir = tempfile::tempdir().unwrap();
    put(dir.path(), "unit/1.partial/protocol.toml", "x");
    rename(&dir.path().join("unit/1.partial"), &dir.path().join("unit/1")).unwrap();
    assert!(dir.path().join("unit/1/protocol.toml").exists());
    sync_dir(dir.path()).unwrap();
    assert!(sync_dir(&dir.path().join("nothing")).is_err());
}

#[test]
fn staged_output_is_removed_unless_put_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let (file, folder) = (dir.path().join("case.fsb.partial"), dir.path().join("opened.partial"));
    fs::write(&file, b"half a bundle").unwrap();
    put(dir.path(), "opened.partial/records/a.json", "{}");
    drop((Staged::new(file.clone()), Staged::new(folder.clone())));
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0, "an abandoned file and folder are removed");

    put(dir.path(), "opened.partial/records/a.json", "{}");
    Staged::new(folder.clone()).put_in_place(&dir.path().join("opened")).unwrap();
    assert!(dir.path().join("opened/records/a.json").exists() && !folder.exists());

    // A rename that fails (into a missing folder) leaves nothing behind either.
    fs::write(&file, b"whole").unwrap();
    let e = Staged::new(file.clone()).put_in_place(&dir.path().join("missing/case.fsb")).unwrap_err();
    assert!(matches!(e, Error::Rename { .. }), "{e}");
    assert!(!file.exists());
}

#[test]
fn the_walk_is_sorted_recursive_and_only_toml() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for rel in ["b/protocol.toml", "a.toml", "b/cases.toml", "c/d/e.toml", "notes.txt", "b/readme.md", "z.toml"] {
        put(root, rel, rel);
    }
    fs::create_dir_all(root.join("empty")).unwrap();
    let files = toml_files(root).unwrap();
    assert_eq!(names(root, &files), ["a.toml", "b/cases.toml", "b/protocol.toml", "c/d/e.toml", "z.toml"]);
    let read = read_toml_files(root).unwrap();
    assert_eq!(read.len(), 5);
    assert!(read.iter().all(|(p, t)| p.ends_with(t)), "each text is its own file's");
    assert_eq!(toml_files(root).unwrap(), files, "the same folder gives the same list");
    put(root, "b/audio/en/x.wav", "");
    put(root, "b/audio/.y.wav", "");
    assert_eq!(names(root, &files_ending(root, "wav").unwrap()), ["b/audio/en/x.wav"]);
}

#[test]
fn the_walk_passes_over_hidden_files_and_folders() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for rel in [".git/config.toml", ".hidden.toml", ".#protocol.toml", "p/.swap.toml", "p/protocol.toml"] {
        put(root, rel, "x");
    }
    assert_eq!(names(root, &toml_files(root).unwrap()), ["p/protocol.toml"]);
}

#[test]
fn pairs_follow_the_walks_rule() {
    for (rel, content) in [
        ("a.toml", true),
        ("p/protocol.toml", true),
        (".hidden.toml", false),
        ("p/.swap.toml", false),
        (".git/x.toml", false),
        ("notes.txt", false),
        ("p/protocol.toml.bak", false),
    ] {
        assert_eq!(is_content_path(Path::new(rel)), content, "{rel}");
    }
}

#[cfg(unix)]
#[test]
fn the_walk_refuses_a_link_inside_the_folder_but_follows_a_linked_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("lib");
    put(&root, "a/protocol.toml", "x");
    // A link back up would make a naive walk loop for ever.
    std::os::unix::fs::symlink(&root, root.join("a/loop")).unwrap();
    let e = toml_files(&root).unwrap_err();
    assert!(matches!(&e, Error::Link { path } if path.ends_with("a/loop")), "{e}");
    assert!(e.to_string().contains("symbolic link"), "{e}");
    fs::remove_file(root.join("a/loop")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("outside.toml"), root.join("linked.toml")).unwrap();
    assert!(matches!(toml_files(&root), Err(Error::Link { .. })), "a linked file is refused too");
    fs::remove_file(root.join("linked.toml")).unwrap();
    let linked_root = dir.path().join("root-link");
    std::os::unix::fs::symlink(&root, &linked_root).unwrap();
    assert_eq!(names(&linked_root, &toml_files(&linked_root).unwrap()), ["a/protocol.toml"]);
}

#[test]
fn the_walk_of_a_missing_folder_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let e = toml_files(&dir.path().join("nope")).unwrap_err();
    assert!(e.to_string().starts_with("cannot read folder") && e.to_string().contains("nope"), "{e}");
}

#[test]
fn reading_a_file_that_is_not_text_names_it() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("bad.toml"), [0xff, 0xfe, 0x00]).unwrap();
    let e = read_toml_files(dir.path()).unwrap_err();
    assert!(e.to_string().starts_with("cannot read") && e.to_string().contains("bad.toml"), "{e}");
}
