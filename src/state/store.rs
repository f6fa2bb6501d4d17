//! Reading and writing the state file (SPEC §7).
//!
//! A save writes the new state to a synced temp file beside the old one and renames it over
//! it, so a crash at any instant leaves the complete old or the complete new state, never a
//! torn one; the previous version is kept as `<path>.backup`. Writers hold a one-writer lock,
//! `<path>.lock`: an OS lock that the kernel releases when its holder dies (so a stale record
//! alone never blocks anyone), and inside it a record of who holds it, shown to whoever has to
//! wait.

use std::collections::hash_map::RandomState;
use std::ffi::OsString;
use std::fmt;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::{FORMAT_VERSION, State};
use crate::diag::{Diag, Diagnostics, Loc, Sources};

/// How often a writer waiting for the lock tries again.
const POLL: Duration = Duration::from_millis(100);

/// The state file at one path, with its backup and lock file beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    path: PathBuf,
}

impl Store {
    /// The store of the state file at `path`; nothing is touched until it is used.
    pub fn new(path: impl Into<PathBuf>) -> Store {
        Store { path: path.into() }
    }

    /// The state file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where the previous version is kept: `<path>.backup`.
    pub fn backup_path(&self) -> PathBuf {
        with_suffix(&self.path, ".backup")
    }

    /// The lock file: `<path>.lock`.
    pub fn lock_path(&self) -> PathBuf {
        with_suffix(&self.path, ".lock")
    }

    /// Reads the state; `None` when the file does not exist. A state of a newer format is
    /// refused, whatever else is in it (its shape may be one this build cannot read).
    pub fn load(&self) -> Result<Option<State>, StoreError> {
        let bytes = match fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StoreError::io("read", &self.path, e)),
        };
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                // The lossy text keeps every byte before `at` as it is.
                let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
                return Err(StoreError::Parse {
                    path: self.path.clone(),
                    message: "this is not UTF-8 text".into(),
                    at,
                    text: FileText(text),
                });
            }
        };
        // One pass over the text when it is readable (states hold 100k+ records); the
        // version alone is read only when the whole is not, to tell a newer format from a
        // damaged file. Either way a newer format is refused before anything else.
        match serde_json::from_str::<State>(&text) {
            Ok(state) if state.format_version > FORMAT_VERSION => Err(StoreError::NewerFormat {
                path: self.path.clone(),
                found: state.format_version,
                text: FileText(text),
            }),
            Ok(state) => Ok(Some(state)),
            Err(e) => {
                if let Ok(header) = serde_json::from_str::<Header>(&text)
                    && header.format_version > FORMAT_VERSION
                {
                    return Err(StoreError::NewerFormat {
                        path: self.path.clone(),
                        found: header.format_version,
                        text: FileText(text),
                    });
                }
                Err(StoreError::Parse {
                    path: self.path.clone(),
                    message: serde_message(&e),
                    at: byte_offset(&text, e.line(), e.column()),
                    text: FileText(text),
                })
            }
        }
    }

    /// Replaces the state crash-safely: the new text goes to a synced temp file in the same
    /// directory, the old file is kept as the backup, the temp file is renamed over the state
    /// and the directory synced. On an error before the rename the old state is untouched and
    /// the temp file removed. `lock` must be this store's lock, still held.
    ///
    /// A state path that is a symbolic link is written through: the file it points to is
    /// replaced (its backup and temp files beside it), and the link stays a link.
    pub fn save(&self, state: &State, lock: &LockGuard) -> Result<(), StoreError> {
        self.check_lock(lock)?;
        let mut text = serde_json::to_vec_pretty(state).map_err(StoreError::Encode)?;
        text.push(b'\n');
        let target = match fs::symlink_metadata(&self.path) {
            Ok(m) if m.file_type().is_symlink() => Store::new(
                fs::canonicalize(&self.path)
                    .map_err(|e| StoreError::io("follow the link", &self.path, e))?,
            ),
            _ => self.clone(),
        };
        let temp = target.temp_path("tmp")?;
        if let Err(e) = target.replace(&temp, &text) {
            // Best effort: the error being reported is the one that matters.
            let _ = fs::remove_file(&temp);
            return Err(e);
        }
        sync_dir(target.dir())
    }

    /// Takes the one-writer lock for `operation` ("apply", "import", ...), trying every
    /// 100 ms for up to `timeout` (zero: fail at once) while another writer holds it. The
    /// lock is held until the guard is dropped, or until this process ends.
    pub fn lock(&self, operation: &str, timeout: Duration) -> Result<LockGuard, StoreError> {
        let lock_path = self.lock_path();
        let dir = self.dir();
        fs::create_dir_all(dir).map_err(|e| StoreError::io("create the directory", dir, e))?;
        // `None`: a timeout too large to represent, i.e. wait for ever.
        let deadline = Instant::now().checked_add(timeout);
        loop {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&lock_path)
                .map_err(|e| StoreError::io("open", &lock_path, e))?;
            match file.try_lock() {
                Ok(()) => {
                    let held = file
                        .metadata()
                        .map_err(|e| StoreError::io("read", &lock_path, e))?;
                    // force-unlock may have removed the file between our open and lock: then
                    // we hold a lock nobody else will ever see, so start again.
                    match fs::metadata(&lock_path) {
                        Ok(now) if now.dev() == held.dev() && now.ino() == held.ino() => {}
                        Ok(_) => continue,
                        Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                        Err(e) => return Err(StoreError::io("read", &lock_path, e)),
                    }
                    let info = LockInfo::now(operation, &self.path);
                    if let Err(e) = write_record(&file, &info) {
                        let _ = file.set_len(0);
                        return Err(StoreError::io("write", &lock_path, e));
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
                        return Err(StoreError::Locked {
                            path: self.path.clone(),
                            info: read_record(&file).map(Box::new),
                        });
                    }
                    // Reopened on every try: force-unlock may replace the file meanwhile.
                    drop(file);
                    thread::sleep(remaining.map_or(POLL, |r| r.min(POLL)));
                }
                Err(TryLockError::Error(e)) => return Err(StoreError::io("lock", &lock_path, e)),
            }
        }
    }

    /// Breaks the lock whose record has ID `id` and returns that record. The lock file is
    /// removed: a holder still alive keeps its OS lock on the removed file, and new writers
    /// lock a new one. Only for a holder that is gone for good (a dead process's lock is
    /// released by the kernel anyway).
    pub fn force_unlock(&self, id: &str) -> Result<LockInfo, StoreError> {
        let lock_path = self.lock_path();
        let no_lock = |unreadable| StoreError::NoLock {
            path: self.path.clone(),
            unreadable,
        };
        let bytes = match fs::read(&lock_path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(no_lock(false)),
            Err(e) => return Err(StoreError::io("read", &lock_path, e)),
        };
        let Some(info) = parse_record(&bytes) else {
            let blank = bytes.iter().all(u8::is_ascii_whitespace);
            return Err(no_lock(!blank));
        };
        if info.id != id {
            return Err(StoreError::WrongLockId {
                path: self.path.clone(),
                given: id.to_string(),
                info: Box::new(info),
            });
        }
        match fs::remove_file(&lock_path) {
            Ok(()) => Ok(info),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(no_lock(false)),
            Err(e) => Err(StoreError::io("remove", &lock_path, e)),
        }
    }

    /// The directory the state, its backup, lock and temp files live in.
    fn dir(&self) -> &Path {
        match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        }
    }

    /// A hidden name beside the state, unique to this process: `.<name>.<what>.<pid>`.
    fn temp_path(&self, what: &str) -> Result<PathBuf, StoreError> {
        let Some(name) = self.path.file_name() else {
            return Err(StoreError::io(
                "write",
                &self.path,
                io::Error::new(io::ErrorKind::InvalidInput, "the state path names no file"),
            ));
        };
        let mut temp = OsString::from(".");
        temp.push(name);
        temp.push(format!(".{what}.{}", process::id()));
        Ok(self.dir().join(temp))
    }

    /// Fails unless `lock` still holds this store's lock file.
    fn check_lock(&self, lock: &LockGuard) -> Result<(), StoreError> {
        let lock_path = self.lock_path();
        match fs::metadata(&lock_path) {
            Ok(m) if m.dev() == lock.dev && m.ino() == lock.ino => return Ok(()),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(StoreError::io("read", &lock_path, e)),
        }
        if lock.lock_path == lock_path {
            Err(StoreError::LockLost {
                path: self.path.clone(),
            })
        } else {
            Err(StoreError::WrongLock {
                held: lock.lock_path.clone(),
                path: self.path.clone(),
            })
        }
    }

    /// Every step of a save up to and including the rename over the state.
    fn replace(&self, temp: &Path, text: &[u8]) -> Result<(), StoreError> {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(temp)
            .map_err(|e| StoreError::io("create", temp, e))?;
        file.write_all(text)
            .and_then(|()| file.sync_all())
            .map_err(|e| StoreError::io("write", temp, e))?;
        drop(file);
        match fs::symlink_metadata(&self.path) {
            Ok(old) => {
                // The new state keeps the old one's permissions.
                fs::set_permissions(temp, old.permissions())
                    .map_err(|e| StoreError::io("set the permissions of", temp, e))?;
                self.keep_backup()?;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(StoreError::io("read", &self.path, e)),
        }
        fs::rename(temp, &self.path).map_err(|e| StoreError::io("replace", &self.path, e))
    }

    /// Makes `<path>.backup` the current state, atomically: a hard link (or, where the file
    /// system has none, a synced copy) under a temp name, renamed over the backup.
    fn keep_backup(&self) -> Result<(), StoreError> {
        let temp = self.temp_path("backup")?;
        let backup = self.backup_path();
        let result = (|| {
            match fs::remove_file(&temp) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(StoreError::io("remove", &temp, e)),
            }
            if fs::hard_link(&self.path, &temp).is_err() {
                fs::copy(&self.path, &temp)
                    .and_then(|_| File::open(&temp))
                    .and_then(|f| f.sync_all())
                    .map_err(|e| StoreError::io("copy the state to", &temp, e))?;
            }
            fs::rename(&temp, &backup).map_err(|e| StoreError::io("replace", &backup, e))
        })();
        if result.is_err() {
            let _ = fs::remove_file(&temp);
        }
        result
    }
}

/// Who holds a store's lock, as recorded in the lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// What `ipam force-unlock` takes: 16 hex digits, new for every lock.
    pub id: String,
    /// The holder's process.
    pub pid: u32,
    /// The holder's machine (its host name, or "unknown").
    pub host: String,
    /// The holder's user (`$USER` or `$LOGNAME`, or "unknown").
    pub user: String,
    /// The command holding it: "apply", "import", ...
    pub operation: String,
    /// When it was taken, RFC 3339 UTC (`2026-11-22T10:04:05Z`).
    pub created: String,
    /// The state file it guards.
    pub path: String,
}

impl LockInfo {
    fn now(operation: &str, state: &Path) -> LockInfo {
        LockInfo {
            id: random_id(),
            pid: process::id(),
            host: host_name(),
            user: user_name(),
            operation: operation.to_string(),
            created: rfc3339(SystemTime::now()),
            path: state.display().to_string(),
        }
    }
}

/// Proof that this process holds a store's lock. Dropping it empties the record and releases
/// the lock.
#[derive(Debug)]
pub struct LockGuard {
    file: File,
    info: LockInfo,
    lock_path: PathBuf,
    /// Identity of the locked file, to tell whether it is still the store's lock file.
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

/// The text of a file an error points into. Its `Debug` shows only the size: a state can be
/// megabytes.
#[derive(Clone, PartialEq, Eq)]
pub struct FileText(pub String);

impl fmt::Debug for FileText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FileText({} bytes)", self.0.len())
    }
}

/// Why the state could not be read, written, locked or unlocked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file operation failed.
    #[error("cannot {action} {}: {source}", .path.display())]
    Io {
        /// What was being done to `path`: "read", "write", "replace", ...
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    /// Not JSON, or not the shape of a state.
    #[error("the state in {} is not valid: {message}", .path.display())]
    Parse {
        path: PathBuf,
        message: String,
        /// Byte offset of the problem in `text`.
        at: usize,
        text: FileText,
    },
    /// The state's `format_version` is newer than [`FORMAT_VERSION`].
    #[error(
        "state was written by a newer ipam (format {found}, this build reads {})",
        FORMAT_VERSION
    )]
    NewerFormat {
        path: PathBuf,
        found: u32,
        text: FileText,
    },
    /// The state could not be turned into JSON.
    #[error("cannot encode the state: {0}")]
    Encode(#[source] serde_json::Error),
    /// Another writer holds the lock; `info` is its record, `None` while it is being written.
    #[error("the state is locked by another operation")]
    Locked {
        path: PathBuf,
        info: Option<Box<LockInfo>>,
    },
    /// force-unlock found no lock record (`unreadable`: a record it cannot read).
    #[error("no lock is held on {}", .path.display())]
    NoLock { path: PathBuf, unreadable: bool },
    /// force-unlock was given another ID than the lock's.
    #[error("the state lock has ID {}, not {given}", .info.id)]
    WrongLockId {
        path: PathBuf,
        given: String,
        info: Box<LockInfo>,
    },
    /// The lock was force-unlocked while this process held it; the state was not written.
    #[error("the lock on {} was broken while this operation held it", .path.display())]
    LockLost { path: PathBuf },
    /// A save was given another store's lock.
    #[error("the lock held is {}, not the lock of {}", .held.display(), .path.display())]
    WrongLock { held: PathBuf, path: PathBuf },
}

impl StoreError {
    fn io(action: &'static str, path: &Path, source: io::Error) -> StoreError {
        StoreError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }

    /// The error as one diagnostic: located in the state file where it has a place there,
    /// with what to do about it.
    pub fn diagnostics(&self) -> Diagnostics {
        let mut sources = Sources::default();
        let diag = match self {
            StoreError::Io {
                action,
                path,
                source,
            } => {
                let d = Diag::error(
                    "ipam::state::io",
                    format!("cannot {action} {}: {source}", path.display()),
                );
                match source.kind() {
                    io::ErrorKind::IsADirectory => d.help(
                        "the state is a file (`ipam.state.json`); give a file path to --state",
                    ),
                    io::ErrorKind::PermissionDenied => {
                        d.help("the state's directory must be readable and writable by you")
                    }
                    _ => d,
                }
            }
            StoreError::Parse {
                path,
                message,
                at,
                text,
            } => {
                let file = sources.add(path, text.0.clone());
                let span = char_span(&text.0, *at);
                Diag::error(
                    "ipam::state::parse",
                    format!("the state in {} is not valid", path.display()),
                )
                .at(&Loc::new(file, span), message.clone())
                .help(format!(
                    "the file was damaged or edited by hand; fix it, or restore the previous \
                     version: `cp {} {}`",
                    with_suffix(path, ".backup").display(),
                    path.display()
                ))
            }
            StoreError::NewerFormat { path, found, text } => {
                let d =
                    Diag::error("ipam::state::newer_format", self.to_string()).help("upgrade ipam");
                match format_version_span(&text.0) {
                    Some(span) => {
                        let file = sources.add(path, text.0.clone());
                        d.at(&Loc::new(file, span), format!("format {found}"))
                    }
                    None => d,
                }
            }
            StoreError::Encode(e) => Diag::error(
                "ipam::state::encode",
                format!("cannot encode the state: {e}"),
            ),
            StoreError::Locked { path, info } => {
                let lock = with_suffix(path, ".lock");
                match info {
                    Some(info) => Diag::error(
                        "ipam::state::locked",
                        format!(
                            "the state {} is locked by another operation\n{}",
                            path.display(),
                            describe(info)
                        ),
                    )
                    .help(format!(
                        "wait for it to finish, pass --lock-timeout 60s to wait, or if the \
                         holder is gone for good run `ipam force-unlock {}`",
                        info.id
                    )),
                    None => Diag::error(
                        "ipam::state::locked",
                        format!(
                            "the state {} is locked by another operation (its record in {} \
                             is not written yet)",
                            path.display(),
                            lock.display()
                        ),
                    )
                    .help("wait for it to finish, or pass --lock-timeout 60s to wait"),
                }
            }
            StoreError::NoLock { path, unreadable } => {
                let lock = with_suffix(path, ".lock");
                if *unreadable {
                    Diag::error(
                        "ipam::state::no_lock",
                        format!(
                            "the lock record in {} cannot be read, so its ID is unknown",
                            lock.display()
                        ),
                    )
                    .help(format!(
                        "if no ipam is running against this state, delete {}",
                        lock.display()
                    ))
                } else {
                    Diag::error(
                        "ipam::state::no_lock",
                        format!("no lock is held on {}", path.display()),
                    )
                    .help("there is nothing to unlock")
                }
            }
            StoreError::WrongLockId { path, given, info } => Diag::error(
                "ipam::state::wrong_lock_id",
                format!(
                    "the lock on {} has ID {}, not {given}\n{}",
                    path.display(),
                    info.id,
                    describe(info)
                ),
            )
            .help(format!(
                "if that is the lock to break, run `ipam force-unlock {}`",
                info.id
            )),
            StoreError::LockLost { path } => Diag::error(
                "ipam::state::lock_lost",
                format!(
                    "the lock on {} was broken (`ipam force-unlock`) while this operation held \
                     it; the state was not written",
                    path.display()
                ),
            )
            .help("another operation may have changed the state since; run this one again"),
            StoreError::WrongLock { held, path } => Diag::error(
                "ipam::state::wrong_lock",
                format!(
                    "cannot write {}: the lock held is {}, not {}",
                    path.display(),
                    held.display(),
                    with_suffix(path, ".lock").display()
                ),
            ),
        };
        Diagnostics::new(sources, vec![diag])
    }
}

/// 16 hex digits of randomness: a lock ID.
pub fn random_id() -> String {
    random_hex(1)
}

/// 32 hex digits of randomness: a new state's lineage.
pub fn new_lineage() -> String {
    random_hex(2)
}

/// `words` × 16 hex digits. Each word is SipHash under a fresh `RandomState` (keyed from the
/// OS's randomness) of a counter, the pid and the time, so IDs differ across processes,
/// machines and calls.
fn random_hex(words: usize) -> String {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    (0..words)
        .map(|_| {
            let mut h = RandomState::new().build_hasher();
            h.write_u64(CALLS.fetch_add(1, Ordering::Relaxed));
            h.write_u32(process::id());
            h.write_u128(nanos);
            format!("{:016x}", h.finish())
        })
        .collect()
}

/// Only what `load` needs before trusting the rest: every other field is ignored.
#[derive(Deserialize)]
struct Header {
    format_version: u32,
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Makes the renames in `dir` durable.
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    sync_directory(dir).map_err(|e| StoreError::io("sync the directory", dir, e))
}

/// Syncs a directory, so that renames in it survive a crash. File systems that cannot sync
/// a directory say so; there is nothing more to do there.
pub fn sync_directory(dir: &Path) -> io::Result<()> {
    match File::open(dir).and_then(|d| d.sync_all()) {
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::InvalidInput | io::ErrorKind::Unsupported
            ) =>
        {
            Ok(())
        }
        other => other,
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

/// The lines of a lock record shown in diagnostics.
fn describe(info: &LockInfo) -> String {
    format!(
        "  ID:        {}\n  operation: {}\n  who:       {}@{}, pid {}\n  since:     {}",
        info.id, info.operation, info.user, info.host, info.pid, info.created
    )
}

fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| non_empty(fs::read_to_string(p).ok()))
        .or_else(|| non_empty(std::env::var("HOSTNAME").ok()))
        .unwrap_or_else(|| "unknown".into())
}

fn user_name() -> String {
    ["USER", "LOGNAME"]
        .iter()
        .find_map(|v| non_empty(std::env::var(v).ok()))
        .unwrap_or_else(|| "unknown".into())
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// `time` as RFC 3339 UTC to the second, e.g. `2026-11-22T10:04:05Z`.
fn rfc3339(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (year, month, day) = civil_from_days(secs / 86_400);
    let second_of_day = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60
    )
}

/// Year, month, day of a count of days since 1970-01-01 in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`, for days on or after the epoch).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Counted from 0000-03-01, so that the leap day ends each 4-year cycle.
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    (year, month, day)
}

/// serde_json's message without its " at line L column C" (the diagnostic shows the place).
fn serde_message(e: &serde_json::Error) -> String {
    let message = e.to_string();
    let position = format!(" at line {} column {}", e.line(), e.column());
    match message.strip_suffix(&position) {
        Some(m) => m.to_string(),
        None => message,
    }
}

/// Byte offset of serde_json's 1-based line and column (a column counts the bytes read on
/// that line, up to and including the offending one).
fn byte_offset(text: &str, line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        text.match_indices('\n')
            .nth(line - 2)
            .map_or(text.len(), |(i, _)| i + 1)
    };
    let mut at = (line_start + column.saturating_sub(1)).min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The character at `at`, or an empty span at a line end or the end of the text.
fn char_span(text: &str, at: usize) -> Range<usize> {
    match text.get(at..).and_then(|rest| rest.chars().next()) {
        Some(c) if c != '\n' && c != '\r' => at..at + c.len_utf8(),
        _ => at..at,
    }
}

/// The span of the number in `"format_version": N`, to point at a refused version.
fn format_version_span(text: &str) -> Option<Range<usize>> {
    let key = "\"format_version\"";
    let after_key = text.find(key)? + key.len();
    let rest = &text[after_key..];
    let after_colon = rest.trim_start().strip_prefix(':')?;
    let value = after_colon.trim_start();
    let start = text.len() - value.len();
    let len = value.bytes().take_while(u8::is_ascii_digit).count();
    (len > 0).then(|| start..start + len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Records;

    /// A fresh directory under the system's temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> TempDir {
            static N: AtomicU64 = AtomicU64::new(0);
            let dir = std::env::temp_dir().join(format!(
                "ipam-store-{name}-{}-{}-{}",
                process::id(),
                N.fetch_add(1, Ordering::Relaxed),
                random_id()
            ));
            fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }

        fn store(&self) -> Store {
            Store::new(self.0.join("ipam.state.json"))
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

    fn lock(store: &Store) -> LockGuard {
        store.lock("apply", Duration::ZERO).unwrap()
    }

    /// The one diagnostic of an error: its code, message, and line of its location if any.
    fn diag(e: &StoreError) -> (Diag, Option<usize>) {
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
        store.save(&s, &guard).unwrap();
        assert_eq!(store.load().unwrap(), Some(s.clone()));
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
        store.save(&first, &guard).unwrap();
        assert!(!store.backup_path().exists());
        store.save(&second, &guard).unwrap();
        assert_eq!(store.load().unwrap(), Some(second));
        let backup = Store::new(store.backup_path()).load().unwrap();
        assert_eq!(backup, Some(first));
        assert_eq!(
            dir.names(),
            [
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
        store.save(&state(1), &guard).unwrap();
        let before = fs::read(store.path()).unwrap();
        // A directory where the temp file goes makes the save fail at its first step.
        let temp = store.temp_path("tmp").unwrap();
        fs::create_dir(&temp).unwrap();
        let e = store.save(&state(2), &guard).unwrap_err();
        assert!(
            matches!(
                e,
                StoreError::Io {
                    action: "create",
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(fs::read(store.path()).unwrap(), before);
        assert!(!store.backup_path().exists());
        assert_eq!(diag(&e).0.code, "ipam::state::io");
    }

    #[test]
    fn missing_state_loads_as_none() {
        let dir = TempDir::new("missing");
        assert_eq!(dir.store().load().unwrap(), None);
    }

    #[test]
    fn directory_is_an_io_error_naming_it() {
        let dir = TempDir::new("directory");
        let store = Store::new(&dir.0);
        let e = store.load().unwrap_err();
        let StoreError::Io { path, .. } = &e else {
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
        let e = store.load().unwrap_err();
        assert!(
            matches!(e, StoreError::NewerFormat { found: 2, .. }),
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
        let e = store.load().unwrap_err();
        assert!(matches!(e, StoreError::NewerFormat { found, .. } if found == FORMAT_VERSION + 1));
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
        let e = store.load().unwrap_err();
        assert!(matches!(e, StoreError::Parse { .. }), "{e:?}");
        let (d, line) = diag(&e);
        assert_eq!(d.code, "ipam::state::parse");
        assert_eq!(line, Some(3));
        let loc = d.loc.unwrap();
        assert_eq!(loc.span.len(), 1);
        assert!(d.help.unwrap().contains("ipam.state.json.backup"));
        assert!(!d.label.contains("at line"), "{}", d.label);
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
        let e = store.load().unwrap_err();
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
        store.save(&state(1), &guard).unwrap();
        let text = fs::read_to_string(store.path()).unwrap();
        let cut = &text[..text.len() / 2];
        fs::write(store.path(), cut).unwrap();
        let e = store.load().unwrap_err();
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
        let e = store.load().unwrap_err();
        let StoreError::Parse { at, .. } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(*at, 16);
        assert_eq!(diag(&e).1, Some(2));
    }

    #[test]
    fn second_lock_fails_at_once_with_the_holders_record() {
        let dir = TempDir::new("locked");
        let store = dir.store();
        let first = store.lock("apply", Duration::ZERO).unwrap();
        assert_eq!(first.info().operation, "apply");
        assert_eq!(first.info().pid, process::id());
        assert_eq!(first.info().path, store.path().display().to_string());
        let e = store.lock("import", Duration::ZERO).unwrap_err();
        let StoreError::Locked { info, .. } = &e else {
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
        let e = store.lock("apply", timeout).unwrap_err();
        assert!(start.elapsed() >= timeout);
        assert!(
            matches!(e, StoreError::Locked { info: Some(_), .. }),
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
        let second = store.lock("apply", Duration::from_secs(30)).unwrap();
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
        let record: LockInfo =
            serde_json::from_slice(&fs::read(store.lock_path()).unwrap()).unwrap();
        assert_eq!(&record, second.info());
    }

    #[test]
    fn stale_record_without_a_holder_does_not_block() {
        let dir = TempDir::new("stale");
        let store = dir.store();
        let mut dead = LockInfo::now("apply", store.path());
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
        store.save(&state(1), &old).unwrap();

        let e = store.force_unlock("0000000000000000").unwrap_err();
        let StoreError::WrongLockId { info, .. } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(&**info, old.info());
        let (d, _) = diag(&e);
        assert_eq!(d.code, "ipam::state::wrong_lock_id");
        assert!(d.message.contains(&old.info().id));

        let removed = store.force_unlock(&old.info().id).unwrap();
        assert_eq!(&removed, old.info());
        assert!(!store.lock_path().exists());

        // The old holder is still alive; a new writer gets the lock all the same, and the
        // old one can no longer write.
        let new = lock(&store);
        store.save(&state(2), &new).unwrap();
        let e = store.save(&state(3), &old).unwrap_err();
        assert!(matches!(e, StoreError::LockLost { .. }), "{e:?}");
        assert_eq!(diag(&e).0.code, "ipam::state::lock_lost");
        assert_eq!(store.load().unwrap().map(|s| s.serial), Some(2));
        drop(old);
        // Dropping the broken guard leaves the new holder's record alone.
        let record: LockInfo =
            serde_json::from_slice(&fs::read(store.lock_path()).unwrap()).unwrap();
        assert_eq!(&record, new.info());
    }

    #[test]
    fn force_unlock_without_a_lock_says_so() {
        let dir = TempDir::new("no-lock");
        let store = dir.store();
        let e = store.force_unlock("0123456789abcdef").unwrap_err();
        assert!(
            matches!(
                e,
                StoreError::NoLock {
                    unreadable: false,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(diag(&e).0.code, "ipam::state::no_lock");
        assert!(e.to_string().starts_with("no lock is held"));

        drop(lock(&store));
        let e = store.force_unlock("0123456789abcdef").unwrap_err();
        assert!(
            matches!(
                e,
                StoreError::NoLock {
                    unreadable: false,
                    ..
                }
            ),
            "{e:?}"
        );

        fs::write(store.lock_path(), "{\"id\": \"01").unwrap();
        let e = store.force_unlock("0123456789abcdef").unwrap_err();
        assert!(
            matches!(
                e,
                StoreError::NoLock {
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
        let other = Store::new(dir.0.join("other.state.json"));
        let guard = lock(&other);
        let e = store.save(&state(1), &guard).unwrap_err();
        assert!(matches!(e, StoreError::WrongLock { .. }), "{e:?}");
        assert!(!store.path().exists());
    }

    #[test]
    fn lock_creates_the_state_directory() {
        let dir = TempDir::new("nested");
        let store = Store::new(dir.0.join("a/b/ipam.state.json"));
        let guard = lock(&store);
        store.save(&state(1), &guard).unwrap();
        assert!(store.load().unwrap().is_some());
    }

    #[test]
    fn paths_sit_beside_the_state() {
        let store = Store::new("plans/ipam.state.json");
        assert_eq!(store.path(), Path::new("plans/ipam.state.json"));
        assert_eq!(
            store.backup_path(),
            Path::new("plans/ipam.state.json.backup")
        );
        assert_eq!(store.lock_path(), Path::new("plans/ipam.state.json.lock"));
        assert_eq!(Store::new("ipam.state.json").dir(), Path::new("."));
    }

    #[test]
    fn ids_are_random_hex() {
        let is_hex = |s: &str| s.bytes().all(|b| b.is_ascii_hexdigit());
        let a = random_id();
        let b = random_id();
        assert_eq!(a.len(), 16);
        assert!(is_hex(&a));
        assert_ne!(a, b);
        let lineage = new_lineage();
        assert_eq!(lineage.len(), 32);
        assert!(is_hex(&lineage));
        assert_ne!(lineage[..16], lineage[16..]);
    }

    #[test]
    fn times_are_rfc3339_utc() {
        let at = |secs| rfc3339(UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_827_696), "2000-02-29T12:34:56Z");
        assert_eq!(at(951_868_800), "2000-03-01T00:00:00Z");
        assert_eq!(at(1_798_761_599), "2026-12-31T23:59:59Z");
        assert_eq!(at(4_107_542_400), "2100-03-01T00:00:00Z");
    }

    #[test]
    fn serde_positions_become_byte_offsets() {
        let text = "ab\ncdé\nf";
        assert_eq!(byte_offset(text, 1, 1), 0);
        assert_eq!(byte_offset(text, 2, 2), 4);
        assert_eq!(byte_offset(text, 3, 1), 8);
        assert_eq!(byte_offset(text, 3, 0), 8);
        assert_eq!(byte_offset(text, 9, 9), text.len());
        assert_eq!(char_span(text, 5), 5..7);
        assert_eq!(char_span(text, 2), 2..2);
        assert_eq!(char_span(text, text.len()), text.len()..text.len());
    }
}
