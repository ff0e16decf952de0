#!/usr/bin/env python3
"""The sync scale benchmark (issue 17): falcon-ioc sync of an N-indicator domain feed against a
falcon-emulator process, as an operator runs it.

Runs, each a separate falcon-ioc process:
  first     the feed into an empty scope (all create)
  noop      the same feed again (nothing to write)
  change1   1% of the values replaced (1% created, 1% deleted)
  noop-json the changed feed again with --format json (the plan printed as JSON)

Per run: wall time, client CPU (user+sys) and peak RSS (wait4), the emulator's CPU and peak RSS
(/proc), and the requests the emulator answered by route (its /_emulator/counters). The client
figures are what the issue's goals are about: peak RSS <= 256 MiB at 1M, <= 5 us of CPU per
indicator for the no-op, reads only for the no-op.

  sync_scale.py --cli PATH/falcon-ioc --emulator PATH/falcon-emulator [--n 100000]
                [--json OUT] [--format json] [--rate-share 0.5]

The tenant quota (the emulator's and falcon-ioc's --quota) is raised to 2N: a 1% change of a
full 1,000,000 tenant creates before it deletes, which the quota would refuse.

Benchmarks report numbers; they are not tests (scripts/bench.sh runs this one).
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

CLIENT_ID = "falcon-emulator-demo"
CLIENT_SECRET = "falcon-emulator-demo-secret"
TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def proc_hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def counters(base):
    with urllib.request.urlopen(base + "/_emulator/counters", timeout=30) as r:
        return json.load(r)["resources"][0]


def write_feed(path, n, changed):
    """A JSON array of n domains; `changed` of them replaced by new values."""
    with open(path, "w") as f:
        f.write("[\n")
        for i in range(n):
            value = f"d{i}.scale.example.com" if i >= changed else f"new{i}.scale.example.com"
            f.write(("," if i else "") + json.dumps({"type": "domain", "value": value}) + "\n")
        f.write("]\n")


def run(cli, base, args, fmt):
    env = dict(os.environ)
    env.update(FALCON_CLIENT_ID=CLIENT_ID, FALCON_CLIENT_SECRET=CLIENT_SECRET, FALCON_BASE_URL=base)
    argv = [cli, "--format", fmt] + args
    start = time.monotonic()
    p = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.stderr.write(f"sync_scale: {' '.join(argv)} exited {code}\n{err.decode()[-2000:]}\n")
        sys.exit(1)
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--emulator", required=True)
    ap.add_argument("--n", type=int, default=100000)
    ap.add_argument("--json")
    ap.add_argument("--format", default="table", help="falcon-ioc --format of the first runs")
    ap.add_argument("--rate-share", default="0.5")
    o = ap.parse_args()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    emu = subprocess.Popen([o.emulator, "--port", str(port), "--control", "--quota",
                            str(max(1000000, 2 * o.n))],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = []
    try:
        for _ in range(200):
            try:
                counters(base)
                break
            except OSError:
                time.sleep(0.05)
        with tempfile.TemporaryDirectory() as tmp:
            feed = os.path.join(tmp, "feed.json")
            changed = max(1, o.n // 100)
            plan = [("first", 0, o.format), ("noop", 0, o.format), ("change1", changed, o.format),
                    ("noop-json", changed, "json")]
            written_for = None
            for name, ch, fmt in plan:
                if written_for != ch:
                    write_feed(feed, o.n, ch)
                    written_for = ch
                before = counters(base)
                emu_cpu0 = proc_cpu(emu.pid)
                wall, cpu, rss_kib = run(o.cli, base,
                                         ["sync", feed, "--source", "scale", "--rate-share",
                                          o.rate_share, "--quota", str(max(1000000, 2 * o.n))],
                                         fmt)
                emu_cpu = proc_cpu(emu.pid) - emu_cpu0
                after = counters(base)
                req = {k: after[k] - before.get(k, 0) for k in after
                       if isinstance(after[k], (int, float)) and after[k] != before.get(k, 0)}
                r = {"run": name, "n": o.n, "format": fmt, "wall_s": round(wall, 2),
                     "client_cpu_s": round(cpu, 2),
                     "client_cpu_us_per_indicator": round(cpu * 1e6 / o.n, 2),
                     "client_peak_rss_mib": round(rss_kib / 1024, 1),
                     "emulator_cpu_s": round(emu_cpu, 2),
                     "emulator_peak_rss_mib": round(proc_hwm_kib(emu.pid) / 1024, 1),
                     "requests": req}
                results.append(r)
                print(json.dumps(r), flush=True)
    finally:
        emu.terminate()
        emu.wait()
    print()
    print(f"sync of {o.n:,} domains, falcon-ioc against falcon-emulator (--rate-share {o.rate_share})")
    print("| run | wall | client CPU | CPU/indicator | client peak RSS | emulator CPU | "
          "emulator peak RSS | requests |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        reqs = ", ".join(f"{k} {v}" for k, v in sorted(r["requests"].items()))
        print(f"| {r['run']} | {r['wall_s']} s | {r['client_cpu_s']} s | "
              f"{r['client_cpu_us_per_indicator']} us | {r['client_peak_rss_mib']} MiB | "
              f"{r['emulator_cpu_s']} s | {r['emulator_peak_rss_mib']} MiB | {reqs} |")
    if o.json:
        with open(o.json, "w") as f:
            json.dump({"n": o.n, "runs": results}, f, indent=1)


if __name__ == "__main__":
    main()
