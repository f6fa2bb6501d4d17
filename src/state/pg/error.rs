//! Why a PostgreSQL state could not be reached, read or written, each as a diagnostic that
//! names the server, port, database and user (never a password) and says what to do.

use std::io;
use std::path::PathBuf;

use postgres::error::SqlState;

use super::pgpass::Source;
use super::url::PgUrl;
use crate::diag::Diag;

/// A failure talking to the state's server.
#[derive(Debug)]
pub struct PgError {
    /// `host:port` (or the socket directory and port).
    pub server: String,
    pub database: String,
    pub user: String,
    pub failure: Failure,
}

/// What went wrong.
#[derive(Debug)]
pub enum Failure {
    /// Nothing answers at the address (refused, no route, no such socket, unknown host).
    Unreachable(String),
    /// The server did not answer within the connect timeout.
    Timeout,
    /// `sslmode` asks for TLS and the server does not offer it.
    TlsUnsupported,
    /// The TLS handshake failed (certificate not trusted, wrong host name, ...).
    Tls(String),
    /// The CA certificates for verification could not be read.
    Certificates(String),
    /// The server asks for a password and none was found.
    PasswordMissing { ignored: Option<PathBuf> },
    /// The password was refused.
    Authentication { from: Source },
    /// The server's access rules refuse this user or host, or the role does not exist.
    NotAllowed(String),
    /// The database does not exist.
    NoDatabase,
    /// The user may not do what the tool needs in the database or its `ipam` schema.
    Permission(String),
    /// The connection ended while in use (the server stopped or restarted, the network
    /// failed, or `ipam force-unlock` ended a lock holder's connection).
    ConnectionLost(String),
    /// The `ipam` schema was created by a newer ipam.
    NewerSchema { found: i32, known: i32 },
    /// A stored state of a newer format.
    NewerFormat { serial: u64, found: u32 },
    /// A stored state that cannot be read.
    Body { serial: u64, message: String },
    /// Neither the plan's `[ipam] name` nor a `workspace` parameter names the state.
    NoName,
    /// A serial beyond what the database stores.
    SerialRange(u64),
    /// Any other error from the server or the client library, while doing `action`.
    Other {
        action: &'static str,
        message: String,
    },
}

impl PgError {
    pub fn new(url: &PgUrl, failure: Failure) -> PgError {
        PgError {
            server: url.server(),
            database: url.dbname.clone(),
            user: url.user.clone(),
            failure,
        }
    }

    /// Classifies an error of the client library met while connecting (`connecting`) or
    /// while doing `action` on an open connection.
    pub fn from_client(
        url: &PgUrl,
        action: &'static str,
        e: &postgres::Error,
        source: &Source,
    ) -> PgError {
        PgError::new(url, classify(action, e, source))
    }

    fn place(&self) -> String {
        format!(
            "the PostgreSQL state at {} (database {}, user {})",
            self.server, self.database, self.user
        )
    }

    /// The error as one diagnostic with what to do about it.
    pub fn diag(&self) -> Diag {
        let place = self.place();
        let (code, message, help): (&'static str, String, String) = match &self.failure {
            Failure::Unreachable(why) => (
                "ipam::state::postgres::unreachable",
                format!("cannot connect to {place}: {why}"),
                "check the host and port in the state URL, that the server is running, and \
                 that this machine may reach it"
                    .into(),
            ),
            Failure::Timeout => (
                "ipam::state::postgres::timeout",
                format!("cannot connect to {place}: the server did not answer in time"),
                "check the host and port and any firewall between; connect_timeout=SECONDS in \
                 the URL waits longer"
                    .into(),
            ),
            Failure::TlsUnsupported => (
                "ipam::state::postgres::tls",
                format!("cannot connect to {place}: the server does not offer TLS, and the state URL's sslmode requires it"),
                "enable TLS on the server (ssl = on), or, on a network you trust, use \
                 sslmode=prefer or sslmode=disable"
                    .into(),
            ),
            Failure::Tls(why) => (
                "ipam::state::postgres::tls",
                format!("cannot connect to {place}: the TLS handshake failed: {why}"),
                "with sslmode=verify-ca or verify-full the server's certificate must be signed \
                 by a CA in sslrootcert (a PEM file, `system`, or ~/.postgresql/root.crt), and \
                 with verify-full be issued for the host name in the URL"
                    .into(),
            ),
            Failure::Certificates(why) => (
                "ipam::state::postgres::certificates",
                format!("cannot connect to {place}: {why}"),
                "give sslrootcert=PATH (a PEM file of CA certificates, e.g. your cloud's RDS \
                 bundle) or sslrootcert=system"
                    .into(),
            ),
            Failure::PasswordMissing { ignored } => (
                "ipam::state::postgres::password",
                format!("cannot connect to {place}: the server asks for a password, and none was found"),
                match ignored {
                    Some(file) => format!(
                        "{} was ignored because group or others may read it: run `chmod 600 {}`; \
                         or set PGPASSWORD",
                        file.display(),
                        file.display()
                    ),
                    None => "set PGPASSWORD, or add a line host:port:database:user:password to \
                             ~/.pgpass (mode 600); a password is never read from the URL or the plan"
                        .into(),
                },
            ),
            Failure::Authentication { from } => (
                "ipam::state::postgres::authentication",
                format!("cannot connect to {place}: password authentication failed"),
                match from {
                    Source::Environment => "the password in PGPASSWORD was refused; check it, and the user in the URL".into(),
                    Source::File(file) => format!(
                        "the password from {} was refused; check its line for this host, port, \
                         database and user",
                        file.display()
                    ),
                    Source::None { .. } => "check the user in the URL and its password (PGPASSWORD or ~/.pgpass)".into(),
                },
            ),
            Failure::NotAllowed(why) => (
                "ipam::state::postgres::not_allowed",
                format!("cannot connect to {place}: the server refused the connection: {why}"),
                "ask the database's administrator to create the role and allow it from this \
                 host (pg_hba.conf, or the managed service's settings)"
                    .into(),
            ),
            Failure::NoDatabase => (
                "ipam::state::postgres::no_database",
                format!("cannot connect to {place}: the database {} does not exist", self.database),
                format!(
                    "create it (`CREATE DATABASE {} OWNER {};`) or fix the database in the state URL",
                    quote_ident(&self.database),
                    quote_ident(&self.user)
                ),
            ),
            Failure::Permission(why) => (
                "ipam::state::postgres::permission",
                format!("{place}: permission denied: {why}"),
                format!(
                    "the tool keeps its tables in the schema `ipam`: let {} create it \
                     (`GRANT CREATE ON DATABASE {} TO {};`), or create it for them \
                     (`CREATE SCHEMA ipam AUTHORIZATION {};`)",
                    self.user,
                    quote_ident(&self.database),
                    quote_ident(&self.user),
                    quote_ident(&self.user)
                ),
            ),
            Failure::ConnectionLost(why) => (
                "ipam::state::postgres::connection_lost",
                format!("lost the connection to {place}: {why}; nothing was written"),
                "the server stopped or the network failed, or `ipam force-unlock` broke this \
                 operation's lock; run the operation again"
                    .into(),
            ),
            Failure::NewerSchema { found, known } => (
                "ipam::state::postgres::newer_schema",
                format!("{place} was set up by a newer ipam (schema version {found}, this build knows {known})"),
                "upgrade ipam".into(),
            ),
            Failure::NewerFormat { serial, found } => (
                "ipam::state::newer_format",
                format!(
                    "the state at serial {serial} in {place} was written by a newer ipam (format \
                     {found}, this build reads {})",
                    crate::state::FORMAT_VERSION
                ),
                "upgrade ipam".into(),
            ),
            Failure::Body { serial, message } => (
                "ipam::state::parse",
                format!("the state at serial {serial} in {place} is not valid: {message}"),
                "`ipam state versions` lists the kept versions; `ipam state pull --serial N` \
                 prints one, and `ipam state push FILE --force` restores it"
                    .into(),
            ),
            Failure::NoName => (
                "ipam::state::postgres::no_name",
                format!("{place}: the state has no name"),
                "a PostgreSQL state is named by the plan's `[ipam] name`; set it, or add \
                 workspace=NAME to the URL"
                    .into(),
            ),
            Failure::SerialRange(serial) => (
                "ipam::state::postgres::serial",
                format!("serial {serial} is beyond what {place} stores"),
                "serials count writes from 1 up to 9223372036854775807; `ipam state versions` lists the kept ones".into(),
            ),
            Failure::Other { action, message } => (
                "ipam::state::postgres::error",
                format!("{place}: cannot {action}: {message}"),
                "nothing was written; run the operation again, and if it persists check the \
                 server's log"
                    .into(),
            ),
        };
        Diag::error(code, message).help(help)
    }
}

/// `name` as a quoted SQL identifier where it needs quoting.
pub fn quote_ident(name: &str) -> String {
    let plain = name
        .chars()
        .enumerate()
        .all(|(i, c)| c == '_' || c.is_ascii_lowercase() || (i > 0 && c.is_ascii_digit()));
    if plain && !name.is_empty() {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

fn classify(action: &'static str, e: &postgres::Error, source: &Source) -> Failure {
    if let Some(db) = e.as_db_error() {
        let message = db.message().to_string();
        let code = db.code();
        return if *code == SqlState::INVALID_PASSWORD {
            Failure::Authentication {
                from: source.clone(),
            }
        } else if *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION {
            Failure::NotAllowed(message)
        } else if *code == SqlState::INVALID_CATALOG_NAME {
            Failure::NoDatabase
        } else if *code == SqlState::INSUFFICIENT_PRIVILEGE {
            Failure::Permission(message)
        } else if code.code().starts_with("57P") || code.code().starts_with("08") {
            Failure::ConnectionLost(message)
        } else {
            Failure::Other { action, message }
        };
    }
    let text = chain(e);
    if text.contains("server does not support TLS") {
        return Failure::TlsUnsupported;
    }
    if text.contains("password missing") {
        let ignored = match source {
            Source::None { ignored } => ignored.clone(),
            _ => None,
        };
        return Failure::PasswordMissing { ignored };
    }
    if text.starts_with("error performing TLS handshake") {
        return Failure::Tls(cause(e));
    }
    if text.starts_with("timeout") {
        return Failure::Timeout;
    }
    if action == "connect" {
        if let Some(io) = io_source(e) {
            return match io.kind() {
                io::ErrorKind::TimedOut => Failure::Timeout,
                _ => Failure::Unreachable(io.to_string()),
            };
        }
        if text.starts_with("error connecting to server") {
            return Failure::Unreachable(cause(e));
        }
    }
    if e.is_closed() || io_source(e).is_some() {
        return Failure::ConnectionLost(cause(e));
    }
    Failure::Other {
        action,
        message: text,
    }
}

/// Every message of an error chain, outermost first: the library's own says only its kind
/// ("invalid configuration"), its source what happened ("password missing").
fn chain(e: &postgres::Error) -> String {
    let mut text = e.to_string();
    let mut inner = std::error::Error::source(e);
    while let Some(err) = inner {
        text.push_str(": ");
        text.push_str(&err.to_string());
        inner = err.source();
    }
    text
}

/// The innermost message of an error chain.
fn cause(e: &postgres::Error) -> String {
    let mut inner: &dyn std::error::Error = e;
    while let Some(next) = inner.source() {
        inner = next;
    }
    inner.to_string()
}

fn io_source(e: &postgres::Error) -> Option<&io::Error> {
    let mut inner: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(err) = inner {
        if let Some(io) = err.downcast_ref::<io::Error>() {
            return Some(io);
        }
        inner = err.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_when_they_must_be() {
        assert_eq!(quote_ident("ipam"), "ipam");
        assert_eq!(quote_ident("ipam_2"), "ipam_2");
        assert_eq!(quote_ident("Ipam"), "\"Ipam\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_ident("2x"), "\"2x\"");
    }
}
