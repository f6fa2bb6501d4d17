//! Why a state could not be read, written, locked or unlocked, and each reason as a
//! diagnostic a person can act on: located in the state file where it has a place there.

use std::fmt;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::{FORMAT_VERSION, Location, LockInfo};
use crate::diag::{Diag, Diagnostics, Loc, Sources};

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
pub enum StateError {
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
    /// The state parses but breaks the invariants every state keeps.
    #[error("the state {location} is not sound")]
    Invalid {
        location: Location,
        problems: Vec<super::check::Violation>,
    },
    /// The state could not be turned into JSON.
    #[error("cannot encode the state: {0}")]
    Encode(#[source] serde_json::Error),
    /// Another writer holds the lock; `info` is its record, `None` while it is being written.
    #[error("the state is locked by another operation")]
    Locked {
        location: Location,
        info: Option<Box<LockInfo>>,
    },
    /// force-unlock found no lock record (`unreadable`: a record it cannot read).
    #[error("no lock is held on {location}")]
    NoLock {
        location: Location,
        unreadable: bool,
    },
    /// force-unlock was given another ID than the lock's.
    #[error("the state lock has ID {}, not {given}", .info.id)]
    WrongLockId {
        location: Location,
        given: String,
        info: Box<LockInfo>,
    },
    /// The lock was force-unlocked while this process held it; the state was not written.
    #[error("the lock on {location} was broken while this operation held it")]
    LockLost { location: Location },
    /// The recorded state changed after this writer read it (serial `read`, `None`: no state
    /// then); nothing was written.
    #[error("the state {location} changed since this operation read it")]
    Changed {
        location: Location,
        read: Option<u64>,
    },
    /// A save was given another state's lock.
    #[error("the lock held is {held}, not the lock of {location}")]
    WrongLock { held: String, location: Location },
    /// A state URL that cannot be used.
    #[error(transparent)]
    Url(#[from] super::pg::UrlError),
    /// The PostgreSQL state could not be reached, read or written.
    #[error("{}", .0.diag().message)]
    Postgres(Box<super::pg::PgError>),
}

impl StateError {
    /// The error as seen from `location` (a writer works on the state's real path; the user
    /// named it by another).
    pub fn at(self, location: &Location) -> StateError {
        let location = location.clone();
        match self {
            StateError::Locked { info, .. } => StateError::Locked { location, info },
            StateError::NoLock { unreadable, .. } => StateError::NoLock {
                location,
                unreadable,
            },
            StateError::WrongLockId { given, info, .. } => StateError::WrongLockId {
                location,
                given,
                info,
            },
            StateError::LockLost { .. } => StateError::LockLost { location },
            StateError::Changed { read, .. } => StateError::Changed { location, read },
            StateError::Invalid { problems, .. } => StateError::Invalid { location, problems },
            StateError::WrongLock { held, .. } => StateError::WrongLock { held, location },
            other => other,
        }
    }

    pub(super) fn io(action: &'static str, path: &Path, source: io::Error) -> StateError {
        StateError::Io {
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
            StateError::Io {
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
                    io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => d.help(
                        "free space on the state's disk and run the command again; the state \
                         was left as it was",
                    ),
                    io::ErrorKind::ReadOnlyFilesystem => d.help(
                        "the state's file system is read-only: keep the state on a writable one \
                         (--state), or remount it",
                    ),
                    _ => d.help(
                        "the state was left as it was; fix the cause the message names and run \
                         the command again",
                    ),
                }
            }
            StateError::Parse {
                path,
                message,
                at,
                text,
            } => {
                let file = sources.add(path, text.0.clone());
                let span = char_span(&text.0, *at);
                let backup = with_suffix(path, ".backup");
                let help = if backup.is_file() {
                    format!(
                        "the file was damaged or edited by hand; fix it, or restore the \
                         previous version: `cp {} {}`",
                        backup.display(),
                        path.display()
                    )
                } else {
                    "the file was damaged or edited by hand, and there is no previous version \
                     beside it: fix it, or restore it from where it is kept (version control, \
                     a CI artifact)"
                        .to_string()
                };
                let d = Diag::error(
                    "ipam::state::parse",
                    format!("the state in {} is not valid", path.display()),
                );
                // An empty file has no line to point at: the reason goes in the message.
                if text.0.trim().is_empty() {
                    Diag::error(
                        "ipam::state::parse",
                        format!("the state in {} is not valid: {message}", path.display()),
                    )
                    .help(help)
                } else {
                    // An error at the end of the text (a file cut short) is shown at its last
                    // character: a position past the last line would show no label.
                    let end = text.0.trim_end().len();
                    let span = if span.start >= end {
                        let last = text.0[..end].chars().next_back().map_or(0, char::len_utf8);
                        end - last..end
                    } else {
                        span
                    };
                    d.at(&Loc::new(file, span), message.clone()).help(help)
                }
            }
            StateError::NewerFormat { path, found, text } => {
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
            StateError::Invalid { location, problems } => {
                let diags = problems
                    .iter()
                    .map(|p| {
                        Diag::error(
                            "ipam::state::invalid",
                            format!("the state {location} is not sound: {p}"),
                        )
                        .help(
                            "the state was edited or damaged; nothing was built on it: restore \
                             its previous version or fix the records named",
                        )
                    })
                    .collect();
                return Diagnostics::new(sources, diags);
            }
            StateError::Encode(e) => Diag::error(
                "ipam::state::encode",
                format!("cannot encode the state: {e}"),
            )
            .help("nothing was written; this is a defect of ipam: please report it with the plan"),
            StateError::Locked { location, info } => match info {
                Some(info) => Diag::error(
                    "ipam::state::locked",
                    format!(
                        "the state {location} is locked by another operation\n{}",
                        info.describe()
                    ),
                )
                .help(format!(
                    "wait for it to finish, pass --lock-timeout 60s to wait, or if the holder is \
                     gone for good run `ipam force-unlock {} --state {}`",
                    info.id,
                    shell_word(&location.to_string())
                )),
                None => Diag::error(
                    "ipam::state::locked",
                    format!(
                        "the state {location} is locked by another operation (its record{} is \
                         not written yet)",
                        lock_file(location)
                            .map(|l| format!(" in {}", l.display()))
                            .unwrap_or_default()
                    ),
                )
                .help("wait for it to finish, or pass --lock-timeout 60s to wait"),
            },
            StateError::NoLock {
                location,
                unreadable,
            } => {
                let lock = lock_file(location)
                    .map_or_else(|| location.to_string(), |l| l.display().to_string());
                if *unreadable {
                    Diag::error(
                        "ipam::state::no_lock",
                        format!("the lock record in {lock} cannot be read, so its ID is unknown"),
                    )
                    .help(format!(
                        "if no ipam is running against this state, delete {lock}"
                    ))
                } else {
                    Diag::error(
                        "ipam::state::no_lock",
                        format!("no lock is held on {location}"),
                    )
                    .help("there is nothing to unlock")
                }
            }
            StateError::WrongLockId {
                location,
                given,
                info,
            } => Diag::error(
                "ipam::state::wrong_lock_id",
                format!(
                    "the lock on {location} has ID {}, not {given}\n{}",
                    info.id,
                    info.describe()
                ),
            )
            .help(format!(
                "if that is the lock to break, run `ipam force-unlock {} --state {}`",
                info.id,
                shell_word(&location.to_string())
            )),
            StateError::LockLost { location } => Diag::error(
                "ipam::state::lock_lost",
                format!(
                    "the lock on {location} was broken (`ipam force-unlock`) while this \
                     operation held it; the state was not written"
                ),
            )
            .help("another operation may have changed the state since; run this one again"),
            StateError::Changed { location, read } => Diag::error(
                "ipam::state::changed",
                format!(
                    "the state {location} changed since this operation read it ({}); nothing \
                     was written",
                    match read {
                        Some(serial) => format!("at serial {serial}"),
                        None => "when there was none".into(),
                    }
                ),
            )
            .help("another writer saved in between; run this operation again"),
            StateError::Url(e) => match e {
                super::pg::UrlError::Password { masked } => Diag::error(
                    "ipam::state::url_password",
                    format!("the state URL {masked} contains a password"),
                )
                .help(
                    "remove it from the URL: the password is read only from the PGPASSWORD \
                     environment variable or from ~/.pgpass (a line \
                     host:port:database:user:password, mode 600), so it never appears in \
                     plans, saved plans or logs",
                ),
                super::pg::UrlError::Invalid {
                    masked,
                    problem,
                    help,
                } => Diag::error(
                    "ipam::state::url",
                    format!("the state URL {masked} is not valid: {problem}"),
                )
                .help(help.clone()),
            },
            StateError::Postgres(e) => e.diag(),
            StateError::WrongLock { held, location } => Diag::error(
                "ipam::state::wrong_lock",
                format!(
                    "cannot write {location}: the lock held is {held}, not {}",
                    lock_file(location)
                        .map_or_else(|| location.to_string(), |l| l.display().to_string())
                ),
            )
            .help("nothing was written; this is a defect of ipam: please report it"),
        };
        Diagnostics::new(sources, vec![diag])
    }
}

/// `<path><suffix>`: the backup, lock and temp files beside a state file.
pub(super) fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The lock file of a file state.
fn lock_file(location: &Location) -> Option<PathBuf> {
    location.file().map(|p| with_suffix(p, ".lock"))
}

/// serde_json's message without its " at line L column C" (the diagnostic shows the place).
pub(super) fn serde_message(e: &serde_json::Error) -> String {
    let message = e.to_string();
    let position = format!(" at line {} column {}", e.line(), e.column());
    match message.strip_suffix(&position) {
        Some(m) => m.to_string(),
        None => message,
    }
}

/// Byte offset of serde_json's 1-based line and column (a column counts the bytes read on
/// that line, up to and including the offending one).
pub(super) fn byte_offset(text: &str, line: usize, column: usize) -> usize {
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

/// `text` as one shell word: as it is when it holds only characters no shell treats
/// specially, else in single quotes.
fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-:@%+=,".contains(c));
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_quoted_for_the_shell_only_when_needed() {
        assert_eq!(shell_word("net/ipam.state.json"), "net/ipam.state.json");
        assert_eq!(
            shell_word("postgres://ipam@db:5432/ipam?sslmode=require&x=1"),
            "'postgres://ipam@db:5432/ipam?sslmode=require&x=1'"
        );
        assert_eq!(shell_word("it's here"), "'it'\\''s here'");
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
