//! The seam between the commands and wherever the state lives (SPEC §7, §14).
//!
//! Every command reaches the state through [`open`](super::open) and these two traits:
//! readers call [`Backend::load`]; writers take a [`Session`] with [`Backend::lock`], read the
//! state under it, and [`Session::save`] the next one. A save compares and swaps on the serial
//! the writer read, so a writer that lost its lock or read an older state can never overwrite
//! a newer one, whatever the backend.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::history::{Record, Skipped, Time};
use super::{Location, State, StateError};

/// Where a state is kept: read it, lock it for writing, break a stuck lock.
pub trait Backend: Send + Sync {
    /// Where this state is, for messages and saved plans.
    fn location(&self) -> &Location;

    /// The current state, read without the lock (plans only read); `None` when nothing has
    /// been recorded yet. A state of a newer format, or one that does not parse, is an error.
    fn load(&self) -> Result<Option<State>, StateError>;

    /// Whether a state is recorded here, without reading it: a writer refused for lack of a
    /// state checks this before it takes the lock (which may create files).
    fn exists(&self) -> Result<bool, StateError>;

    /// Takes the one-writer lock for `operation` ("apply", "import", ...), waiting up to
    /// `timeout` (zero: fail at once) while another writer holds it. The lock is held until
    /// the session is dropped, or until the process ends.
    fn lock(&self, operation: &str, timeout: Duration)
    -> Result<Box<dyn Session + '_>, StateError>;

    /// Breaks the lock whose record has this ID and returns that record. The holder, if it
    /// is still alive, can no longer save.
    fn force_unlock(&self, id: &str) -> Result<LockInfo, StateError>;

    /// The history kept with this state (SPEC §15), oldest first: every record from
    /// `since` on (all when `None`) is handed to `each` as it is read, so a long history is
    /// never held whole. No history yet is an empty one. A record that cannot be read (a
    /// torn last append, a damaged entry) is skipped and returned, never an error: the
    /// history only informs. Read without the lock, like [`Backend::load`].
    fn history(
        &self,
        since: Option<Time>,
        each: &mut dyn FnMut(Record),
    ) -> Result<Vec<Skipped>, StateError>;
}

/// A writer's hold on the state: the lock, and the only way to save.
pub trait Session: Send {
    /// The record others are shown while this session holds the lock.
    fn info(&self) -> &LockInfo;

    /// The current state, read under the lock.
    fn load(&mut self) -> Result<Option<State>, StateError>;

    /// Replaces the state with `next`, provided the lock is still this session's and the
    /// recorded state is still the one read: serial `read` (`None`: no state yet). Otherwise
    /// nothing is written. A crash at any instant leaves the old or the new state whole.
    fn save(&mut self, next: &State, read: Option<u64>) -> Result<(), StateError>;

    /// Appends one record to the history, under this session's lock (refused, like a save,
    /// when the lock is no longer this session's), durable when it returns. Apply calls it
    /// only after its save succeeded, and a failure here must not undo that save: callers
    /// report it as a warning. Records are only ever appended, never rewritten.
    fn append_history(&mut self, record: &Record) -> Result<(), StateError>;
}

/// Who holds a state's lock, as shown to whoever has to wait.
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
    /// The state it guards.
    pub path: String,
}

impl LockInfo {
    /// A new record for this process.
    pub fn now(operation: &str, location: &Location) -> LockInfo {
        use super::ids;
        LockInfo {
            id: ids::random_id(),
            pid: std::process::id(),
            host: ids::host_name(),
            user: ids::user_name(),
            operation: operation.to_string(),
            created: ids::rfc3339(std::time::SystemTime::now()),
            path: location.to_string(),
        }
    }

    /// The lines shown in diagnostics.
    pub fn describe(&self) -> String {
        format!(
            "  ID:        {}\n  operation: {}\n  who:       {}@{}, pid {}\n  since:     {}",
            self.id, self.operation, self.user, self.host, self.pid, self.created
        )
    }
}
