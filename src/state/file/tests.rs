//! The file backend's tests: saves, backups, parse errors, the lock and force-unlock.

use std::fs;
use std::path::{Path, PathBuf};
use std::process;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use super::*;
use crate::diag::Diag;
use crate::state::ids::{new_lineage, random_id};
use crate::state::{Backend, Records};

/// A fresh directory under the system's temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ipam-state-{name}-{}-{}-{}",
            process::id(),
            N.fetch_add(1, Ordering::Relaxed),
            random_id()
        ));
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn store(&self) -> FileBackend {
        FileBackend::new(self.0.join("ipam.state.json"))
    }

    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn state(serial: u64) -> State {
    let mut resources = Records::default();
    resources.scopes.insert(
        "lab".into(),
        super::super::ScopeRecord {
            description: Some(format!("written at serial {serial}")),
        },
    );
    State {
        format_version: FORMAT_VERSION,
        lineage: new_lineage(),
        serial,
        resources,
    }
}

fn lock(store: &FileBackend) -> LockGuard {
    store.take_lock("apply", Duration::ZERO).unwrap()
}

/// The one diagnostic of an error: its code, message, and line of its location if any.
fn diag(e: &StateError) -> (Diag, Option<usize>) {
    let d = e.diagnostics();
    assert_eq!(d.diags.len(), 1);
    assert!(d.has_errors());
    let diag = d.diags[0].clone();
    let line = diag
        .loc
        .as_ref()
        .map(|l| d.sources.position(l.file, l.span.start).line);
    (diag, line)
}

#[test]
fn save_then_load_round_trips() {
    let dir = TempDir::new("round-trip");
    let store = dir.store();
    let guard = lock(&store);
    let s = state(1);
    store.write(&s, &guard).unwrap();
    assert_eq!(store.read().unwrap(), Some(s.clone()));
    let text = fs::read_to_string(store.path()).unwrap();
    assert!(text.ends_with("}\n"));
    assert_eq!(
        text,
        format!("{}\n", serde_json::to_string_pretty(&s).unwrap())
    );
}

#[test]
fn second_save_keeps_the_first_as_backup_and_leaves_no_temp_files() {
    let dir = TempDir::new("backup");
    let store = dir.store();
    let guard = lock(&store);
    let first = state(1);
    let second = state(2);
    store.write(&first, &guard).unwrap();
    assert!(!store.backup_path().exists());
    store.write(&second, &guard).unwrap();
    assert_eq!(store.read().unwrap(), Some(second));
    let backup = FileBackend::new(store.backup_path()).read().unwrap();
    assert_eq!(backup, Some(first));
    assert_eq!(
        dir.names(),
        [
            ".ipam.state.json.commit",
            "ipam.state.json",
            "ipam.state.json.backup",
            "ipam.state.json.lock"
        ]
    );
}

#[test]
fn failed_save_leaves_the_old_state() {
    let dir = TempDir::new("failed-save");
    let store = dir.store();
    let guard = lock(&store);
    store.write(&state(1), &guard).unwrap();
    let before = fs::read(store.path()).unwrap();
    // A directory where the commit lock goes makes the save fail before it writes anything.
    let commit = dir.0.join(".ipam.state.json.commit");
    fs::remove_file(&commit).unwrap();
    fs::create_dir(&commit).unwrap();
    let e = store.write(&state(2), &guard).unwrap_err();
    assert!(matches!(e, StateError::Io { action: "open", .. }), "{e:?}");
    assert_eq!(fs::read(store.path()).unwrap(), before);
    assert!(!store.backup_path().exists());
    assert_eq!(diag(&e).0.code, "ipam::state::io");
    assert!(
        dir.names().iter().all(|n| !n.contains(".tmp.")),
        "{:?}",
        dir.names()
    );
}

#[test]
fn missing_state_loads_as_none() {
    let dir = TempDir::new("missing");
    assert_eq!(dir.store().read().unwrap(), None);
}

#[test]
fn directory_is_an_io_error_naming_it() {
    let dir = TempDir::new("directory");
    let store = FileBackend::new(&dir.0);
    let e = store.read().unwrap_err();
    let StateError::Io { path, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(path, &dir.0);
    assert!(diag(&e).0.message.contains(&dir.0.display().to_string()));
}

#[test]
fn newer_format_is_refused_before_its_shape_is_read() {
    let dir = TempDir::new("newer");
    let store = dir.store();
    fs::write(
        store.path(),
        "{\n  \"format_version\": 2,\n  \"lineage\": \"x\",\n  \"serial\": 1,\n  \
         \"resources\": {},\n  \"something_new\": []\n}\n",
    )
    .unwrap();
    let e = store.read().unwrap_err();
    assert!(
        matches!(e, StateError::NewerFormat { found: 2, .. }),
        "{e:?}"
    );
    let (d, line) = diag(&e);
    assert_eq!(d.code, "ipam::state::newer_format");
    assert_eq!(
        d.message,
        "state was written by a newer ipam (format 2, this build reads 1)"
    );
    assert_eq!(d.help.as_deref(), Some("upgrade ipam"));
    assert_eq!(line, Some(2));

    // Same shape as this build's, newer number: refused all the same.
    let mut s = state(1);
    s.format_version = FORMAT_VERSION + 1;
    fs::write(store.path(), serde_json::to_string(&s).unwrap()).unwrap();
    let e = store.read().unwrap_err();
    assert!(matches!(e, StateError::NewerFormat { found, .. } if found == FORMAT_VERSION + 1));
}

#[test]
fn garbage_is_a_parse_error_located_in_the_file() {
    let dir = TempDir::new("garbage");
    let store = dir.store();
    fs::write(
        store.path(),
        "{\n  \"format_version\": 1,\n  \"lineage\": oops,\n  \"serial\": 1\n}\n",
    )
    .unwrap();
    let e = store.read().unwrap_err();
    assert!(matches!(e, StateError::Parse { .. }), "{e:?}");
    let (d, line) = diag(&e);
    assert_eq!(d.code, "ipam::state::parse");
    assert_eq!(line, Some(3));
    let loc = d.loc.unwrap();
    assert_eq!(loc.span.len(), 1);
    assert!(!d.label.contains("at line"), "{}", d.label);
    // No backup: none is suggested.
    let help = d.help.unwrap();
    assert!(!help.contains(".backup"), "{help}");
    assert!(help.contains("no previous version"), "{help}");
    // With one, restoring it is.
    fs::write(store.backup_path(), "{}").unwrap();
    let (d, _) = diag(&store.read().unwrap_err());
    assert!(d.help.unwrap().contains("ipam.state.json.backup"));
}

#[test]
fn wrong_shape_is_a_parse_error_on_its_line() {
    let dir = TempDir::new("shape");
    let store = dir.store();
    fs::write(
        store.path(),
        "{\n  \"format_version\": 1,\n  \"lineage\": \"x\",\n  \"serial\": \"one\",\n  \
         \"resources\": {}\n}\n",
    )
    .unwrap();
    let e = store.read().unwrap_err();
    let (d, line) = diag(&e);
    assert_eq!(d.code, "ipam::state::parse");
    assert_eq!(line, Some(4));
    assert!(d.label.contains("invalid type"), "{}", d.label);
}

#[test]
fn truncated_state_is_a_parse_error_at_its_end() {
    let dir = TempDir::new("truncated");
    let store = dir.store();
    let guard = lock(&store);
    store.write(&state(1), &guard).unwrap();
    let text = fs::read_to_string(store.path()).unwrap();
    let cut = &text[..text.len() / 2];
    fs::write(store.path(), cut).unwrap();
    let e = store.read().unwrap_err();
    let (d, line) = diag(&e);
    assert_eq!(d.code, "ipam::state::parse");
    assert_eq!(line, Some(cut.lines().count()));
    assert!(d.loc.unwrap().span.end <= cut.len());
}

#[test]
fn non_utf8_is_a_parse_error_at_the_bad_byte() {
    let dir = TempDir::new("utf8");
    let store = dir.store();
    fs::write(store.path(), b"{\n  \"lineage\": \"\xff\"\n}\n").unwrap();
    let e = store.read().unwrap_err();
    let StateError::Parse { at, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(*at, 16);
    assert_eq!(diag(&e).1, Some(2));
}

#[test]
fn second_lock_fails_at_once_with_the_holders_record() {
    let dir = TempDir::new("locked");
    let store = dir.store();
    let first = store.take_lock("apply", Duration::ZERO).unwrap();
    assert_eq!(first.info().operation, "apply");
    assert_eq!(first.info().pid, process::id());
    assert_eq!(first.info().path, store.path().display().to_string());
    let e = store.take_lock("import", Duration::ZERO).unwrap_err();
    let StateError::Locked { info, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(info.as_deref(), Some(first.info()));
    let (d, _) = diag(&e);
    assert_eq!(d.code, "ipam::state::locked");
    assert!(d.message.contains(&first.info().id));
    assert!(d.message.contains("apply"));
    let help = d.help.unwrap();
    assert!(help.contains(&format!("ipam force-unlock {}", first.info().id)));
    assert!(help.contains("--lock-timeout"));
}

#[test]
fn lock_waits_for_its_timeout_then_fails() {
    let dir = TempDir::new("timeout");
    let store = dir.store();
    let _first = lock(&store);
    let timeout = Duration::from_millis(300);
    let start = Instant::now();
    let e = store.take_lock("apply", timeout).unwrap_err();
    assert!(start.elapsed() >= timeout);
    assert!(
        matches!(e, StateError::Locked { info: Some(_), .. }),
        "{e:?}"
    );
}

#[test]
fn lock_waits_until_the_holder_is_done() {
    let dir = TempDir::new("wait");
    let store = dir.store();
    let first = lock(&store);
    let release = thread::spawn(move || {
        thread::sleep(Duration::from_millis(150));
        drop(first);
    });
    let second = store.take_lock("apply", Duration::from_secs(30)).unwrap();
    release.join().unwrap();
    assert_eq!(second.info().operation, "apply");
}

#[test]
fn dropped_guard_empties_its_record_and_frees_the_lock() {
    let dir = TempDir::new("drop");
    let store = dir.store();
    let first = lock(&store);
    let id = first.info().id.clone();
    drop(first);
    assert_eq!(fs::read(store.lock_path()).unwrap(), b"");
    let second = lock(&store);
    assert_ne!(second.info().id, id);
    let record: LockInfo = serde_json::from_slice(&fs::read(store.lock_path()).unwrap()).unwrap();
    assert_eq!(&record, second.info());
}

#[test]
fn stale_record_without_a_holder_does_not_block() {
    let dir = TempDir::new("stale");
    let store = dir.store();
    let mut dead = LockInfo::now("apply", store.location());
    dead.pid = 1;
    fs::write(store.lock_path(), serde_json::to_vec(&dead).unwrap()).unwrap();
    let guard = lock(&store);
    assert_ne!(guard.info().id, dead.id);
}

#[test]
fn force_unlock_checks_the_id_and_frees_the_store() {
    let dir = TempDir::new("force");
    let store = dir.store();
    let old = lock(&store);
    store.write(&state(1), &old).unwrap();

    let e = store.break_lock("0000000000000000").unwrap_err();
    let StateError::WrongLockId { info, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(&**info, old.info());
    let (d, _) = diag(&e);
    assert_eq!(d.code, "ipam::state::wrong_lock_id");
    assert!(d.message.contains(&old.info().id));

    let removed = store.break_lock(&old.info().id).unwrap();
    assert_eq!(&removed, old.info());
    assert!(!store.lock_path().exists());

    // The old holder is still alive; a new writer gets the lock all the same, and the
    // old one can no longer write.
    let new = lock(&store);
    store.write(&state(2), &new).unwrap();
    let e = store.write(&state(3), &old).unwrap_err();
    assert!(matches!(e, StateError::LockLost { .. }), "{e:?}");
    assert_eq!(diag(&e).0.code, "ipam::state::lock_lost");
    assert_eq!(store.read().unwrap().map(|s| s.serial), Some(2));
    drop(old);
    // Dropping the broken guard leaves the new holder's record alone.
    let record: LockInfo = serde_json::from_slice(&fs::read(store.lock_path()).unwrap()).unwrap();
    assert_eq!(&record, new.info());
}

#[test]
fn force_unlock_without_a_lock_says_so() {
    let dir = TempDir::new("no-lock");
    let store = dir.store();
    let e = store.break_lock("0123456789abcdef").unwrap_err();
    assert!(
        matches!(
            e,
            StateError::NoLock {
                unreadable: false,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(diag(&e).0.code, "ipam::state::no_lock");
    assert!(e.to_string().starts_with("no lock is held"));

    drop(lock(&store));
    let e = store.break_lock("0123456789abcdef").unwrap_err();
    assert!(
        matches!(
            e,
            StateError::NoLock {
                unreadable: false,
                ..
            }
        ),
        "{e:?}"
    );

    fs::write(store.lock_path(), "{\"id\": \"01").unwrap();
    let e = store.break_lock("0123456789abcdef").unwrap_err();
    assert!(
        matches!(
            e,
            StateError::NoLock {
                unreadable: true,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn save_refuses_another_stores_lock() {
    let dir = TempDir::new("wrong-lock");
    let store = dir.store();
    let other = FileBackend::new(dir.0.join("other.state.json"));
    let guard = lock(&other);
    let e = store.write(&state(1), &guard).unwrap_err();
    assert!(matches!(e, StateError::WrongLock { .. }), "{e:?}");
    assert!(!store.path().exists());
}

#[test]
fn lock_creates_the_state_directory() {
    let dir = TempDir::new("nested");
    let store = FileBackend::new(dir.0.join("a/b/ipam.state.json"));
    let mut session = store.lock("apply", Duration::ZERO).unwrap();
    session.save(&state(1), None).unwrap();
    drop(session);
    assert!(store.read().unwrap().is_some());
}

#[test]
fn paths_sit_beside_the_state() {
    let store = FileBackend::new("plans/ipam.state.json");
    assert_eq!(store.path(), Path::new("plans/ipam.state.json"));
    assert_eq!(
        store.backup_path(),
        Path::new("plans/ipam.state.json.backup")
    );
    assert_eq!(store.lock_path(), Path::new("plans/ipam.state.json.lock"));
    assert_eq!(FileBackend::new("ipam.state.json").dir(), Path::new("."));
}

#[test]
fn a_symlinked_lock_file_is_refused_and_its_target_untouched() {
    let dir = TempDir::new("lock-link");
    let store = dir.store();
    let victim = dir.0.join("victim.txt");
    fs::write(&victim, "precious\n").unwrap();
    std::os::unix::fs::symlink(&victim, store.lock_path()).unwrap();
    let e = store.lock("apply", Duration::ZERO).err().expect("refused");
    let (d, _) = diag(&e);
    assert_eq!(d.code, "ipam::state::io");
    assert!(d.message.contains("symbolic link"), "{}", d.message);
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious\n");
}

#[test]
fn temp_files_are_unguessable_and_never_followed() {
    let dir = TempDir::new("temp-link");
    let store = dir.store();
    let victim = dir.0.join("victim.txt");
    fs::write(&victim, "precious\n").unwrap();
    // The names an older version used, planted as links: nothing follows them.
    for what in ["tmp", "backup"] {
        std::os::unix::fs::symlink(
            &victim,
            dir.0
                .join(format!(".ipam.state.json.{what}.{}", process::id())),
        )
        .unwrap();
    }
    let mut session = store.lock("apply", Duration::ZERO).unwrap();
    session.save(&state(1), None).unwrap();
    session.save(&state(2), Some(1)).unwrap();
    drop(session);
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious\n");
    let a = store.temp_path("tmp").unwrap();
    let b = store.temp_path("tmp").unwrap();
    assert_ne!(a, b);
    assert!(!a.to_string_lossy().ends_with(&process::id().to_string()));
}

#[test]
fn two_links_to_one_state_share_one_lock() {
    let dir = TempDir::new("two-links");
    let real = dir.store();
    let mut s = real.lock("apply", Duration::ZERO).unwrap();
    s.save(&state(1), None).unwrap();
    drop(s);
    let one = FileBackend::new(dir.0.join("one.json"));
    let two = FileBackend::new(dir.0.join("two.json"));
    std::os::unix::fs::symlink(real.path(), one.path()).unwrap();
    std::os::unix::fs::symlink(real.path(), two.path()).unwrap();
    let held = one.lock("apply", Duration::ZERO).unwrap();
    let e = two
        .lock("apply", Duration::ZERO)
        .err()
        .expect("one lock for both");
    assert!(matches!(e, StateError::Locked { .. }), "{e:?}");
    assert!(matches!(
        real.lock("apply", Duration::ZERO).err(),
        Some(StateError::Locked { .. })
    ));
    drop(held);
    assert!(two.lock("apply", Duration::ZERO).is_ok());
}

#[test]
fn the_next_writer_removes_a_crashed_writers_leftovers() {
    let dir = TempDir::new("leftovers");
    let store = dir.store();
    let mut s = store.lock("apply", Duration::ZERO).unwrap();
    s.save(&state(1), None).unwrap();
    drop(s);
    for name in [
        ".ipam.state.json.tmp.0123456789abcdef",
        ".ipam.state.json.backup.fedcba9876543210",
    ] {
        fs::write(dir.0.join(name), "half a state").unwrap();
    }
    // Someone else's hidden file stays.
    fs::write(dir.0.join(".other.tmp.1"), "not ours").unwrap();
    drop(store.lock("apply", Duration::ZERO).unwrap());
    assert_eq!(
        dir.names(),
        [
            ".ipam.state.json.commit",
            ".other.tmp.1",
            "ipam.state.json",
            "ipam.state.json.lock"
        ]
    );
}

/// A writer whose lock is broken while it saves, raced against the writer that takes the
/// lock next: never do both saves land with the second built on a state the first replaced.
#[test]
fn force_unlock_never_lets_two_writers_both_save() {
    for round in 0..40u64 {
        let dir = TempDir::new("unlock-race");
        let store = dir.store();
        let mut first = store.lock("apply", Duration::ZERO).unwrap();
        first.save(&state(1), None).unwrap();
        assert_eq!(first.load().unwrap().map(|s| s.serial), Some(1));
        let id = first.info().id.clone();
        let (old_saved, read, new_saved) = thread::scope(|scope| {
            let old = scope.spawn(move || {
                thread::sleep(Duration::from_micros((round * 97) % 1500));
                let mut next = state(2);
                next.lineage = "old".into();
                // The session (and its lock) lives on after the save, as a stuck writer's.
                (first.save(&next, Some(1)).is_ok(), first)
            });
            thread::sleep(Duration::from_micros((round * 61) % 1500));
            store.force_unlock(&id).unwrap();
            let mut second = store.lock("apply", Duration::ZERO).unwrap();
            let read = second.load().unwrap().map(|s| s.serial);
            let mut next = state(read.unwrap_or(0) + 1);
            next.lineage = "new".into();
            let new_saved = second.save(&next, read).is_ok();
            let (old_saved, old_session) = old.join().unwrap();
            drop(old_session);
            (old_saved, read, new_saved)
        });
        let last = store.read().unwrap().unwrap();
        match (old_saved, new_saved) {
            // The old one landed first; the new one read it and followed it.
            (true, true) => {
                assert_eq!(read, Some(2), "round {round}: the new writer overwrote");
                assert_eq!(last.lineage, "new");
            }
            (false, true) => assert_eq!(last.lineage, "new", "round {round}"),
            // The old one landed after the new one read: the new one must refuse.
            (true, false) => assert_eq!(last.lineage, "old", "round {round}"),
            (false, false) => panic!("round {round}: neither saved"),
        }
    }
}

/// A save between its lock check and its rename holds the commit lock; `force-unlock` waits
/// for it, so the broken writer's save lands before its successor can even take the lock.
#[test]
fn force_unlock_waits_for_a_save_in_progress() {
    let dir = TempDir::new("unlock-waits");
    let store = dir.store();
    let held = lock(&store);
    let id = held.info().id.clone();
    let saving = store.commit_lock().unwrap();
    thread::scope(|scope| {
        let unlock = scope.spawn(|| store.break_lock(&id));
        thread::sleep(Duration::from_millis(300));
        assert!(
            !unlock.is_finished(),
            "force-unlock did not wait for the save"
        );
        assert!(store.lock_path().exists());
        drop(saving);
        assert_eq!(unlock.join().unwrap().unwrap().id, id);
    });
    assert!(!store.lock_path().exists());
    drop(held);
}
