//! The one-writer lock of a file state: `<path>.lock`, an OS lock that the kernel releases
//! when its holder dies (so a stale record alone never blocks anyone), and inside it a record
//! of who holds it, shown to whoever has to wait.
//!
//! Beside it, `.<name>.commit` is held only for the moment of a save (check the lock is
//! still ours, check the state is the one read, rename) and by `force-unlock` while it
//! removes the lock file: so a writer whose lock was broken either saved before the break or
//! finds its lock gone, never saves after its successor. Both files are opened without
//! following symbolic links.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use super::FileBackend;
use crate::state::{LockInfo, StateError};

/// How often a writer waiting for the lock tries again.
const POLL: Duration = Duration::from_millis(100);

/// How long a save or `force-unlock` waits for another one's commit (a rename and a sync).
const COMMIT_WAIT: Duration = Duration::from_secs(30);

/// Proof that this process holds a state's lock. Dropping it empties the record and releases
/// the lock.
#[derive(Debug)]
pub struct LockGuard {
    file: File,
    info: LockInfo,
    lock_path: PathBuf,
    /// Identity of the locked file, to tell whether it is still the state's lock file.
    dev: u64,
    ino: u64,
}

impl LockGuard {
    /// The record written for this lock.
    pub fn info(&self) -> &LockInfo {
        &self.info
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        // The file stays (removing it would race with a writer that has just opened it);
        // the kernel releases the lock when `file` is closed right after this.
        let _ = self.file.set_len(0);
    }
}

impl FileBackend {
    /// Takes the one-writer lock for `operation`, trying every 100 ms for up to `timeout`
    /// (zero: fail at once) while another writer holds it. Call it on the state's real path
    /// ([`FileBackend::real`]), whose directory exists.
    pub fn take_lock(&self, operation: &str, timeout: Duration) -> Result<LockGuard, StateError> {
        let lock_path = self.lock_path();
        // `None`: a timeout too large to represent, i.e. wait for ever.
        let deadline = Instant::now().checked_add(timeout);
        loop {
            let file = open_nofollow(&lock_path)?;
            match file.try_lock() {
                Ok(()) => {
                    let held = file
                        .metadata()
                        .map_err(|e| StateError::io("read", &lock_path, e))?;
                    // force-unlock may have removed the file between our open and lock: then
                    // we hold a lock nobody else will ever see, so start again.
                    match fs::metadata(&lock_path) {
                        Ok(now) if now.dev() == held.dev() && now.ino() == held.ino() => {}
                        Ok(_) => continue,
                        Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                        Err(e) => return Err(StateError::io("read", &lock_path, e)),
                    }
                    let info = LockInfo::now(operation, &self.location);
                    if let Err(e) = write_record(&file, &info) {
                        let _ = file.set_len(0);
                        return Err(StateError::io("write", &lock_path, e));
                    }
                    return Ok(LockGuard {
                        file,
                        info,
                        lock_path,
                        dev: held.dev(),
                        ino: held.ino(),
                    });
                }
                Err(TryLockError::WouldBlock) => {
                    let remaining = deadline.map(|d| d.saturating_duration_since(Instant::now()));
                    if remaining == Some(Duration::ZERO) {
                        return Err(StateError::Locked {
                            location: self.location.clone(),
                            info: read_record(&file).map(Box::new),
                        });
                    }
                    // Reopened on every try: force-unlock may replace the file meanwhile.
                    drop(file);
                    thread::sleep(remaining.map_or(POLL, |r| r.min(POLL)));
                }
                Err(TryLockError::Error(e)) => return Err(StateError::io("lock", &lock_path, e)),
            }
        }
    }

    /// Breaks the lock whose record has ID `id` and returns that record. The lock file is
    /// removed: a holder still alive keeps its OS lock on the removed file, and new writers
    /// lock a new one. Only for a holder that is gone for good (a dead process's lock is
    /// released by the kernel anyway).
    pub(super) fn break_lock(&self, id: &str) -> Result<LockInfo, StateError> {
        let lock_path = self.lock_path();
        // No save may be between its check and its rename while the lock goes.
        let _commit = self.commit_lock()?;
        let no_lock = |unreadable| StateError::NoLock {
            location: self.location.clone(),
            unreadable,
        };
        let bytes = match fs::read(&lock_path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(no_lock(false)),
            Err(e) => return Err(StateError::io("read", &lock_path, e)),
        };
        let Some(info) = parse_record(&bytes) else {
            let blank = bytes.iter().all(u8::is_ascii_whitespace);
            return Err(no_lock(!blank));
        };
        if info.id != id {
            return Err(StateError::WrongLockId {
                location: self.location.clone(),
                given: id.to_string(),
                info: Box::new(info),
            });
        }
        match fs::remove_file(&lock_path) {
            Ok(()) => Ok(info),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(no_lock(false)),
            Err(e) => Err(StateError::io("remove", &lock_path, e)),
        }
    }

    /// The commit lock: held for the moment of a save, and by `force-unlock`.
    pub(super) fn commit_lock(&self) -> Result<CommitGuard, StateError> {
        let mut name = std::ffi::OsString::from(".");
        name.push(self.file_name()?);
        name.push(".commit");
        let path = self.dir().join(name);
        let file = open_nofollow(&path)?;
        let deadline = Instant::now() + COMMIT_WAIT;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(CommitGuard { _file: file }),
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                    thread::sleep(Duration::from_millis(20));
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(StateError::io(
                        "lock",
                        &path,
                        io::Error::new(
                            io::ErrorKind::TimedOut,
                            "another save has held it for 30 s; its process may be stuck",
                        ),
                    ));
                }
                Err(TryLockError::Error(e)) => return Err(StateError::io("lock", &path, e)),
            }
        }
    }

    /// Fails unless `lock` still holds this state's lock file.
    pub(super) fn check_lock(&self, lock: &LockGuard) -> Result<(), StateError> {
        let lock_path = self.lock_path();
        match fs::metadata(&lock_path) {
            Ok(m) if m.dev() == lock.dev && m.ino() == lock.ino => return Ok(()),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(StateError::io("read", &lock_path, e)),
        }
        if lock.lock_path == lock_path {
            Err(StateError::LockLost {
                location: self.location.clone(),
            })
        } else {
            Err(StateError::WrongLock {
                held: lock.lock_path.display().to_string(),
                location: self.location.clone(),
            })
        }
    }
}

fn write_record(mut file: &File, info: &LockInfo) -> io::Result<()> {
    let mut record = serde_json::to_vec(info).map_err(io::Error::other)?;
    record.push(b'\n');
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    file.write_all(&record)?;
    file.sync_all()
}

/// The holder's record; `None` when it is empty or half written.
fn read_record(mut file: &File) -> Option<LockInfo> {
    let mut bytes = Vec::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_to_end(&mut bytes).ok()?;
    parse_record(&bytes)
}

fn parse_record(bytes: &[u8]) -> Option<LockInfo> {
    serde_json::from_slice(bytes).ok()
}

/// Held for the moment of a save; released when dropped (closing the file).
pub(super) struct CommitGuard {
    _file: File,
}

/// Opens (creating if needed) a lock file for reading and writing, never through a symbolic
/// link: a link there is refused, its target untouched.
fn open_nofollow(path: &Path) -> Result<File, StateError> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| {
            let e = if e.raw_os_error() == Some(libc::ELOOP) {
                io::Error::other(
                    "it is a symbolic link, and the state's lock and commit files are never \
                     followed through one; remove the link",
                )
            } else {
                e
            };
            StateError::io("open", path, e)
        })
}
