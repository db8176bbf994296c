//! Command-line help in Chinese for both binaries, from a table of `(path, text)` beside each
//! clap definition: the path is the subcommand names then the argument id (`"scan key"`), or
//! the subcommand names alone for its description; global arguments are named alone.
//!
//! clap and std only: build.rs compiles it (through `src/args.rs` and `src/collector_args.rs`)
//! to write the Chinese man pages, and the binaries use it for `--help` in Chinese.

/// A binary's Chinese help: `(path, text)`.
pub type Table = &'static [(&'static str, &'static str)];

/// The command line with its help in Chinese, clap's own headings included.
pub fn in_chinese(cmd: clap::Command, table: Table) -> clap::Command {
    let mut cmd = chinese_help(cmd, table);
    // clap adds its `help` subcommands when the command is built; only then can they be
    // described in Chinese too.
    cmd.build();
    help_subcommands_in_chinese(cmd)
}

fn help_subcommands_in_chinese(mut cmd: clap::Command) -> clap::Command {
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        cmd = if name == "help" {
            cmd.mut_subcommand(name, |s| s.about("显示本帮助或某个子命令的帮助"))
        } else {
            cmd.mut_subcommand(name, help_subcommands_in_chinese)
        };
    }
    cmd
}

/// Every description in Chinese, before clap adds its `help` subcommands (the man pages
/// are made from this).
pub fn chinese_help(cmd: clap::Command, table: Table) -> clap::Command {
    localize(cmd, "", table)
}

fn localize(mut cmd: clap::Command, path: &str, table: Table) -> clap::Command {
    let zh = |key: &str| table.iter().find(|(k, _)| *k == key).map(|(_, t)| *t);
    if let Some(about) = zh(path) {
        cmd = cmd.about(about).long_about(None);
    }
    let ids: Vec<String> = cmd
        .get_arguments()
        .map(|a| a.get_id().as_str().to_string())
        .collect();
    for id in ids {
        // Global arguments are described once, at the top.
        let text = zh(&join(path, &id)).or_else(|| zh(&id));
        if let Some(text) = text {
            cmd = cmd.mut_arg(id, |a| a.help(text).long_help(None));
        }
    }
    let subcommands: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in subcommands {
        let sub_path = join(path, &name);
        cmd = cmd.mut_subcommand(name, |s| localize(s, &sub_path, table));
    }
    let mut template = String::from("{before-help}{about-with-newline}\n用法：{usage}\n");
    if cmd.has_subcommands() {
        template.push_str("\n命令：\n{subcommands}\n");
    }
    if cmd.get_positionals().next().is_some() {
        template.push_str("\n参数：\n{positionals}\n");
    }
    template.push_str("\n选项：\n{options}{after-help}");
    cmd = cmd.help_template(template).disable_help_flag(true).arg(
        clap::Arg::new("help")
            .short('h')
            .long("help")
            .action(clap::ArgAction::Help)
            .help("显示帮助"),
    );
    if path.is_empty() {
        cmd = cmd.disable_version_flag(true).arg(
            clap::Arg::new("version")
                .short('V')
                .long("version")
                .action(clap::ArgAction::Version)
                .help("显示版本"),
        );
    }
    cmd
}

fn join(path: &str, id: &str) -> String {
    if path.is_empty() {
        id.to_string()
    } else {
        format!("{path} {id}")
    }
}

/// The `--lang` value on a command line (`--lang zh`, `--lang=zh`), read before clap parses
/// it because it decides the language of `--help` itself.
pub fn asked_lang(args: &[String]) -> Option<String> {
    args.iter()
        .enumerate()
        .find_map(|(i, a)| match a.strip_prefix("--lang=") {
            Some(value) => Some(value.to_string()),
            None if a == "--lang" => args.get(i + 1).cloned(),
            None => None,
        })
}

/// What the help of `cmd` lacks: paths with no English text, paths with no entry in
/// `table`, and entries of `table` that name nothing (`keep` says which of those may stay:
/// subcommands a build feature leaves out).
#[cfg(test)]
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Gaps {
    pub no_english: Vec<String>,
    pub no_chinese: Vec<String>,
    pub stale: Vec<String>,
}

#[cfg(test)]
pub fn gaps(cmd: &clap::Command, table: Table, keep: impl Fn(&str) -> bool) -> Gaps {
    fn walk(cmd: &clap::Command, path: &str, out: &mut Vec<(String, bool)>) {
        out.push((path.to_string(), cmd.get_about().is_some()));
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if matches!(id, "help" | "version") {
                continue;
            }
            let key = if arg.is_global_set() || path.is_empty() {
                id.to_string()
            } else {
                join(path, id)
            };
            if !out.iter().any(|(k, _)| *k == key) {
                out.push((key, arg.get_help().is_some()));
            }
        }
        for sub in cmd.get_subcommands() {
            walk(sub, &join(path, sub.get_name()), out);
        }
    }
    let mut described = Vec::new();
    walk(cmd, "", &mut described);
    let paths: Vec<&str> = described.iter().map(|(k, _)| k.as_str()).collect();
    Gaps {
        no_english: described
            .iter()
            .filter(|(_, has)| !has)
            .map(|(k, _)| k.clone())
            .collect(),
        no_chinese: paths
            .iter()
            .filter(|p| !table.iter().any(|(k, _)| k == *p))
            .map(|p| p.to_string())
            .collect(),
        stale: table
            .iter()
            .map(|(k, _)| *k)
            .filter(|k| !paths.contains(k) && !keep(k))
            .map(str::to_string)
            .collect(),
    }
}
