//! Generates the man pages (English and Chinese) and shell completions of `isoguard` and
//! `isoguard-collector` from the same clap definitions the binaries parse (`src/args.rs`,
//! `src/collector_args.rs`, with `src/help_zh.rs`: clap and std only, for this reason).
//!
//! Output goes to `$OUT_DIR` and is then copied to `<target>/<profile>/assets/`, a fixed place
//! the package metadata can name: cargo-deb and cargo-generate-rpm both rewrite an asset path
//! that starts with `target/release/` to the real target folder (CARGO_TARGET_DIR, `--target`,
//! `--profile`), so `target/release/assets/man/isoguard.1` is always the file built here. The
//! profile folder is found from `$OUT_DIR`, which cargo lays out as
//! `<target>/<profile>/build/<pkg>-<hash>/out`; if it is laid out differently the copy is
//! skipped with a warning and only `$OUT_DIR` has the files.
//!
//! What it must not do: take long (it renders a few small text files), or fail a build because
//! an asset could not be copied.

use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};

// `#[path]` rather than `include!`: args.rs opens with `//!` module docs, which `include!`
// inside a `mod { }` block refuses as an inner attribute in the wrong place.
#[allow(dead_code)]
#[path = "src/args.rs"]
mod args;
// Each command line names `help_zh.rs` as its own child module so it stays a self-contained
// file for its binary; here both are compiled into one crate, so the file is loaded twice.
#[allow(dead_code, clippy::duplicate_mod)]
#[path = "src/collector_args.rs"]
mod collector_args;

use clap::CommandFactory;
use clap_complete::Shell;

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed=src/args.rs");
    println!("cargo:rerun-if-changed=src/collector_args.rs");
    println!("cargo:rerun-if-changed=src/help_zh.rs");
    println!("cargo:rerun-if-changed=build.rs");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    let programs = [
        Program {
            cmd: args::Cli::command(),
            zh: args::HELP_ZH,
            assets: "",
            extra: TOP_PAGE_EXTRA,
            extra_zh: TOP_PAGE_EXTRA_ZH,
        },
        // In folders of its own: the agent's package takes `assets/man/*.1`, and the collector
        // is not installed on workstations.
        Program {
            cmd: collector_args::Cli::command(),
            zh: collector_args::HELP_ZH,
            assets: "collector-",
            extra: COLLECTOR_PAGE_EXTRA,
            extra_zh: COLLECTOR_PAGE_EXTRA_ZH,
        },
    ];
    let profile = profile_dir(&out_dir);
    if profile.is_none() {
        println!(
            "cargo:warning=unexpected OUT_DIR layout {}; man pages and completions stay there only",
            out_dir.display()
        );
    }
    for program in &programs {
        let man_dir = out_dir.join(format!("{}man", program.assets));
        let zh_dir = man_dir.join("zh_CN");
        let completion_dir = out_dir.join(format!("{}completions", program.assets));
        fs::create_dir_all(&zh_dir)?;
        fs::create_dir_all(&completion_dir)?;
        write_man_pages(&program.cmd, &man_dir, program.extra, ".SH \"SEE ALSO\"\n")?;
        write_man_pages(
            &args::help_zh::chinese_help(program.cmd.clone(), program.zh),
            &zh_dir,
            program.extra_zh,
            ".SH \"另见\"\n",
        )?;
        write_completions(&program.cmd, &completion_dir)?;
        if let Some(profile) = &profile {
            let assets = profile.join("assets");
            let man = assets.join(format!("{}man", program.assets));
            copy_dir(&man_dir, &man)?;
            copy_dir(&zh_dir, &man.join("zh_CN"))?;
            copy_dir(
                &completion_dir,
                &assets.join(format!("{}completions", program.assets)),
            )?;
        }
    }
    Ok(())
}

/// One binary's command line and the roff sections clap knows nothing about.
struct Program {
    cmd: clap::Command,
    zh: args::help_zh::Table,
    /// Prefix of its folders under `assets/`.
    assets: &'static str,
    extra: &'static str,
    extra_zh: &'static str,
}

/// `isoguard.1`, then `isoguard-scan.1`, `isoguard-policy-check.1`, ... one page per
/// (sub)command, each listing its own options. The top page adds exit status and files.
fn write_man_pages(
    cmd: &clap::Command,
    dir: &Path,
    extra: &str,
    see_also: &str,
) -> Result<(), Box<dyn Error>> {
    let mut cmd = cmd.clone().disable_help_subcommand(true);
    // Building names every subcommand like git does: display name `isoguard-policy-check`,
    // binary name `isoguard policy check` (used in the synopsis).
    cmd.build();
    let program = cmd.get_name().to_string();
    write_pages(&cmd, &program, dir, Some(extra), see_also)
}

fn write_pages(
    cmd: &clap::Command,
    program: &str,
    dir: &Path,
    top: Option<&str>,
    see_also: &str,
) -> Result<(), Box<dyn Error>> {
    let name = cmd.get_display_name().unwrap_or_else(|| cmd.get_name());
    let man = clap_mangen::Man::new(cmd.clone())
        .title(name.to_uppercase())
        .section("1")
        .manual("isoguard manual");
    let mut out: Vec<u8> = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut out)?;
    }
    if cmd.has_subcommands() {
        man.render_subcommands_section(&mut out)?;
    }
    if let Some(extra) = top {
        out.extend_from_slice(extra.as_bytes());
    } else {
        out.extend_from_slice(see_also.as_bytes());
        out.extend_from_slice(format!("\\fB{program}\\fR(1)\n").as_bytes());
    }
    if cmd.get_version().is_some() {
        man.render_version_section(&mut out)?;
    }
    fs::write(dir.join(format!("{name}.1")), out)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, program, dir, None, see_also)?;
    }
    Ok(())
}

/// Sections clap knows nothing about, in roff.
const TOP_PAGE_EXTRA: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
compliant (or the command completed)
.TP
\fB1\fR
violations found (\fBverify\fR: a finding did not verify)
.TP
\fB2\fR
usage or configuration error (including a policy or override that does not validate)
.TP
\fB3\fR
scan error: part of the machine could not be read, or the finding could not be written
.SH FILES
.TP
\fI/etc/isoguard/config.toml\fR
policy, site override, key, spool and state for \fBisoguard scan\fR
.TP
\fI/etc/isoguard/host.key\fR, \fI/etc/isoguard/host.key.pub\fR
the host key pair that signs findings (created at install; the public key is enrolled at the collector)
.TP
\fI/var/lib/isoguard/outbox/\fR
signed findings waiting for the collector
.TP
\fI/var/lib/isoguard/state/\fR
the chain state (sequence and digest of the last finding)
.TP
\fI/etc/isoguard/policies/\fR, \fI/usr/share/isoguard/policies/\fR
named policies, the site's own first
.SH "SEE ALSO"
\fBisoguard-scan\fR(1), \fBisoguard-verify\fR(1), \fBisoguard-registered-media\fR(1), \fBsystemd.service\fR(5)
.PP
The operator guide: \fI/usr/share/doc/isoguard/operator-guide.en.md\fR (English),
\fI/usr/share/doc/isoguard/operator-guide.zh.md\fR (Chinese).
"#;

/// The same sections in Chinese, for `man -L zh_CN isoguard`.
const TOP_PAGE_EXTRA_ZH: &str = r#".SH "退出状态"
.TP
\fB0\fR
合规（或命令已完成）
.TP
\fB1\fR
发现违规（\fBverify\fR：有检查结果未通过验证）
.TP
\fB2\fR
用法或配置错误（包括未通过校验的策略或覆盖文件）
.TP
\fB3\fR
检查出错：本机有部分内容无法读取，或检查结果无法写出
.SH "文件"
.TP
\fI/etc/isoguard/config.toml\fR
\fBisoguard scan\fR 使用的策略、站点覆盖文件、密钥、输出文件夹和状态文件夹
.TP
\fI/etc/isoguard/host.key\fR、\fI/etc/isoguard/host.key.pub\fR
为检查结果签名的本机密钥对（安装时生成；公钥在汇总端登记）
.TP
\fI/var/lib/isoguard/outbox/\fR
等待汇总端收取的签名检查结果
.TP
\fI/var/lib/isoguard/state/\fR
链状态（上一份检查结果的序号与摘要）
.TP
\fI/etc/isoguard/policies/\fR、\fI/usr/share/isoguard/policies/\fR
命名策略，本单位的优先
.SH "另见"
\fBisoguard-scan\fR(1)、\fBisoguard-verify\fR(1)、\fBisoguard-registered-media\fR(1)、\fBsystemd.service\fR(5)
.PP
操作手册：\fI/usr/share/doc/isoguard/operator-guide.zh.md\fR（中文），
\fI/usr/share/doc/isoguard/operator-guide.en.md\fR（英文）。
"#;

/// The collector's own sections.
const COLLECTOR_PAGE_EXTRA: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
all well
.TP
\fB1\fR
a person must look: a file was rejected or a chain problem newly noticed (\fBcollect\fR), a stored finding failed (\fBreverify\fR)
.TP
\fB2\fR
usage or configuration error (bad arguments, an unreadable trust folder, a database from a newer version, a run that would lock the service out of its own files)
.TP
\fB3\fR
I/O error: the database, the inbox or the output could not be read or written
.SH FILES
.TP
\fI/var/lib/isoguard-collector/inbox/\fR
findings arrive here; \fIarchive/\fR and \fIrejected/\fR (with \fI.reason\fR files) are inside it
.TP
\fI/var/lib/isoguard-collector/findings.db\fR
the findings database (SQLite)
.TP
\fI/etc/isoguard-collector/trust/\fR
enrolled host keys, \fI<host>.pub\fR
.SH "SEE ALSO"
\fBisoguard-collector-collect\fR(1), \fBisoguard-collector-report\fR(1), \fBisoguard\fR(1), \fBsystemd.service\fR(5)
.PP
The operator guide: \fI/usr/share/doc/isoguard-collector/operator-guide.en.md\fR (English),
\fI/usr/share/doc/isoguard-collector/operator-guide.zh.md\fR (Chinese).
"#;

/// The same sections in Chinese, for `man -L zh_CN isoguard-collector`.
const COLLECTOR_PAGE_EXTRA_ZH: &str = r#".SH "退出状态"
.TP
\fB0\fR
一切正常
.TP
\fB1\fR
需要人工查看：有文件被拒收或新发现链问题（\fBcollect\fR），有已存检查结果未通过核验（\fBreverify\fR）
.TP
\fB2\fR
用法或配置错误（参数错误、登记文件夹无法读取、数据库来自更新的版本、会让服务无法访问自身文件的运行方式）
.TP
\fB3\fR
输入输出错误：数据库、收件箱或输出文件无法读写
.SH "文件"
.TP
\fI/var/lib/isoguard-collector/inbox/\fR
检查结果送达此处；其中有 \fIarchive/\fR 和 \fIrejected/\fR（附 \fI.reason\fR 文件）
.TP
\fI/var/lib/isoguard-collector/findings.db\fR
检查结果数据库（SQLite）
.TP
\fI/etc/isoguard-collector/trust/\fR
已登记的主机公钥，\fI<主机>.pub\fR
.SH "另见"
\fBisoguard-collector-collect\fR(1)、\fBisoguard-collector-report\fR(1)、\fBisoguard\fR(1)、\fBsystemd.service\fR(5)
.PP
操作手册：\fI/usr/share/doc/isoguard-collector/operator-guide.zh.md\fR（中文），
\fI/usr/share/doc/isoguard-collector/operator-guide.en.md\fR（英文）。
"#;

/// Bash (named after the command, as bash-completion looks it up), zsh and fish.
fn write_completions(cmd: &clap::Command, dir: &Path) -> Result<(), Box<dyn Error>> {
    let program = cmd.get_name().to_string();
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        let mut cmd = cmd.clone();
        let written = clap_complete::generate_to(shell, &mut cmd, &program, dir)?;
        if shell == Shell::Bash {
            fs::rename(&written, dir.join(&program))?;
        }
    }
    Ok(())
}

/// `<target>/<profile>` from `<target>/<profile>/build/<pkg>-<hash>/out`.
fn profile_dir(out_dir: &Path) -> Option<PathBuf> {
    let build = out_dir.parent()?.parent()?;
    (build.file_name()? == "build").then(|| build.parent().map(Path::to_path_buf))?
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), Box<dyn Error>> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            fs::copy(entry.path(), to.join(entry.file_name()))?;
        }
    }
    Ok(())
}
