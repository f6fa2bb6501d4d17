//! The password for a PostgreSQL state, found as libpq finds it: `PGPASSWORD`, else the
//! first matching line of the password file (`PGPASSFILE`, else `~/.pgpass`), whose lines
//! are `hostname:port:database:username:password` with `*` matching anything and `\:`,
//! `\\` escapes. A password file readable by group or others is ignored, as libpq does.
//!
//! A password never leaves this module except into the connection: no message shows it.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use super::url::PgUrl;

/// Where the password came from, or why the password file was not used (for the help line
/// when authentication fails).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Environment,
    File(PathBuf),
    /// None found; a password file skipped for its permissions is named.
    None {
        ignored: Option<PathBuf>,
    },
}

/// The password to connect to `url` with, and where it came from.
pub fn password(url: &PgUrl) -> (Option<String>, Source) {
    if let Some(pw) = std::env::var("PGPASSWORD").ok().filter(|p| !p.is_empty()) {
        return (Some(pw), Source::Environment);
    }
    let Some(file) = pass_file() else {
        return (None, Source::None { ignored: None });
    };
    let Ok(meta) = fs::metadata(&file) else {
        return (None, Source::None { ignored: None });
    };
    if !meta.is_file() {
        return (None, Source::None { ignored: None });
    }
    if meta.permissions().mode() & 0o077 != 0 {
        return (
            None,
            Source::None {
                ignored: Some(file),
            },
        );
    }
    let Ok(text) = fs::read_to_string(&file) else {
        return (None, Source::None { ignored: None });
    };
    match lookup(&text, url) {
        Some(pw) => (Some(pw), Source::File(file)),
        None => (None, Source::None { ignored: None }),
    }
}

/// `PGPASSFILE`, else `~/.pgpass`.
pub fn pass_file() -> Option<PathBuf> {
    if let Some(f) = std::env::var_os("PGPASSFILE").filter(|f| !f.is_empty()) {
        return Some(PathBuf::from(f));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".pgpass"))
}

/// The password of the first line of a password file that matches `url`. A socket
/// connection matches the host name `localhost` as well as its directory, as libpq's does
/// for its default directory.
pub fn lookup(text: &str, url: &PgUrl) -> Option<String> {
    let port = url.port.to_string();
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let Some(fields) = split(line) else { continue };
        let [host, p, db, user, password] = &fields[..] else {
            continue;
        };
        let host_matches =
            host == "*" || *host == url.host || (url.is_socket() && host == "localhost");
        if host_matches
            && (p == "*" || *p == port)
            && (db == "*" || *db == url.dbname)
            && (user == "*" || *user == url.user)
        {
            return Some(password.clone());
        }
    }
    None
}

/// The five fields of a line, unescaped; `None` for a line of another shape. The password
/// is the rest of the line after the fourth separator.
fn split(line: &str) -> Option<Vec<String>> {
    let mut fields = Vec::with_capacity(5);
    let mut field = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => field.push(chars.next().unwrap_or('\\')),
            ':' if fields.len() < 4 => fields.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    fields.push(field);
    (fields.len() == 5).then_some(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> PgUrl {
        PgUrl::parse_with(text, &|_| None).unwrap()
    }

    #[test]
    fn first_matching_line_wins() {
        let file = "# comment\n\
                    other:5432:*:*:nope\n\
                    db.example.com:5432:ipam:ci:s3cr\\:et\n\
                    *:*:*:ci:fallback\n\
                    *:*:*:*:any\r\n";
        assert_eq!(
            lookup(file, &url("postgres://ci@db.example.com/ipam")).as_deref(),
            Some("s3cr:et")
        );
        assert_eq!(
            lookup(file, &url("postgres://ci@db.example.com:5433/ipam")).as_deref(),
            Some("fallback")
        );
        assert_eq!(
            lookup(file, &url("postgres://me@h/d")).as_deref(),
            Some("any")
        );
        assert_eq!(lookup("h:1:d:u\n", &url("postgres://u@h:1/d")), None);
    }

    #[test]
    fn sockets_match_localhost_and_escapes_are_undone() {
        let u = url("postgres://u@%2Frun%2Fpg:5432/d");
        assert_eq!(lookup("localhost:5432:d:u:pw\n", &u).as_deref(), Some("pw"));
        assert_eq!(lookup("/run/pg:5432:d:u:pw2\n", &u).as_deref(), Some("pw2"));
        assert_eq!(
            lookup("h:*:*:*:a\\\\b:c\n", &url("postgres://u@h/d")).as_deref(),
            Some("a\\b:c")
        );
    }
}
