//! Headless Chromium for the report tests: find it, open a file with no network and a
//! fresh profile, and see what it did. Without a browser the tests that need one say so
//! loudly and pass, unless `IPAM_REQUIRE_BROWSER=1` (set by CI) makes them fail.

use std::io::Read as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The flags every run gets: no GPU, no sandbox (CI runs as root), none of Chromium's own
/// background traffic that can be turned off.
const FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
];

/// Hosts of Chromium's own services, which it contacts whatever page it shows (time,
/// component updates, accounts) even with background networking off: requests to them are
/// not the page's.
const CHROMIUM_OWN: [&str; 6] = [
    ".google.com",
    ".googleapis.com",
    ".gstatic.com",
    ".googleusercontent.com",
    ".gvt1.com",
    ".gvt2.com",
];

/// The browser, or `None` after saying loudly that the test is skipped (a failure when
/// `IPAM_REQUIRE_BROWSER=1`).
pub fn find(test: &str) -> Option<PathBuf> {
    let named = std::env::var_os("IPAM_CHROMIUM")
        .map(PathBuf::from)
        .filter(|p| p.is_file());
    let found = named.or_else(|| {
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path).find_map(|dir| {
            [
                "chromium",
                "chromium-browser",
                "google-chrome",
                "google-chrome-stable",
            ]
            .iter()
            .map(|n| dir.join(n))
            .find(|p| p.is_file())
        })
    });
    if found.is_none() {
        let required = std::env::var("IPAM_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
        let message = format!(
            "\n\n*** SKIPPED {test}: no Chromium found (install Debian's `chromium`, or set \
             IPAM_CHROMIUM). The report was NOT checked in a browser. ***\n"
        );
        assert!(!required, "{message}IPAM_REQUIRE_BROWSER=1 requires it.");
        // Written to the process's stderr, past the test harness's capture of `eprintln!`,
        // so a passing run still shows it.
        let _ = std::io::Write::write_all(&mut std::io::stderr(), message.as_bytes());
    }
    found
}

/// What one browser run saw.
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    /// The first line of every request that reached the proxy, Chromium's own services
    /// left out.
    pub requests: Vec<String>,
}

impl Run {
    /// Console messages the page logged (`--enable-logging` writes them as CONSOLE lines).
    pub fn console(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.contains(":CONSOLE"))
            .collect()
    }
}

/// Opens `page` in a fresh profile under `work`, with `extra` flags (`--dump-dom`,
/// `--screenshot=…`), every HTTP and HTTPS request sent to a local proxy that records it and
/// answers nothing, and console logging on.
pub fn open(browser: &Path, work: &Path, page: &Path, extra: &[&str]) -> Run {
    let proxy = TcpListener::bind("127.0.0.1:0").expect("proxy port");
    let port = proxy.local_addr().expect("addr").port();
    proxy.set_nonblocking(true).expect("nonblocking");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let done = Arc::new(AtomicBool::new(false));
    let listener = {
        let (seen, done) = (Arc::clone(&seen), Arc::clone(&done));
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                match proxy.accept() {
                    Ok((mut c, _)) => {
                        let _ = c.set_read_timeout(Some(Duration::from_secs(2)));
                        let mut buf = [0u8; 512];
                        let n = c.read(&mut buf).unwrap_or(0);
                        let line = String::from_utf8_lossy(&buf[..n])
                            .lines()
                            .next()
                            .unwrap_or("(a connection that sent nothing)")
                            .to_string();
                        if let Ok(mut s) = seen.lock() {
                            s.push(line);
                        }
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        })
    };
    let profile = work.join(format!("profile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&profile);
    let url = format!(
        "file://{}",
        std::fs::canonicalize(page).expect("page").display()
    );
    let mut child = Command::new(browser)
        .args(FLAGS)
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--proxy-server=http://127.0.0.1:{port}"))
        .arg("--proxy-bypass-list=<-loopback>")
        .args(["--enable-logging=stderr", "--v=0"])
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the browser");
    // Read both pipes while waiting, so a large DOM never blocks the browser.
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the browser did not finish within 180 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    done.store(true, Ordering::Relaxed);
    let _ = listener.join();
    let _ = std::fs::remove_dir_all(&profile);
    let requests = seen
        .lock()
        .map(|s| s.clone())
        .unwrap_or_default()
        .into_iter()
        .filter(|line| !chromium_own(line))
        .collect();
    Run {
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        requests,
    }
}

/// Whether a proxied request line (`GET http://host/… HTTP/1.1`, `CONNECT host:443 …`)
/// goes to one of Chromium's own services.
fn chromium_own(line: &str) -> bool {
    let target = line.split_whitespace().nth(1).unwrap_or("");
    let rest = target
        .strip_prefix("http://")
        .or_else(|| target.strip_prefix("https://"))
        .unwrap_or(target);
    let host = rest.split(['/', ':']).next().unwrap_or("");
    let host = format!(".{host}");
    CHROMIUM_OWN.iter().any(|d| host.ends_with(d))
}

/// The number of distinct colours of a PNG screenshot, and its size.
pub fn colours(png_file: &Path) -> (usize, u32, u32) {
    let file = std::fs::File::open(png_file).expect("screenshot");
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("a frame");
    let pixel = info.color_type.samples();
    let mut seen = std::collections::BTreeSet::new();
    for px in buf[..info.buffer_size()].chunks_exact(pixel) {
        seen.insert(px.to_vec());
    }
    (seen.len(), info.width, info.height)
}
