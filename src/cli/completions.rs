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
            if let Err(e) = man_page(command, &mut out) {
                return super::fail(
                    Diag::error(
                        "ipam::completions::man",
                        format!("cannot render the man page: {e}"),
                    )
                    .help("this is a defect of ipam: please report it with the command line"),
                );
            }
            return print(&out);
        }
    };
    clap_complete::generate(shell, &mut command, "ipam", &mut out);
    print(&out)
}

/// One page for the whole tool: the synopsis, then every command with its own synopsis,
/// description and options (clap_mangen's own page only names them, pointing at one page per
/// command, which a single output cannot hold).
fn man_page(mut command: clap::Command, out: &mut Vec<u8>) -> std::io::Result<()> {
    command.build();
    let page = clap_mangen::Man::new(command.clone());
    let mut roff = Vec::new();
    page.render_title(&mut roff)?;
    page.render_name_section(&mut roff)?;
    page.render_synopsis_section(&mut roff)?;
    page.render_description_section(&mut roff)?;
    page.render_options_section(&mut roff)?;
    writeln!(roff, ".SH COMMANDS")?;
    for sub in command
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        let name = sub.get_bin_name().unwrap_or(sub.get_name());
        writeln!(roff, ".SS \"{}\"", name.replace('-', "\\-"))?;
        let man = clap_mangen::Man::new(sub.clone());
        let mut section = Vec::new();
        man.render_synopsis_section(&mut section)?;
        man.render_description_section(&mut section)?;
        man.render_options_section(&mut section)?;
        // These are subsections of COMMANDS: their own headings become paragraph breaks.
        for line in String::from_utf8_lossy(&section).lines() {
            match line.strip_prefix(".SH ") {
                Some(_) => writeln!(roff, ".PP")?,
                None => writeln!(roff, "{line}")?,
            }
        }
    }
    page.render_version_section(&mut roff)?;
    // Each rendered part starts with the same two-line preamble; the page needs it once.
    let text = String::from_utf8_lossy(&roff);
    let mut preamble = 0;
    for line in text.lines() {
        let is_preamble = line.starts_with(".ie \\n(.g .ds Aq") || line.starts_with(".el .ds Aq");
        if is_preamble {
            preamble += 1;
            if preamble > 2 {
                continue;
            }
        }
        writeln!(out, "{line}")?;
    }
    Ok(())
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
