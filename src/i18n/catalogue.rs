//! The catalogue: every message, its English and its Chinese text. See [`super::template`]
//! for `{arg}`, `{arg:ns}` and `[optional]`.

use super::Lang;

macro_rules! catalogue {
    ($($(#[$doc:meta])* $id:ident { en: $en:expr, zh: $zh:expr $(,)? })*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Msg {
            $($(#[$doc])* $id,)*
        }

        impl Msg {
            pub const ALL: &'static [Msg] = &[$(Msg::$id,)*];

            pub fn key(self) -> &'static str {
                match self {
                    $(Msg::$id => stringify!($id),)*
                }
            }

            pub fn template(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((Msg::$id, Lang::En) => $en,
                      (Msg::$id, Lang::Zh) => $zh,)*
                }
            }
        }
    };
}

catalogue! {
    /// Text that is the same in both languages (a name, a time), where a phrase is expected.
    Verbatim { en: "{text}", zh: "{text}" }

    // ----- The scan report (src/scan/report.rs) -----
    ReportVerdict { en: "Verdict: {verdict}", zh: "结论：{verdict}" }
    VerdictCompliant { en: "COMPLIANT", zh: "合规" }
    VerdictViolation { en: "VIOLATION", zh: "违规" }
    VerdictError {
        en: "ERROR (not everything could be checked)",
        zh: "错误（部分项目无法检查）",
    }
    ReportCounts {
        en: "{fail} failed, {error} errors, {pass} passed, {skip} skipped",
        zh: "违规 {fail} 项，错误 {error} 项，通过 {pass} 项，跳过 {skip} 项",
    }
    ReportHost {
        en: "Host: {hostname}  machine-id {machine_id}  {time}",
        zh: "主机：{hostname}  机器标识 {machine_id}  {time}",
    }
    ReportPolicy { en: "Policy: {id} {version} ({source})", zh: "策略：{id} {version}（{source}）" }
    TagFail { en: "FAIL", zh: "违规" }
    TagError { en: "ERROR", zh: "错误" }
    TagSkip { en: "SKIP", zh: "跳过" }
    ReportRuleHeading {
        en: "{tag} [[{severity:severity}]] {rule} — {title}",
        zh: "{tag}【{severity:severity}】{rule} — {title}",
    }
    ReportFix { en: "fix: {remediation}", zh: "处理：{remediation}" }
    ReportPassed { en: "Passed:", zh: "通过：" }
    EvidenceName { en: "name {value}", zh: "名称 {value}" }
    EvidenceId { en: "id {vendor}:{product}", zh: "编号 {vendor}:{product}" }
    EvidenceSerial { en: "serial {value}", zh: "序列号 {value}" }
    EvidenceMac { en: "mac {value}", zh: "MAC {value}" }
    EvidencePort { en: "port {value}", zh: "端口 {value}" }
    EvidenceDriver { en: "driver {value}", zh: "驱动 {value}" }
    EvidenceAt { en: "at {value}", zh: "位置 {value}" }
    ReportFindingWritten { en: "Signed finding: {path}", zh: "已写入签名的检查结果：{path}" }
    ReportNoFinding {
        en: "No signed finding was written: this scan was given no key. For one the collector \
             takes: `isoguard keygen --out /etc/isoguard/host.key` once, then scan with \
             `--key /etc/isoguard/host.key --spool /var/lib/isoguard/outbox --state /var/lib/isoguard/state` (or set `key` and \
             `spool` in /etc/isoguard/config.toml, as the installed packages do).",
        zh: "未写入签名的检查结果：本次检查没有指定密钥。如需生成汇总端可接收的结果：先执行一次 \
             `isoguard keygen --out /etc/isoguard/host.key`，再加 \
             `--key /etc/isoguard/host.key --spool /var/lib/isoguard/outbox --state /var/lib/isoguard/state` 检查（或在 \
             /etc/isoguard/config.toml 中设置 `key` 与 `spool`，安装包已这样配置）。",
    }
    ReportFindingNotWritten {
        en: "The signed finding was NOT written: {error}",
        zh: "签名的检查结果未能写入：{error}",
    }
    ReportPolicyErrors {
        en: "The policy could not be loaded; no rule was checked:",
        zh: "策略无法加载，未检查任何规则：",
    }

    // ----- How a check concluded (src/policy/checks/mod.rs) -----
    OutcomeUnreadParts {
        en: "{count} part(s) of the machine could not be read; nothing is passed unverified",
        zh: "本机有 {count} 处无法读取；未经核实的项目不会判为通过",
    }
    OutcomeObserved {
        en: "{count} item(s) observed (report only)",
        zh: "发现 {count} 项（仅报告，不判违规）",
    }
    SwitchedOff { en: "switched off by the site override", zh: "已被站点覆盖文件关闭" }
    EvidenceLeftOut {
        en: "{count} more item(s) not listed: the finding size bound",
        zh: "另有 {count} 项未列出：检查结果大小受限",
    }
    EvidenceUnreadable { en: "{error:problem}", zh: "无法读取：{error:problem}" }
    SysfsMissing {
        en: "sysfs is not mounted or not readable: devices cannot be listed",
        zh: "sysfs 未挂载或不可读：无法列出设备",
    }
    NoBackend {
        en: "isoguard has no backend for this operating system ({os}): nothing could be read",
        zh: "isoguard 不支持此操作系统（{os}）：无法读取任何信息",
    }
    RoutesUnread { en: "routes could not be read", zh: "无法读取路由" }

    // ----- external-network -----
    ProbesNotConfigured {
        en: "probes were not configured: only this machine's own settings were checked \
             (routes, addresses, interfaces, DNS), no connection was tried; to also test whether \
             the outside is reachable, list the site's monitoring endpoints under `probes` in \
             the site override",
        zh: "未配置探测目标：只检查了本机自身的配置（路由、地址、网络接口、DNS），未尝试任何连接；\
             如需实际测试能否连通外部网络，请在站点覆盖文件的 `probes` 中列出本单位的监测地址",
    }
    RouteDefault {
        en: "{family:family} default route {gateway} dev {dev}[ in table {table}][ (selected by rule {rule})]",
        zh: "{family:family} 默认路由，{gateway}，出口 {dev}[，位于路由表 {table}][（由策略路由规则 {rule} 选中）]",
    }
    RoutePrefix {
        en: "{family:family} route {prefix} {gateway} dev {dev}[ in table {table}][ (selected by rule {rule})]",
        zh: "{family:family} 路由 {prefix}，{gateway}，出口 {dev}[，位于路由表 {table}][（由策略路由规则 {rule} 选中）]",
    }
    RouteVia { en: "via {gateway}", zh: "经网关 {gateway}" }
    RouteNoGateway { en: "no gateway", zh: "无网关" }
    PublicAddress {
        en: "public address {address} on {interface}",
        zh: "接口 {interface} 上有公网地址 {address}",
    }
    InterfaceUp {
        en: "{kind:netkind} interface {name} is up",
        zh: "{kind:netkind}接口 {name} 处于启用状态",
    }
    DnsOutside {
        en: "DNS resolver {server} outside the allowed prefixes",
        zh: "DNS 服务器 {server} 不在允许的地址段内",
    }
    ProbeResult {
        en: "probe {target} {status:probe}[ in {ms} ms][ from {local}][ via {interface}][ ({detail})]",
        zh: "探测 {target}：{status:probe}[，用时 {ms} 毫秒][，本机地址 {local}][，经接口 {interface}][（{detail}）]",
    }

    // ----- wireless -----
    RadioFound {
        en: "{kind:radio} radio (found by {methods})[; rfkill: {rfkill}]",
        zh: "{kind:radio}设备（发现途径：{methods}）[；rfkill：{rfkill}]",
    }
    RfkillHard { en: "{name} hard-blocked", zh: "{name} 硬件禁用" }
    RfkillSoft {
        en: "{name} soft-blocked (can be lifted by software)",
        zh: "{name} 软件禁用（可被软件解除）",
    }
    RfkillNone { en: "{name} not blocked", zh: "{name} 未禁用" }
    TetheringInterface { en: "USB tethering interface ({driver})", zh: "USB 共享网络接口（{driver}）" }
    RndisUnbound {
        en: "USB RNDIS tethering function (no network interface bound)",
        zh: "USB RNDIS 共享网络功能（未绑定网络接口）",
    }

    // ----- removable-storage, one-way-import -----
    StorageUnregistered { en: "removable storage not registered", zh: "未登记的移动存储介质" }
    MtpUnregistered {
        en: "MTP device (phone or media player) not registered",
        zh: "未登记的 MTP 设备（手机或媒体播放器）",
    }
    PtpUnregistered { en: "PTP camera or phone not registered", zh: "未登记的 PTP 相机或手机" }
    MassStorageUnbound {
        en: "USB mass-storage device without a block device (driver not bound) not registered",
        zh: "未登记的 USB 大容量存储设备（未绑定驱动，没有块设备）",
    }
    RegisteredMedium { en: "registered medium", zh: "已登记介质" }
    ImportMedium { en: "import medium", zh: "导入介质" }
    ExtraInterface {
        en: "{label} presents interface {class}[ ({port}:{number})][, driver {driver}], which it was not registered with (registered: {registered})",
        zh: "{label} 呈现了登记时没有的接口 {class}[（{port}:{number}）][，驱动 {driver}]（登记的接口：{registered}）",
    }
    MountedReadWrite {
        en: "{label}: {node} is mounted read-write on {mount_point} ({fs}) with options {options}",
        zh: "{label}：{node} 以读写方式挂载于 {mount_point}（{fs}），挂载选项 {options}",
    }

    // ----- audio-capture, camera -----
    AudioCapture { en: "audio capture device: {streams}", zh: "录音设备：{streams}" }
    AudioUnbound {
        en: "USB audio device with no sound card bound (possible microphone)",
        zh: "USB 音频设备，未绑定声卡驱动（可能是麦克风）",
    }
    CameraCapture { en: "video capture device (camera)", zh: "视频采集设备（摄像头）" }
    CameraMaybe {
        en: "video device that may capture (capabilities unknown)",
        zh: "可能具有采集功能的视频设备（能力未知）",
    }
    CameraUnbound {
        en: "USB video-class device with no video node bound (camera)",
        zh: "USB 视频类设备，未绑定视频节点（摄像头）",
    }

    // ----- usb-history, network-history -----
    HistoryUnsupported {
        en: "this platform does not read the machine's history",
        zh: "本平台不读取本机历史记录",
    }
    HistoryNotToTheEnd { en: "not read to the end", zh: "未读到末尾" }
    HistoryShortOfWindow {
        en: "not read back to the start of the look-back: {why}",
        zh: "未能回溯到检查时段的起点：{why}",
    }
    UsbSighting {
        en: "{kinds} {ids} seen on port {port}, {when}[ ({places})]: not a registered medium",
        zh: "{kinds} {ids} 曾接入端口 {port}，{when}[（{places}）]：不是已登记介质",
    }
    KindTerm { en: "{kind:device}", zh: "{kind:device}" }
    WhenRange { en: "{from} to {to}", zh: "{from} 至 {to}" }
    WhenUnknown { en: "at an unknown time", zh: "时间未知" }
    PlaceLine { en: "{source}:{line}", zh: "{source} 第 {line} 行" }
    PlaceOffset { en: "{source} at byte {offset}", zh: "{source} 第 {offset} 字节处" }
    ProfileSaved {
        en: "{kind:profile} profile \"{name}\" saved[, APN {apn}][, service {service}][, remote {remote}][, last connected {last}] ({place})",
        zh: "保存有{kind:profile}配置“{name}”[，APN {apn}][，服务 {service}][，远端 {remote}][，最近连接于 {last}]（{place}）",
    }
    NoName { en: "(no name)", zh: "（无名称）" }
    Pairing {
        en: "Bluetooth device {name} {address} paired with adapter {adapter} ({place})",
        zh: "蓝牙设备 {name} {address} 已与适配器 {adapter} 配对（{place}）",
    }
    Lease {
        en: "DHCP lease of {address}[ via {gateways}][ on {interface}][, {when}], outside the allowed prefixes ({place})",
        zh: "DHCP 租约 {address}[，网关 {gateways}][，接口 {interface}][，{when}]，不在允许的地址段内（{place}）",
    }
    AnAddress { en: "an address", zh: "某地址" }

    // ----- Policy and config files (src/policy/reader.rs, diag.rs) -----
    DiagError { en: "error", zh: "错误" }
    Numbered { en: "{context} #{n}", zh: "{context}第 {n} 项" }
    WrongType {
        en: "`{key}` in {context} must be {expected}, found {found}",
        zh: "{context}中的 `{key}` 应为{expected}，实为{found}",
    }
    MissingKey {
        en: "{context} is missing `{key}` ({expected})",
        zh: "{context}缺少 `{key}`（{expected}）",
    }
    OutOfRange { en: "`{key}` is out of range", zh: "`{key}` 超出范围" }
    UnknownKey {
        en: "unknown key `{key}` in {context}; expected one of: {expected}",
        zh: "{context}中有未知的键 `{key}`；可用的键：{expected}",
    }
    TypeString { en: "a string", zh: "字符串" }
    TypeInteger { en: "an integer", zh: "整数" }
    TypeFloat { en: "a float", zh: "小数" }
    TypeBoolean { en: "a boolean", zh: "布尔值" }
    TypeTrueFalse { en: "true or false", zh: "true 或 false" }
    TypeDatetime { en: "a date-time", zh: "日期时间" }
    TypeArray { en: "an array", zh: "数组" }
    TypeStrings { en: "an array of strings", zh: "字符串数组" }
    TypeTable { en: "a table", zh: "表" }
    TypeTables { en: "an array of tables", zh: "表数组" }
    NotAPrefix {
        en: "`{value}` is not an address prefix (like \"10.20.0.0/16\" or \"fd00:1::/48\")",
        zh: "`{value}` 不是地址段（应形如 \"10.20.0.0/16\" 或 \"fd00:1::/48\"）",
    }
    Between {
        en: "`{key}` must be between {min} and {max}",
        zh: "`{key}` 应在 {min} 到 {max} 之间",
    }
    UnknownValue {
        en: "`{what}`: unknown value `{value}`; expected any of: {expected}",
        zh: "`{what}`：未知的取值 `{value}`；可用的取值：{expected}",
    }
    NotHex4 {
        en: "`{key}` must be four hex digits, as lsusb shows it (e.g. \"0951\")",
        zh: "`{key}` 应为四位十六进制数，与 lsusb 显示的一致（如 \"0951\"）",
    }
    NameGivenTwice {
        en: "`name` here means `{field}`, which is given too; keep one",
        zh: "此处 `name` 即 `{field}`，而 `{field}` 也已给出；请只保留一个",
    }
    IdentifiesNothing {
        en: "{context} identifies no device: give at least one of {keys}",
        zh: "{context}未指明任何设备：请至少给出以下之一：{keys}",
    }
    AllowedInterfaceContext { en: "{context} allowed interface", zh: "{context}的允许接口" }
    AllowEntryContext { en: "{context} allow entry", zh: "{context}的允许项" }
    BadProbe {
        en: "probe `{url}`: {why}; expected tcp://HOST:PORT, dns://SERVER/NAME or http://HOST:PORT/PATH",
        zh: "探测目标 `{url}`：{why}；应为 tcp://主机:端口、dns://服务器/域名 或 http://主机:端口/路径",
    }
    ProbeNoScheme { en: "no scheme", zh: "缺少协议" }
    ProbeUnknownScheme { en: "unknown scheme", zh: "未知协议" }
    ProbeBadHostPort { en: "bad host or port", zh: "主机或端口有误" }
    ProbeNeedsPort { en: "a port is required", zh: "需要端口" }
    ProbeEmptyHost { en: "empty host or port 0", zh: "主机为空或端口为 0" }
    ProbeNeedsName { en: "a name to look up is required", zh: "需要要查询的域名" }

    // ----- Files (src/files.rs) -----
    NoSuchFile { en: "no such file", zh: "文件不存在" }
    NoSuchFileOrDirectory { en: "No such file or directory", zh: "没有那个文件或目录" }
    IsSymlink { en: "is a symbolic link (not followed)", zh: "是符号链接（不跟随）" }
    NotRegular { en: "not a regular file: {what:filetype}", zh: "不是普通文件：{what:filetype}" }
    LargerThan { en: "larger than {limit} bytes", zh: "大于 {limit} 字节" }
    StepFailed { en: "{step:step}: {error}", zh: "{step:step}：{error}" }
    AlreadyExists { en: "'{path}' already exists", zh: "“{path}”已存在" }

    // ----- Policies (src/policy/mod.rs) -----
    CannotRead { en: "cannot read {file}: {why}", zh: "无法读取 {file}：{why}" }
    NotUtf8 { en: "{file} is not UTF-8: {error}", zh: "{file} 不是 UTF-8 编码：{error}" }
    NoSuchPolicy {
        en: "no policy named `{name}` in {dirs} or built in (built in: {builtin}); give a file path to use your own",
        zh: "在 {dirs} 中和内置策略中都没有名为 `{name}` 的策略（内置策略：{builtin}）；使用自己的策略请给出文件路径",
    }
    KeyContext { en: "{context} {key}", zh: "{context}的 {key}" }
    TitleTable { en: "{what}: a table with `zh` and `en`", zh: "{what}：含 `zh` 和 `en` 的表" }
    RuleTitleWhat { en: "the rule's title in Chinese and English", zh: "规则的中英文标题" }
    RemediationWhat { en: "how to fix a failure, in Chinese and English", zh: "违规时的中英文处理办法" }
    PolicyTitleWhat { en: "the policy's title in Chinese and English", zh: "策略的中英文标题" }
    OneOf { en: "one of {values}", zh: "以下之一：{values}" }
    MediaContext { en: "registered medium", zh: "登记介质" }
    NotInterfaceClass {
        en: "`{value}` is not a USB interface class; expected class/subclass/protocol in hex, like \"08/06/50\" (a `*` matches any)",
        zh: "`{value}` 不是 USB 接口类别；应为十六进制的 类别/子类别/协议，如 \"08/06/50\"（`*` 匹配任意值）",
    }
    RuleIdKebab {
        en: "rule id `{id}` must be kebab-case (like `removable-storage`)",
        zh: "规则标识 `{id}` 应为小写加连字符的形式（如 `removable-storage`）",
    }
    RuleIdTwice { en: "rule id `{id}` is used twice", zh: "规则标识 `{id}` 重复使用" }
    RuleSettingsContext { en: "rule `{id}` settings", zh: "规则 `{id}` 的设置" }
    PolicyFileContext { en: "the policy file", zh: "策略文件" }
    OverrideFileContext { en: "the override file", zh: "覆盖文件" }
    PolicyHeaderWhat { en: "a table with id, version and title", zh: "含 id、version 和 title 的表" }
    PolicyIdKebab { en: "policy id must be kebab-case", zh: "策略标识应为小写加连字符的形式" }
    AtLeastOneRule { en: "at least one rule", zh: "至少一条规则" }
    Incomplete { en: "incomplete policy: {what}", zh: "策略不完整：缺少 {what}" }
    NoSuchRule {
        en: "policy `{policy}` has no rule `{rule}`; its rules are: {known}",
        zh: "策略 `{policy}` 中没有规则 `{rule}`；其规则有：{known}",
    }
    ConfigFileContext { en: "the config file", zh: "配置文件" }

    // ----- Opening a machine (src/platform/mod.rs) -----
    RootNotDirectory { en: "--root {root}: not a directory", zh: "--root {root}：不是目录" }
    RootUnusable { en: "--root {root}: {error}", zh: "--root {root}：{error}" }

    // ----- Keys (src/finding/keys.rs) -----
    KeyIo { en: "key file '{path}': {step:step}: {error}", zh: "密钥文件 '{path}'：{step:step}：{error}" }
    KeyBadPath { en: "'{path}' does not name a key file", zh: "'{path}' 不是密钥文件名" }
    KeyParentMissing {
        en: "cannot create key '{path}': folder '{parent}' does not exist",
        zh: "无法创建密钥 '{path}'：文件夹 '{parent}' 不存在",
    }
    KeyExists {
        en: "'{path}' already exists; refusing to overwrite a key (move it away first if you really mean to replace this host's identity)",
        zh: "'{path}' 已存在；拒绝覆盖密钥（如确需更换本机身份，请先将其移走）",
    }
    KeyTooOpen {
        en: "permissions {mode} for '{path}' are too open; the private key must be readable by its owner only (chmod 600)",
        zh: "'{path}' 的权限 {mode} 过宽；私钥只能由其所有者读取（chmod 600）",
    }
    KeyNotRegular { en: "key file '{path}' is not a regular file", zh: "密钥文件 '{path}' 不是普通文件" }
    KeyTooLarge {
        en: "key file '{path}' is larger than {limit} bytes; not a key",
        zh: "密钥文件 '{path}' 大于 {limit} 字节，不是密钥",
    }
    KeyParse { en: "key file '{path}': {detail}", zh: "密钥文件 '{path}'：{detail}" }
    KeyRandom {
        en: "no random bytes from the kernel for a new key: {detail}",
        zh: "内核未提供生成新密钥所需的随机数：{detail}",
    }
    KeyEncode { en: "cannot encode key: {detail}", zh: "无法编码密钥：{detail}" }
    KeyTrustedTwice {
        en: "public key {keyid} is trusted twice, as '{first}' and as '{second}'; each key must have one name",
        zh: "公钥 {keyid} 被信任了两次，名称分别为 '{first}' 和 '{second}'；每个密钥只能有一个名称",
    }

    // ----- Scans (src/scan/mod.rs) -----
    NotWritten { en: "finding not written: {error}", zh: "检查结果未写入：{error}" }
    SpoolNotCreated {
        en: "finding not written: cannot create spool folder '{spool}': {error}",
        zh: "检查结果未写入：无法创建输出文件夹 '{spool}'：{error}",
    }
    CannotEncodeFinding { en: "cannot encode finding: {error}", zh: "无法编码检查结果：{error}" }
    ChainNotSaved {
        en: "finding written to {path} but the chain state was not saved: {error}",
        zh: "检查结果已写入 {path}，但链状态未能保存：{error}",
    }
    KeyNeedsSpool {
        en: "--key needs --spool (or `spool` in the config file): where should the finding go?",
        zh: "--key 需要同时给出 --spool（或在配置文件中设置 `spool`）：检查结果应写到哪里？",
    }
    SpoolNeedsKey {
        en: "--spool needs --key: findings are only written signed",
        zh: "--spool 需要同时给出 --key：检查结果只以签名形式写出",
    }
    PolicyUnloadable {
        en: "policy could not be loaded:\n{diagnostics}",
        zh: "策略无法加载：\n{diagnostics}",
    }

    // ----- Envelopes (src/finding/dsse.rs) -----
    EnvelopeTooLarge {
        en: "envelope is {size} bytes, over the limit of {limit}",
        zh: "信封大小为 {size} 字节，超过上限 {limit}",
    }
    EnvelopeMalformed { en: "malformed DSSE envelope: {detail}", zh: "DSSE 信封格式错误：{detail}" }
    EnvelopeWrongType {
        en: "payloadType is {found}, expected {expected}",
        zh: "payloadType 为 {found}，应为 {expected}",
    }
    EnvelopeNoSignatures { en: "envelope has no signatures", zh: "信封没有签名" }
    EnvelopeManySignatures {
        en: "envelope has {count} signatures; a finding carries exactly one",
        zh: "信封有 {count} 个签名；一份检查结果只能有一个签名",
    }
    EnvelopeUnknownKey {
        en: "signature key id {keyid} is not a trusted key",
        zh: "签名密钥标识 {keyid} 不是受信任的密钥",
    }
    EnvelopePayloadNotBase64 {
        en: "payload is not standard base64 with padding",
        zh: "payload 不是带填充的标准 base64",
    }
    EnvelopeSignatureUndecodable {
        en: "signature of key {keyid} is not base64 of a 64-byte ed25519 signature",
        zh: "密钥 {keyid} 的签名不是 64 字节 ed25519 签名的 base64 编码",
    }
    EnvelopeBadSignature {
        en: "signature does not verify with trusted key {keyid}; the envelope was altered or signed by another key",
        zh: "签名无法用受信任密钥 {keyid} 验证；信封被篡改，或由其他密钥签名",
    }

    // ----- verify, policy check (src/cli.rs) -----
    CannotEncodeJson { en: "cannot encode JSON: {error}", zh: "无法编码 JSON：{error}" }
    CannotWriteOutput { en: "cannot write output: {error}", zh: "无法写出输出：{error}" }
    VerifyNeedsKey { en: "give --key PUB or --trust DIR", zh: "请给出 --key 公钥文件 或 --trust 文件夹" }
    VerifyOk {
        en: "OK   {file}: signed by {label} ({keyid}) host {host} machine-id {machine_id} time {time} verdict {verdict} sequence {sequence} policy {policy} {version}",
        zh: "有效 {file}：由 {label}（{keyid}）签名，主机 {host}，机器标识 {machine_id}，时间 {time}，结论 {verdict:verdict}，序号 {sequence}，策略 {policy} {version}",
    }
    VerifyFail { en: "FAIL {file}: {why}", zh: "无效 {file}：{why}" }
    VerifyUnknownSchema {
        en: "signature valid but unknown schema `{schema}`",
        zh: "签名有效，但格式 `{schema}` 未知",
    }
    VerifyNotAFinding {
        en: "signature valid but payload is not a finding: {error}",
        zh: "签名有效，但内容不是检查结果：{error}",
    }
    PolicyValid {
        en: "{source}[ with override {override}]: policy `{id}` version {version} is valid: {rules} rule(s), {enabled} enabled, {media}, sha256 {sha256}[, override sha256 {override_sha256}]",
        zh: "{source}[（应用覆盖文件 {override}）]：策略 `{id}` 版本 {version} 有效：共 {rules} 条规则，启用 {enabled} 条，{media}，sha256 {sha256}[，覆盖文件 sha256 {override_sha256}]",
    }
    MediaNone { en: "no registered media", zh: "没有登记介质" }
    MediaOne { en: "1 registered medium", zh: "登记介质 1 个" }
    MediaMany { en: "{count} registered media", zh: "登记介质 {count} 个" }
    ProblemsFound { en: "{count} problem(s) found", zh: "发现 {count} 处问题" }

    // ----- The command line (src/main.rs) -----
    KeygenWrote {
        en: "wrote {path} (private, 0600) and {path}.pub\nkeyid {keyid}",
        zh: "已写入 {path}（私钥，权限 0600）和 {path}.pub\n密钥标识 {keyid}",
    }
    /// Keeps the `key=value` words, which log searches rely on, in both languages.
    ScanSummary {
        en: "isoguard scan: verdict={verdict} fail={fail} error={error} pass={pass} skip={skip} finding={finding}",
        zh: "isoguard 检查：结论 {verdict:verdict}（verdict={verdict} fail={fail} error={error} pass={pass} skip={skip}）检查结果 finding={finding}",
    }
    SummaryNoKey { en: "not written (no key)", zh: "未写入（无密钥）" }

    // ----- registered-media (src/cli.rs) -----
    MediaHeader {
        en: "# Registered media (登记的移动存储介质) for the devices attached now.\n# Fill in each label (the asset number), check the role, and paste into the site override.\n",
        zh: "# 当前接入设备的登记介质条目（registered media）。\n# 请填写每项的 label（资产编号），核对 role，然后粘贴到站点覆盖文件中。\n",
    }
    MediaDevice { en: "{name} {model} {size} on {bus}", zh: "{name} {model} {size}，总线 {bus}" }
    MediaRoleComment {
        en: "or \"import\" for one-way import (read-only)",
        zh: "单向导入（只读）介质改为 \"import\"",
    }
    MediaInterfacesComment {
        en: "what it presents now; anything more fails",
        zh: "当前呈现的接口；多出任何接口即判违规",
    }
    MediaNoSerial {
        en: "WARNING: no serial number: every device of this model would match this entry",
        zh: "警告：没有序列号：同型号的所有设备都会匹配此条目",
    }
    MediaMtp { en: "MTP/PTP device on port {port}", zh: "端口 {port} 上的 MTP/PTP 设备" }
    MediaNoneAttached { en: "No removable storage is attached.", zh: "当前没有接入移动存储介质。" }

    // ----- inventory (src/inventory/render.rs) -----
    InventoryHost {
        en: "Host {hostname}  machine-id {machine_id}  {os}  kernel {kernel}  isoguard {version}",
        zh: "主机 {hostname}  机器标识 {machine_id}  {os}  内核 {kernel}  isoguard {version}",
    }
    InventoryNone { en: "none", zh: "无" }
    Yes { en: "yes", zh: "是" }
    No { en: "no", zh: "否" }
    InventoryInterfaces { en: "Network interfaces", zh: "网络接口" }
    InventoryRoutes { en: "Routes", zh: "路由" }
    InventoryRoutesFrom { en: "routes read from {source}", zh: "路由读取自 {source}" }
    InventoryRoutesUnknown {
        en: "unknown (routing table not readable)",
        zh: "未知（路由表不可读）",
    }
    InventoryRules { en: "Routing rules", zh: "策略路由规则" }
    InventoryRulesUnknown {
        en: "routing rules: unknown (only the main table is known to be used)",
        zh: "策略路由规则：未知（仅确知使用主路由表）",
    }
    InventoryDns { en: "DNS resolvers", zh: "DNS 服务器" }
    InventoryStorage { en: "Storage", zh: "存储设备" }
    InventoryMountedRw { en: "mounted on {mount_point} ({fs}, read-write)", zh: "挂载于 {mount_point}（{fs}，读写）" }
    InventoryMountedRo { en: "mounted on {mount_point} ({fs}, read-only)", zh: "挂载于 {mount_point}（{fs}，只读）" }
    InventoryUsb { en: "USB devices", zh: "USB 设备" }
    InventorySound { en: "Sound cards", zh: "声卡" }
    InventoryVideo { en: "Video devices", zh: "视频设备" }
    InventoryRadios { en: "Radios", zh: "无线设备" }
    InventoryRfkill { en: "rfkill switches", zh: "rfkill 开关" }
    InventoryHistory { en: "History", zh: "历史记录" }
    InventoryHistorySummary {
        en: "last {days} days: {devices} USB connection(s), {profiles} saved network profile(s), {leases} lease(s), {pairings} Bluetooth record(s); {sources} record file(s) read, {partial} of them in part",
        zh: "近 {days} 天：USB 接入 {devices} 次，保存的网络配置 {profiles} 个，地址租约 {leases} 个，蓝牙记录 {pairings} 条；读取记录文件 {sources} 个，其中 {partial} 个未读全",
    }
    InventoryUnread { en: "Could not read", zh: "无法读取" }
    ColName { en: "name", zh: "名称" }
    ColKind { en: "kind", zh: "类型" }
    ColBus { en: "bus", zh: "总线" }
    ColDriver { en: "driver", zh: "驱动" }
    ColMac { en: "MAC", zh: "MAC 地址" }
    ColState { en: "state", zh: "状态" }
    ColAddresses { en: "addresses", zh: "地址" }
    ColFamily { en: "family", zh: "协议" }
    ColDestination { en: "destination", zh: "目的地址" }
    ColGateway { en: "gateway", zh: "网关" }
    ColDevice { en: "device", zh: "出口" }
    ColTable { en: "table", zh: "路由表" }
    ColMetric { en: "metric", zh: "跃点数" }
    ColRule { en: "rule", zh: "规则" }
    ColHotplug { en: "hot-plug", zh: "热插拔" }
    ColRemovable { en: "removable media", zh: "可移动介质" }
    ColSize { en: "size", zh: "容量" }
    ColVendor { en: "vendor", zh: "厂商" }
    ColModel { en: "model", zh: "型号" }
    ColSerial { en: "serial", zh: "序列号" }
    ColPort { en: "port", zh: "端口" }
    ColId { en: "id", zh: "编号" }
    ColKinds { en: "kinds", zh: "类别" }
    ColCard { en: "card", zh: "声卡" }
    ColCapture { en: "capture", zh: "采集" }
    ColPlayback { en: "playback", zh: "播放" }
    ColLabel { en: "label", zh: "标签" }
    ColInterface { en: "interface", zh: "接口" }
    ColFoundBy { en: "found by", zh: "发现途径" }
    ColSoftBlocked { en: "soft-blocked", zh: "软件禁用" }
    ColHardBlocked { en: "hard-blocked", zh: "硬件禁用" }

    // ----- The collector: chain problems, their likely causes, refused files, the report -----
    ChainResetDeclared {
        en: "new chain declared at sequence {sequence} ({file}): {reason}",
        zh: "序号 {sequence}（{file}）处声明了新链：{reason}",
    }
    ChainNamesOther {
        en: "sequence {sequence} ({file}) names sequence {other} ({other_file}) as its previous finding",
        zh: "序号 {sequence}（{file}）把序号 {other}（{other_file}）记为前一份结果",
    }
    ChainForkMember { en: "sequence {sequence} {digest} ({file})", zh: "序号 {sequence} {digest}（{file}）" }
    ChainFork {
        en: "{count} different findings follow {previous}: {members}",
        zh: "{previous} 之后有 {count} 份不同的检查结果：{members}",
    }
    ChainWrongPrevious {
        en: "sequence {sequence} ({file}) names previous {previous} but the stored sequence {other} ({other_file}) is {other_digest}",
        zh: "序号 {sequence}（{file}）记录的前一份结果是 {previous}，但已存的序号 {other}（{other_file}）是 {other_digest}",
    }
    ChainGapOne {
        en: "sequence {first} never arrived (between sequence {before} ({before_file}) and sequence {after} ({after_file}))",
        zh: "序号 {first} 未送达（在序号 {before}（{before_file}）与序号 {after}（{after_file}）之间）",
    }
    ChainGapRange {
        en: "sequences {first} to {last} never arrived (between sequence {before} ({before_file}) and sequence {after} ({after_file}))",
        zh: "序号 {first} 至 {last} 未送达（在序号 {before}（{before_file}）与序号 {after}（{after_file}）之间）",
    }
    ChainGapBefore {
        en: "sequence {last} (and any before it) never arrived: sequence {sequence} ({file}) names previous {previous} which the collector does not have",
        zh: "序号 {last}（及其之前的）未送达：序号 {sequence}（{file}）记录的前一份结果 {previous} 不在收集器中",
    }
    ChainNothingBefore {
        en: "sequence {sequence} ({file}) names previous {previous} although no finding can come before it",
        zh: "序号 {sequence}（{file}）记录了前一份结果 {previous}，但它之前不可能有检查结果",
    }
    ChainReplayed {
        en: "{file} is the finding already stored from {original} (digest {digest}); kept as archive/{archived_as}, not stored again",
        zh: "{file} 与已存的 {original} 是同一份检查结果（摘要 {digest}）；已保存为 archive/{archived_as}，未重复存储",
    }
    HintGap {
        en: "Likely: the files were lost or deleted on the way, or the host's outbox was cleared. Look for them in the host's outbox and on the transfer media; if they cannot be found, record it and inspect the machine.",
        zh: "可能原因：文件在传送途中丢失或被删除，或主机的输出目录被清空。请在主机输出目录和传送介质中查找；找不到时记录在案并检查该计算机。",
    }
    HintReplay {
        en: "Likely: an old finding was delivered again (a kept copy, or an attempt to hide a later result). Nothing was stored twice; find out who brought the file.",
        zh: "可能原因：旧的检查结果被再次送来（保留的副本，或企图掩盖之后的结果）。未重复存储；请查明文件由谁带来。",
    }
    HintFork {
        en: "Likely: two machines share one key and chain state (a cloned disk), or the state was restored from a backup. Give each machine its own key and find the other machine.",
        zh: "可能原因：两台计算机共用同一密钥和链状态（克隆的硬盘），或链状态从备份恢复。为每台计算机生成独立密钥，并查找另一台计算机。",
    }
    HintBrokenLink {
        en: "Likely: the chain state on the host was edited or replaced, or findings are missing in between. Compare with the host's outbox and inspect the machine.",
        zh: "可能原因：主机上的链状态被修改或替换，或中间缺少检查结果。请与主机输出目录核对并检查该计算机。",
    }
    HintReset {
        en: "Likely: the agent's chain state was lost (reinstalled, disk replaced, state folder deleted). Ask the unit why; findings from before the reset may be missing.",
        zh: "可能原因：主机的链状态丢失（重装系统、更换硬盘、删除了状态目录）。请向该单位核实原因；重置之前的检查结果可能缺失。",
    }
    RejectNotRegularFile { en: "not a regular file", zh: "不是普通文件" }
    RejectTooLarge { en: "too large", zh: "文件过大" }
    RejectUnreadable { en: "could not be read", zh: "无法读取" }
    RejectMalformed { en: "not a well-formed signed finding", zh: "不是格式正确的签名检查结果" }
    RejectUnknownSchema { en: "unknown finding format", zh: "未知的检查结果格式" }
    RejectUnknownKey { en: "signed by a key that is not enrolled", zh: "签名密钥未注册" }
    RejectBadSignature { en: "signature does not verify", zh: "签名验证失败" }
    RejectHostMismatch { en: "signed with another host's key", zh: "使用了其他主机的密钥签名" }
    // ----- The collector's console: after a pass, enrol, reverify, errors -----
    CollectRejectedFile { en: "rejected {file}: {kind}: {reason}", zh: "已拒收 {file}：{kind}（{reason}）" }
    CollectChainProblem {
        en: "chain {kind:chain} host {host}[ sequence {sequence}]: {detail}",
        zh: "链问题：{kind:chain}，主机 {host}[，序号 {sequence}]：{detail}",
    }
    CollectSummary {
        en: "stored {stored}, duplicates {duplicates}, rejected {rejected}[ ({kinds})][; {deferred} left for a later pass (still being written)][; {completed} already stored by an interrupted run, now archived][, new chain problems {problems}][ {stopped}]",
        zh: "新存 {stored} 份，重复 {duplicates} 份，拒收 {rejected} 份[（{kinds}）][；{deferred} 个文件仍在写入，留待下一轮][；{completed} 份已由中断的运行存入，现已归档][，新发现链问题 {problems} 个][{stopped}]",
    }
    CollectKindCount { en: "{kind} {count}", zh: "{kind} {count} 份" }
    CollectStoppedEarly { en: "(stopped early)", zh: "（提前停止）" }
    CollectNoKeys {
        en: "no keys enrolled in {dir}: every finding will be rejected as from an unknown key",
        zh: "{dir} 中没有已登记的密钥：所有检查结果都将以“签名密钥未注册”拒收",
    }
    EnrollNew { en: "enrolled {host}: key {keyid} in {path}", zh: "已登记 {host}：密钥 {keyid}，保存在 {path}" }
    EnrollAlready {
        en: "{host} is already enrolled with this key ({keyid}, {path})",
        zh: "{host} 已用此密钥登记（{keyid}，{path}）",
    }
    ReverifyFailed {
        en: "FAIL finding {id} host {host} ({file}): {reason}",
        zh: "未通过：检查结果 {id}，主机 {host}（{file}）：{reason}",
    }
    ReverifyTotal {
        en: "reverified {checked} finding(s): {ok} ok, {failed} failed",
        zh: "已重新核验 {checked} 份检查结果：{ok} 份通过，{failed} 份未通过",
    }
    CollectorMaxSize {
        en: "--max-size {size}: at most {limit} bytes (the largest envelope a finding may be)",
        zh: "--max-size {size}：最多 {limit} 字节（检查结果信封的上限）",
    }
    CollectorAtLeastOne { en: "--batch and --rescan-secs must be at least 1", zh: "--batch 和 --rescan-secs 至少为 1" }
    CollectorBadTime {
        en: "{option} {value}: not a time (YYYY-MM-DD or RFC 3339, e.g. 2026-11-01T08:00:00Z)",
        zh: "{option} {value}：不是时间（YYYY-MM-DD 或 RFC 3339，例如 2026-11-01T08:00:00Z）",
    }
    CollectorNotFolder { en: "{option} {path}: not a folder", zh: "{option} {path}：不是文件夹" }
    CollectorNoDatabase { en: "--db {path}: no such database file", zh: "--db {path}：数据库文件不存在" }
    CollectorPathError { en: "{option} {path}: {error}", zh: "{option} {path}：{error}" }
    CollectorOwnerCheck { en: "checking who owns the inbox: {error}", zh: "检查收件箱的属主时出错：{error}" }
    CollectorForeignOwner {
        en: "refusing to run as root on '{path}', which belongs to {who}: the files root would create (the database, archive/, rejected/) would lock that user's service out. Run it as that user:\n  {command}",
        zh: "拒绝以 root 身份处理“{path}”，它属于 {who}：root 新建的文件（数据库、archive/、rejected/）会让该用户的服务无法访问。请以该用户身份运行：\n  {command}",
    }
    CollectorDatabase { en: "database: {step:step}: {error}", zh: "数据库：{step:step}：{error}" }
    CollectorTooNew {
        en: "database schema version {found} is newer than this collector knows ({known}); use a newer isoguard-collector",
        zh: "数据库结构版本 {found} 比本收集器所知的（{known}）更新；请使用更新版本的 isoguard-collector",
    }
    CollectorFileStep { en: "'{path}': {step:step}: {error}", zh: "“{path}”：{step:step}：{error}" }
    CollectorWatchSetup { en: "--watch: {step:step}: {error}", zh: "--watch：{step:step}：{error}" }
    TrustBadHostId { en: "host identity {host} refused: {reason:hostid}", zh: "主机标识 {host} 被拒绝：{reason:hostid}" }
    TrustHostTaken {
        en: "host {host} is already enrolled with a different key ('{path}'); remove that file first if the host really has a new key",
        zh: "主机 {host} 已用另一个密钥登记（“{path}”）；如果该主机确实换了新密钥，请先删除该文件",
    }
    TrustKeyTaken {
        en: "key {keyid} is already enrolled for host {host}; one key speaks for one host",
        zh: "密钥 {keyid} 已为主机 {host} 登记；一个密钥只代表一台主机",
    }
    TrustFolderStep { en: "trust folder '{path}': {step:step}: {error}", zh: "登记文件夹“{path}”：{step:step}：{error}" }
    // ----- Bundles: export and import up the hierarchy -----
    BundleRefused {
        en: "bundle '{path}' refused, nothing of it stored: {reason}",
        zh: "数据包“{path}”被拒收，未存入任何内容：{reason}",
    }
    BundleNotABundle { en: "not an isoguard bundle: {detail}", zh: "不是 isoguard 数据包：{detail}" }
    BundleManifest {
        en: "its manifest is not signed by an enrolled unit: {detail}",
        zh: "其清单未经已登记单位的密钥签名：{detail}",
    }
    BundleUnitMismatch {
        en: "signed by unit {signer}'s key but claims to come from {claimed}",
        zh: "由单位 {signer} 的密钥签名，却声称来自 {claimed}",
    }
    BundleBodyAltered {
        en: "its contents are not what its manifest signed (altered, cut short or added to on the way)",
        zh: "内容与清单签名的不一致（途中被修改、截断或添加）",
    }
    BundleBadLine { en: "line {line}: {detail}", zh: "第 {line} 行：{detail}" }
    BundleKeyCount {
        en: "the manifest says {said} key line(s), the bundle holds {found}",
        zh: "清单写明密钥 {said} 行，数据包实有 {found} 行",
    }
    BundleFindingCount {
        en: "the manifest says {said} finding line(s), the bundle holds {found}",
        zh: "清单写明检查结果 {said} 行，数据包实有 {found} 行",
    }
    BundleChangedWhileRead {
        en: "the file changed while it was being imported; nothing was stored, import it again from a copy",
        zh: "导入过程中文件发生了变化；未存入任何内容，请从副本重新导入",
    }
    ExportWrote {
        en: "wrote bundle {sequence} of unit {unit}: {findings} finding(s), {keys} key id(s), {path} (sha256 {digest})",
        zh: "已写出单位 {unit} 的第 {sequence} 个数据包：检查结果 {findings} 份，密钥标识 {keys} 个，{path}（sha256 {digest}）",
    }
    ImportStored {
        en: "imported bundle {sequence} of unit {unit}: stored {stored}, already held {already}, refused {refused}[ ({kinds})]",
        zh: "已导入单位 {unit} 的第 {sequence} 个数据包：新存 {stored} 份，已有 {already} 份，拒收 {refused} 份[（{kinds}）]",
    }
    ImportBefore {
        en: "bundle {sequence} of unit {unit} (sha256 {digest}) was already imported at {at}; nothing stored",
        zh: "单位 {unit} 的第 {sequence} 个数据包（sha256 {digest}）已于 {at} 导入；未重复存储",
    }
    ImportKeys {
        en: "the unit trusts {absent} key(s) not enrolled here and {other} enrolled here for another host; their findings are refused until they are enrolled",
        zh: "该单位信任的密钥中有 {absent} 个未在此登记，{other} 个在此登记为其他主机；在登记之前，相应的检查结果将被拒收",
    }
    // ----- Watching and enforcement -----
    WatchStarted {
        en: "isoguard watch: watching for device and network changes; verdict={verdict} fail={fail} error={error}",
        zh: "isoguard 监视：开始监视设备与网络变化；当前结论 {verdict:verdict}（verdict={verdict} fail={fail} error={error}）",
    }
    WatchChange {
        en: "isoguard watch: {trigger} ({events} event(s): {first}): verdict={verdict} fail={fail} error={error} finding={finding}",
        zh: "isoguard 监视：{trigger:trigger}（{events} 个事件：{first}）：结论 {verdict:verdict}（verdict={verdict} fail={fail} error={error}）检查结果 finding={finding}",
    }
    WatchNewViolation {
        en: "isoguard watch: new violation after {trigger} ({events} event(s): {first}): {failing}; finding={finding}",
        zh: "isoguard 监视：{trigger:trigger}后出现新的违规（{events} 个事件：{first}）：{failing}；检查结果 finding={finding}",
    }
    WatchStopped { en: "isoguard watch: stopped ({findings} finding(s) written)", zh: "isoguard 监视：已停止（共写入 {findings} 份检查结果）" }
    WatchEventsLost {
        en: "isoguard watch: the kernel dropped events ({source}); everything is re-read",
        zh: "isoguard 监视：内核丢弃了事件（{source}），已重新读取全部信息",
    }
    WatchSealFailed {
        en: "isoguard watch: the finding for this change was not written: {error}; it is retried at the next change",
        zh: "isoguard 监视：本次变化的检查结果未能写入：{error}；将在下一次变化时重试",
    }
    WatchNeedsKey {
        en: "watch writes signed findings: it needs a key and a spool (--key/--spool or the config file)",
        zh: "watch 会写入签名的检查结果，需要密钥和输出文件夹（--key/--spool 或配置文件）",
    }
    WatchNoEvents {
        en: "cannot listen for kernel events: {error}",
        zh: "无法监听内核事件：{error}",
    }
    WatchAction {
        en: "isoguard watch: enforcement {action} {device} (rule {rule}): {result}",
        zh: "isoguard 监视：执行 {action}，对象 {device}（规则 {rule}）：{result}",
    }
    WatchEnforceFailed {
        en: "enforcement failed: {error}",
        zh: "强制措施未能执行：{error}",
    }
}
