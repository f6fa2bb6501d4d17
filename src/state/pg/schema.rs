//! The tool's own PostgreSQL schema `ipam`, created and migrated by the tool: migrations run
//! in order, each in its own transaction under a transaction-level advisory lock, so two
//! processes that start at once never both run one (the second waits, then finds it done).
//! `ipam.schema_version` holds one row per applied migration.
//!
//! Never edit a migration that has shipped: add the next one.

use postgres::Client;

/// The advisory lock class of every lock the tool takes ("ipam" in ASCII), so its keys do
/// not meet other applications' advisory locks. Object 0 is the migration lock; a state's
/// lock is `hashtext(name)`.
pub const LOCK_CLASS: i32 = 0x6970_616d;

/// Migrations, in order; the schema's version is the number of the last one applied.
const MIGRATIONS: &[&str] = &[
    // 1: the current state per name, every version, the lock record, snapshot history.
    "CREATE TABLE ipam.versions (
        name        text        NOT NULL,
        serial      bigint      NOT NULL CHECK (serial > 0),
        lineage     text        NOT NULL,
        written_at  timestamptz NOT NULL DEFAULT now(),
        written_by  text        NOT NULL,
        changes     jsonb,
        encoding    text        NOT NULL,
        body        bytea       NOT NULL,
        PRIMARY KEY (name, serial)
     );
     DO $$ BEGIN
        -- lz4 (PostgreSQL 14 and later, where built with it) writes a large body in about
        -- half the time of the default pglz; elsewhere pglz it is.
        EXECUTE 'ALTER TABLE ipam.versions ALTER COLUMN body SET COMPRESSION lz4';
     EXCEPTION WHEN OTHERS THEN NULL;
     END $$;
     CREATE TABLE ipam.states (
        name        text        PRIMARY KEY,
        serial      bigint      NOT NULL,
        lineage     text        NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (name, serial) REFERENCES ipam.versions (name, serial)
     );
     CREATE TABLE ipam.locks (
        name        text        PRIMARY KEY,
        id          text        NOT NULL,
        operation   text        NOT NULL,
        who         text        NOT NULL,
        host        text        NOT NULL,
        pid         bigint      NOT NULL,
        since       timestamptz NOT NULL,
        location    text        NOT NULL,
        backend_pid integer     NOT NULL
     );
     CREATE TABLE ipam.history (
        id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name        text        NOT NULL,
        recorded_at timestamptz NOT NULL,
        kind        text        NOT NULL CHECK (kind IN ('apply', 'audit')),
        serial      bigint,
        body        jsonb       NOT NULL
     );
     CREATE INDEX history_by_name_and_time ON ipam.history (name, recorded_at);",
];

/// The schema version this build reads and writes.
pub const LATEST: i32 = MIGRATIONS.len() as i32;

/// The schema's version: `None` when the tool has never written to this database.
pub fn version(client: &mut Client) -> Result<Option<i32>, postgres::Error> {
    let exists: bool = client
        .query_one("SELECT to_regclass('ipam.schema_version') IS NOT NULL", &[])?
        .get(0);
    if !exists {
        return Ok(None);
    }
    let v: Option<i32> = client
        .query_one("SELECT max(version) FROM ipam.schema_version", &[])?
        .get(0);
    Ok(Some(v.unwrap_or(0)))
}

/// Brings the schema to [`LATEST`], creating it on first use; `Ok(Some(found))` when it is
/// newer than this build knows (nothing is changed then).
pub fn migrate(client: &mut Client, from: Option<i32>) -> Result<Option<i32>, postgres::Error> {
    if let Some(v) = from {
        if v > LATEST {
            return Ok(Some(v));
        }
        if v == LATEST {
            return Ok(None);
        }
    }
    for (index, sql) in MIGRATIONS.iter().enumerate() {
        let number = index as i32 + 1;
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1, 0)", &[&LOCK_CLASS])?;
        // Checked before creating: CREATE SCHEMA needs a right on the database even when
        // the schema exists, and an administrator may have created it for a user without.
        let schema: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'ipam')",
                &[],
            )?
            .get(0);
        if !schema {
            tx.batch_execute("CREATE SCHEMA ipam")?;
        }
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS ipam.schema_version (
                version    integer     PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT now()
             );",
        )?;
        let done: Option<i32> = tx
            .query_one("SELECT max(version) FROM ipam.schema_version", &[])?
            .get(0);
        let done = done.unwrap_or(0);
        if done > LATEST {
            return Ok(Some(done));
        }
        if done >= number {
            tx.commit()?;
            continue;
        }
        tx.batch_execute(sql)?;
        tx.execute(
            "INSERT INTO ipam.schema_version (version) VALUES ($1)",
            &[&number],
        )?;
        tx.commit()?;
    }
    Ok(None)
}
