//! What the end-to-end benchmarks share: running the real binary under GNU time, and
//! medians over several runs.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs per case; the median is printed.
pub const RUNS: usize = 5;

/// Runs the `ipam` binary as a user would (output to /dev/null) under GNU time: wall
/// seconds and the process's peak resident memory in MiB (`None` without /usr/bin/time).
pub fn run_cli(args: &[&str]) -> (Duration, Option<f64>) {
    run_cli_exiting(args, 0)
}

/// [`run_cli`] for a run that must end with exit code `code` (1: a plan that is refused).
pub fn run_cli_exiting(args: &[&str], code: i32) -> (Duration, Option<f64>) {
    let time = Path::new("/usr/bin/time");
    let mut cmd = if time.exists() {
        let mut c = Command::new(time);
        c.args(["-f", "%M", env!("CARGO_BIN_EXE_ipam")]);
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_ipam"))
    };
    cmd.args(args).stdout(Stdio::null()).stderr(Stdio::piped());
    let start = Instant::now();
    let out = cmd.output().expect("run ipam");
    let elapsed = start.elapsed();
    assert_eq!(
        out.status.code(),
        Some(code),
        "ipam {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kb = String::from_utf8_lossy(&out.stderr)
        .lines()
        .last()
        .and_then(|l| l.trim().parse::<f64>().ok());
    (elapsed, kb.map(|k| k / 1024.0))
}

/// Runs a case `RUNS` times and prints its median, every run, and the peak memory.
pub fn measure(name: &str, mut f: impl FnMut() -> (Duration, Option<f64>)) -> Duration {
    let mut times = Vec::new();
    let mut peak: f64 = 0.0;
    for _ in 0..RUNS {
        let (t, mib) = f();
        times.push(t);
        peak = peak.max(mib.unwrap_or(0.0));
    }
    times.sort();
    let median = times[times.len() / 2];
    let runs: Vec<String> = times
        .iter()
        .map(|t| format!("{:.2}", t.as_secs_f64()))
        .collect();
    println!(
        "{name:<40} {:>9.3} s   peak {:>6.0} MiB   (runs {})",
        median.as_secs_f64(),
        peak,
        runs.join(" ")
    );
    median
}
