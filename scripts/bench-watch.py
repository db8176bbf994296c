#!/usr/bin/env python3
"""Latency of `isoguard watch` from a kernel event to a durable signed finding, and the idle
watcher's CPU and memory (issue 14).

In a fresh network namespace (removed at the end, pass or fail) the watcher runs with a key,
spool and state of its own; the script then toggles a default route via a veth peer address
inside that namespace N times (add: violation, del: compliant again), so every event changes
the verdict and must give a finding. Latency is from just before `ip route` is started (so it
includes starting `ip`, an upper bound; the time from `ip` returning is printed too, a lower
bound) to the seal being complete: the finding's file in the spool (written, fsynced, linked
into place, folder fsynced, under the scan lock) and then the chain state replaced (written,
fsynced, renamed), seen as a new inode of the chain state file. Then the watcher is left idle for IDLE seconds and
its CPU time (/proc/PID/stat) and RSS (/proc/PID/status VmRSS, VmHWM) are read.

No packet leaves the namespace: the route's gateway is an address on the namespace's own
veth link, and nothing is sent to it. Needs root and iproute2.

Usage: sudo scripts/bench-watch.py [BINARY] (default target/release/isoguard)
Knobs: BENCH_EVENTS (200), BENCH_IDLE (30 seconds).
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/release/isoguard")
EVENTS = int(os.environ.get("BENCH_EVENTS", "200"))
IDLE = float(os.environ.get("BENCH_IDLE", "30"))
NS = f"igbench{os.getpid()}"


def sh(*args):
    subprocess.run(args, check=True, stdin=subprocess.DEVNULL)


def in_ns(*args):
    sh("ip", "netns", "exec", NS, *args)


def percentile(values, p):
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def status_kib(pid, key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return -1


def main():
    if os.geteuid() != 0:
        sys.exit("bench-watch: needs root (network namespaces)")
    if not os.access(BIN, os.X_OK):
        sys.exit(f"bench-watch: no binary at {BIN} (cargo build --release)")
    work = tempfile.mkdtemp(prefix="isoguard-bench-watch-")
    spool = os.path.join(work, "spool")
    watcher = None
    try:
        sh("ip", "netns", "add", NS)
        os.makedirs(f"/etc/netns/{NS}", exist_ok=True)
        with open(f"/etc/netns/{NS}/resolv.conf", "w") as f:
            f.write("# no resolvers\n")
        subprocess.run([BIN, "keygen", "--out", os.path.join(work, "key")], check=True,
                       stdout=subprocess.DEVNULL)
        open(os.path.join(work, "config.toml"), "w").close()
        in_ns("ip", "link", "set", "lo", "up")
        in_ns("ip", "link", "add", "bw0", "type", "veth", "peer", "name", "bw1")
        in_ns("ip", "link", "set", "bw0", "up")
        in_ns("ip", "link", "set", "bw1", "up")
        in_ns("ip", "addr", "add", "10.231.250.1/24", "dev", "bw0")
        log = open(os.path.join(work, "watch.log"), "w")
        watcher = subprocess.Popen(
            ["ip", "netns", "exec", NS, BIN, "watch", "--key", os.path.join(work, "key"),
             "--spool", spool, "--state", os.path.join(work, "state"),
             "--config", os.path.join(work, "config.toml")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
            env={**os.environ, "LANG": "C"})
        deadline = time.monotonic() + 10
        while "watching" not in open(os.path.join(work, "watch.log")).read():
            if time.monotonic() > deadline:
                sys.exit("bench-watch: the watcher did not start")
            time.sleep(0.01)
        time.sleep(0.2)
        latencies = []
        after_ip = []
        state = os.path.join(work, "state")

        def chain_inode():
            # The chain state is replaced (write, fsync, rename) after the finding is in the
            # spool: a new inode means the whole seal is done.
            try:
                names = [n for n in os.listdir(state) if n.startswith("chain-") and n.endswith(".json")]
                return os.stat(os.path.join(state, names[0])).st_ino if names else None
            except OSError:
                return None

        for i in range(EVENTS):
            before = len(os.listdir(spool)) if os.path.isdir(spool) else 0
            inode = chain_inode()
            verb = "add" if i % 2 == 0 else "del"
            start = time.monotonic()
            in_ns("ip", "route", verb, "default", "via", "10.231.250.2", "dev", "bw0")
            returned = time.monotonic()
            deadline = start + 5
            while True:
                n = len([f for f in os.listdir(spool) if f.endswith(".finding.json")]) \
                    if os.path.isdir(spool) else 0
                if n > before and chain_inode() != inode:
                    seen = time.monotonic()
                    latencies.append((seen - start) * 1000)
                    after_ip.append(max(0.0, seen - returned) * 1000)
                    break
                if time.monotonic() > deadline:
                    sys.exit(f"bench-watch: event {i} ({verb}) gave no finding within 5 s")
                time.sleep(0.0005)
            # Let the watcher go quiet again so each event is one burst.
            time.sleep(0.03)
        pid = watcher.pid
        cpu0, t0 = cpu_seconds(pid), time.monotonic()
        time.sleep(IDLE)
        cpu1, t1 = cpu_seconds(pid), time.monotonic()
        rss, hwm = status_kib(pid, "VmRSS"), status_kib(pid, "VmHWM")
        print(f"events: {len(latencies)} (default route added/removed alternately, debounce 10 ms)")
        print(f"latency event -> durable signed finding: p50 {percentile(latencies, 50):.1f} ms, "
              f"p99 {percentile(latencies, 99):.1f} ms, max {max(latencies):.1f} ms")
        print(f"  from `ip route` returning (a lower bound): p50 {percentile(after_ip, 50):.1f} ms, "
              f"p99 {percentile(after_ip, 99):.1f} ms")
        print(f"idle CPU over {t1 - t0:.0f} s: {100 * (cpu1 - cpu0) / (t1 - t0):.3f} %")
        print(f"RSS idle: {rss / 1024:.1f} MiB (peak {hwm / 1024:.1f} MiB)")
    finally:
        if watcher is not None:
            watcher.terminate()
            try:
                watcher.wait(10)
            except subprocess.TimeoutExpired:
                watcher.kill()
        subprocess.run(["ip", "netns", "del", NS], stderr=subprocess.DEVNULL)
        shutil.rmtree(f"/etc/netns/{NS}", ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
