//! The HTML report in a real browser: headless Chromium (Debian's `chromium` package) opens
//! the file as someone would from a USB stick, runs its inline script under the page's own
//! Content-Security-Policy, and must log nothing on the console (no script error, no CSP
//! refusal). The dumped DOM must hold the host rows, and the page's self-test (sorting every
//! column, filtering the host table) must have run. A script injected into the page (a missed
//! escape, simulated) must be refused by the policy. Screenshots of the page in each language are left at
//! `target/report-screenshot/report.{zh,en}.png` for people to look at. A report of 100,000
//! hosts in 20 units must open the same way, page through its hosts, show one unit and find
//! a host in it.
//!
//! Without Chromium the test fails and says how to install it (`.ci/install-test-deps`
//! installs it): a skipped browser test would print `ok` for a page nobody looked at.
#![cfg(feature = "collector")]
// Helpers write files and drive a child process; a failure there is a broken test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::{self, File};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use isoguard::collector::model::{
    ChainProblem, ChainProblemKind, Evidence, EvidenceKind, HostRow, Open, RejectedFile,
    ReportData, RuleCount, Severity, Title, Totals, Verdict, Violation, REPORT_SCHEMA,
};
use isoguard::collector::report::{render, Format};
use isoguard::i18n::Lang;

const CHROMIUM_TIMEOUT: Duration = Duration::from_secs(60);
const INSTALL_HINT: &str = "headless Chromium is needed for this test: \
    apt-get update && apt-get install -y chromium fonts-noto-cjk";
const HOSTILE_HOST: &str = "ws-01&\"<b>lab\u{1b}[31m";

fn title(zh: &str, en: &str) -> Title {
    Title {
        zh: zh.to_string(),
        en: en.to_string(),
    }
}

fn host(name: &str, verdict: Option<&str>, failed: &[&str]) -> HostRow {
    let reported = verdict.is_some();
    HostRow {
        host_id: format!("{name}-id"),
        hostname: Some(name.to_string()),
        machine_id: reported.then(|| format!("{name}-machine")),
        last_time: reported.then(|| "2025-03-01T08:00:00Z".to_string()),
        last_verdict: verdict.map(|v| {
            isoguard::vocab::parse_unit::<Verdict>(v)
                .map_or_else(|| Open::Other(v.to_string()), Open::Known)
        }),
        policy_id: reported.then(|| "classified".to_string()),
        policy_version: reported.then(|| "1.0.0".to_string()),
        agent_version: reported.then(|| "0.1.0".to_string()),
        last_sequence: reported.then_some(12),
        findings: if reported { 12 } else { 0 },
        stale: !reported,
        failed_rules: failed.iter().map(|r| r.to_string()).collect(),
        unit: None,
    }
}

fn storage_violation(host: &str, evidence: Vec<Evidence>) -> Violation {
    Violation {
        host_id: format!("{host}-id"),
        hostname: Some(host.to_string()),
        time: "2025-03-01T08:00:00Z".to_string(),
        sequence: 12,
        rule: "removable-storage".to_string(),
        title: title(
            "只使用登记的移动存储介质",
            "Only registered removable media",
        ),
        severity: Severity::High.into(),
        evidence,
        evidence_left_out: 0,
    }
}

/// Five hosts, deliberately not in name order, one of them hostile, one never reporting.
fn data() -> ReportData {
    let stick = |product: &str, serial: &str| Evidence {
        kind: EvidenceKind::BlockDevice.into(),
        detail: "未登记的 USB 存储设备 unregistered USB storage".to_string(),
        detail_zh: None,
        name: Some("sdb".to_string()),
        vendor_id: Some("0781".to_string()),
        product_id: Some("5567".to_string()),
        manufacturer: Some("SanDisk".to_string()),
        product: Some(product.to_string()),
        serial: Some(serial.to_string()),
        mac: None,
        port: Some("1-2".to_string()),
        device_path: Some("/sys/devices/pci0000:00/0000:00:14.0/usb1/1-2".to_string()),
        driver: None,
        bus: None,
    };
    let wifi = Evidence {
        kind: EvidenceKind::Radio.into(),
        detail: "Wi-Fi 网卡 wireless interface".to_string(),
        detail_zh: None,
        name: Some("wlp2s0".to_string()),
        vendor_id: Some("8086".to_string()),
        product_id: Some("2723".to_string()),
        manufacturer: Some("Intel Corporation".to_string()),
        product: Some("Wi-Fi 6 AX200".to_string()),
        mac: Some("a0:b1:c2:d3:e4:f5".to_string()),
        device_path: Some("/sys/devices/pci0000:00/0000:00:1c.0/0000:02:00.0".to_string()),
        ..Evidence::new(EvidenceKind::Radio, isoguard::i18n::Phrase::verbatim(""))
    };
    let problem = |kind, host: &str, sequence, detail: &str| ChainProblem {
        host_id: format!("{host}-id"),
        hostname: Some(host.to_string()),
        kind,
        sequence,
        detail: detail.to_string(),
        detail_zh: format!("详情：{detail}"),
        noticed_at: "2025-03-01T09:00:00Z".to_string(),
    };
    ReportData {
        schema: REPORT_SCHEMA.to_string(),
        generated_at: "2025-03-02T10:00:00Z".to_string(),
        stale_days: 7,
        totals: Totals {
            hosts: 5,
            compliant: 1,
            violation: 2,
            error: 1,
            stale: 1,
            findings: 48,
            rejected: 1,
            chain_problems: 5,
        },
        hosts: vec![
            host("ws-10", Some("violation"), &["wireless"]),
            host("ws-05", Some("compliant"), &[]),
            host(HOSTILE_HOST, Some("violation"), &["removable-storage"]),
            host("ws-02", Some("error"), &[]),
            host("ws-03", None, &[]),
        ],
        violations: vec![
            Violation {
                rule: "wireless".to_string(),
                title: title("禁止无线设备", "No wireless devices"),
                severity: Severity::Critical.into(),
                ..storage_violation("ws-10", vec![wifi])
            },
            storage_violation(
                HOSTILE_HOST,
                vec![
                    stick(
                        "<script>alert(1)</script>",
                        "\"><img src=x onerror=alert(1)>",
                    ),
                    stick("=cmd|' /C calc'!A0", "4C530001230511118473"),
                ],
            ),
        ],
        by_rule: vec![
            RuleCount {
                rule: "wireless".to_string(),
                title: title("禁止无线设备", "No wireless devices"),
                severity: Severity::Critical.into(),
                hosts: 1,
                remediation: None,
            },
            RuleCount {
                rule: "removable-storage".to_string(),
                title: title(
                    "只使用登记的移动存储介质",
                    "Only registered removable media",
                ),
                severity: Severity::High.into(),
                hosts: 1,
                remediation: None,
            },
        ],
        chain_problems: vec![
            problem(
                ChainProblemKind::Gap,
                "ws-10",
                Some(9),
                "findings 9..10 missing",
            ),
            problem(
                ChainProblemKind::Replay,
                "ws-05",
                Some(4),
                "same envelope again",
            ),
            problem(
                ChainProblemKind::Fork,
                HOSTILE_HOST,
                Some(7),
                "<i>two</i> findings",
            ),
            problem(
                ChainProblemKind::BrokenLink,
                "ws-02",
                Some(3),
                "previous digest differs",
            ),
            problem(
                ChainProblemKind::Reset,
                "ws-05",
                None,
                "state file lost 状态丢失",
            ),
        ],
        units: Vec::new(),
        rejected: vec![RejectedFile {
            file: "finding-<img src=x>.json".to_string(),
            stored_as: "rejected/finding-<img src=x>.json".to_string(),
            reason: "unknown signer 未知签名者".to_string(),
            rejected_at: "2025-03-01T07:00:00Z".to_string(),
            kind: "bad-signature".to_string(),
        }],
    }
}

fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

struct Run {
    stdout: String,
    stderr: String,
}

/// Runs Chromium in its own process group with a fresh profile, killing the whole group
/// after [`CHROMIUM_TIMEOUT`]. Output goes to files, so stray child processes holding a pipe
/// open cannot hang the test.
/// `profile` names the browser profile: a new one is made for each run unless a later run
/// names the same one (what the page stored in the first is there in the second).
fn run_chromium(
    chromium: &Path,
    work: &Path,
    name: &str,
    extra: &[String],
    url: &str,
    profile: Option<&str>,
) -> Run {
    let profile = work.join(format!("profile-{}", profile.unwrap_or(name)));
    if !profile.exists() {
        fs::create_dir_all(&profile).unwrap();
    }
    let stdout_path = work.join(format!("{name}.stdout"));
    let stderr_path = work.join(format!("{name}.stderr"));
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        // A fixed zone, so the page's local times are known: UTC+8, where the users are.
        .env("TZ", "Asia/Shanghai")
        .stdin(Stdio::null())
        .stdout(File::create(&stdout_path).unwrap())
        .stderr(File::create(&stderr_path).unwrap())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|err| panic!("cannot start {}: {err}; {INSTALL_HINT}", chromium.display()));

    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > CHROMIUM_TIMEOUT {
            // The group id is the child's pid (process_group(0)): this ends the browser and
            // its renderer, GPU and zygote processes, and nothing else.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
            panic!(
                "chromium ({name}) did not finish within {CHROMIUM_TIMEOUT:?}; stderr:\n{}",
                fs::read_to_string(&stderr_path).unwrap_or_default()
            );
        }
        thread::sleep(Duration::from_millis(100));
    };
    let stdout = String::from_utf8_lossy(&fs::read(&stdout_path).unwrap()).into_owned();
    let stderr = String::from_utf8_lossy(&fs::read(&stderr_path).unwrap()).into_owned();
    assert!(
        status.success(),
        "chromium ({name}) exited with {status}; stderr:\n{stderr}"
    );
    Run { stdout, stderr }
}

/// Lines where Chromium reports something the page did: console messages (which include
/// uncaught exceptions and CSP violations; the page itself never logs) and refusals.
/// Chromium's own noise (D-Bus, GPU, sandbox warnings) does not match.
fn page_complaints(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|line| {
            line.contains("CONSOLE")
                || line.contains("Uncaught")
                || line.contains("Refused to")
                || line.contains("Content Security Policy")
        })
        .collect()
}

/// The `<tbody>` of the table with this id in Chromium's serialised DOM.
fn table_body<'a>(dom: &'a str, id: &str) -> &'a str {
    let start = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no table {id} in the DOM"));
    let rest = &dom[start..];
    let body = rest.find("<tbody>").expect("tbody");
    let end = rest.find("</tbody>").expect("/tbody");
    &rest[body..end]
}

#[test]
fn report_renders_in_headless_chromium() {
    let Some(chromium) = find_chromium() else {
        panic!("chromium not found on PATH; {INSTALL_HINT}");
    };

    // target/report-screenshot, next to target/tmp (CARGO_TARGET_TMPDIR).
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target dir")
        .to_path_buf();
    let out = target.join("report-screenshot");
    fs::create_dir_all(&out).unwrap();
    let out = out.canonicalize().unwrap();
    let work = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("report-browser-{}", std::process::id()));
    fs::create_dir_all(&work).unwrap();

    let data = data();
    let page = out.join("report.html");
    fs::write(&page, render(&data, Format::Html, Lang::Zh)).unwrap();
    let url = format!("file://{}", page.display());

    // 1. The DOM after load, with the page's self-test run (sorts, then filters for ws-02).
    let dumped = run_chromium(
        &chromium,
        &work,
        "dump-dom",
        &["--dump-dom".to_string()],
        &format!("{url}#selftest=ws-02"),
        None,
    );
    let complaints = page_complaints(&dumped.stderr);
    assert!(
        complaints.is_empty(),
        "console output from the page:\n{}",
        complaints.join("\n")
    );
    let dom = &dumped.stdout;
    assert!(
        dom.contains("data-ready=\"1\""),
        "the inline script did not run:\n{dom}"
    );
    assert!(
        dom.contains("data-selftest=\"done\""),
        "the self-test did not finish"
    );
    assert!(
        !dom.contains("class=\"tools\" hidden"),
        "filter boxes still hidden"
    );
    // Hostile strings stayed text: no element was made from them.
    assert!(!dom.contains("<img"), "an <img> element exists");
    assert!(
        !dom.contains("<b>lab"),
        "markup from a host name was parsed"
    );
    assert_eq!(dom.matches("<script").count(), 1);

    let hosts = table_body(dom, "t-hosts");
    let rows: Vec<&str> = hosts.split("<tr").skip(1).collect();
    assert_eq!(rows.len(), data.hosts.len(), "host rows:\n{hosts}");
    for name in [
        "ws-02",
        "ws-03",
        "ws-05",
        "ws-10",
        "ws-01&amp;\"&lt;b&gt;lab\\x1b[31m",
    ] {
        assert!(
            rows.iter()
                .any(|row| row.contains(&format!("<strong>{name}</strong>"))),
            "host {name} has no row:\n{hosts}"
        );
    }
    // Sorted by host name, ascending (numbers compared as numbers).
    let position = |name: &str| hosts.find(&format!("<strong>{name}</strong>")).unwrap();
    assert!(position("ws-02") < position("ws-03"));
    assert!(position("ws-03") < position("ws-05"));
    assert!(position("ws-05") < position("ws-10"));
    // Filtered for ws-02: every other host row hidden.
    let is_hidden = |row: &&&str| row.split('>').next().unwrap_or("").contains("hidden");
    let hidden = rows.iter().filter(is_hidden).count();
    assert_eq!(hidden, data.hosts.len() - 1, "host rows:\n{hosts}");
    assert!(rows
        .iter()
        .any(|row| !is_hidden(&row) && row.contains("<strong>ws-02</strong>")));

    // 2. A missed escape, simulated: markup with a script of its own is put into the page.
    // The policy allows only the page's own script (by its hash), so this one must not run,
    // and Chromium says it refused it; the page's own script still runs.
    let html = render(&data, Format::Html, Lang::Zh);
    let injected = html.replacen(
        "<footer>",
        "<script>document.documentElement.dataset.injected = '1';</script><footer>",
        1,
    );
    assert_ne!(injected, html, "no <footer> to inject before");
    let hostile = out.join("report-injected.html");
    fs::write(&hostile, injected).unwrap();
    let dumped = run_chromium(
        &chromium,
        &work,
        "injected",
        &["--dump-dom".to_string()],
        &format!("file://{}", hostile.display()),
        None,
    );
    assert!(
        !dumped.stdout.contains("data-injected"),
        "an injected inline script ran"
    );
    assert!(
        dumped.stdout.contains("data-ready=\"1\""),
        "the page's own script did not run"
    );
    assert!(
        page_complaints(&dumped.stderr)
            .iter()
            .any(|line| line.contains("Content Security Policy")),
        "no CSP refusal logged for the injected script:\n{}",
        dumped.stderr
    );
    let _ = fs::remove_file(&hostile);

    // 3. Each language as the page opens in it (`report --lang`): only that language is
    // shown, the filter boxes speak it, times are local (UTC+8 here) with UTC on hover.
    for (lang, code) in [(Lang::Zh, "zh"), (Lang::En, "en")] {
        let page = out.join(format!("report.{code}.html"));
        fs::write(&page, render(&data, Format::Html, lang)).unwrap();
        let url = format!("file://{}", page.display());
        let dumped = run_chromium(
            &chromium,
            &work,
            &format!("open-{code}"),
            &["--dump-dom".to_string()],
            &url,
            None,
        );
        let dom = &dumped.stdout;
        assert!(
            dom.contains(&format!("class=\"only-{code}\"")),
            "{code}: {dom}"
        );
        let (own, other) = match lang {
            Lang::Zh => (
                " placeholder=\"输入关键字\"",
                " placeholder=\"Type to filter\"",
            ),
            Lang::En => (
                " placeholder=\"Type to filter\"",
                " placeholder=\"输入关键字\"",
            ),
        };
        assert!(
            dom.contains(own),
            "{code}: filter placeholder not in its language"
        );
        assert!(
            !dom.contains(other),
            "{code}: filter placeholder in the other language"
        );
        assert!(
            dom.contains(">2025-03-01 17:00:00 UTC+08:00</time>")
                && dom.contains("title=\"UTC 2025-03-01T09:00:00Z\""),
            "{code}: times not shown in local time with the zone"
        );
        let shot = out.join(format!("report.{code}.png"));
        let _ = fs::remove_file(&shot);
        let shooting = run_chromium(
            &chromium,
            &work,
            &format!("screenshot-{code}"),
            &[
                format!("--screenshot={}", shot.display()),
                "--window-size=1400,2600".to_string(),
                "--hide-scrollbars".to_string(),
            ],
            &url,
            None,
        );
        let complaints = page_complaints(&shooting.stderr);
        assert!(
            complaints.is_empty(),
            "console output from the page:\n{}",
            complaints.join("\n")
        );
        let png = fs::read(&shot)
            .unwrap_or_else(|err| panic!("no screenshot at {}: {err}", shot.display()));
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
        assert!(
            png.len() > 20_000,
            "suspiciously small screenshot ({} bytes)",
            png.len()
        );
        println!("screenshot: {}", shot.display());
    }

    // 4. The reader's choice is remembered: English pressed on the Chinese page, the page
    // opened again in the same browser profile opens in English.
    let zh_page = format!("file://{}", out.join("report.zh.html").display());
    run_chromium(
        &chromium,
        &work,
        "choose-en",
        &["--dump-dom".to_string()],
        &format!("{zh_page}#choose=en"),
        Some("remember"),
    );
    let reopened = run_chromium(
        &chromium,
        &work,
        "reopen",
        &["--dump-dom".to_string()],
        &zh_page,
        Some("remember"),
    );
    assert!(
        reopened.stdout.contains("class=\"only-en\""),
        "the chosen language was not remembered"
    );

    let _ = fs::remove_dir_all(&work);
}

/// Hosts of the large report, by unit: the first 5,000 report to this collector directly
/// (no unit), the rest came through 19 units of 5,000 each.
const LARGE_HOSTS: usize = 100_000;
/// Host names that try to end the page's data element or open a comment in it; they are in
/// the last unit, where the self-test looks.
const HOSTILE_LARGE: [&str; 2] = [
    "zz</script><script>alert(1)</script>",
    "zz<!--\u{2028}\u{2029}&amp;",
];

fn large_data() -> ReportData {
    let mut data = data();
    let unit = |i: usize| (i >= 5_000).then(|| format!("unit-{:02}", i / 5_000));
    let mut hosts: Vec<HostRow> = (0..LARGE_HOSTS)
        .map(|i| {
            let failing = i % 3 == 0;
            let verdict = if failing { "violation" } else { "compliant" };
            let failed: &[&str] = if failing { &["removable-storage"] } else { &[] };
            HostRow {
                unit: unit(i),
                stale: i % 20 == 0,
                ..host(&format!("ws{i:06}"), Some(verdict), failed)
            }
        })
        .collect();
    for name in HOSTILE_LARGE {
        hosts.push(HostRow {
            unit: unit(LARGE_HOSTS - 1),
            ..host(name, Some("violation"), &["removable-storage"])
        });
    }
    let device = |i: usize, n: usize| Evidence {
        serial: Some(format!("4C53000{i:06}{n}")),
        port: Some(format!("1-{n}")),
        ..Evidence::new(
            EvidenceKind::BlockDevice,
            isoguard::i18n::Phrase::verbatim("未登记的 USB 存储设备 unregistered USB storage"),
        )
    };
    data.violations = hosts
        .iter()
        .enumerate()
        .filter(|(_, h)| !h.failed_rules.is_empty())
        .map(|(i, h)| {
            storage_violation(
                h.hostname.as_deref().unwrap_or_default(),
                vec![device(i, 1), device(i, 2)],
            )
        })
        .collect();
    data.totals.hosts = hosts.len() as u64;
    data.hosts = hosts;
    data
}

/// 100,000 hosts in 20 groups and 66,000 device rows: the page opens (its script runs, under
/// its policy, without a console message), shows the first page as markup, pages through
/// the rest, shows one unit, and finds a host of the last unit. Not timed: it fails only if
/// Chromium does not finish within its usual limit.
#[test]
fn report_of_100000_hosts_opens_and_pages_in_headless_chromium() {
    let Some(chromium) = find_chromium() else {
        panic!("chromium not found on PATH; {INSTALL_HINT}");
    };
    let work = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("report-browser-large-{}", std::process::id()));
    fs::create_dir_all(&work).unwrap();
    let data = large_data();
    let html = render(&data, Format::Html, Lang::En);

    // Without the script: the first page of hosts is markup, the rest is said to need it,
    // and the evidence beyond the page's budget is said to be in the CSV and JSON.
    let markup_rows = table_body(&html, "t-hosts").matches("<tr").count();
    assert_eq!(markup_rows, 100, "host rows as markup");
    assert!(html.contains("more rows are shown page by page by the page&#39;s script"));
    let devices = data.violations.len() * 2;
    assert!(html.contains(&format!(
        "This page carries the first 50000 of {devices} rows"
    )));
    // The hostile names are data, escaped: nothing in them ends an element.
    assert_eq!(
        html.matches("<script").count(),
        3,
        "the script and two data elements"
    );
    assert_eq!(html.matches("</script>").count(), 3);
    assert!(!html.contains("<!--"));
    assert!(!html.contains('\u{2028}'));

    let page = work.join("report-large.html");
    fs::write(&page, &html).unwrap();
    let url = format!("file://{}", page.display());
    let open = |name: &str, word: &str| {
        let run = run_chromium(
            &chromium,
            &work,
            name,
            &["--dump-dom".to_string()],
            &format!("{url}#selftest={word}"),
            None,
        );
        let complaints = page_complaints(&run.stderr);
        assert!(
            complaints.is_empty(),
            "console output from the page:\n{}",
            complaints.join("\n")
        );
        assert!(
            run.stdout.contains("data-ready=\"1\""),
            "the script did not run"
        );
        assert!(
            run.stdout.contains("data-selftest=\"done\""),
            "no self-test"
        );
        run.stdout
    };

    let dom = open("large", "ws099999");
    // Sorted by host name, the second page starts with the 101st host.
    assert!(
        dom.contains("id=\"t-hosts\" data-selftest-page2=\"ws000100\""),
        "second page of hosts: {}",
        &dom[dom.find("id=\"t-hosts\"").unwrap()..][..200]
    );
    assert!(
        !dom.contains("data-selftest-page2=\"\""),
        "an empty second page"
    );
    // The last unit chosen and filtered for its last host: that host's row alone.
    let hosts = table_body(&dom, "t-hosts");
    let rows: Vec<&str> = hosts.split("<tr").skip(1).collect();
    assert_eq!(rows.len(), 1, "host rows:\n{hosts}");
    assert!(rows[0].contains("<strong>ws099999</strong>"), "{}", rows[0]);
    assert!(rows[0].contains("<td class=\"num\">12</td>"), "{}", rows[0]);

    // The hostile names, found the same way, are text in their cells.
    let dom = open("large-hostile", "zz");
    let hosts = table_body(&dom, "t-hosts");
    assert_eq!(hosts.split("<tr").count() - 1, 2, "host rows:\n{hosts}");
    assert!(
        hosts.contains("<strong>zz&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;</strong>")
    );
    assert!(
        !dom.contains("<script>alert"),
        "markup from a host name was parsed"
    );

    let _ = fs::remove_dir_all(&work);
}
