//! The `ipam` binary: everything is in `ipam::cli`; this only turns its outcome into an exit
//! code.

fn main() -> std::process::ExitCode {
    ipam::cli::run()
}
