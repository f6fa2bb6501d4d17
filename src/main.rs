//! The `ipam` binary: everything is in `ipam::cli`; this only turns its outcome into an exit
//! code.

fn main() -> std::process::ExitCode {
    // Output piped into `head` or `less` that closes early ends the process quietly, as
    // with any Unix tool, instead of failing a write (Rust ignores SIGPIPE by default, and
    // `println!` panics on the error that follows).
    #[cfg(unix)]
    // SAFETY: called first thing, before any other thread exists; SIG_DFL is a valid
    // disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    ipam::cli::run()
}
