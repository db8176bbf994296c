//! What the command-line front ends share: exit codes, error mapping, opening a root,
//! logging setup, writing to a stdout that may be a closed pipe, and the small commands
//! (`verify`, `policy check`, `registered-media`) that are a few lines over the library.

use std::io::Write;

use crate::i18n::{Lang, Msg, Phrase, Said};
use std::path::Path;

pub mod exit {
    pub const OK: u8 = 0;
    pub const VIOLATION: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const SCAN_ERROR: u8 = 3;
}

#[derive(Debug)]
pub struct CliError {
    pub message: Said,
    pub code: u8,
}

impl CliError {
    pub fn usage(message: impl Into<Said>) -> Self {
        CliError {
            message: message.into(),
            code: exit::USAGE,
        }
    }

    pub fn scan(message: impl Into<Said>) -> Self {
        CliError {
            message: message.into(),
            code: exit::SCAN_ERROR,
        }
    }

    pub fn exit_code(&self) -> u8 {
        self.code
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message.en)
    }
}

impl std::error::Error for CliError {}

/// Opens `--root DIR` (or the live system) as a usage error when it cannot be read.
pub fn open_root(root: Option<&Path>) -> Result<crate::platform::Opened, CliError> {
    crate::platform::open(root).map_err(|e| CliError::usage(e.0))
}

pub fn to_json<T: serde::Serialize>(value: &T) -> Result<String, CliError> {
    serde_json::to_string_pretty(value)
        .map(|mut s| {
            s.push('\n');
            s
        })
        .map_err(|e| CliError::scan(Msg::CannotEncodeJson.with("error", e)))
}

/// Writes to stdout; a reader that went away (`| head`) is not an error.
pub fn print_stdout(text: &str) -> Result<(), CliError> {
    write_stdout(|out| out.write_all(text.as_bytes()))
}

/// Standard output as `fill` writes it (buffered), with [`print_stdout`]'s errors.
pub fn write_stdout(
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), CliError> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    match fill(&mut out).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(err) => Err(CliError::scan(
            Msg::CannotWriteOutput.nest("error", crate::i18n::os_error(&err)),
        )),
    }
}

/// Diagnostics go to stderr (or the journal under systemd), never stdout, which may carry
/// JSON. `verbosity`: -1 quiet (errors only), 0 default (warnings and the one-line scan
/// summary), 1 info, 2 and more debug. `RUST_LOG` overrides.
pub fn init_logging(verbosity: i8) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let default = match verbosity {
        i8::MIN..=-1 => "error",
        0 => "warn,isoguard::summary=info",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // systemd sets JOURNAL_STREAM when stderr is connected to the journal.
    if std::env::var_os("JOURNAL_STREAM").is_some() {
        if let Ok(journald) = tracing_journald::layer() {
            let _ = tracing_subscriber::registry()
                .with(filter)
                .with(journald.with_syslog_identifier("isoguard".to_string()))
                .try_init();
            return;
        }
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none(),
        )
        .without_time()
        .try_init();
}

/// `isoguard verify`: checks each envelope, prints what it holds; any failure is exit 1.
pub fn verify_files(
    key: Option<&Path>,
    trust: Option<&Path>,
    files: &[std::path::PathBuf],
    lang: Lang,
) -> Result<u8, CliError> {
    use crate::finding::{dsse, keys, v1};
    use crate::text::display_safe;
    let trusted = match (key, trust) {
        (Some(path), _) => {
            let public = keys::load_public_key(path).map_err(|e| CliError::usage(e.phrase()))?;
            let label = path
                .file_stem()
                .map_or("key".to_string(), |s| s.to_string_lossy().into_owned());
            keys::TrustedKeys::from_keys(vec![(label, public)])
        }
        (None, Some(dir)) => keys::TrustedKeys::from_dir(dir),
        (None, None) => return Err(CliError::usage(Msg::VerifyNeedsKey)),
    }
    .map_err(|e| CliError::usage(e.phrase()))?;
    let mut failed = 0;
    let mut out = String::new();
    for file in files {
        let shown = display_safe(&file.display().to_string(), 200);
        let verdict = match read_envelope_file(file) {
            Err(why) => Err(why),
            Ok(bytes) => match dsse::verify(&bytes, &trusted) {
                Err(err) => Err(err.phrase()),
                Ok(verified) => match serde_json::from_slice::<v1::Finding>(&verified.payload) {
                    Ok(f) if f.schema == v1::SCHEMA => Ok(Msg::VerifyOk
                        .with("file", &shown)
                        .arg("label", display_safe(&verified.label, 64))
                        .arg("keyid", &verified.keyid)
                        .arg(
                            "host",
                            display_safe(f.host.hostname.as_deref().unwrap_or("-"), 64),
                        )
                        .arg(
                            "machine_id",
                            display_safe(f.host.machine_id.as_deref().unwrap_or("-"), 64),
                        )
                        .arg("time", display_safe(&f.time, 40))
                        .arg("verdict", display_safe(f.verdict.as_str(), 20))
                        .arg("sequence", f.sequence)
                        .arg(
                            "policy",
                            display_safe(f.policy.id.as_deref().unwrap_or("-"), 64),
                        )
                        .arg(
                            "version",
                            display_safe(f.policy.version.as_deref().unwrap_or(""), 32),
                        )),
                    Ok(f) => {
                        Err(Msg::VerifyUnknownSchema.with("schema", display_safe(&f.schema, 64)))
                    }
                    Err(err) => Err(Msg::VerifyNotAFinding.with("error", err)),
                },
            },
        };
        let line = match verdict {
            Ok(ok) => ok,
            Err(why) => {
                failed += 1;
                Msg::VerifyFail.with("file", &shown).nest("why", why)
            }
        };
        out.push_str(&line.render(lang));
        out.push('\n');
    }
    print_stdout(&out)?;
    Ok(if failed == 0 {
        exit::OK
    } else {
        exit::VIOLATION
    })
}

fn read_envelope_file(path: &Path) -> Result<Vec<u8>, Phrase> {
    let limit = crate::finding::dsse::MAX_ENVELOPE_BYTES as u64;
    crate::files::read_regular(path, limit, crate::files::Links::Refuse).map_err(|e| e.phrase())
}

/// `isoguard policy check`: all problems at once; exit 2 when there is any.
pub fn check_policy(name: &str, override_file: Option<&Path>, lang: Lang) -> Result<u8, CliError> {
    use crate::policy;
    let result = policy::locate(name).and_then(|(source, text)| {
        let mut loaded = policy::load_str(&source, &text)?;
        if let Some(path) = override_file {
            let text = policy::read_policy_file(path)?;
            policy::apply_override(&mut loaded, &path.display().to_string(), &text)?;
        }
        Ok(loaded)
    });
    match result {
        Ok(p) => {
            let enabled = p.rules.iter().filter(|r| r.enabled).count();
            let media = match p.media.len() {
                0 => Phrase::new(Msg::MediaNone),
                1 => Phrase::new(Msg::MediaOne),
                n => Msg::MediaMany.with("count", n),
            };
            let valid = Msg::PolicyValid
                .with("source", &p.source)
                .arg("id", &p.id)
                .arg("version", &p.version)
                .maybe("override", override_file.map(|f| f.display()))
                .arg("rules", p.rules.len())
                .arg("enabled", enabled)
                .nest("media", media)
                .arg("sha256", &p.sha256)
                .maybe("override_sha256", p.override_sha256.as_deref());
            print_stdout(&format!("{}\n", valid.render(lang)))?;
            Ok(exit::OK)
        }
        Err(errors) => {
            eprint!("{}", errors.render_in(lang));
            eprintln!(
                "{}",
                Msg::ProblemsFound
                    .with("count", errors.diagnostics.len())
                    .render(lang)
            );
            Ok(exit::USAGE)
        }
    }
}

/// `interfaces = [...]`: what the medium presents now, so a clone that adds a keyboard or a
/// network function is told apart from it.
fn interfaces_line(device: &crate::inventory::usb::UsbDevice, lang: Lang) -> String {
    let mut classes: Vec<String> = device
        .interfaces
        .iter()
        .map(|i| format!("\"{}/{}/{}\"", i.class, i.subclass, i.protocol))
        .collect();
    classes.dedup();
    if classes.is_empty() {
        return String::new();
    }
    format!(
        "interfaces = [{}]   # {}\n",
        classes.join(", "),
        Msg::MediaInterfacesComment.text(lang)
    )
}

/// TOML `[[media]]` entries for the removable storage attached now.
pub fn registered_media(inventory: &crate::inventory::Inventory, lang: Lang) -> String {
    use crate::policy::checks::removable_storage;
    let toml_str = |s: &str| toml::Value::String(s.to_string()).to_string();
    let settings = removable_storage::Settings {
        mode: crate::policy::checks::Mode::Forbid,
        include_optical: true,
    };
    let mut out = Msg::MediaHeader.text(lang);
    let mut count = 0;
    for dev in inventory
        .storage
        .devices
        .iter()
        .filter(|d| settings.is_removable(d))
    {
        count += 1;
        let usb = dev.usb.as_ref();
        let described = crate::inventory::render::shown(dev.model.as_deref());
        let about = Msg::MediaDevice
            .with("name", &dev.name)
            .arg("model", described)
            .arg("size", crate::inventory::render::size(dev.size_bytes))
            .arg("bus", dev.bus.as_str());
        out.push_str(&format!(
            "\n# {}\n[[media]]\nlabel = \"\"\nrole = \"transfer\"   # {}\n",
            about.render(lang),
            Msg::MediaRoleComment.text(lang)
        ));
        let mut identified = false;
        if let Some(v) = usb.and_then(|u| u.vendor_id.as_deref()) {
            out.push_str(&format!("vendor_id = {}\n", toml_str(v)));
        }
        if let Some(p) = usb.and_then(|u| u.product_id.as_deref()) {
            out.push_str(&format!("product_id = {}\n", toml_str(p)));
        }
        if let Some(serial) = usb
            .and_then(|u| u.serial.as_deref())
            .or(dev.serial.as_deref())
        {
            out.push_str(&format!("serial = {}\n", toml_str(serial)));
            identified = true;
        }
        if usb.is_none() {
            if let Some(model) = dev.model.as_deref() {
                out.push_str(&format!("model = {}\n", toml_str(model)));
            }
        }
        if let Some(device) = usb.and_then(|u| {
            inventory
                .usb
                .devices
                .iter()
                .find(|d| d.device_path == u.device_path)
        }) {
            out.push_str(&interfaces_line(device, lang));
        }
        if !identified {
            out.push_str(&format!("# {}\n", Msg::MediaNoSerial.text(lang)));
        }
    }
    for usb in inventory.usb.devices.iter().filter(|u| {
        u.kinds.contains(&crate::inventory::usb::UsbKind::Mtp)
            || u.kinds
                .contains(&crate::inventory::usb::UsbKind::StillImage)
    }) {
        count += 1;
        out.push_str(&format!(
            "\n# {}\n[[media]]\nlabel = \"\"\nrole = \"transfer\"\n",
            Msg::MediaMtp.with("port", &usb.port).render(lang)
        ));
        for (key, value) in [
            ("vendor_id", &usb.vendor_id),
            ("product_id", &usb.product_id),
            ("serial", &usb.serial),
        ] {
            if let Some(v) = value {
                out.push_str(&format!("{key} = {}\n", toml_str(v)));
            }
        }
        out.push_str(&interfaces_line(usb, lang));
    }
    if count == 0 {
        out.push_str(&format!("\n# {}\n", Msg::MediaNoneAttached.text(lang)));
    }
    out
}
