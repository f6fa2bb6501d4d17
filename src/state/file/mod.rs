//! The file backend (SPEC §7): `ipam.state.json` beside the plan, for one person or one
//! machine.
//!
//! A save writes the new state to a synced temp file beside the old one and renames it over
//! it, so a crash at any instant leaves the complete old or the complete new state, never a
//! torn one; the previous version is kept as `<path>.backup`. Writers hold a one-writer lock
//! ([`lock`](mod@lock)).
//!
//! Nothing is followed where it should not be (SPEC §13): writers work on the state's real
//! path (every symbolic link resolved, so two links to one state share one lock); lock, commit
//! and temp files are opened without following links, temp files under unpredictable names
//! created exclusively; leftovers of a crashed writer are removed by the next one; a save
//! checks, under a short commit lock that `force-unlock` also takes, that the lock is still
//! its own and the state is still the one it read.
//!
//! The history of applies and recorded audits is `<path>.history` ([`history`]).

mod history;
mod lock;
#[cfg(test)]
mod tests;

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

pub use lock::LockGuard;

use super::error::{byte_offset, serde_message, with_suffix};
use super::history::{Record, Skipped, Time};
use super::{
    Backend, Changes, FORMAT_VERSION, Location, LockInfo, Session, State, StateError, Version,
    error::FileText,
};

/// The state file at one path, with its backup and lock file beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileBackend {
    location: Location,
    path: PathBuf,
}

impl FileBackend {
    /// The state file at `path`; nothing is touched until it is used.
    pub fn new(path: impl Into<PathBuf>) -> FileBackend {
        let path = path.into();
        FileBackend {
            location: Location::File(path.clone()),
            path,
        }
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
    pub fn read(&self) -> Result<Option<State>, StateError> {
        let bytes = match fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StateError::io("read", &self.path, e)),
        };
        decode(&self.path, bytes).map(Some)
    }

    /// Replaces the state crash-safely: the new text goes to a synced temp file in the same
    /// directory, the old file is kept as the backup, the temp file is renamed over the state
    /// and the directory synced. On an error before the rename the old state is untouched and
    /// the temp file removed. `lock` must be this state's lock, still held; `expect`, when
    /// given, is the identity the state file must still have (compare and swap). Both are
    /// checked under the commit lock, which `force-unlock` takes too, so a writer whose lock
    /// was broken can never save after its successor.
    ///
    /// Call it on the state's real path ([`FileBackend::real`]): a symbolic link there would
    /// be replaced by a file.
    pub fn write(&self, state: &State, lock: &LockGuard) -> Result<(), StateError> {
        self.commit(state, lock, None)
    }

    fn commit(
        &self,
        state: &State,
        lock: &LockGuard,
        expect: Option<Option<Identity>>,
    ) -> Result<(), StateError> {
        let mut text = serde_json::to_vec_pretty(state).map_err(StateError::Encode)?;
        text.push(b'\n');
        let _commit = self.commit_lock()?;
        self.check_lock(lock)?;
        if let Some(expect) = expect
            && self.identity()? != expect
        {
            return Err(StateError::Changed {
                location: self.location.clone(),
                read: None,
            });
        }
        let temp = self.temp_path("tmp")?;
        if let Err(e) = self.replace(&temp, &text) {
            // Best effort: the error being reported is the one that matters.
            let _ = fs::remove_file(&temp);
            return Err(e);
        }
        sync_dir(self.dir())
    }

    /// The same state at its real path: every symbolic link of the path resolved (the state
    /// file itself when it is a link, else its directory), so every name for one state leads
    /// to one lock. `create` makes the directory first (a new state's).
    pub fn real(&self, create: bool) -> Result<FileBackend, StateError> {
        match fs::symlink_metadata(&self.path) {
            Ok(m) if m.file_type().is_symlink() => {
                let real = fs::canonicalize(&self.path)
                    .map_err(|e| StateError::io("follow the symbolic link", &self.path, e))?;
                return Ok(FileBackend::new(real));
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(StateError::io("read", &self.path, e)),
        }
        let dir = self.dir();
        if create {
            fs::create_dir_all(dir).map_err(|e| StateError::io("create the directory", dir, e))?;
        }
        let name = self.file_name()?;
        match fs::canonicalize(dir) {
            Ok(real) => Ok(FileBackend::new(real.join(name))),
            Err(e) if e.kind() == io::ErrorKind::NotFound && !create => Ok(self.clone()),
            Err(e) => Err(StateError::io("read", dir, e)),
        }
    }

    fn file_name(&self) -> Result<&std::ffi::OsStr, StateError> {
        self.path.file_name().ok_or_else(|| {
            StateError::io(
                "write",
                &self.path,
                io::Error::new(io::ErrorKind::InvalidInput, "the state path names no file"),
            )
        })
    }

    /// Removes what crashed writers left beside the state: their temp files (each writer's
    /// are unpredictable names under `.<name>.`). Called under the lock, when no other writer
    /// can be writing one. Best effort: a file that cannot be removed is left.
    fn remove_leftovers(&self) {
        let Ok(name) = self.file_name() else { return };
        let mut prefix = std::ffi::OsString::from(".");
        prefix.push(name);
        let prefix = prefix.to_string_lossy().into_owned();
        let Ok(entries) = fs::read_dir(self.dir()) else {
            return;
        };
        for entry in entries.flatten() {
            let file = entry.file_name();
            let file = file.to_string_lossy();
            let leftover = [".tmp.", ".backup."]
                .iter()
                .any(|what| file.starts_with(&format!("{prefix}{what}")));
            if leftover
                && entry
                    .file_type()
                    .is_ok_and(|t| t.is_file() || t.is_symlink())
            {
                let _ = fs::remove_file(entry.path());
            }
        }
    }

    /// The directory the state, its backup, lock and temp files live in.
    fn dir(&self) -> &Path {
        match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        }
    }

    /// A hidden name beside the state that nobody can guess: `.<name>.<what>.<random>`.
    /// It is created exclusively, never through a link.
    fn temp_path(&self, what: &str) -> Result<PathBuf, StateError> {
        let mut temp = std::ffi::OsString::from(".");
        temp.push(self.file_name()?);
        temp.push(format!(".{what}.{}", super::ids::random_id()));
        Ok(self.dir().join(temp))
    }

    /// Every step of a save up to and including the rename over the state.
    fn replace(&self, temp: &Path, text: &[u8]) -> Result<(), StateError> {
        let existed = write_temp(temp, text, &self.path)?;
        if existed {
            self.keep_backup()?;
        }
        fs::rename(temp, &self.path).map_err(|e| StateError::io("replace", &self.path, e))
    }

    /// Makes `<path>.backup` the current state, atomically: a hard link (or, where the file
    /// system has none, a synced copy) under a temp name, renamed over the backup.
    fn keep_backup(&self) -> Result<(), StateError> {
        let temp = self.temp_path("backup")?;
        let backup = self.backup_path();
        let result = (|| {
            // A hard link fails if the name exists; so does the copy's exclusive create.
            if fs::hard_link(&self.path, &temp).is_err() {
                let mut from = File::open(&self.path)
                    .map_err(|e| StateError::io("copy the state to", &temp, e))?;
                let mut to = create_new(&temp)?;
                io::copy(&mut from, &mut to)
                    .and_then(|_| to.sync_all())
                    .map_err(|e| StateError::io("copy the state to", &temp, e))?;
            }
            fs::rename(&temp, &backup).map_err(|e| StateError::io("replace", &backup, e))
        })();
        if result.is_err() {
            let _ = fs::remove_file(&temp);
        }
        result
    }

    /// The identity of the state file now (`None`: there is none), to tell whether it was
    /// replaced since it was read: every save renames a new file into place.
    fn identity(&self) -> Result<Option<Identity>, StateError> {
        match fs::metadata(&self.path) {
            Ok(m) => Ok(Some((m.dev(), m.ino()))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StateError::io("read", &self.path, e)),
        }
    }
}

impl Backend for FileBackend {
    fn location(&self) -> &Location {
        &self.location
    }

    fn load(&self) -> Result<Option<State>, StateError> {
        self.read()
    }

    fn exists(&self) -> Result<bool, StateError> {
        Ok(self.identity()?.is_some())
    }

    fn lock(
        &self,
        operation: &str,
        timeout: Duration,
    ) -> Result<Box<dyn Session + '_>, StateError> {
        let real = self.real(true)?;
        let guard = real
            .take_lock(operation, timeout)
            .map_err(|e| e.at(&self.location))?;
        real.remove_leftovers();
        Ok(Box::new(FileSession {
            location: self.location.clone(),
            given: self.clone(),
            real,
            guard,
            read: None,
        }))
    }

    fn force_unlock(&self, id: &str) -> Result<LockInfo, StateError> {
        self.real(false)?
            .break_lock(id)
            .map_err(|e| e.at(&self.location))
    }

    /// The backup, then the current state; the backup's own changes are not known (the
    /// state before it is gone) and a file records no writer.
    fn versions(&self) -> Result<Vec<Version>, StateError> {
        let backup = FileBackend::new(self.backup_path());
        let older = backup.read()?;
        let current = self.read()?;
        let mut versions = Vec::new();
        if let Some(old) = &older {
            versions.push(backup.version_of(old, None)?);
        }
        if let Some(state) = &current {
            let changes = match &older {
                Some(old) if old.lineage == state.lineage && old.serial < state.serial => {
                    Some(Changes::between(Some(&old.resources), &state.resources))
                }
                _ => None,
            };
            versions.push(self.version_of(state, changes)?);
        }
        Ok(versions)
    }

    fn version(&self, serial: u64) -> Result<Option<State>, StateError> {
        for file in [self.clone(), FileBackend::new(self.backup_path())] {
            if let Some(state) = file.read()?
                && state.serial == serial
            {
                return Ok(Some(state));
            }
        }
        Ok(None)
    }

    fn history(
        &self,
        since: Option<Time>,
        each: &mut dyn FnMut(Record),
    ) -> Result<Vec<Skipped>, StateError> {
        self.real(false)?.read_history(since, each)
    }
}

impl FileBackend {
    /// `state`, read from this file, as a kept version: written when the file was.
    fn version_of(&self, state: &State, changes: Option<Changes>) -> Result<Version, StateError> {
        let written = fs::metadata(&self.path)
            .and_then(|m| m.modified())
            .map_err(|e| StateError::io("read", &self.path, e))?;
        Ok(Version {
            serial: state.serial,
            lineage: state.lineage.clone(),
            written: super::rfc3339(written),
            who: None,
            changes,
        })
    }
}

/// A file's identity (device, inode): a save always renames a new file into place.
type Identity = (u64, u64);

/// A writer of a file state: its lock, taken on the state's real path, and the identity of
/// the state file it read.
struct FileSession {
    /// As the user gave it: read through it (its messages name that path), and named in
    /// errors.
    location: Location,
    given: FileBackend,
    real: FileBackend,
    guard: LockGuard,
    /// Set by `load`: the state file's identity (`None`: no file) and serial when read.
    read: Option<(Option<Identity>, Option<u64>)>,
}

impl Session for FileSession {
    fn info(&self) -> &LockInfo {
        self.guard.info()
    }

    fn load(&mut self) -> Result<Option<State>, StateError> {
        let before = self.real.identity()?;
        let state = self.given.read()?;
        self.read = Some((before, state.as_ref().map(|s| s.serial)));
        Ok(state)
    }

    fn save(&mut self, next: &State, read: Option<u64>) -> Result<(), StateError> {
        // The state must still be the one this session read, at the serial the caller read.
        let (identity, serial) = match self.read {
            Some(seen) => seen,
            None => {
                self.load()?;
                self.read.unwrap_or((None, None))
            }
        };
        let changed = || StateError::Changed {
            location: self.location.clone(),
            read,
        };
        if serial != read {
            return Err(changed());
        }
        match self.real.commit(next, &self.guard, Some(identity)) {
            Err(StateError::Changed { .. }) => return Err(changed()),
            Err(e) => return Err(e.at(&self.location)),
            Ok(()) => {}
        }
        self.read = Some((self.real.identity()?, Some(next.serial)));
        Ok(())
    }

    fn append_history(&mut self, record: &Record) -> Result<(), StateError> {
        self.real
            .append_history(record, &self.guard)
            .map_err(|e| e.at(&self.location))
    }
}

/// A state file's bytes as a state, or why they are not one (located in the text). A newer
/// format is refused before its shape is read. `read` uses it, and so can anything that
/// holds a state's bytes (the fuzz targets do).
pub fn decode(path: &Path, bytes: Vec<u8>) -> Result<State, StateError> {
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            // The lossy text keeps every byte before `at` as it is.
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            return Err(StateError::Parse {
                path: path.to_path_buf(),
                message: "this is not UTF-8 text".into(),
                at,
                text: FileText(text),
            });
        }
    };
    if text.trim().is_empty() {
        return Err(StateError::Parse {
            path: path.to_path_buf(),
            message: "the file is empty; a state is the JSON object `ipam apply` writes".into(),
            at: 0,
            text: FileText(text),
        });
    }
    // One pass over the text when it is readable (states hold 100k+ records); the
    // version alone is read only when the whole is not, to tell a newer format from a
    // damaged file. Either way a newer format is refused before anything else.
    match serde_json::from_str::<State>(&text) {
        Ok(state) if state.format_version > FORMAT_VERSION => Err(StateError::NewerFormat {
            path: path.to_path_buf(),
            found: state.format_version,
            text: FileText(text),
        }),
        Ok(state) => Ok(state),
        Err(e) => {
            if let Ok(header) = serde_json::from_str::<Header>(&text)
                && header.format_version > FORMAT_VERSION
            {
                return Err(StateError::NewerFormat {
                    path: path.to_path_buf(),
                    found: header.format_version,
                    text: FileText(text),
                });
            }
            Err(StateError::Parse {
                path: path.to_path_buf(),
                message: serde_message(&e),
                at: byte_offset(&text, e.line(), e.column()),
                text: FileText(text),
            })
        }
    }
}

/// Writes `bytes` to a new file at `temp` and syncs it, with the permissions of `like` when
/// that exists (the file it will replace); says whether it did.
fn write_temp(temp: &Path, bytes: &[u8], like: &Path) -> Result<bool, StateError> {
    let mut file = create_new(temp)?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| StateError::io("write", temp, e))?;
    drop(file);
    match fs::symlink_metadata(like) {
        Ok(old) => {
            fs::set_permissions(temp, old.permissions())
                .map_err(|e| StateError::io("set the permissions of", temp, e))?;
            Ok(true)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(StateError::io("read", like, e)),
    }
}

/// A new file at `path`: created exclusively (an existing file or link there is an error),
/// never through a symbolic link.
fn create_new(path: &Path) -> Result<File, StateError> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| StateError::io("create", path, e))
}

/// Replaces the file at `path` with `bytes` crash-safely, as the state itself is written:
/// a synced temp file beside it (unguessable name, keeping its permissions), renamed over it,
/// the directory synced. A crash leaves the old text or the new one. A path that is a
/// symbolic link is written through: the file it points to is replaced, the link stays.
/// Used for the plan files `ipam fmt` and `ipam import` write.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StateError> {
    let beside = FileBackend::new(path).real(false)?;
    beside.remove_leftovers();
    let target = beside.path.as_path();
    let temp = beside.temp_path("tmp")?;
    let result = write_temp(&temp, bytes, target)
        .and_then(|_| fs::rename(&temp, target).map_err(|e| StateError::io("replace", target, e)));
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result?;
    sync_dir(beside.dir())
}

/// Only what `read` needs before trusting the rest: every other field is ignored.
#[derive(Deserialize)]
struct Header {
    format_version: u32,
}

/// Makes the renames in `dir` durable.
fn sync_dir(dir: &Path) -> Result<(), StateError> {
    sync_directory(dir).map_err(|e| StateError::io("sync the directory", dir, e))
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
