//! A real PostgreSQL server for the tests and the benchmark: initdb and pg_ctl from the
//! newest `/usr/lib/postgresql/*/bin`, a data and socket directory of its own under the
//! system temp dir, a private port on 127.0.0.1, run as the `postgres` user when the tests
//! run as root. One shared server per test binary, stopped when the binary exits (and a
//! server a killed earlier run left behind is stopped before a new one starts); tests that
//! stop their server start one of their own.
//!
//! Where PostgreSQL is not installed the caller gets `None` and a loud notice; with
//! `IPAM_REQUIRE_POSTGRES=1` (CI) that is a failure instead.

use std::fs;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The role with a password; every other connection is trusted.
pub const PASSWORD_USER: &str = "pwuser";
pub const PASSWORD: &str = "pw-Secret-4242";

/// A running server.
#[derive(Debug)]
pub struct Server {
    pub port: u16,
    pub socket_dir: PathBuf,
    data: PathBuf,
    bin: PathBuf,
    /// Run the server's programs as the `postgres` user (the tests run as root).
    as_postgres: bool,
    /// Stop it when this value is dropped (not the shared one: statics are never dropped).
    owned: bool,
    /// Whether the server syncs its writes (the benchmark: as in production; tests: not).
    fsync: bool,
}

static SHARED: OnceLock<Option<Server>> = OnceLock::new();

/// The shared server of this test binary, started on first use.
pub fn shared() -> Option<&'static Server> {
    SHARED
        .get_or_init(|| {
            let server = Server::start("shared", false, false)?;
            // Statics are not dropped: stop the server when the test binary exits.
            unsafe { libc::atexit(stop_shared) };
            Some(server)
        })
        .as_ref()
}

extern "C" fn stop_shared() {
    if let Some(Some(server)) = SHARED.get() {
        server.stop();
    }
}

/// Whether CI asked for the PostgreSQL tests to run whatever happens.
pub fn required() -> bool {
    std::env::var("IPAM_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

fn unavailable(why: &str) -> Option<Server> {
    assert!(
        !required(),
        "IPAM_REQUIRE_POSTGRES=1, but the PostgreSQL tests cannot run: {why}"
    );
    eprintln!(
        "\n************************************************************\n\
         SKIPPED: the PostgreSQL backend tests did not run: {why}.\n\
         Install PostgreSQL (apt-get install postgresql) to run them.\n\
         ************************************************************\n"
    );
    None
}

/// The newest installed PostgreSQL's `bin` directory.
fn binaries() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    unsafe { libc::geteuid() == 0 }
}

/// A directory under the system temp dir unique to this checkout, test binary and `tag`,
/// so runs of other checkouts never meet it.
fn base_dir(tag: &str) -> PathBuf {
    let mut h = DefaultHasher::new();
    env!("CARGO_MANIFEST_DIR").hash(&mut h);
    let exe = std::env::current_exe().ok();
    let binary = exe
        .as_deref()
        .and_then(Path::file_stem)
        .and_then(|s| s.to_str())
        .and_then(|s| s.split('-').next())
        .unwrap_or("test")
        .to_string();
    std::env::temp_dir()
        .join("ipam-pg-tests")
        .join(format!("{:08x}-{binary}-{tag}", h.finish() as u32))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Server {
    /// Starts a server of the caller's own that syncs its writes as a production one does,
    /// stopped when it is dropped.
    pub fn start_durable(tag: &str) -> Option<Server> {
        Server::start(tag, true, true)
    }

    fn start(tag: &str, owned: bool, fsync: bool) -> Option<Server> {
        let Some(bin) = binaries() else {
            return unavailable("no initdb/pg_ctl in /usr/lib/postgresql/*/bin");
        };
        let as_postgres = is_root();
        if as_postgres
            && !Path::new("/usr/sbin/runuser").exists()
            && !Path::new("/sbin/runuser").exists()
        {
            return unavailable("the tests run as root and runuser is missing");
        }
        let base = base_dir(tag);
        let data = base.join("data");
        let socket_dir = base.join("sock");
        let mut server = Server {
            port: free_port(),
            socket_dir,
            data,
            bin,
            as_postgres,
            owned: true,
            fsync,
        };
        // A server a killed earlier run left behind.
        if server.data.join("postmaster.pid").exists() {
            server.stop();
        }
        let _ = fs::remove_dir_all(&base);
        fs::create_dir_all(&server.socket_dir).expect("server dirs");
        let _ = fs::set_permissions(
            base.parent().expect("parent"),
            fs::Permissions::from_mode(0o755),
        );
        if as_postgres {
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&base));
        }
        let data = server.data.to_str().expect("UTF-8 path").to_string();
        let out = server.pg(&[
            "initdb",
            "-D",
            &data,
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        ]);
        assert!(
            out.status.success(),
            "initdb: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        fs::write(
            server.data.join("pg_hba.conf"),
            format!(
                "local all all trust\n\
                 host all {PASSWORD_USER} 127.0.0.1/32 scram-sha-256\n\
                 host all all 127.0.0.1/32 trust\n"
            ),
        )
        .expect("pg_hba.conf");
        server.start_again();
        server.owned = owned;
        let mut admin = server.admin("postgres");
        admin
            .batch_execute(&format!(
                "CREATE ROLE {PASSWORD_USER} LOGIN PASSWORD '{PASSWORD}'"
            ))
            .expect("password role");
        Some(server)
    }

    /// Runs one of the server's programs (as `postgres` when root).
    fn pg(&self, args: &[&str]) -> Output {
        let program = self.bin.join(args[0]);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        cmd.args(&args[1..]).current_dir(std::env::temp_dir());
        run(&mut cmd)
    }

    /// Starts (or restarts after [`stop`](Self::stop)) the server on its port.
    pub fn start_again(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync={} -c max_connections=100",
            self.port,
            self.socket_dir.display(),
            if self.fsync { "on" } else { "off" }
        );
        let data = self.data.to_str().expect("UTF-8 path");
        let log = self.data.join("server.log");
        let out = self.pg(&[
            "pg_ctl",
            "start",
            "-w",
            "-D",
            data,
            "-l",
            log.to_str().expect("UTF-8"),
            "-o",
            &options,
        ]);
        assert!(
            out.status.success(),
            "pg_ctl start: {}{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            fs::read_to_string(&log).unwrap_or_default()
        );
    }

    /// Stops the server at once (as a crash would).
    pub fn stop(&self) {
        let data = self.data.to_str().expect("UTF-8 path");
        let _ = self.pg(&["pg_ctl", "stop", "-w", "-m", "immediate", "-D", data]);
    }

    /// A URL for `user` to database `db` over TCP, without TLS.
    pub fn url(&self, user: &str, db: &str) -> String {
        format!(
            "postgres://{user}@127.0.0.1:{}/{db}?sslmode=disable",
            self.port
        )
    }

    /// Turns TLS on (`true`) or off with a certificate for `localhost` signed by a CA of
    /// its own, made with the `openssl` program; returns that CA's PEM file, or `None` when
    /// there is no `openssl` (and it is not required).
    pub fn tls(&self, on: bool) -> Option<PathBuf> {
        let dir = self.data.join("tls");
        let ca = dir.join("ca.pem");
        if on && !ca.exists() {
            let made = make_certificates(&dir);
            if !made {
                assert!(
                    !required(),
                    "IPAM_REQUIRE_POSTGRES=1, but openssl is missing"
                );
                eprintln!("SKIPPED: the TLS checks need the openssl program");
                return None;
            }
            if self.as_postgres {
                run(Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(&dir));
            }
        }
        let mut admin = self.admin("postgres");
        let sql = if on {
            format!(
                "ALTER SYSTEM SET ssl_cert_file = '{}'; ALTER SYSTEM SET ssl_key_file = '{}'; \
                 ALTER SYSTEM SET ssl = on",
                dir.join("server.crt").display(),
                dir.join("server.key").display()
            )
        } else {
            "ALTER SYSTEM RESET ssl".to_string()
        };
        for statement in sql.split("; ") {
            admin.batch_execute(statement).expect("ALTER SYSTEM");
        }
        admin
            .batch_execute("SELECT pg_reload_conf()")
            .expect("reload");
        // The reload is asynchronous: wait until new connections see the setting.
        let want = if on { "on" } else { "off" };
        for _ in 0..100 {
            let now: String = self
                .admin("postgres")
                .query_one("SHOW ssl", &[])
                .expect("SHOW ssl")
                .get(0);
            if now == want {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Some(ca)
    }

    /// A superuser connection to `db`.
    pub fn admin(&self, db: &str) -> postgres::Client {
        postgres::Client::connect(
            &format!(
                "host=127.0.0.1 port={} user=postgres dbname={db}",
                self.port
            ),
            postgres::NoTls,
        )
        .expect("connect as postgres")
    }

    /// A new empty database named `name` (dropped first if a test ran before), and a URL to
    /// it for the superuser.
    pub fn database(&self, name: &str) -> String {
        let mut admin = self.admin("postgres");
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .expect("drop database");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create database");
        self.url("postgres", name)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.owned {
            self.stop();
        }
    }
}

/// A CA and a server certificate for `localhost` signed by it, in `dir`; false without
/// `openssl`.
fn make_certificates(dir: &Path) -> bool {
    let _ = fs::create_dir_all(dir);
    let openssl = |args: &[&str]| {
        Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let extensions = dir.join("server.ext");
    let _ = fs::write(
        &extensions,
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    );
    let made = openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=ipam test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
    ]) && openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]) && openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]);
    made && fs::set_permissions(dir.join("server.key"), fs::Permissions::from_mode(0o600)).is_ok()
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run a PostgreSQL program")
}
