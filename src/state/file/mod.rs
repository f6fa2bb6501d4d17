//! The file backend (SPEC §7): `ipam.state.json` beside the plan, for one person or one
//! machine.
//!
//! A save writes the new state to a synced temp file beside the old one and renames it over
//! it, so a crash at any instant leaves the complete old or the complete new state, never a
//! torn one; the previous version is kept as `<path>.backup`. Writers hold a one-writer lock
//! ([`lock`]).

mod lock;
#[cfg(test)]
mod tests;

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

pub use lock::LockGuard;

use super::error::{byte_offset, serde_message, with_suffix};
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
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                // The lossy text keeps every byte before `at` as it is.
                let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
                return Err(StateError::Parse {
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
            Ok(state) if state.format_version > FORMAT_VERSION => Err(StateError::NewerFormat {
                path: self.path.clone(),
                found: state.format_version,
                text: FileText(text),
            }),
            Ok(state) => Ok(Some(state)),
            Err(e) => {
                if let Ok(header) = serde_json::from_str::<Header>(&text)
                    && header.format_version > FORMAT_VERSION
                {
                    return Err(StateError::NewerFormat {
                        path: self.path.clone(),
                        found: header.format_version,
                        text: FileText(text),
                    });
                }
                Err(StateError::Parse {
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
    /// the temp file removed. `lock` must be this state's lock, still held.
    ///
    /// A state path that is a symbolic link is written through: the file it points to is
    /// replaced (its backup and temp files beside it), and the link stays a link.
    pub fn write(&self, state: &State, lock: &LockGuard) -> Result<(), StateError> {
        self.check_lock(lock)?;
        let mut text = serde_json::to_vec_pretty(state).map_err(StateError::Encode)?;
        text.push(b'\n');
        let target = match fs::symlink_metadata(&self.path) {
            Ok(m) if m.file_type().is_symlink() => FileBackend::new(
                fs::canonicalize(&self.path)
                    .map_err(|e| StateError::io("follow the link", &self.path, e))?,
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

    /// The directory the state, its backup, lock and temp files live in.
    fn dir(&self) -> &Path {
        match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        }
    }

    /// A hidden name beside the state, unique to this process: `.<name>.<what>.<pid>`.
    fn temp_path(&self, what: &str) -> Result<PathBuf, StateError> {
        let Some(name) = self.path.file_name() else {
            return Err(StateError::io(
                "write",
                &self.path,
                io::Error::new(io::ErrorKind::InvalidInput, "the state path names no file"),
            ));
        };
        let mut temp = std::ffi::OsString::from(".");
        temp.push(name);
        temp.push(format!(".{what}.{}", std::process::id()));
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
            match fs::remove_file(&temp) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(StateError::io("remove", &temp, e)),
            }
            if fs::hard_link(&self.path, &temp).is_err() {
                fs::copy(&self.path, &temp)
                    .and_then(|_| File::open(&temp))
                    .and_then(|f| f.sync_all())
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

    fn lock(
        &self,
        operation: &str,
        timeout: Duration,
    ) -> Result<Box<dyn Session + '_>, StateError> {
        let guard = self.take_lock(operation, timeout)?;
        Ok(Box::new(FileSession {
            backend: self,
            guard,
            read: None,
        }))
    }

    fn force_unlock(&self, id: &str) -> Result<LockInfo, StateError> {
        self.break_lock(id)
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

/// A writer of a file state: its lock, and the identity of the state file it read.
struct FileSession<'a> {
    backend: &'a FileBackend,
    guard: LockGuard,
    /// Set by `load`: the state file's identity (`None`: no file) and serial when read.
    read: Option<(Option<Identity>, Option<u64>)>,
}

impl Session for FileSession<'_> {
    fn info(&self) -> &LockInfo {
        self.guard.info()
    }

    fn load(&mut self) -> Result<Option<State>, StateError> {
        let before = self.backend.identity()?;
        let state = self.backend.read()?;
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
        if serial != read || self.backend.identity()? != identity {
            return Err(StateError::Changed {
                location: self.backend.location.clone(),
                read,
            });
        }
        self.backend.write(next, &self.guard)?;
        self.read = Some((self.backend.identity()?, Some(next.serial)));
        Ok(())
    }
}

/// Writes `bytes` to a new file at `temp` and syncs it, with the permissions of `like` when
/// that exists (the file it will replace); says whether it did.
fn write_temp(temp: &Path, bytes: &[u8], like: &Path) -> Result<bool, StateError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(temp)
        .map_err(|e| StateError::io("create", temp, e))?;
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

/// Replaces the file at `path` with `bytes` crash-safely, as the state itself is written:
/// a synced temp file beside it (keeping its permissions), renamed over it, the directory
/// synced. A crash leaves the old text or the new one. Used for plan files `ipam import`
/// writes.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StateError> {
    let beside = FileBackend::new(path);
    let temp = beside.temp_path("tmp")?;
    let result = write_temp(&temp, bytes, path)
        .and_then(|_| fs::rename(&temp, path).map_err(|e| StateError::io("replace", path, e)));
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
