//! `ipam completions SHELL`: shell completion scripts and the man page, generated from the
//! command-line definition so they cannot fall behind it.

use std::io::Write;
use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::diag::Diag;

/// What `ipam completions` prints.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Target {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
    /// The man page (roff), for `man 1 ipam`.
    Man,
}

pub fn run(target: Target) -> ExitCode {
    let mut command = super::Cli::command();
    let mut out = Vec::new();
    let shell = match target {
        Target::Bash => Shell::Bash,
        Target::Zsh => Shell::Zsh,
        Target::Fish => Shell::Fish,
        Target::Powershell => Shell::PowerShell,
        Target::Elvish => Shell::Elvish,
        Target::Man => {
            if let Err(e) = clap_mangen::Man::new(command).render(&mut out) {
                return super::fail(Diag::error(
                    "ipam::completions::man",
                    format!("cannot render the man page: {e}"),
                ));
            }
            return print(&out);
        }
    };
    clap_complete::generate(shell, &mut command, "ipam", &mut out);
    print(&out)
}

fn print(bytes: &[u8]) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => super::fail(Diag::error(
            "ipam::io::write",
            format!("cannot write to standard output: {e}"),
        )),
    }
}
