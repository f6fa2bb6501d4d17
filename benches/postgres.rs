//! The PostgreSQL state backend beside the file backend (SPEC §12, §14):
//! `cargo bench --bench postgres`.
//!
//! Starts its own PostgreSQL server (as the tests do, `tests/common/pg.rs`, with fsync on as
//! in production) and times, end to end as the CLI runs them, on the generated plans of the
//! reconcile benchmark (1,000/10,000 and 10,000/100,000 pools/VPCs), each on a file state
//! and on a database state over TCP on this machine:
//!
//! - `plan+apply`: `ipam apply DIR --auto-approve` on an empty state;
//! - `no-op plan`: `ipam plan DIR` over the state written above;
//! - `apply one change`: one more VPC applied over the full state (what a merged pull
//!   request does in CI: read the whole state, write the whole next one).
//!
//! Each case is run `common::RUNS` times and the median printed, with the database/file
//! ratio. Then the storage of one large state body, in process, as each column type would
//! keep it (what chose `bytea` compressed by the server with lz4).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod common;
#[path = "common/generate.rs"]
mod generate;
// Shared with the tests, which use more of it.
#[allow(dead_code)]
#[path = "../tests/common/pg.rs"]
mod pg;

use common::{measure, run_cli};
use generate::generate;

/// Adds one VPC to the generated plan (a team file of its own).
fn add_one(dir: &Path, round: usize) {
    fs::write(
        dir.join("30-extra.toml"),
        format!("[vpcs.extra{round}]\npool = \"p0\"\nnetmask = 26\n"),
    )
    .expect("write the extra VPC");
}

/// Empties the database's state tables (between runs of a case that starts empty).
fn empty_database(admin: &mut postgres::Client) {
    // Before the first apply there are no tables yet.
    let _ = admin.batch_execute("TRUNCATE ipam.states, ipam.versions, ipam.locks");
}

/// The three cases on one state location; `reset` empties it.
fn cases(
    label: &str,
    dir: &Path,
    state: &str,
    mut reset: impl FnMut(),
) -> (Duration, Duration, Duration) {
    let path = dir.to_str().expect("UTF-8 path");
    let _ = fs::remove_file(dir.join("30-extra.toml"));
    let apply = measure(&format!("{label} plan+apply"), || {
        reset();
        run_cli(&["apply", path, "--auto-approve", "--state", state])
    });
    let noop = measure(&format!("{label} no-op plan"), || {
        run_cli(&["plan", path, "--detailed-exitcode", "--state", state])
    });
    let mut round = 0;
    let one = measure(&format!("{label} apply one change"), || {
        round += 1;
        add_one(dir, round);
        run_cli(&["apply", path, "--auto-approve", "--state", state])
    });
    let _ = fs::remove_file(dir.join("30-extra.toml"));
    (apply, noop, one)
}

/// Inserts and reads back one body as each column type would keep it.
fn storage(admin: &mut postgres::Client, body: &[u8]) {
    let text = std::str::from_utf8(body).expect("JSON is UTF-8");
    println!(
        "storing one state body ({:.1} MB of JSON), insert + commit / read back:",
        body.len() as f64 / 1e6
    );
    let kinds: [(&str, &str); 5] = [
        ("bytea, not compressed", "bytea STORAGE EXTERNAL"),
        ("bytea, pglz by PostgreSQL", "bytea"),
        ("bytea, lz4 by PostgreSQL (chosen)", "bytea COMPRESSION lz4"),
        ("text, pglz by PostgreSQL", "text"),
        ("jsonb", "jsonb"),
    ];
    for (label, column) in kinds {
        let (column, setting) = column.split_once(' ').unwrap_or((column, ""));
        admin
            .batch_execute(&format!(
                "DROP TABLE IF EXISTS bench_body; CREATE TABLE bench_body (b {column})"
            ))
            .expect("table");
        if !setting.is_empty()
            && let Err(e) = admin.batch_execute(&format!(
                "ALTER TABLE bench_body ALTER COLUMN b SET {setting}"
            ))
        {
            println!("  {label:<34} not available on this server: {e}");
            continue;
        }
        let mut inserts = Vec::new();
        let mut reads = Vec::new();
        for _ in 0..3 {
            admin
                .batch_execute("TRUNCATE bench_body")
                .expect("truncate");
            let start = Instant::now();
            let mut tx = admin.transaction().expect("begin");
            if column.starts_with("bytea") {
                tx.execute("INSERT INTO bench_body VALUES ($1)", &[&body])
            } else {
                tx.execute(
                    &format!("INSERT INTO bench_body VALUES ($1::text::{column})"),
                    &[&text],
                )
            }
            .expect("insert");
            tx.commit().expect("commit");
            inserts.push(start.elapsed());
            let start = Instant::now();
            let row = admin
                .query_one(
                    if column.starts_with("bytea") {
                        "SELECT b FROM bench_body"
                    } else {
                        "SELECT b::text::bytea FROM bench_body"
                    },
                    &[],
                )
                .expect("select");
            let back: &[u8] = row.get(0);
            assert!(!back.is_empty());
            reads.push(start.elapsed());
        }
        inserts.sort();
        reads.sort();
        let size: i64 = admin
            .query_one("SELECT pg_total_relation_size('bench_body')::bigint", &[])
            .expect("size")
            .get(0);
        println!(
            "  {label:<34} {:>7.3} s / {:>6.3} s   on disk {:>6.1} MB",
            inserts[1].as_secs_f64(),
            reads[1].as_secs_f64(),
            size as f64 / 1e6
        );
    }
    admin.batch_execute("DROP TABLE bench_body").expect("drop");
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported.
    let Some(server) = pg::Server::start_durable("bench") else {
        return;
    };
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-postgres");
    server.database("bench");
    let url = server.url("postgres", "bench");
    let mut admin = server.admin("bench");
    let mut rows = Vec::new();
    for (pools, vpcs) in [(1_000, 10_000), (10_000, 100_000)] {
        let dir = root.join(format!("{pools}-{vpcs}"));
        generate(&dir, pools, vpcs);
        let file = dir.join("ipam.state.json");
        let file_arg = file.to_str().expect("UTF-8 path").to_string();
        let size = format!("{pools} pools / {vpcs} VPCs");
        let on_file = cases(&format!("file {size}"), &dir, &file_arg, || {
            let _ = fs::remove_file(&file);
        });
        let on_db = cases(&format!("postgres {size}"), &dir, &url, || {
            empty_database(&mut admin)
        });
        rows.push((size, on_file, on_db));
    }
    println!("postgres / file:");
    let ratio = |db: Duration, file: Duration| db.as_secs_f64() / file.as_secs_f64();
    for (size, f, d) in &rows {
        println!(
            "  {size:<30} plan+apply {:.2}x   no-op plan {:.2}x   apply one change {:.2}x",
            ratio(d.0, f.0),
            ratio(d.1, f.1),
            ratio(d.2, f.2)
        );
    }
    let body = fs::read(root.join("10000-100000").join("ipam.state.json")).expect("state");
    let compact: serde_json::Value = serde_json::from_slice(&body).expect("state parses");
    let compact = serde_json::to_vec(&compact).expect("encode");
    storage(&mut admin, &compact);
}
