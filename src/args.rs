//! The command line of `isoguard`, kept in a file of its own that depends only on clap and
//! std, so `build.rs` can include it to generate the man page and shell completions from the
//! same definition the binary parses.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[path = "help_zh.rs"]
pub mod help_zh;

#[derive(Parser)]
#[command(
    name = "isoguard",
    version,
    about = "Checks this workstation against the three-in-one rules (三合一)"
)]
pub struct Cli {
    /// More detail on stderr (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Language of reports and messages: zh or en (default: `lang` in the config file for
    /// scan, then the locale: LC_ALL, LC_MESSAGES, LANG).
    #[arg(long, global = true, value_parser = ["zh", "en"])]
    pub lang: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Subcommand)]
pub enum Command {
    /// List what was found on this machine, without judging it.
    Inventory {
        /// Read DIR/sys, DIR/proc, DIR/run/udev, DIR/etc instead of the live system. A fixture
        /// folder (with fixture.toml) is built into a temporary tree first.
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
        /// text: a listing for a person; json: the inventory document.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Judge this machine against a policy, print the result, and (with a key) write a
    /// signed finding into the spool.
    Scan {
        /// Read DIR/sys, DIR/proc, DIR/run/udev, DIR/etc instead of the live system (a
        /// fixture folder with fixture.toml is built into a temporary tree first).
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
        /// A bundled policy name (classified, internet-in-secure-area, dual-use) or a file.
        #[arg(long, value_name = "NAME|FILE")]
        policy: Option<String>,
        /// Site override file: switch rules off, change severities or settings, register media.
        #[arg(long = "override", value_name = "FILE")]
        override_file: Option<PathBuf>,
        /// text: a report for a person; json: the finding payload.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Private key (PKCS#8 PEM, mode 0600) that signs the finding.
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
        /// Folder the signed finding is written into.
        #[arg(long, value_name = "DIR")]
        spool: Option<PathBuf>,
        /// Folder holding the per-host chain state (sequence, previous digest).
        #[arg(long, value_name = "DIR")]
        state: Option<PathBuf>,
        /// What started this scan; recorded in the finding. boot and timer runs log a
        /// one-line summary.
        #[arg(long, value_enum, default_value = "manual")]
        trigger: TriggerArg,
        /// Config file (default /etc/isoguard/config.toml, used when present).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Stay running: re-judge this machine whenever a device or the network changes, and
    /// write a signed finding (trigger hotplug or network-change) when the result changes.
    Watch {
        /// Read DIR/sys, DIR/proc, DIR/run/udev, DIR/etc instead of the live system (events
        /// still come from the running kernel).
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
        /// A bundled policy name (classified, internet-in-secure-area, dual-use) or a file.
        #[arg(long, value_name = "NAME|FILE")]
        policy: Option<String>,
        /// Site override file: switch rules off, change severities or settings, register media.
        #[arg(long = "override", value_name = "FILE")]
        override_file: Option<PathBuf>,
        /// Private key (PKCS#8 PEM, mode 0600) that signs the findings.
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
        /// Folder the signed findings are written into.
        #[arg(long, value_name = "DIR")]
        spool: Option<PathBuf>,
        /// Folder holding the per-host chain state (shared with boot and timer scans).
        #[arg(long, value_name = "DIR")]
        state: Option<PathBuf>,
        /// Config file (default /etc/isoguard/config.toml, used when present).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// How long the kernel must stay quiet (milliseconds) before the machine is re-read.
        #[arg(long, value_name = "MS", default_value_t = 10)]
        debounce_ms: u64,
        /// Stop after writing N findings (for scripts and tests).
        #[arg(long, value_name = "N")]
        max_findings: Option<u64>,
        /// Kernel receive buffer of each event socket, in bytes (default 4 MiB); tests make
        /// it tiny to provoke lost events.
        #[arg(long, value_name = "BYTES")]
        receive_buffer: Option<usize>,
    },
    /// Create a host key pair: FILE (private, 0600) and FILE.pub (public).
    Keygen {
        /// Where the private key goes; the public key is written beside it as FILE.pub.
        /// Refuses to overwrite either.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Check signed findings and show what they hold.
    Verify {
        /// A public key (SPKI PEM).
        #[arg(
            long,
            value_name = "PUB",
            conflicts_with = "trust",
            required_unless_present = "trust"
        )]
        key: Option<PathBuf>,
        /// A folder of enrolled public keys (*.pub).
        #[arg(long, value_name = "DIR")]
        trust: Option<PathBuf>,
        /// Signed findings (DSSE envelopes) to check.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Policy files.
    Policy {
        #[command(subcommand)]
        action: PolicyAction,
    },
    /// Print allowlist entries for the storage devices attached now, to paste into a policy.
    RegisteredMedia {
        /// Read a recorded machine instead of the live system (as for scan).
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
    },
    /// Work with fixture recordings (udevadm --export-db, umockdev, flattened sysfs).
    #[cfg(feature = "fixture")]
    Fixture {
        #[command(subcommand)]
        action: FixtureAction,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum TriggerArg {
    Boot,
    Manual,
    Timer,
}

#[derive(Subcommand)]
pub enum PolicyAction {
    /// Report every problem in a policy (or a site override with --override) at once.
    Check {
        /// Policy name or file.
        policy: String,
        /// Site override to apply on top of the policy, checked with it.
        #[arg(long = "override", value_name = "FILE")]
        override_file: Option<PathBuf>,
    },
}

#[cfg(feature = "fixture")]
#[derive(Subcommand)]
pub enum FixtureAction {
    /// Build a root tree from a fixture folder, to inspect it or to pass as --root.
    Build {
        /// Folder holding fixture.toml and its recordings.
        fixture: PathBuf,
        /// Where to build the tree (must not exist yet, or be empty).
        #[arg(long)]
        out: PathBuf,
    },
}

/// The help in Chinese: `(path, text)`, where the path is the subcommand names then the
/// argument id (`"scan key"`), or the subcommand names alone for its description. A test
/// holds this table and the definitions above to the same arguments.
pub const HELP_ZH: &[(&str, &str)] = &[
    ("", "检查本机是否符合涉密计算机“三合一”要求（违规外联、单向导入、移动存储介质）"),
    ("verbose", "在标准错误输出更多细节（可重复）"),
    ("quiet", "标准错误只输出错误"),
    ("lang", "报告与消息的语言：zh 或 en（默认：scan 用配置文件中的 `lang`，其次按区域设置 LC_ALL、LC_MESSAGES、LANG）"),
    ("inventory", "列出本机发现的设备与配置，不作判定"),
    ("inventory root", "读取 DIR/sys、DIR/proc、DIR/run/udev、DIR/etc 而非本机系统；含 fixture.toml 的录制目录先构建为临时目录树"),
    ("inventory format", "text：给人看的清单；json：清单文档"),
    ("scan", "按策略检查本机，打印结果，（有密钥时）把签名的检查结果写入输出文件夹"),
    ("scan root", "读取 DIR/sys、DIR/proc、DIR/run/udev、DIR/etc 而非本机系统；含 fixture.toml 的录制目录先构建为临时目录树"),
    ("scan policy", "内置策略名（classified、internet-in-secure-area、dual-use）或策略文件"),
    ("scan override_file", "站点覆盖文件：关闭规则、调整严重程度或设置、登记介质"),
    ("scan format", "text：给人看的报告；json：检查结果内容"),
    ("scan key", "签名用的私钥（PKCS#8 PEM，权限 0600）"),
    ("scan spool", "写入签名检查结果的文件夹"),
    ("scan state", "保存本机链状态（序号、上一份结果摘要）的文件夹"),
    ("scan trigger", "本次检查由什么触发，记入检查结果；boot 和 timer 运行时在日志中留下一行摘要"),
    ("scan config", "配置文件（默认 /etc/isoguard/config.toml，存在时使用）"),
    ("watch", "持续运行：设备或网络发生变化时重新检查本机，结果变化时写入签名的检查结果（触发方式 hotplug 或 network-change）"),
    ("watch root", "读取 DIR/sys、DIR/proc、DIR/run/udev、DIR/etc 而非本机系统（事件仍来自正在运行的内核）"),
    ("watch policy", "内置策略名（classified、internet-in-secure-area、dual-use）或策略文件"),
    ("watch override_file", "站点覆盖文件：关闭规则、调整严重程度或设置、登记介质"),
    ("watch key", "签名用的私钥（PKCS#8 PEM，权限 0600）"),
    ("watch spool", "写入签名检查结果的文件夹"),
    ("watch state", "保存本机链状态的文件夹（与开机检查、定时检查共用）"),
    ("watch config", "配置文件（默认 /etc/isoguard/config.toml，存在时使用）"),
    ("watch debounce_ms", "内核安静多少毫秒后才重新读取本机"),
    ("watch max_findings", "写入 N 份检查结果后退出（供脚本和测试使用）"),
    ("watch receive_buffer", "每个事件套接字的内核接收缓冲区大小，单位字节（默认 4 MiB）；测试时设得很小以制造事件丢失"),
    ("keygen", "生成本机密钥对：FILE（私钥，0600）和 FILE.pub（公钥）"),
    ("keygen out", "私钥的位置；公钥写在旁边，名为 FILE.pub。两者都不会被覆盖"),
    ("verify", "验证签名的检查结果并显示其内容"),
    ("verify key", "公钥（SPKI PEM）"),
    ("verify trust", "已登记公钥（*.pub）所在的文件夹"),
    ("verify files", "要验证的签名检查结果（DSSE 信封）"),
    ("policy", "策略文件"),
    ("policy check", "一次列出策略（或加 --override 的站点覆盖文件）中的所有问题"),
    ("policy check policy", "策略名或策略文件"),
    ("policy check override_file", "叠加在策略之上、一并检查的站点覆盖文件"),
    ("registered-media", "为当前接入的存储设备生成登记条目，可粘贴到策略中"),
    ("registered-media root", "读取录制的机器而非本机系统（同 scan）"),
    ("fixture", "处理录制数据（udevadm --export-db、umockdev、展开的 sysfs）"),
    ("fixture build", "由录制目录构建根目录树，用于查看或作为 --root"),
    ("fixture build fixture", "含 fixture.toml 及录制数据的文件夹"),
    ("fixture build out", "构建目录树的位置（必须不存在或为空）"),
];

/// The command line with its help in Chinese, clap's own headings included.
pub fn in_chinese(cmd: clap::Command) -> clap::Command {
    help_zh::in_chinese(cmd, HELP_ZH)
}
