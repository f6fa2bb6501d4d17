//! The PostgreSQL backend (SPEC §14): one state for a team, reached from every CI runner.
//!
//! Tables in the tool's own schema `ipam` ([`schema`]): `versions` holds every state ever
//! written (serial, time, who, a summary of changes, the body), `states` points each name at
//! its current version (lineage, serial), `locks` holds the record of who writes now, and
//! `history` is kept for utilization snapshots. Bodies are the state's JSON, kept once, in
//! the version row the current state points to.
//!
//! Writers hold a session-level advisory lock on one connection for the whole operation
//! ([`session`]), so a writer that dies loses its lock with its connection; saves compare and
//! swap on the serial read, in one transaction that also checks the lock record is still the
//! writer's.

mod body;
pub mod error;
pub mod pgpass;
mod schema;
mod session;
mod tls;
pub mod url;

use std::time::Duration;

use postgres::Client;
use tokio_postgres_rustls::MakeRustlsConnect;

pub use error::{Failure, PgError};
pub use url::{PgUrl, SslMode, UrlError};

use super::backend::Version;
use super::history::{Record, Skipped, Time};
use super::{Backend, Changes, Location, LockInfo, Session, State, StateError};

/// How long a connection attempt waits when the URL sets no `connect_timeout`: libpq waits
/// for ever, which a CI job must not.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// The state named `name` in the database at `url`.
#[derive(Debug, Clone)]
pub struct PgBackend {
    location: Location,
    url: PgUrl,
    /// The URL's `workspace`, else the plan's `[ipam] name`.
    name: Option<String>,
}

impl PgBackend {
    /// The state of the plan named `plan_name` (a `workspace` in the URL overrides it);
    /// nothing is connected until it is used.
    pub fn new(url: PgUrl, plan_name: Option<&str>) -> PgBackend {
        let name = url
            .workspace
            .clone()
            .or_else(|| plan_name.map(str::to_string))
            .filter(|n| !n.is_empty());
        PgBackend {
            location: Location::Postgres(Box::new(url.clone())),
            url,
            name,
        }
    }

    /// The state's name in the tables.
    pub fn name(&self) -> Result<&str, StateError> {
        self.name
            .as_deref()
            .ok_or_else(|| self.fail(Failure::NoName))
    }

    fn fail(&self, failure: Failure) -> StateError {
        StateError::Postgres(Box::new(PgError::new(&self.url, failure)))
    }

    /// An error of the client library on an open connection, while doing `action`.
    fn client_error(&self, action: &'static str, e: &postgres::Error) -> StateError {
        let source = pgpass::Source::None { ignored: None };
        StateError::Postgres(Box::new(PgError::from_client(
            &self.url, action, e, &source,
        )))
    }

    /// A new connection, authenticated with `PGPASSWORD` or `~/.pgpass`.
    fn connect(&self) -> Result<Client, StateError> {
        let url = &self.url;
        let mut config = postgres::Config::new();
        config
            .host(&url.host)
            .port(url.port)
            .dbname(&url.dbname)
            .user(&url.user)
            .application_name("ipam")
            .connect_timeout(
                url.connect_timeout
                    .map_or(CONNECT_TIMEOUT, Duration::from_secs),
            )
            // A server that vanishes (a network partition) is noticed within about a minute,
            // not the operating system's two hours: the writer then fails and writes nothing.
            .keepalives_idle(Duration::from_secs(30))
            .keepalives_interval(Duration::from_secs(10))
            .keepalives_retries(3);
        config.ssl_mode(match url.sslmode {
            // TLS is never used over a Unix socket, as with libpq.
            _ if url.is_socket() => postgres::config::SslMode::Disable,
            SslMode::Disable => postgres::config::SslMode::Disable,
            SslMode::Prefer => postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
                postgres::config::SslMode::Require
            }
        });
        let (password, source) = pgpass::password(url);
        if let Some(pw) = &password {
            config.password(pw);
        }
        let tls = tls::client_config(url).map_err(|why| self.fail(Failure::Certificates(why)))?;
        config.connect(MakeRustlsConnect::new(tls)).map_err(|e| {
            StateError::Postgres(Box::new(PgError::from_client(url, "connect", &e, &source)))
        })
    }

    /// A connection to a database the tool has written to, its `ipam` schema brought to
    /// this build's version; `None` when there is no schema (nothing was ever written, and
    /// a reader creates nothing).
    fn open_existing(&self) -> Result<Option<Client>, StateError> {
        let mut client = self.connect()?;
        match self.migrate(&mut client, false)? {
            true => Ok(Some(client)),
            false => Ok(None),
        }
    }

    /// A connection whose `ipam` schema is at this build's version, created if need be.
    fn open_for_writing(&self) -> Result<Client, StateError> {
        let mut client = self.connect()?;
        self.migrate(&mut client, true)?;
        Ok(client)
    }

    /// Brings the schema to this build's version (creating it if `create`); says whether
    /// there is one.
    fn migrate(&self, client: &mut Client, create: bool) -> Result<bool, StateError> {
        let found = schema::version(client)
            .map_err(|e| self.client_error("read the schema version", &e))?;
        if found.is_none() && !create {
            return Ok(false);
        }
        match schema::migrate(client, found)
            .map_err(|e| self.client_error("create the ipam schema", &e))?
        {
            Some(newer) => Err(self.fail(Failure::NewerSchema {
                found: newer,
                known: schema::LATEST,
            })),
            None => Ok(true),
        }
    }

    /// The current state, on `client`.
    fn current(&self, client: &mut Client) -> Result<Option<State>, StateError> {
        let name = self.name()?;
        let row = client
            .query_opt(
                "SELECT v.serial, v.encoding, v.body FROM ipam.states s \
                 JOIN ipam.versions v ON v.name = s.name AND v.serial = s.serial \
                 WHERE s.name = $1",
                &[&name],
            )
            .map_err(|e| self.client_error("read the state", &e))?;
        row.map(|row| self.decode(row.get(0), row.get(1), row.get(2)))
            .transpose()
    }

    fn decode(&self, serial: i64, encoding: &str, bytes: &[u8]) -> Result<State, StateError> {
        let serial = serial as u64;
        body::decode(serial, encoding, bytes).map_err(|failure| self.fail(failure))
    }

    fn serial(&self, serial: u64) -> Result<i64, StateError> {
        i64::try_from(serial).map_err(|_| self.fail(Failure::SerialRange(serial)))
    }
}

/// `timestamptz` as RFC 3339 UTC to the second, in SQL.
const RFC3339: &str = "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'";

impl Backend for PgBackend {
    fn location(&self) -> &Location {
        &self.location
    }

    fn load(&self) -> Result<Option<State>, StateError> {
        self.name()?;
        match self.open_existing()? {
            Some(mut client) => self.current(&mut client),
            None => Ok(None),
        }
    }

    /// The rows of `ipam.history` for this state from `since` on, oldest first, streamed;
    /// a body that does not read as a record is skipped and returned.
    fn history(
        &self,
        since: Option<Time>,
        each: &mut dyn FnMut(Record),
    ) -> Result<Vec<Skipped>, StateError> {
        let name = self.name()?;
        let Some(mut client) = self.open_existing()? else {
            return Ok(Vec::new());
        };
        let since = i64::try_from(since.map_or(0, |t| t.0)).unwrap_or(i64::MAX);
        let fail = |e: postgres::Error| self.client_error("read the history", &e);
        // A portal read in batches: a long history is never held whole.
        let mut tx = client.transaction().map_err(fail)?;
        let portal = tx
            .bind(
                "SELECT id, body::text FROM ipam.history \
                 WHERE name = $1 AND recorded_at >= to_timestamp($2::bigint) ORDER BY id",
                &[&name, &since],
            )
            .map_err(fail)?;
        let mut skipped = Vec::new();
        loop {
            let rows = tx.query_portal(&portal, 64).map_err(fail)?;
            if rows.is_empty() {
                break;
            }
            for row in rows {
                let id: i64 = row.get(0);
                let body: &str = row.get(1);
                match serde_json::from_str::<Record>(body) {
                    Ok(record) => each(record),
                    Err(e) => skipped.push(Skipped {
                        line: u64::try_from(id).unwrap_or_default(),
                        reason: e.to_string(),
                    }),
                }
            }
        }
        Ok(skipped)
    }

    fn exists(&self) -> Result<bool, StateError> {
        let name = self.name()?;
        let Some(mut client) = self.open_existing()? else {
            return Ok(false);
        };
        let row = client
            .query_opt("SELECT 1 FROM ipam.states WHERE name = $1", &[&name])
            .map_err(|e| self.client_error("read the state", &e))?;
        Ok(row.is_some())
    }

    fn lock(
        &self,
        operation: &str,
        timeout: Duration,
    ) -> Result<Box<dyn Session + '_>, StateError> {
        Ok(Box::new(session::PgSession::take(
            self, operation, timeout,
        )?))
    }

    fn force_unlock(&self, id: &str) -> Result<LockInfo, StateError> {
        session::break_lock(self, id)
    }

    fn versions(&self) -> Result<Vec<Version>, StateError> {
        let name = self.name()?;
        let Some(mut client) = self.open_existing()? else {
            return Ok(Vec::new());
        };
        let rows = client
            .query(
                &format!(
                    "SELECT serial, lineage, to_char(written_at AT TIME ZONE 'UTC', {RFC3339}), \
                     written_by, changes::text FROM ipam.versions WHERE name = $1 ORDER BY serial"
                ),
                &[&name],
            )
            .map_err(|e| self.client_error("read the versions", &e))?;
        Ok(rows
            .iter()
            .map(|row| Version {
                serial: row.get::<_, i64>(0) as u64,
                lineage: row.get(1),
                written: row.get(2),
                who: Some(row.get(3)),
                changes: row
                    .get::<_, Option<&str>>(4)
                    .and_then(|text| serde_json::from_str::<Changes>(text).ok()),
            })
            .collect())
    }

    fn version(&self, serial: u64) -> Result<Option<State>, StateError> {
        let name = self.name()?;
        let at = self.serial(serial)?;
        let Some(mut client) = self.open_existing()? else {
            return Ok(None);
        };
        let row = client
            .query_opt(
                "SELECT serial, encoding, body FROM ipam.versions WHERE name = $1 AND serial = $2",
                &[&name, &at],
            )
            .map_err(|e| self.client_error("read the version", &e))?;
        row.map(|row| self.decode(row.get(0), row.get(1), row.get(2)))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_without_a_name_is_refused_before_connecting() {
        // Port 1 on a documentation address: were it contacted, the error would differ.
        let url = PgUrl::parse_with("postgres://u@192.0.2.1:1/d", &|_| None).unwrap();
        let unnamed = PgBackend::new(url.clone(), None);
        let err = unnamed.load().unwrap_err();
        assert!(
            matches!(&err, StateError::Postgres(e) if matches!(e.failure, Failure::NoName)),
            "{err:?}"
        );
        assert!(matches!(
            unnamed.lock("apply", Duration::ZERO),
            Err(StateError::Postgres(_))
        ));
        let named = PgBackend::new(url.clone(), Some("corp"));
        assert_eq!(named.name().unwrap(), "corp");
        let mut with_workspace = url;
        with_workspace.workspace = Some("staging".into());
        assert_eq!(
            PgBackend::new(with_workspace, Some("corp")).name().unwrap(),
            "staging"
        );
    }
}
