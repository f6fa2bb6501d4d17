//! Connecting: each way a connection fails (wrong port, wrong password, a password file
//! others can read, a missing database, a password in the URL, missing rights) is its own
//! diagnostic, nothing is written and no password is shown; TLS follows `sslmode`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Output;

use super::common::state::{ok, write_plan};
use super::{apply_at, fails_with, flat, pg, run, text, workdir};

/// Whether the database `db` has the tool's schema (anything written).
fn has_schema(server: &pg::Server, db: &str) -> bool {
    server
        .admin(db)
        .query_one("SELECT to_regnamespace('ipam') IS NOT NULL", &[])
        .expect("query")
        .get(0)
}

/// Each way a connection fails is its own diagnostic naming host, port and database, with
/// nothing written, and no password in any output.
#[test]
fn connection_failures_are_clear_and_write_nothing() {
    let server = server!();
    server.database("conn");
    // The password user owns its database, as the README's setup has it.
    server
        .admin("postgres")
        .batch_execute(&format!(
            "ALTER DATABASE conn OWNER TO {}",
            pg::PASSWORD_USER
        ))
        .expect("owner");
    let w = workdir("connection");
    write_plan(&w.join("plan"), &["a"]);
    let apply = |url: &str, env: &[(&str, &str)]| {
        run(
            &w,
            &[
                "apply",
                "plan",
                "--auto-approve",
                "--create-state",
                "--state",
                url,
            ],
            env,
        )
    };
    let no_secret = |out: &Output| {
        let all = text(out);
        assert!(!all.contains(pg::PASSWORD), "a password was shown: {all}");
        assert!(!all.contains("hunter2"), "a password was shown: {all}");
        all
    };
    let port = server.port.to_string();

    // Nothing listens on this port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let out = apply(
        &format!("postgres://postgres@127.0.0.1:{closed}/conn?sslmode=disable"),
        &[],
    );
    let err = fails_with(&out, "ipam::state::postgres::unreachable", "wrong port");
    assert!(
        err.contains(&format!("127.0.0.1:{closed}")) && err.contains("database conn"),
        "{err}"
    );

    // The wrong password, from PGPASSWORD.
    let pw_url = server.url(pg::PASSWORD_USER, "conn");
    let out = apply(&pw_url, &[("PGPASSWORD", "hunter2")]);
    let err = fails_with(
        &out,
        "ipam::state::postgres::authentication",
        "wrong password",
    );
    no_secret(&out);
    assert!(
        err.contains(&format!("127.0.0.1:{port}")) && err.contains("PGPASSWORD"),
        "{err}"
    );
    // No password at all.
    let out = apply(&pw_url, &[]);
    fails_with(&out, "ipam::state::postgres::password", "no password");
    // A password file readable by others is ignored, as libpq does; mode 600 is used.
    let pgpass = w.join(".pgpass");
    fs::write(
        &pgpass,
        format!(
            "127.0.0.1:{port}:conn:{}:{}\n",
            pg::PASSWORD_USER,
            pg::PASSWORD
        ),
    )
    .expect("pgpass");
    fs::set_permissions(&pgpass, fs::Permissions::from_mode(0o644)).expect("chmod");
    let out = apply(&pw_url, &[]);
    let err = fails_with(
        &out,
        "ipam::state::postgres::password",
        "a readable .pgpass",
    );
    assert!(err.contains("chmod 600"), "{err}");
    no_secret(&out);
    assert!(!has_schema(server, "conn"), "a failed connection wrote");
    fs::set_permissions(&pgpass, fs::Permissions::from_mode(0o600)).expect("chmod");
    let out = apply(&pw_url, &[]);
    ok(&out, "apply with the password from .pgpass");
    no_secret(&out);
    // PGPASSWORD takes precedence, as with libpq.
    let out = run(
        &w,
        &["plan", "plan", "--create-state", "--state", &pw_url],
        &[("PGPASSWORD", pg::PASSWORD)],
    );
    ok(&out, "plan with PGPASSWORD");
    no_secret(&out);

    // A database that does not exist.
    let out = apply(&server.url("postgres", "nowhere"), &[]);
    let err = fails_with(
        &out,
        "ipam::state::postgres::no_database",
        "missing database",
    );
    assert!(
        err.contains("nowhere") && err.contains(&port) && err.contains("CREATE DATABASE"),
        "{err}"
    );

    // A password in the URL is refused before anything is contacted, and never echoed.
    let out = apply(
        &format!("postgres://postgres:hunter2@127.0.0.1:{port}/conn"),
        &[],
    );
    let err = fails_with(&out, "ipam::state::url_password", "a password in the URL");
    assert!(err.contains("PGPASSWORD") && err.contains("****"), "{err}");
    no_secret(&out);
    let out = apply(
        &format!("postgres://postgres@127.0.0.1:{port}/conn?password=hunter2"),
        &[],
    );
    fails_with(&out, "ipam::state::url_password", "a password parameter");
    no_secret(&out);

    // A Unix socket directory as the host, as libpq allows.
    server.database("sock");
    let sock = format!(
        "postgresql:///sock?host={}&port={port}&user=postgres",
        server.socket_dir.display()
    );
    ok(&apply(&sock, &[]), "apply over the Unix socket");
    assert!(has_schema(server, "sock"));
}

/// A user without the right to create the schema gets a diagnostic saying which right.
#[test]
fn permission_denied_on_the_schema_is_explained() {
    let server = server!();
    server.database("perm");
    let mut admin = server.admin("perm");
    admin
        .batch_execute(
            "DROP ROLE IF EXISTS plain; CREATE ROLE plain LOGIN; \
             REVOKE CREATE ON DATABASE perm FROM PUBLIC; REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        )
        .expect("role");
    let w = workdir("permission");
    write_plan(&w.join("plan"), &["a"]);
    let url = server.url("plain", "perm");
    let out = apply_at(&w, &url);
    let err = fails_with(
        &out,
        "ipam::state::postgres::permission",
        "apply without rights",
    );
    assert!(
        err.contains("GRANT CREATE ON DATABASE perm TO plain"),
        "{err}"
    );
    assert!(!has_schema(server, "perm"));
    // With the schema made for it by an administrator, the user needs no more.
    admin
        .batch_execute("CREATE SCHEMA ipam AUTHORIZATION plain")
        .expect("schema");
    ok(&apply_at(&w, &url), "apply in a schema made for the user");
}

/// TLS by `sslmode`: `require` against a server without TLS fails (and `prefer` falls back),
/// and with TLS on, `require` encrypts, `verify-full` checks the CA and the host name,
/// `verify-ca` only the CA. Turns TLS on and off on the shared server: every other test
/// connects with `sslmode=disable`.
#[test]
fn tls_follows_sslmode() {
    let server = server!();
    server.database("tls");
    let w = workdir("tls");
    write_plan(&w.join("plan"), &["a"]);
    let port = server.port;
    let plan = |url: &str| run(&w, &["plan", "plan", "--create-state", "--state", url], &[]);
    let at = |host: &str, query: &str| format!("postgres://postgres@{host}:{port}/tls?{query}");

    let out = run(
        &w,
        &[
            "apply",
            "plan",
            "--auto-approve",
            "--state",
            &at("127.0.0.1", "sslmode=require"),
        ],
        &[],
    );
    let err = fails_with(
        &out,
        "ipam::state::postgres::tls",
        "sslmode=require without TLS",
    );
    assert!(
        err.contains(&format!("127.0.0.1:{port}")) && err.contains("database tls"),
        "{err}"
    );
    assert!(!has_schema(server, "tls"), "a refused connection wrote");
    ok(
        &run(
            &w,
            &[
                "apply",
                "plan",
                "--auto-approve",
                "--create-state",
                "--state",
                &at("127.0.0.1", "sslmode=prefer"),
            ],
            &[],
        ),
        "sslmode=prefer without TLS",
    );

    let Some(ca) = server.tls(true) else {
        return;
    };
    let ca = ca.to_str().expect("UTF-8").to_string();
    let checks: Vec<(String, Option<&str>)> = vec![
        (at("127.0.0.1", "sslmode=require"), None),
        (
            at(
                "localhost",
                &format!("sslmode=verify-full&sslrootcert={ca}"),
            ),
            None,
        ),
        (
            at("127.0.0.1", &format!("sslmode=verify-ca&sslrootcert={ca}")),
            None,
        ),
        (
            at(
                "127.0.0.1",
                &format!("sslmode=verify-full&sslrootcert={ca}"),
            ),
            Some("127.0.0.1"),
        ),
        (
            at("localhost", "sslmode=verify-full&sslrootcert=system"),
            Some("UnknownIssuer"),
        ),
        (
            at(
                "localhost",
                "sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
            ),
            Some("/nonexistent/ca.pem"),
        ),
    ];
    let mut failures = Vec::new();
    for (url, refused) in &checks {
        let out = plan(url);
        match refused {
            None if !out.status.success() => failures.push(format!("{url}: {}", text(&out))),
            Some(why) if out.status.code() != Some(1) || !flat(&text(&out)).contains(why) => {
                failures.push(format!(
                    "{url} should be refused naming {why}: {}",
                    text(&out)
                ));
            }
            _ => {}
        }
    }
    server.tls(false);
    assert!(failures.is_empty(), "{failures:#?}");
}
