//! The command line of `isoguard-collector`, and nothing else: clap and std only, because
//! build.rs compiles this same file to write the collector's man pages and completions (as it
//! does with `src/args.rs` for the agent), so the pages cannot drift from what the binary
//! parses.
//!
//! The defaults below repeat the library's constants (build.rs cannot link the library); a
//! test in the collector binary checks they are equal.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[path = "help_zh.rs"]
pub mod help_zh;

/// `isoguard::collector::ingest::DEFAULT_MAX_SIZE`.
pub const DEFAULT_MAX_SIZE: u64 = 4 * 1024 * 1024;
/// `isoguard::collector::ingest::DEFAULT_BATCH`.
pub const DEFAULT_BATCH: usize = 500;
/// `isoguard::collector::watch::DEFAULT_RESCAN`, in seconds.
pub const DEFAULT_RESCAN_SECS: u64 = 5;

#[derive(Parser)]
#[command(
    name = "isoguard-collector",
    version,
    about = "Collects signed isoguard findings, checks them, stores them and reports on them"
)]
pub struct Cli {
    /// Language of messages, and of the report page when it opens: zh or en (default: from
    /// the locale, LC_ALL, LC_MESSAGES, LANG). The page carries both and remembers the
    /// reader's switch.
    #[arg(long, global = true, value_parser = ["zh", "en"])]
    pub lang: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Take in every finding in the inbox: verified ones are stored and moved to archive/,
    /// the rest are moved to rejected/ with a .reason file. Nothing is deleted.
    Collect(CollectArgs),
    /// Enrol a host's public key under its identity (machine id or hostname).
    Enroll {
        /// Folder of enrolled host keys.
        #[arg(long, value_name = "DIR")]
        trust: PathBuf,
        /// The host identity: its /etc/machine-id or its hostname.
        host: String,
        /// The host's public key (SPKI PEM, as `isoguard keygen` writes FILE.pub).
        key: PathBuf,
    },
    /// Check every stored envelope again against the trust folder.
    Reverify {
        /// The findings database to check, a file or a PostgreSQL URL (only read, never
        /// written).
        #[arg(long, value_name = "FILE|URL")]
        db: PathBuf,
        /// Folder of enrolled host keys (<host>.pub) to check the stored envelopes against.
        #[arg(long, value_name = "DIR")]
        trust: PathBuf,
    },
    /// Write the central report.
    Report {
        /// The findings database, a file or a PostgreSQL URL (only read, never written: a
        /// read-only copy will do).
        #[arg(long, value_name = "FILE|URL")]
        db: PathBuf,
        /// html: one self-contained page for people; csv: one row per failed rule and
        /// device, for spreadsheets; json: the whole report, for other tools; ocsf: one OCSF
        /// 1.8 Compliance Finding per failed rule and host, as JSON lines, for a SIEM.
        #[arg(long, value_enum, default_value = "html")]
        format: FormatArg,
        /// Output file, or - for standard output.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// A host with no finding for this many days is stale.
        #[arg(long, value_name = "N", default_value_t = 7)]
        stale_days: u32,
    },
}

/// `collect`'s arguments.
#[derive(Args)]
pub struct CollectArgs {
    /// Folder the findings arrive in (archive/ and rejected/ are created inside it).
    #[arg(long, value_name = "DIR")]
    pub inbox: PathBuf,
    /// Folder of enrolled host keys (<host>.pub).
    #[arg(long, value_name = "DIR")]
    pub trust: PathBuf,
    /// The findings database: an SQLite file (created if missing) or a PostgreSQL URL,
    /// postgresql://USER@HOST/DB or postgresql:///DB?host=/SOCKET/DIR (a path holds either).
    #[arg(long, value_name = "FILE|URL")]
    pub db: PathBuf,
    /// Keep taking new files in (inotify, plus a rescan every few seconds) until SIGTERM.
    #[arg(long)]
    pub watch: bool,
    /// Largest file accepted, in bytes (at most 4194304).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_SIZE)]
    pub max_size: u64,
    /// Files per database transaction.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_BATCH, hide = true)]
    pub batch: usize,
    /// Seconds between full rescans with --watch.
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_RESCAN_SECS, hide = true)]
    pub rescan_secs: u64,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Html,
    Csv,
    Json,
    Ocsf,
}

/// The help in Chinese (see `help_zh`); a test in the binary holds it to the definitions
/// above.
pub const HELP_ZH: help_zh::Table = &[
    ("", "收取签名的 isoguard 检查结果，逐一核验、存储并生成汇总报告"),
    ("lang", "消息的语言，以及报告页面打开时的语言：zh 或 en（默认按区域设置 LC_ALL、LC_MESSAGES、LANG）。页面同时包含两种语言，并记住读者的选择"),
    ("collect", "收取收件箱中的全部检查结果：核验通过的存入数据库并移入 archive/，其余移入 rejected/ 并附 .reason 文件。不删除任何文件"),
    ("collect inbox", "检查结果送达的文件夹（其中会建立 archive/ 和 rejected/）"),
    ("collect trust", "已登记主机公钥（<主机>.pub）所在的文件夹"),
    ("collect db", "检查结果数据库：SQLite 文件（不存在时新建）或 PostgreSQL URL，postgresql://用户@主机/数据库 或 postgresql:///数据库?host=/套接字目录"),
    ("collect watch", "持续收取新文件（inotify，另每隔几秒全面重扫），直到收到 SIGTERM"),
    ("collect max_size", "接受的最大文件，单位字节（最多 4194304）"),
    ("collect batch", "每个数据库事务处理的文件数"),
    ("collect rescan_secs", "使用 --watch 时两次全面重扫之间的秒数"),
    ("enroll", "以主机标识（machine id 或主机名）登记主机公钥"),
    ("enroll trust", "已登记主机公钥所在的文件夹"),
    ("enroll host", "主机标识：其 /etc/machine-id 或主机名"),
    ("enroll key", "主机公钥（SPKI PEM，即 `isoguard keygen` 写出的 FILE.pub）"),
    ("reverify", "用登记文件夹中的公钥重新核验数据库中的每一份信封"),
    ("reverify db", "要核验的检查结果数据库，文件或 PostgreSQL URL（只读，从不写入）"),
    ("reverify trust", "用来核验已存信封的主机公钥（<主机>.pub）所在的文件夹"),
    ("report", "生成汇总报告"),
    ("report db", "检查结果数据库，文件或 PostgreSQL URL（只读，从不写入：只读副本即可）"),
    ("report format", "html：给人看的单个自包含页面；csv：每条未通过的规则和设备一行，供电子表格使用；json：完整报告，供其他工具使用；ocsf：每台主机每条未通过的规则一条 OCSF 1.8 合规发现（Compliance Finding），JSON Lines 格式，供 SIEM 使用"),
    ("report out", "输出文件，- 表示标准输出"),
    ("report stale_days", "主机超过这么多天没有检查结果即视为过期"),
];
