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
    /// Write the findings stored here into one bundle file for the level above (by default
    /// every finding no earlier bundle carried), signed with this unit's collector key.
    Export(ExportArgs),
    /// Take in bundles from units below: each envelope is verified against this collector's
    /// own trust folder and stored as if it had come straight from its host; a bundle that
    /// does not check out is refused whole.
    Import(ImportArgs),
    /// Make this collector's key pair (for signing the bundles it exports): FILE and
    /// FILE.pub, which the level above enrols under the unit's name.
    Keygen {
        /// Where to write the private key (FILE.pub gets the public key).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
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

/// `export`'s arguments.
#[derive(Args)]
pub struct ExportArgs {
    /// The findings database, a file or a PostgreSQL URL.
    #[arg(long, value_name = "FILE|URL")]
    pub db: PathBuf,
    /// Folder of the host keys this collector trusts; their ids go into the bundle.
    #[arg(long, value_name = "DIR")]
    pub trust: PathBuf,
    /// This collector's private key (from `isoguard-collector keygen`).
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// This unit's name, as the level above enrolled its key.
    #[arg(long, value_name = "NAME")]
    pub unit: String,
    /// The bundle file to write (never replaced).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Only findings stored here at or after this time (YYYY-MM-DD or RFC 3339, UTC);
    /// with --from or --to the bundle is that period, else everything not exported before.
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Only findings stored here before this time (YYYY-MM-DD or RFC 3339, UTC).
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
}

/// `import`'s arguments.
#[derive(Args)]
pub struct ImportArgs {
    /// The findings database: an SQLite file (created if missing) or a PostgreSQL URL.
    #[arg(long, value_name = "FILE|URL")]
    pub db: PathBuf,
    /// Folder of the host keys this collector trusts (<host>.pub): every envelope is checked
    /// against these.
    #[arg(long, value_name = "DIR")]
    pub trust: PathBuf,
    /// Folder of the unit collectors' keys (<unit>.pub, enrolled with `enroll`).
    #[arg(long, value_name = "DIR")]
    pub units: PathBuf,
    /// The bundle files, in any order.
    #[arg(required = true, value_name = "BUNDLE")]
    pub bundles: Vec<PathBuf>,
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
    ("export", "把本处存储的检查结果写入一个数据包文件，供上级使用（默认包含以往数据包未带走的全部检查结果），并用本单位收集器的密钥签名"),
    ("export db", "检查结果数据库，文件或 PostgreSQL URL"),
    ("export trust", "本收集器信任的主机公钥所在的文件夹；这些密钥的标识写入数据包"),
    ("export key", "本收集器的私钥（由 `isoguard-collector keygen` 生成）"),
    ("export unit", "本单位的名称，与上级登记其密钥时所用的名称相同"),
    ("export out", "要写出的数据包文件（不会覆盖已有文件）"),
    ("export from", "只导出在此时间及之后存入本处的检查结果（YYYY-MM-DD 或 RFC 3339，UTC）；给出 --from 或 --to 时数据包即为该时段，否则为以往未导出的全部内容"),
    ("export to", "只导出在此时间之前存入本处的检查结果（YYYY-MM-DD 或 RFC 3339，UTC）"),
    ("import", "导入下级单位的数据包：每份信封都用本收集器自己的登记文件夹核验，并如同直接来自主机一样存储；核验不通过的数据包整体拒收"),
    ("import db", "检查结果数据库：SQLite 文件（不存在时新建）或 PostgreSQL URL"),
    ("import trust", "本收集器信任的主机公钥（<主机>.pub）所在的文件夹：每份信封都用这些公钥核验"),
    ("import units", "下级单位收集器公钥（<单位>.pub，用 `enroll` 登记）所在的文件夹"),
    ("import bundles", "数据包文件，顺序不限"),
    ("keygen", "生成本收集器的密钥对（用于签名导出的数据包）：FILE 和 FILE.pub，由上级以本单位名称登记"),
    ("keygen out", "私钥的写入位置（公钥写入 FILE.pub）"),
    ("report", "生成汇总报告"),
    ("report db", "检查结果数据库，文件或 PostgreSQL URL（只读，从不写入：只读副本即可）"),
    ("report format", "html：给人看的单个自包含页面；csv：每条未通过的规则和设备一行，供电子表格使用；json：完整报告，供其他工具使用；ocsf：每台主机每条未通过的规则一条 OCSF 1.8 合规发现（Compliance Finding），JSON Lines 格式，供 SIEM 使用"),
    ("report out", "输出文件，- 表示标准输出"),
    ("report stale_days", "主机超过这么多天没有检查结果即视为过期"),
];
