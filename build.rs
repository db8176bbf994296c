//! Generates the man pages and shell completions of `isoguard` from the same clap definition
//! the binary parses (`src/args.rs`, which depends only on clap and std for this reason).
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

use clap::CommandFactory;
use clap_complete::Shell;

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed=src/args.rs");
    println!("cargo:rerun-if-changed=build.rs");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    let man_dir = out_dir.join("man");
    let completion_dir = out_dir.join("completions");
    fs::create_dir_all(&man_dir)?;
    fs::create_dir_all(&completion_dir)?;

    let cmd = args::Cli::command();
    write_man_pages(&cmd, &man_dir, TOP_PAGE_EXTRA, ".SH \"SEE ALSO\"\n")?;
    let zh_dir = man_dir.join("zh_CN");
    fs::create_dir_all(&zh_dir)?;
    write_man_pages(
        &args::chinese_help(cmd.clone()),
        &zh_dir,
        TOP_PAGE_EXTRA_ZH,
        ".SH \"另见\"\n",
    )?;
    write_completions(&cmd, &completion_dir)?;

    match profile_dir(&out_dir) {
        Some(profile) => {
            let assets = profile.join("assets");
            copy_dir(&man_dir, &assets.join("man"))?;
            copy_dir(&zh_dir, &assets.join("man").join("zh_CN"))?;
            copy_dir(&completion_dir, &assets.join("completions"))?;
        }
        None => println!(
            "cargo:warning=unexpected OUT_DIR layout {}; man pages and completions stay there only",
            out_dir.display()
        ),
    }
    Ok(())
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
    write_pages(&cmd, dir, Some(extra), see_also)
}

fn write_pages(
    cmd: &clap::Command,
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
        out.extend_from_slice(b"\\fBisoguard\\fR(1)\n");
    }
    if cmd.get_version().is_some() {
        man.render_version_section(&mut out)?;
    }
    fs::write(dir.join(format!("{name}.1")), out)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir, None, see_also)?;
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

/// Bash (named after the command, as bash-completion looks it up), zsh and fish.
fn write_completions(cmd: &clap::Command, dir: &Path) -> Result<(), Box<dyn Error>> {
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        let mut cmd = cmd.clone();
        let written = clap_complete::generate_to(shell, &mut cmd, "isoguard", dir)?;
        if shell == Shell::Bash {
            fs::rename(&written, dir.join("isoguard"))?;
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
