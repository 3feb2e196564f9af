//! What an installed galley carries beside its binary: shell completions and manual pages.
//! Both are generated from the same clap definitions as the parser (`Cli`), so they cannot
//! drift from the options galley really takes; the package script (`scripts/package.sh`)
//! writes them out with `galley completions SHELL` and the hidden `galley manpages DIR`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{CommandFactory, ValueEnum};

use super::Cli;

/// The shells `galley completions` writes for (DESIGN.md: bash, zsh, fish).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

impl CompletionShell {
    fn generator(self) -> clap_complete::Shell {
        match self {
            Self::Bash => clap_complete::Shell::Bash,
            Self::Zsh => clap_complete::Shell::Zsh,
            Self::Fish => clap_complete::Shell::Fish,
        }
    }
}

/// The completion script for `shell`, for a binary called `galley`.
pub fn completion_script(shell: CompletionShell) -> Vec<u8> {
    let mut script = Vec::new();
    clap_complete::generate(shell.generator(), &mut Cli::command(), "galley", &mut script);
    script
}

/// `galley completions SHELL`: the script on stdout.
pub fn completions(shell: CompletionShell) -> anyhow::Result<()> {
    // Generated into memory first: clap_complete panics on a failed write (a closed pipe).
    let script = completion_script(shell);
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&script).and_then(|()| stdout.flush()).context("cannot write the completion script")
}

/// `galley manpages DIR`: writes `galley.1` and one page per subcommand (`galley-fetch.1`,
/// ...) into `dir`, and returns their paths.
pub fn write_manpages(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    clap_mangen::generate_to(Cli::command(), dir)
        .with_context(|| format!("cannot write the manual pages into {}", dir.display()))?;
    let mut pages = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let path = entry.with_context(|| format!("cannot list {}", dir.display()))?.path();
        if path.extension().is_some_and(|extension| extension == "1") {
            pages.push(path);
        }
    }
    pages.sort();
    Ok(pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shell_gets_a_script_that_knows_the_subcommands() {
        for shell in CompletionShell::value_variants() {
            let script = String::from_utf8(completion_script(*shell)).expect("completion scripts are text");
            for word in ["fetch", "demo-server", "completions", "concurrency", "api-base"] {
                assert!(script.contains(word), "{shell:?} completions lack {word}");
            }
        }
    }

    #[test]
    fn the_manpages_command_is_hidden_from_users() {
        let command = Cli::command();
        let manpages = command.find_subcommand("manpages").expect("exists");
        assert!(manpages.is_hide_set());
        let help = command.clone().render_help().to_string();
        assert!(help.contains("completions") && !help.contains("manpages"), "{help}");
    }

    #[test]
    fn manual_pages_cover_galley_and_each_visible_subcommand() {
        let dir = tempfile::tempdir().expect("temp dir");
        let pages = write_manpages(dir.path()).expect("pages written");
        let names: Vec<_> =
            pages.iter().filter_map(|page| page.file_name()).map(|name| name.to_string_lossy().into_owned()).collect();
        let expected = [
            "galley-completions.1",
            "galley-demo-server.1",
            "galley-dupes.1",
            "galley-fetch.1",
            "galley-follow-add.1",
            "galley-follow-check.1",
            "galley-follow-list.1",
            "galley-follow-remove.1",
            "galley-follow.1",
            "galley.1",
        ];
        assert_eq!(names, expected);
        let fetch = std::fs::read_to_string(dir.path().join("galley-fetch.1")).expect("readable");
        assert!(fetch.starts_with(".ie") || fetch.contains(".TH galley\\-fetch 1"), "not a roff page: {fetch:.80}");
        assert!(fetch.contains("concurrency"));
    }
}
