//! Active reachability probes for the `external-network` check.
//!
//! A site may list its own monitoring endpoints (`tcp://HOST:PORT`, `dns://SERVER/NAME`,
//! `http://HOST:PORT/PATH`) in the policy. Reaching one from a classified workstation proves
//! a path out. All probes run in parallel under one total deadline, so a scan at boot never
//! waits longer than the deadline on them, however many targets there are.
//!
//! The bundled policies list no targets: a probe is traffic, and it only ever goes where the
//! site's own policy says.

use crate::i18n::{Msg, Phrase};
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeKind {
    Tcp,
    Dns,
    Http,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeTarget {
    pub url: String,
    pub kind: ProbeKind,
    pub host: String,
    pub port: u16,
    /// DNS: the name to ask for; HTTP: the path.
    pub query: String,
}

impl ProbeTarget {
    /// Parses `tcp://HOST:PORT`, `dns://SERVER[:PORT]/NAME`, `http://HOST[:PORT]/PATH`.
    pub fn parse(url: &str) -> Result<ProbeTarget, Phrase> {
        let bad = |why: Msg| Msg::BadProbe.with("url", url).nest("why", why);
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad(Msg::ProbeNoScheme))?;
        let (kind, default_port) = match scheme {
            "tcp" => (ProbeKind::Tcp, None),
            "dns" => (ProbeKind::Dns, Some(53)),
            "http" => (ProbeKind::Http, Some(80)),
            _ => return Err(bad(Msg::ProbeUnknownScheme)),
        };
        let (authority, query) = match rest.split_once('/') {
            Some((a, q)) => (a, q.to_string()),
            None => (rest, String::new()),
        };
        let (host, port) = split_host_port(authority).ok_or_else(|| bad(Msg::ProbeBadHostPort))?;
        let port = port
            .or(default_port)
            .ok_or_else(|| bad(Msg::ProbeNeedsPort))?;
        if host.is_empty() || port == 0 {
            return Err(bad(Msg::ProbeEmptyHost));
        }
        if kind == ProbeKind::Dns && (query.is_empty() || query.len() > 253) {
            return Err(bad(Msg::ProbeNeedsName));
        }
        Ok(ProbeTarget {
            url: url.to_string(),
            kind,
            host,
            port,
            query: if kind == ProbeKind::Http {
                format!("/{query}")
            } else {
                query
            },
        })
    }
}

/// `host:port`, `[v6]:port`, `host`.
fn split_host_port(authority: &str) -> Option<(String, Option<u16>)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p.parse().ok()?),
            None if after.is_empty() => None,
            None => return None,
        };
        return Some((host.to_string(), port));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => {
            Some((host.to_string(), Some(port.parse().ok()?)))
        }
        Some(_) => None,
        None => Some((authority.to_string(), None)),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeStatus {
    /// Connected (TCP, HTTP) or answered (DNS).
    Reachable,
    /// Actively refused: a packet came back, so a path exists.
    Refused,
    /// No route, network unreachable, or the name could not be resolved.
    Unreachable,
    /// Nothing came back before the deadline.
    Timeout,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeResult {
    pub target: String,
    pub status: ProbeStatus,
    pub latency_ms: Option<u64>,
    pub remote: Option<String>,
    /// The local address the kernel routes the probe from, when it has a route.
    pub local_address: Option<String>,
    /// The interface holding that address (filled in from the inventory).
    #[serde(default)]
    pub interface: Option<String>,
    pub detail: String,
}

impl ProbeResult {
    /// What the probe found, as a sentence for the evidence.
    pub fn describe(&self) -> crate::i18n::Phrase {
        crate::i18n::Msg::ProbeResult
            .with("target", &self.target)
            .arg("status", crate::vocab::unit_name(&self.status))
            .maybe("ms", self.latency_ms)
            .maybe("local", self.local_address.as_deref())
            .maybe("interface", self.interface.as_deref())
            .maybe("detail", Some(&self.detail).filter(|d| !d.is_empty()))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeReport {
    pub deadline_ms: u64,
    pub elapsed_ms: u64,
    pub results: Vec<ProbeResult>,
}

/// Runs every probe in parallel; returns when all finished or the deadline passed.
pub fn run(targets: &[ProbeTarget], deadline: Duration) -> ProbeReport {
    let start = Instant::now();
    let until = start + deadline;
    let (tx, rx) = mpsc::channel::<Update>();
    for (index, target) in targets.iter().enumerate() {
        let tx = tx.clone();
        let target = target.clone();
        // Detached: a probe stuck in name resolution past the deadline is reported as a
        // timeout and its thread ends with the process.
        let _ = std::thread::Builder::new()
            .name(format!("probe-{index}"))
            .spawn(move || {
                let interim = |result: ProbeResult| {
                    let _ = tx.send(Update {
                        index,
                        result,
                        last: false,
                    });
                };
                let result = probe_one(&target, until, &interim);
                let _ = tx.send(Update {
                    index,
                    result,
                    last: true,
                });
            });
    }
    drop(tx);
    let mut results: Vec<Option<ProbeResult>> = vec![None; targets.len()];
    let mut pending = targets.len();
    while pending > 0 {
        let left = until.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(update) => {
                if let Some(slot) = results.get_mut(update.index) {
                    *slot = Some(update.result);
                }
                if update.last {
                    pending -= 1;
                }
            }
            Err(_) => break,
        }
    }
    let results = results
        .into_iter()
        .zip(targets)
        .map(|(found, target)| {
            found.unwrap_or_else(|| ProbeResult {
                target: target.url.clone(),
                status: ProbeStatus::Timeout,
                latency_ms: None,
                remote: None,
                local_address: None,
                interface: None,
                detail: format!("no answer within the {} ms deadline", deadline.as_millis()),
            })
        })
        .collect();
    ProbeReport {
        deadline_ms: u64::try_from(deadline.as_millis()).unwrap_or(u64::MAX),
        elapsed_ms: u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
        results,
    }
}

/// What a probe thread reports: a result so far (a completed TCP handshake already proves a
/// path, whatever comes after it) or its last word.
struct Update {
    index: usize,
    result: ProbeResult,
    last: bool,
}

/// The source address the kernel would use toward `remote`: a connected UDP socket asks the
/// routing table without sending anything.
fn route_source(remote: &SocketAddr) -> Option<IpAddr> {
    let bind: SocketAddr = if remote.is_ipv4() {
        "0.0.0.0:0".parse().ok()?
    } else {
        "[::]:0".parse().ok()?
    };
    let socket = UdpSocket::bind(bind).ok()?;
    socket.connect(remote).ok()?;
    socket.local_addr().ok().map(|a| a.ip())
}

fn probe_one(target: &ProbeTarget, until: Instant, interim: &dyn Fn(ProbeResult)) -> ProbeResult {
    let start = Instant::now();
    let mut result = ProbeResult {
        target: target.url.clone(),
        status: ProbeStatus::Unreachable,
        latency_ms: None,
        remote: None,
        local_address: None,
        interface: None,
        detail: String::new(),
    };
    let remote = match (target.host.as_str(), target.port).to_socket_addrs() {
        Ok(mut addrs) => match addrs.next() {
            Some(addr) => addr,
            None => {
                result.detail = "name resolved to no address".to_string();
                return result;
            }
        },
        Err(err) => {
            result.detail = format!("cannot resolve: {err}");
            return result;
        }
    };
    result.remote = Some(remote.to_string());
    result.local_address = route_source(&remote).map(|ip| ip.to_string());
    let left = until.saturating_duration_since(Instant::now());
    if left.is_zero() {
        result.status = ProbeStatus::Timeout;
        return result;
    }
    let outcome = match target.kind {
        ProbeKind::Tcp => tcp_connect(&remote, left).map(|stream| {
            note_local(&mut result, &stream);
            String::new()
        }),
        ProbeKind::Http => tcp_connect(&remote, left).map(|stream| {
            note_local(&mut result, &stream);
            let mut connected = result.clone();
            connected.status = ProbeStatus::Reachable;
            connected.latency_ms = Some(elapsed_ms(start));
            connected.detail = "TCP handshake completed; no HTTP answer before the deadline".into();
            interim(connected);
            http_get(stream, target, until)
        }),
        ProbeKind::Dns => dns_query(&remote, &target.query, left),
    };
    result.latency_ms = Some(elapsed_ms(start));
    match outcome {
        Ok(detail) => {
            result.status = ProbeStatus::Reachable;
            result.detail = detail;
        }
        Err(err) => {
            result.status = match err.kind() {
                std::io::ErrorKind::ConnectionRefused => ProbeStatus::Refused,
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                    ProbeStatus::Timeout
                }
                _ => ProbeStatus::Unreachable,
            };
            result.detail = err.to_string();
        }
    }
    result
}

fn tcp_connect(remote: &SocketAddr, timeout: Duration) -> std::io::Result<TcpStream> {
    TcpStream::connect_timeout(remote, timeout)
}

fn elapsed_ms(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// The address the connection actually left from (better than the routing guess).
fn note_local(result: &mut ProbeResult, stream: &TcpStream) {
    if let Ok(local) = stream.local_addr() {
        result.local_address = Some(local.ip().to_string());
    }
}

/// After the handshake: sends a GET and shows the status line. Whatever happens now, the
/// path is proven; a silent or broken server only changes the detail.
fn http_get(mut stream: TcpStream, target: &ProbeTarget, until: Instant) -> String {
    match http_exchange(&mut stream, target, until) {
        Ok(line) if !line.is_empty() => line,
        Ok(_) => "TCP handshake completed; the server closed without an HTTP answer".into(),
        Err(err) => format!("TCP handshake completed; no HTTP answer ({err})"),
    }
}

fn http_exchange(
    stream: &mut TcpStream,
    target: &ProbeTarget,
    until: Instant,
) -> std::io::Result<String> {
    let left = until
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(1));
    stream.set_read_timeout(Some(left))?;
    stream.set_write_timeout(Some(left))?;
    let request = format!(
        "GET {} HTTP/1.0\r\nHost: {}\r\nUser-Agent: isoguard-probe\r\nConnection: close\r\n\r\n",
        target.query, target.host
    );
    stream.write_all(request.as_bytes())?;
    let mut head = [0u8; 64];
    let read = stream.read(&mut head)?;
    let line = String::from_utf8_lossy(&head[..read]);
    Ok(crate::text::display_safe(
        line.lines().next().unwrap_or(""),
        64,
    ))
}

/// One A query over UDP; any well-formed answer with our id proves the resolver is reachable.
fn dns_query(remote: &SocketAddr, name: &str, timeout: Duration) -> std::io::Result<String> {
    let bind: SocketAddr = if remote.is_ipv4() {
        SocketAddr::from(([0, 0, 0, 0], 0))
    } else {
        SocketAddr::from(([0u16; 8], 0))
    };
    let socket = UdpSocket::bind(bind)?;
    socket.connect(remote)?;
    socket.set_read_timeout(Some(timeout))?;
    let id: u16 = (std::process::id() as u16) ^ 0x5a5a;
    let mut query = Vec::with_capacity(32 + name.len());
    query.extend_from_slice(&id.to_be_bytes());
    query.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.trim_end_matches('.').split('.') {
        let bytes = label.as_bytes();
        let len = u8::try_from(bytes.len())
            .ok()
            .filter(|l| (1..=63).contains(l))
            .ok_or_else(|| std::io::Error::other("bad DNS label"))?;
        query.push(len);
        query.extend_from_slice(bytes);
    }
    query.extend_from_slice(&[0, 0, 1, 0, 1]);
    socket.send(&query)?;
    let mut answer = [0u8; 512];
    let read = socket.recv(&mut answer)?;
    if read >= 12 && answer[..2] == id.to_be_bytes() {
        Ok(format!("answered, rcode {}", answer[3] & 0x0f))
    } else {
        Err(std::io::Error::other("malformed DNS answer"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse() {
        let t = ProbeTarget::parse("tcp://127.0.0.1:9").unwrap();
        assert_eq!(
            (t.kind, t.host.as_str(), t.port),
            (ProbeKind::Tcp, "127.0.0.1", 9)
        );
        let d = ProbeTarget::parse("dns://[::1]/example.test").unwrap();
        assert_eq!(
            (d.host.as_str(), d.port, d.query.as_str()),
            ("::1", 53, "example.test")
        );
        let h = ProbeTarget::parse("http://monitor.lan:8080/ping").unwrap();
        assert_eq!((h.port, h.query.as_str()), (8080, "/ping"));
        assert!(
            ProbeTarget::parse("tcp://host").is_err(),
            "tcp needs a port"
        );
        assert!(ProbeTarget::parse("ftp://x:1").is_err());
        assert!(ProbeTarget::parse("dns://1.2.3.4/").is_err());
        assert!(ProbeTarget::parse("tcp://[::1:80").is_err());
    }

    #[test]
    fn refused_on_loopback_counts_as_a_path() {
        // Bind then drop a listener so the port is closed; loopback only.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap();
        let target = ProbeTarget::parse(&format!("tcp://127.0.0.1:{port}")).unwrap();
        let report = run(&[target], Duration::from_secs(2));
        assert_eq!(report.results[0].status, ProbeStatus::Refused);
        assert_eq!(
            report.results[0].local_address.as_deref(),
            Some("127.0.0.1")
        );
    }

    #[test]
    fn reachable_on_loopback() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let target = ProbeTarget::parse(&format!("tcp://127.0.0.1:{port}")).unwrap();
        let report = run(&[target], Duration::from_secs(2));
        assert_eq!(report.results[0].status, ProbeStatus::Reachable);
        assert!(report.results[0].latency_ms.is_some());
    }
}
