//! The picture flags of the examples: `--html <file>`, `--mermaid <file>`, `--svg <file>`.

use super::SequenceDiagram;
use crate::cli::UsageError;
use std::path::{Path, PathBuf};

/// The files an example was asked to draw its run into, from its command line.
///
/// ```
/// use common::picture::PictureFiles;
///
/// let args: Vec<String> = ["36", "--html", "duel.html"].map(String::from).to_vec();
/// let (files, rest) = PictureFiles::parse("duel", &args).unwrap();
/// assert_eq!(files.html.as_deref(), Some(std::path::Path::new("duel.html")));
/// assert_eq!(rest, ["36"], "the example's own arguments are left, in order");
/// assert!(PictureFiles::parse("duel", &["--png".to_string(), "x".into()]).is_err());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PictureFiles {
    /// `--html <file>`: the sequence diagram as a self-contained HTML page.
    pub html: Option<PathBuf>,
    /// `--mermaid <file>`: the sequence diagram as Mermaid text.
    pub mermaid: Option<PathBuf>,
    /// `--svg <file>`: the sequence diagram as a bare SVG (what the READMEs embed).
    pub svg: Option<PathBuf>,
}

impl PictureFiles {
    /// How the flags read in a usage line.
    pub const USAGE: &'static str = "[--html <file>] [--mermaid <file>] [--svg <file>]";

    /// Takes the picture flags (`--name value` or `--name=value`) out of `args` and
    /// returns them with the other arguments, in order. Any other flag, a flag without
    /// a value or given twice is an error naming `program`.
    pub fn parse(program: &str, args: &[String]) -> Result<(Self, Vec<String>), UsageError> {
        let mut files = PictureFiles::default();
        let mut rest = Vec::new();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let Some(flag) = arg.strip_prefix("--") else {
                rest.push(arg.clone());
                continue;
            };
            let (name, inline) = match flag.split_once('=') {
                Some((name, value)) => (name, Some(value.to_string())),
                None => (flag, None),
            };
            let slot = match name {
                "html" => &mut files.html,
                "mermaid" => &mut files.mermaid,
                "svg" => &mut files.svg,
                _ => {
                    return Err(UsageError(format!(
                        "`{program}`: unknown flag --{name}; it accepts --html, --mermaid and --svg"
                    )));
                }
            };
            let value = match inline {
                Some(value) => value,
                None => args.next().cloned().ok_or_else(|| {
                    UsageError(format!("`{program}`: flag --{name} needs a file name"))
                })?,
            };
            if value.is_empty() {
                return Err(UsageError(format!(
                    "`{program}`: flag --{name} needs a file name"
                )));
            }
            if slot.replace(PathBuf::from(value)).is_some() {
                return Err(UsageError(format!(
                    "`{program}`: flag --{name} given twice"
                )));
            }
        }
        Ok((files, rest))
    }

    /// [`PictureFiles::parse`] on the process's arguments; a usage error is printed with
    /// `usage` and ends the process with exit code 2.
    pub fn from_args(program: &str, usage: &str) -> (Self, Vec<String>) {
        let args: Vec<String> = std::env::args().skip(1).collect();
        Self::parse(program, &args).unwrap_or_else(|e| crate::cli::exit_usage(&e.0, usage))
    }

    /// [`PictureFiles::from_args`] for a program that takes no other argument: anything
    /// else on its command line is a usage error (exit code 2).
    pub fn only_from_args(program: &str) -> Self {
        let usage = format!("{program} {}", Self::USAGE);
        let (files, rest) = Self::from_args(program, &usage);
        if let Some(extra) = rest.first() {
            crate::cli::exit_usage(
                &format!("`{program}`: unexpected argument `{extra}`"),
                &usage,
            );
        }
        files
    }

    /// Whether any picture was asked for.
    pub fn any(&self) -> bool {
        self.html.is_some() || self.mermaid.is_some() || self.svg.is_some()
    }

    /// Writes `diagram` into every file asked for (creating folders); returns the files
    /// written, or what could not be written.
    pub fn write(&self, diagram: &SequenceDiagram) -> Result<Vec<PathBuf>, String> {
        let mut written = Vec::new();
        let outputs: [(&Option<PathBuf>, Render); 3] = [
            (&self.html, SequenceDiagram::to_html),
            (&self.mermaid, SequenceDiagram::to_mermaid),
            (&self.svg, SequenceDiagram::to_svg),
        ];
        for (path, render) in outputs {
            if let Some(path) = path {
                write_file(path, &render(diagram))?;
                written.push(path.clone());
            }
        }
        Ok(written)
    }

    /// [`PictureFiles::write`], printing each file written; a failure is printed and
    /// ends the process with exit code 1.
    pub fn write_or_exit(&self, diagram: &SequenceDiagram) {
        match self.write(diagram) {
            Ok(written) => {
                for path in written {
                    println!("wrote {}", path.display());
                }
            }
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        }
    }
}

/// One rendering of a diagram.
type Render = fn(&SequenceDiagram) -> String;

fn write_file(path: &Path, contents: &str) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(path, contents).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn picture_flags_are_taken_out_and_the_rest_kept_in_order() {
        let (files, rest) =
            PictureFiles::parse("x", &args(&["a", "--svg=d.svg", "b", "--mermaid", "d.mmd"]))
                .expect("valid flags");
        assert_eq!(files.svg, Some(PathBuf::from("d.svg")));
        assert_eq!(files.mermaid, Some(PathBuf::from("d.mmd")));
        assert_eq!(files.html, None);
        assert_eq!(rest, ["a", "b"]);
    }

    #[test]
    fn unknown_repeated_or_valueless_flags_are_usage_errors() {
        for bad in [
            &["--png", "x"][..],
            &["--html"][..],
            &["--html", "a", "--html", "b"][..],
            &["--svg="][..],
        ] {
            let err = PictureFiles::parse("duel", &args(bad))
                .expect_err("a bad command line must be refused");
            assert!(err.0.starts_with("`duel`: "), "{err}");
        }
    }
}
