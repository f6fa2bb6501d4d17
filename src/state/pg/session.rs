//! A writer's hold on a PostgreSQL state: a session-level advisory lock on the connection it
//! keeps for the whole operation (the server drops it with the connection, so a killed
//! writer never leaves a lock behind), a lock record others are shown, and saves that
//! compare and swap on the serial read, in one transaction that also checks the record is
//! still this writer's.
//!
//! `force-unlock` removes the record and ends the holder's connection, which releases its
//! advisory lock; the old holder can then never save (its connection is gone, and were it not,
//! its record is).

use std::thread;
use std::time::{Duration, Instant};

use postgres::Client;
use postgres::error::SqlState;

use super::schema::LOCK_CLASS;
use super::{PgBackend, RFC3339, body};
use crate::state::backend::Changes;
use crate::state::history::Record;
use crate::state::{LockInfo, Records, Session, State, StateError, ids};

/// How often a writer waiting for the lock tries again.
const POLL: Duration = Duration::from_millis(100);

/// The record of whoever holds the advisory lock of `$1` now; a record left by a holder
/// that is gone does not match and is not shown. Advisory locks are per database, and
/// `pg_locks` shows every database's: each query here keeps to the current one.
fn holder_sql() -> String {
    format!(
        "SELECT l.id, l.operation, l.who, l.host, l.pid, \
         to_char(l.since AT TIME ZONE 'UTC', {RFC3339}), l.location \
         FROM ipam.locks l WHERE l.name = $1 AND EXISTS ( \
           SELECT 1 FROM pg_locks p WHERE p.locktype = 'advisory' AND p.granted \
           AND p.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
           AND p.classid = {LOCK_CLASS}::oid AND p.objid = hashtext($1)::oid \
           AND p.objsubid = 2 AND p.pid = l.backend_pid)"
    )
}

fn info_of(row: &postgres::Row) -> LockInfo {
    LockInfo {
        id: row.get(0),
        operation: row.get(1),
        user: row.get(2),
        host: row.get(3),
        pid: u32::try_from(row.get::<_, i64>(4)).unwrap_or(0),
        created: row.get(5),
        path: row.get(6),
    }
}

pub(super) struct PgSession<'a> {
    backend: &'a PgBackend,
    client: Client,
    name: String,
    info: LockInfo,
    /// The records `load` read, to summarize what a save changes; `None` until loaded.
    previous: Option<Option<Records>>,
}

impl<'a> PgSession<'a> {
    /// Takes the lock of `backend`'s state for `operation`, trying every 100 ms for up to
    /// `timeout` (zero: fail at once).
    pub(super) fn take(
        backend: &'a PgBackend,
        operation: &str,
        timeout: Duration,
    ) -> Result<PgSession<'a>, StateError> {
        let name = backend.name()?.to_string();
        let mut client = backend.open_for_writing()?;
        // `None`: a timeout too large to represent, i.e. wait for ever.
        let deadline = Instant::now().checked_add(timeout);
        let lock_error = |e: postgres::Error| backend.client_error("take the lock", &e);
        loop {
            let got: bool = client
                .query_one(
                    "SELECT pg_try_advisory_lock($1, hashtext($2))",
                    &[&LOCK_CLASS, &name],
                )
                .map_err(lock_error)?
                .get(0);
            if got {
                break;
            }
            let remaining = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if remaining == Some(Duration::ZERO) {
                let info = client
                    .query_opt(&holder_sql(), &[&name])
                    .map_err(lock_error)?
                    .map(|row| Box::new(info_of(&row)));
                return Err(StateError::Locked {
                    location: backend.location.clone(),
                    info,
                });
            }
            thread::sleep(remaining.map_or(POLL, |r| r.min(POLL)));
        }
        // The lock's bookkeeping need not wait for the disk: a record lost in a server crash
        // is one whose holder's lock went with it. Saves turn this back on.
        client
            .batch_execute("SET synchronous_commit = off")
            .map_err(lock_error)?;
        let info = LockInfo::now(operation, &backend.location);
        // The advisory lock is ours, so any record there is a dead holder's: replace it.
        client
            .execute(
                "INSERT INTO ipam.locks (name, id, operation, who, host, pid, since, location, backend_pid) \
                 VALUES ($1, $2, $3, $4, $5, $6, CAST($7::text AS timestamptz), $8, pg_backend_pid()) \
                 ON CONFLICT (name) DO UPDATE SET id = EXCLUDED.id, operation = EXCLUDED.operation, \
                 who = EXCLUDED.who, host = EXCLUDED.host, pid = EXCLUDED.pid, since = EXCLUDED.since, \
                 location = EXCLUDED.location, backend_pid = EXCLUDED.backend_pid",
                &[
                    &name,
                    &info.id,
                    &info.operation,
                    &info.user,
                    &info.host,
                    &i64::from(info.pid),
                    &info.created,
                    &info.path,
                ],
            )
            .map_err(|e| backend.client_error("write the lock record", &e))?;
        Ok(PgSession {
            backend,
            client,
            name,
            info,
            previous: None,
        })
    }
}

impl Session for PgSession<'_> {
    fn info(&self) -> &LockInfo {
        &self.info
    }

    fn load(&mut self) -> Result<Option<State>, StateError> {
        let state = self.backend.current(&mut self.client)?;
        self.previous = Some(state.as_ref().map(|s| s.resources.clone()));
        Ok(state)
    }

    fn save(&mut self, next: &State, read: Option<u64>) -> Result<(), StateError> {
        if self.previous.is_none() {
            self.load()?;
        }
        let before = self.previous.as_ref().and_then(Option::as_ref);
        let changes = Changes::between(before, &next.resources);
        let changes = serde_json::to_string(&changes).map_err(StateError::Encode)?;
        let bytes = body::encode(next)?;
        let backend = self.backend;
        let serial = backend.serial(next.serial)?;
        let read_serial = read.map(|r| backend.serial(r)).transpose()?;
        let who = format!("{}@{}", ids::user_name(), ids::host_name());
        let changed = || StateError::Changed {
            location: backend.location.clone(),
            read,
        };
        let fail = |e: postgres::Error| {
            if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
                changed()
            } else {
                backend.client_error("save the state", &e)
            }
        };
        let mut tx = self.client.transaction().map_err(fail)?;
        tx.batch_execute("SET LOCAL synchronous_commit = on")
            .map_err(fail)?;
        // The record must still be ours: force-unlock removes it (and ends our connection).
        let holder: Option<String> = tx
            .query_opt(
                "SELECT id FROM ipam.locks WHERE name = $1 FOR UPDATE",
                &[&self.name],
            )
            .map_err(fail)?
            .map(|row| row.get(0));
        if holder.as_deref() != Some(self.info.id.as_str()) {
            return Err(StateError::LockLost {
                location: backend.location.clone(),
            });
        }
        tx.execute(
            "INSERT INTO ipam.versions (name, serial, lineage, written_by, changes, encoding, body) \
             VALUES ($1, $2, $3, $4, CAST($5::text AS jsonb), $6, $7)",
            &[
                &self.name,
                &serial,
                &next.lineage,
                &who,
                &changes,
                &body::ENCODING,
                &bytes,
            ],
        )
        .map_err(fail)?;
        let swapped = match read_serial {
            Some(old) => tx.execute(
                "UPDATE ipam.states SET serial = $3, lineage = $4, updated_at = now() \
                 WHERE name = $1 AND serial = $2",
                &[&self.name, &old, &serial, &next.lineage],
            ),
            None => tx.execute(
                "INSERT INTO ipam.states (name, serial, lineage) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO NOTHING",
                &[&self.name, &serial, &next.lineage],
            ),
        }
        .map_err(fail)?;
        if swapped != 1 {
            return Err(changed());
        }
        tx.commit().map_err(fail)?;
        self.previous = Some(Some(next.resources.clone()));
        Ok(())
    }

    /// One row of `ipam.history`, written on this session's connection while its lock is
    /// still its own (a broken lock's holder writes nothing).
    fn append_history(&mut self, record: &Record) -> Result<(), StateError> {
        let backend = self.backend;
        let fail = |e: postgres::Error| backend.client_error("record the history", &e);
        let body = serde_json::to_string(record).map_err(StateError::Encode)?;
        let (kind, serial) = match record {
            Record::Apply(s) => ("apply", Some(backend.serial(s.serial)?)),
            Record::Audit(_) => ("audit", None),
        };
        let seconds = i64::try_from(record.time().0).unwrap_or(i64::MAX);
        let written = self
            .client
            .execute(
                "INSERT INTO ipam.history (name, recorded_at, kind, serial, body) \
                 SELECT $1, to_timestamp($2::bigint), $3, $4, CAST($5::text AS jsonb) \
                 WHERE EXISTS (SELECT 1 FROM ipam.locks WHERE name = $1 AND id = $6)",
                &[&self.name, &seconds, &kind, &serial, &body, &self.info.id],
            )
            .map_err(fail)?;
        if written == 1 {
            Ok(())
        } else {
            Err(StateError::LockLost {
                location: backend.location.clone(),
            })
        }
    }
}

impl Drop for PgSession<'_> {
    fn drop(&mut self) {
        // Best effort: closing the connection right after releases the advisory lock anyway,
        // and a record left behind matches no holder.
        let _ = self.client.execute(
            "WITH gone AS (DELETE FROM ipam.locks WHERE name = $2 AND id = $3) \
             SELECT pg_advisory_unlock($1, hashtext($2))",
            &[&LOCK_CLASS, &self.name, &self.info.id],
        );
    }
}

/// Breaks the lock whose record has ID `id`: removes the record and ends the connection
/// holding the advisory lock, in one transaction (a holder in the middle of a save finishes
/// it first: its save then happened before the lock was broken).
pub(super) fn break_lock(backend: &PgBackend, id: &str) -> Result<LockInfo, StateError> {
    let name = backend.name()?;
    let no_lock = || StateError::NoLock {
        location: backend.location.clone(),
        unreadable: false,
    };
    let Some(mut client) = backend.open_existing()? else {
        return Err(no_lock());
    };
    let fail = |e: postgres::Error| backend.client_error("break the lock", &e);
    let newer_server = client
        .query_one(
            "SELECT current_setting('server_version_num')::int >= 140000",
            &[],
        )
        .map_err(fail)?
        .get::<_, bool>(0);
    let mut tx = client.transaction().map_err(fail)?;
    let row = tx
        .query_opt(
            &format!(
                "SELECT id, operation, who, host, pid, to_char(since AT TIME ZONE 'UTC', {RFC3339}), \
                 location FROM ipam.locks WHERE name = $1 FOR UPDATE"
            ),
            &[&name],
        )
        .map_err(fail)?;
    let Some(row) = row else {
        return Err(no_lock());
    };
    let info = info_of(&row);
    if info.id != id {
        return Err(StateError::WrongLockId {
            location: backend.location.clone(),
            given: id.to_string(),
            info: Box::new(info),
        });
    }
    tx.execute("DELETE FROM ipam.locks WHERE name = $1", &[&name])
        .map_err(fail)?;
    // Waits up to 5 s for the holder's connection to end where the server can (14 and
    // later), so the next writer finds the lock free.
    let terminate = if newer_server {
        "pg_terminate_backend(pid, 5000)"
    } else {
        "pg_terminate_backend(pid)"
    };
    tx.execute(
        &format!(
            "SELECT {terminate} FROM pg_locks WHERE locktype = 'advisory' AND granted \
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
             AND classid = {LOCK_CLASS}::oid AND objid = hashtext($1)::oid AND objsubid = 2 \
             AND pid <> pg_backend_pid()"
        ),
        &[&name],
    )
    .map_err(fail)?;
    tx.commit().map_err(fail)?;
    Ok(info)
}
