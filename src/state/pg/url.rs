//! PostgreSQL state locations (SPEC §14): `postgres://` and `postgresql://` URLs in libpq's
//! form, resolved once into every parameter a connection needs, so a location compares,
//! prints and saves the same on every machine that reads it.
//!
//! What is not in the URL comes from libpq's environment variables (`PGHOST`, `PGPORT`,
//! `PGDATABASE`, `PGUSER`, `PGSSLMODE`, `PGSSLROOTCERT`), then libpq's defaults. A password
//! is never taken from a URL (it would end up in plans, logs and saved plans): only from
//! `PGPASSWORD` or `~/.pgpass`, when connecting.

use std::fmt;

/// A parsed PostgreSQL state location, every parameter resolved.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PgUrl {
    /// A host name or address, or (starting with `/`) the directory of a Unix socket.
    pub host: String,
    pub port: u16,
    pub dbname: String,
    pub user: String,
    pub sslmode: SslMode,
    /// Where the CA certificates for `verify-ca`/`verify-full` are: a PEM file, or `system`
    /// for the operating system's store. `None`: `~/.postgresql/root.crt` when it exists,
    /// else the system's store.
    pub sslrootcert: Option<String>,
    /// Seconds to wait for the server to answer a connection (libpq's `connect_timeout`).
    pub connect_timeout: Option<u64>,
    /// The state's name when it is not the plan's `[ipam] name`.
    pub workspace: Option<String>,
}

/// libpq's `sslmode`, as far as a client without certificates of its own goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SslMode {
    /// Never TLS.
    Disable,
    /// TLS when the server offers it, without checking its certificate (libpq's default).
    Prefer,
    /// TLS or nothing, without checking the certificate unless a root certificate is given.
    Require,
    /// TLS, with a certificate signed by a trusted CA.
    VerifyCa,
    /// TLS, with a certificate signed by a trusted CA for the host name connected to.
    VerifyFull,
}

impl SslMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    fn parse(text: &str) -> Option<SslMode> {
        Some(match text {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }
}

/// Why a state URL was refused. Its messages show the URL with any password masked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// A password in the URL, which must live elsewhere.
    #[error("the state URL {masked} contains a password")]
    Password { masked: String },
    /// Anything else: what is wrong, and how to write it.
    #[error("the state URL {masked} is not valid: {problem}")]
    Invalid {
        masked: String,
        problem: String,
        help: String,
    },
}

/// The query parameters a state URL may carry.
const PARAMETERS: &str =
    "host, port, dbname, user, sslmode, sslrootcert, connect_timeout, application_name, workspace";

/// Whether `text` is a PostgreSQL URL rather than a path.
pub fn is_url(text: &str) -> bool {
    text.starts_with("postgres://") || text.starts_with("postgresql://")
}

impl PgUrl {
    /// Parses a `postgres://` or `postgresql://` URL, filling what it leaves out from the
    /// environment as libpq does.
    pub fn parse(text: &str) -> Result<PgUrl, UrlError> {
        Self::parse_with(text, &|name| {
            std::env::var(name).ok().filter(|v| !v.is_empty())
        })
    }

    /// [`parse`](Self::parse) with the environment given (for tests).
    pub fn parse_with(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<PgUrl, UrlError> {
        let masked = mask(text);
        let invalid = |problem: String, help: &str| UrlError::Invalid {
            masked: masked.clone(),
            problem,
            help: help.to_string(),
        };
        let form = "write it as postgres://USER@HOST:PORT/DATABASE?sslmode=require";
        let rest = text
            .strip_prefix("postgresql://")
            .or_else(|| text.strip_prefix("postgres://"))
            .ok_or_else(|| invalid("it does not start with postgres://".into(), form))?;
        if rest.contains('#') {
            return Err(invalid("it has a fragment (`#…`)".into(), form));
        }
        let (before_query, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (authority, path) = before_query.split_once('/').unwrap_or((before_query, ""));
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let mut user = None;
        if let Some(info) = userinfo {
            if info.contains(':') {
                return Err(UrlError::Password { masked });
            }
            user = Some(decode(info).map_err(|p| invalid(p, form))?);
        }
        let (mut host, mut port) = split_host_port(hostport).map_err(|p| invalid(p, form))?;
        let mut dbname = if path.is_empty() {
            None
        } else {
            Some(decode(path).map_err(|p| invalid(p, form))?)
        };
        let mut url = PgUrl {
            host: String::new(),
            port: 5432,
            dbname: String::new(),
            user: String::new(),
            sslmode: SslMode::Prefer,
            sslrootcert: None,
            connect_timeout: None,
            workspace: None,
        };
        let mut sslmode = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = decode(key).map_err(|p| invalid(p, form))?;
            let value = decode(value).map_err(|p| invalid(p, form))?;
            match key.as_str() {
                "password" | "passfile" => return Err(UrlError::Password { masked }),
                "host" => host = Some(value),
                "port" => port = Some(value),
                "dbname" => dbname = Some(value),
                "user" => user = Some(value),
                "sslmode" => sslmode = Some(value),
                "sslrootcert" => url.sslrootcert = Some(value),
                "connect_timeout" => {
                    let secs = value.parse::<u64>().map_err(|_| {
                        invalid(
                            format!("connect_timeout `{value}` is not a number of seconds"),
                            "write e.g. connect_timeout=10",
                        )
                    })?;
                    url.connect_timeout = Some(secs);
                }
                // Accepted for libpq compatibility; the tool always names itself "ipam".
                "application_name" => {}
                "workspace" => {
                    if value.is_empty() {
                        return Err(invalid(
                            "workspace is empty".into(),
                            "name the state: workspace=NAME, or leave the parameter out to use \
                             the plan's [ipam] name",
                        ));
                    }
                    url.workspace = Some(value);
                }
                other => {
                    return Err(invalid(
                        format!("it has an unknown parameter `{other}`"),
                        &format!("the parameters a state URL takes are {PARAMETERS}"),
                    ));
                }
            }
        }
        let host = host
            .filter(|h| !h.is_empty())
            .or_else(|| env("PGHOST"))
            .unwrap_or_else(default_socket_dir);
        if host.contains(',') {
            return Err(invalid(
                format!("it names several hosts ({host})"),
                "give one host: the state is kept on one server",
            ));
        }
        url.host = host;
        let port = port.filter(|p| !p.is_empty()).or_else(|| env("PGPORT"));
        if let Some(port) = port {
            url.port = match port.parse::<u16>() {
                Ok(p) if p > 0 => p,
                _ => {
                    return Err(invalid(
                        format!("port `{port}` is not a port number"),
                        "give a port from 1 to 65535, e.g. :5432",
                    ));
                }
            };
        }
        url.user = user
            .filter(|u| !u.is_empty())
            .or_else(|| env("PGUSER"))
            .unwrap_or_else(super::super::ids::user_name);
        url.dbname = dbname
            .filter(|d| !d.is_empty())
            .or_else(|| env("PGDATABASE"))
            .unwrap_or_else(|| url.user.clone());
        let sslmode = sslmode.or_else(|| env("PGSSLMODE"));
        if let Some(mode) = sslmode {
            url.sslmode = SslMode::parse(&mode).ok_or_else(|| {
                invalid(
                    format!("sslmode `{mode}` is not one of disable, prefer, require, verify-ca, verify-full"),
                    "managed databases want sslmode=require or, with their CA certificate, \
                     sslmode=verify-full",
                )
            })?;
        }
        if url.sslrootcert.is_none() {
            url.sslrootcert = env("PGSSLROOTCERT");
        }
        Ok(url)
    }

    /// Whether the host is a Unix socket directory (TLS is never used there, as with libpq).
    pub fn is_socket(&self) -> bool {
        self.host.starts_with('/')
    }

    /// `host:port` (or the socket directory and port), for messages.
    pub fn server(&self) -> String {
        if self.is_socket() {
            format!("socket {} port {}", self.host, self.port)
        } else if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// The resolved URL: every parameter spelled out, no password (there never is one).
impl fmt::Display for PgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "postgres://{}@", encode(&self.user))?;
        if self.is_socket() {
            write!(
                f,
                ":{}/{}?host={}",
                self.port,
                encode(&self.dbname),
                encode(&self.host)
            )?;
        } else if self.host.contains(':') {
            write!(f, "[{}]:{}/{}?", self.host, self.port, encode(&self.dbname))?;
        } else {
            write!(
                f,
                "{}:{}/{}?",
                encode(&self.host),
                self.port,
                encode(&self.dbname)
            )?;
        }
        if self.is_socket() {
            f.write_str("&")?;
        }
        write!(f, "sslmode={}", self.sslmode.as_str())?;
        if let Some(root) = &self.sslrootcert {
            write!(f, "&sslrootcert={}", encode(root))?;
        }
        if let Some(secs) = self.connect_timeout {
            write!(f, "&connect_timeout={secs}")?;
        }
        if let Some(w) = &self.workspace {
            write!(f, "&workspace={}", encode(w))?;
        }
        Ok(())
    }
}

/// libpq's default socket directory: Debian's `/var/run/postgresql` where it exists, else
/// the upstream default `/tmp`.
fn default_socket_dir() -> String {
    let debian = "/var/run/postgresql";
    if std::path::Path::new(debian).is_dir() {
        debian.into()
    } else {
        "/tmp".into()
    }
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`, each part optional.
fn split_host_port(text: &str) -> Result<(Option<String>, Option<String>), String> {
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| "an IPv6 address is missing its `]`".to_string())?;
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| format!("unexpected `{p}` after the IPv6 address"))?
                    .to_string(),
            ),
        };
        return Ok((Some(host.to_string()), port));
    }
    let (host, port) = match text.rsplit_once(':') {
        Some((h, p)) => (h, Some(p.to_string())),
        None => (text, None),
    };
    Ok(((!host.is_empty()).then(|| decode(host)).transpose()?, port))
}

/// Percent-decoding (`%2F` → `/`): a socket directory in the host part is written so.
fn decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    format!(
                        "`{}` is not a percent-escape",
                        &text[i..text.len().min(i + 3)]
                    )
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "a percent-escape is not UTF-8".to_string())
}

/// Percent-encoding of everything but unreserved characters and `/`.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The URL with any password replaced by `****`, for messages.
pub fn mask(text: &str) -> String {
    let Some(scheme_end) = text.find("://").map(|i| i + 3) else {
        return text.to_string();
    };
    let (scheme, rest) = text.split_at(scheme_end);
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((info, host)) => match info.split_once(':') {
            Some((user, _)) => format!("{user}:****@{host}"),
            None => authority.to_string(),
        },
        None => authority.to_string(),
    };
    let tail: Vec<String> = match tail.split_once('?') {
        Some((path, query)) => {
            let params: Vec<String> = query
                .split('&')
                .map(|p| match p.split_once('=') {
                    Some(("password", _)) => "password=****".into(),
                    _ => p.to_string(),
                })
                .collect();
            vec![path.to_string(), "?".into(), params.join("&")]
        }
        None => vec![tail.to_string()],
    };
    format!("{scheme}{authority}{}", tail.concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<PgUrl, UrlError> {
        PgUrl::parse_with(text, &|_| None)
    }

    #[test]
    fn full_urls_resolve_every_part() {
        let u =
            parse("postgres://ipam@db.example.com:6543/states?sslmode=verify-full&workspace=prod")
                .unwrap();
        assert_eq!(u.host, "db.example.com");
        assert_eq!(u.port, 6543);
        assert_eq!(u.user, "ipam");
        assert_eq!(u.dbname, "states");
        assert_eq!(u.sslmode, SslMode::VerifyFull);
        assert_eq!(u.workspace.as_deref(), Some("prod"));
        assert_eq!(
            u.to_string(),
            "postgres://ipam@db.example.com:6543/states?sslmode=verify-full&workspace=prod"
        );
        // The printed form parses back to the same location.
        assert_eq!(parse(&u.to_string()).unwrap(), u);
    }

    #[test]
    fn defaults_come_from_the_environment_then_libpq() {
        let env = |name: &str| match name {
            "PGHOST" => Some("pg.internal".to_string()),
            "PGPORT" => Some("5433".to_string()),
            "PGUSER" => Some("ci".to_string()),
            "PGSSLMODE" => Some("require".to_string()),
            _ => None,
        };
        let u = PgUrl::parse_with("postgresql://", &env).unwrap();
        assert_eq!((u.host.as_str(), u.port), ("pg.internal", 5433));
        assert_eq!((u.user.as_str(), u.dbname.as_str()), ("ci", "ci"));
        assert_eq!(u.sslmode, SslMode::Require);
        let u = PgUrl::parse_with("postgresql://me@h/d?sslmode=disable", &env).unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.sslmode),
            ("h", 5433, SslMode::Disable)
        );
        let u = parse("postgres://me@h/d").unwrap();
        assert_eq!((u.port, u.sslmode), (5432, SslMode::Prefer));
    }

    #[test]
    fn sockets_and_ipv6_hosts() {
        let u = parse("postgres://me@%2Fvar%2Frun%2Fpostgresql:5444/d").unwrap();
        assert_eq!(u.host, "/var/run/postgresql");
        assert!(u.is_socket());
        assert_eq!(u.server(), "socket /var/run/postgresql port 5444");
        assert_eq!(parse(&u.to_string()).unwrap(), u);
        let u = parse("postgresql:///d?host=/tmp/sock&user=me&port=7").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("/tmp/sock", 7));
        assert_eq!(parse(&u.to_string()).unwrap(), u);
        let u = parse("postgres://me@[::1]:5000/d").unwrap();
        assert_eq!(
            (u.host.as_str(), u.server()),
            ("::1", "[::1]:5000".to_string())
        );
        assert_eq!(parse(&u.to_string()).unwrap(), u);
    }

    #[test]
    fn passwords_are_refused_and_never_shown() {
        for url in [
            "postgres://ipam:hunter2@db/ipam",
            "postgres://db/ipam?password=hunter2",
            "postgres://ipam:@db/ipam",
        ] {
            let e = parse(url).unwrap_err();
            assert!(matches!(e, UrlError::Password { .. }), "{url}: {e:?}");
            assert!(!e.to_string().contains("hunter2"), "{e}");
        }
        assert_eq!(
            mask("postgres://a:b@h/d?x=1&password=p"),
            "postgres://a:****@h/d?x=1&password=****"
        );
    }

    #[test]
    fn bad_parts_are_named() {
        let problem = |url: &str| match parse(url).unwrap_err() {
            UrlError::Invalid { problem, .. } => problem,
            e => panic!("{e:?}"),
        };
        assert!(problem("postgres://h:port/d").contains("port `port`"));
        assert!(problem("postgres://h:0/d").contains("port `0`"));
        assert!(problem("postgres://h/d?sslmode=allow").contains("sslmode `allow`"));
        assert!(problem("postgres://h/d?options=-c").contains("unknown parameter `options`"));
        assert!(problem("postgres://a,b/d").contains("several hosts"));
        assert!(problem("postgres://h/d%zz").contains("percent-escape"));
        assert!(problem("postgres://h/d?workspace=").contains("workspace is empty"));
        assert!(problem("postgres://[::1/d").contains("`]`"));
        assert!(is_url("postgresql://x") && is_url("postgres://x") && !is_url("./postgres"));
    }
}
