#!/usr/bin/env python3
"""Turns the raw outputs of scripts/bench.sh into bench/results/latest.json and latest.md.

Every figure is a row {name, value, unit, floor, ratio, target, status}: floor and ratio where
a floor was measured in the same run, status "met" / "missed" where issue 11 sets a target,
"reported" where it only asks for the number.
"""
import argparse
import datetime
import glob
import json
import os
import platform


def load(path):
    with open(path) as f:
        return json.load(f)


def text(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def fmt(v, unit=""):
    if v is None:
        return "n/a"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if abs(v) >= 1000:
            s = f"{v:,.0f}"
        elif abs(v) >= 10:
            s = f"{v:.1f}"
        else:
            s = f"{v:.2f}"
    else:
        s = f"{v:,}" if isinstance(v, int) else str(v)
    return f"{s} {unit}".strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--commit", default="unknown")
    ap.add_argument("--dirty", default="false")
    ap.add_argument("--nproc", type=int, default=os.cpu_count())
    ap.add_argument("--elapsed", type=int, default=0)
    ap.add_argument("--quick", default="0")
    ap.add_argument("--loadavg", default="", help="/proc/loadavg before the run")
    a = ap.parse_args()

    e2e = load(os.path.join(a.raw, "e2e.json"))
    dec = load(os.path.join(a.raw, "decode.json"))
    figures = []

    def fig(section, name, value, unit, floor=None, ratio=None, target=None, status="reported",
            note=""):
        figures.append({"section": section, "name": name, "value": value, "unit": unit,
                        "floor": floor, "ratio": ratio, "target": target, "status": status,
                        "note": note})

    # (1) indicator_get of one record, floor vs SDK, per encoding.
    for row in e2e["indicator_get"]:
        enc = row["encoding"] or '""'
        wire = row["accept_encoding_on_wire"]
        f, s = row["floor"], row["sdk"]
        ratio = row["cpu_ratio_median"]
        sec = f"indicator_get, encoding {enc} (wire: {wire})"
        same = "same request on the wire" if row["same_request"] else "REQUESTS DIFFER"
        fig(sec, "client CPU per call", s["cpu_us_per_call"], "us", f["cpu_us_per_call"], ratio,
            "<= 1.3x floor", "met" if ratio is not None and ratio <= 1.3 else "missed",
            f"median of {row['rounds']} interleaved rounds of {row['calls_per_round']} calls; "
            f"per-round ratios {fmt(row['cpu_ratio_min'])}-{fmt(row['cpu_ratio_max'])}; {same}; "
            f"SDK encoding via {row['sdk_encoding_applied_via']}")
        best = row.get("cpu_ratio_of_best_rounds")
        if best is not None:
            fig(sec, "client CPU per call, best round", s["cpu_us_per_call_best"], "us",
                f["cpu_us_per_call_best"], best, None, "reported",
                "least disturbed round of each: load only adds CPU time")
        ins_ratio = row.get("instructions_ratio")
        fig(sec, "instructions per call (user space)", s["instructions_per_call"], "",
            f["instructions_per_call"], ins_ratio, None, "reported",
            "" if s["instructions_per_call"] is not None
            else "n/a: perf_event_open has no hardware counter here")
        cg = row.get("callgrind_instructions_ratio")
        if cg is not None:
            fig(sec, "instructions per call (callgrind)", s["callgrind_instructions_per_call"], "",
                f["callgrind_instructions_per_call"], cg, "<= 1.3x floor",
                "met" if cg <= 1.3 else "missed",
                "valgrind's count of the client's instructions (difference of a 600- and a "
                "100-call run): deterministic, unmoved by the machine's load")
        fig(sec, "wall time per call", s["wall_us_per_call"], "us", f["wall_us_per_call"],
            (s["wall_us_per_call"] / f["wall_us_per_call"]) if f["wall_us_per_call"] else None,
            None, "reported", "noisy on a shared machine; CPU is the measure")
        conns = int(s["max_connections_per_run"])
        fig(sec, "connections per run (server count)", conns, "", int(f["max_connections_per_run"]),
            None, "1", "met" if conns == 1 else "missed",
            "token request and every call included")
        rss = s["peak_rss_mib"]
        fig(sec, "client peak RSS", rss, "MiB", f["peak_rss_mib"],
            (rss / f["peak_rss_mib"]) if f["peak_rss_mib"] else None, "<= 16 MiB",
            "met" if rss is not None and rss <= 16 else "missed")

    # (2) decode of a 2,000-record page.
    sec = f"decode of a {dec['records']}-record indicator_combined page ({dec['page_bytes']:,} bytes)"
    fl = dec["bare_parse_ns_per_record"]
    fig(sec, "bare nlohmann parse per record (floor)", fl, "ns", fl, 1.0)
    fig(sec, "SDK raw envelope (Response) per record", dec["envelope_ns_per_record"], "ns", fl,
        dec["envelope_ratio_to_bare"])
    fig(sec, "resources_as<Indicator>() per record", dec["typed_ns_per_record"], "ns", fl,
        dec["typed_ns_per_record"] / fl)
    fig(sec, "envelope + typed per record", dec["total_ns_per_record"], "ns", fl,
        dec["total_ratio_to_bare"])

    # (3) threads sharing one Client.
    sec = "indicator_get, threads sharing one Client"
    base = e2e["threads"][0]["calls_per_s"] if e2e["threads"] else None
    for row in e2e["threads"]:
        busy = row["client_cores_busy"] + row["emulator_cores_busy"]
        fig(sec, f"{row['threads']} threads: calls/s", row["calls_per_s"], "calls/s", base,
            row["calls_per_s"] / base if base else None, None, "reported",
            f"{row['connections']:.0f} connections; CPU per call: client "
            f"{row['client_cpu_us_per_call']:.1f} us + emulator "
            f"{row['emulator_cpu_us_per_call']:.1f} us, so {a.nproc} cores allow at most "
            f"{row['cpu_ceiling_calls_per_s']:,.0f} calls/s; cores busy: client "
            f"{row['client_cores_busy']:.2f} + emulator {row['emulator_cores_busy']:.2f} = "
            f"{busy:.2f} of {a.nproc}")

    # (4) paging.
    sec = "paging with combined_all (limit 2000)"
    runs = e2e["paging"]["runs"]
    for row in runs:
        fig(sec, f"{row['indicators']:,} indicators: client peak RSS", row["peak_rss_mib"], "MiB",
            runs[0]["peak_rss_mib"], row["peak_rss_mib"] / runs[0]["peak_rss_mib"],
            None, "reported", f"{row['records_read']:,} records in {row['pages']} pages, "
            f"{row['wall_s']:.2f} s, client CPU {row['client_cpu_s']:.2f} s")
    r = e2e["paging"].get("rss_ratio_large_to_small")
    if r is not None and len(runs) == 2:
        fig(sec, f"peak RSS {runs[1]['indicators']:,} vs {runs[0]['indicators']:,}", r, "x",
            1.0, r, "<= 1.10x", "met" if r <= 1.10 else "missed")

    # (5) bulk create.
    sec = "bulk_create"
    bk = e2e["bulk_create"]
    b0 = bk[0]["indicators_per_s"] if bk else None
    for row in bk:
        fig(sec, f"{row['created']:,} indicators at concurrency {row['concurrency']}",
            row["indicators_per_s"], "indicators/s", b0,
            row["indicators_per_s"] / b0 if b0 else None, None, "reported",
            f"{row['requests']} requests, {row['wall_s']:.2f} s; CPU per indicator: client "
            f"{row['client_cpu_us_per_indicator']:.1f} us, emulator "
            f"{row['emulator_cpu_us_per_indicator']:.1f} us (its writes are serialized: at most "
            f"{row['emulator_ceiling_indicators_per_s']:,.0f}/s); cores busy: client "
            f"{row['client_cores_busy']:.2f}, emulator {row['emulator_cores_busy']:.2f} -> "
            f"bound by {row['bound_by']}")

    # (6) reads and writes over HTTPS and HTTP next to libcurl floors (bench_tls, issue 17).
    tls = load(os.path.join(a.raw, "tls.json")) if os.path.exists(
        os.path.join(a.raw, "tls.json")) else None
    for row in (tls or {}).get("per_call", []):
        sec = f"one call at a time over {row['scheme']} (bench_tls)"
        m = row["modes"]
        rt = row["ratios"]

        def us(mode):
            return m[mode]["cpu_us_per_call"]

        def counts(mode):
            c = m[mode]["counts_last_round"]
            client = c.get("client", {})
            parts = [f"emulator connections {c.get('emulator_connections', 0):.0f}"]
            for k in ("new_connections", "tls_handshakes", "tls_resumed", "ca_loads",
                      "writes_on_kept_connection"):
                if k in client:
                    parts.append(f"{k} {client[k]}")
            return ", ".join(parts)

        note = f"median of {row['rounds']} rounds of {row['calls_per_round']} calls"
        create_to_get = rt["sdk_create_to_sdk_get"]
        fig(sec, "indicator_create, client CPU per call (floor: indicator_get)", us("sdk-create"),
            "us", us("sdk-get"), create_to_get,
            "<= 2x indicator_get" if row["scheme"] == "https" else None,
            ("met" if create_to_get is not None and create_to_get <= 2 else "missed")
            if row["scheme"] == "https" else "reported", f"{note}; {counts('sdk-create')}")
        fig(sec, "indicator_get, client CPU per call (floor: bare libcurl, kept connection)",
            us("sdk-get"), "us", us("floor-read"), rt["sdk_get_to_floor_read"], None, "reported",
            counts("sdk-get"))
        fig(sec, "indicator_create vs bare libcurl create, fresh connection each",
            us("sdk-create"), "us", us("floor-write-fresh"), rt["sdk_create_to_floor_write_fresh"],
            None, "reported", counts("floor-write-fresh"))
        fig(sec, "indicator_create vs bare libcurl create, kept connection", us("sdk-create"),
            "us", us("floor-write-reused"), rt["sdk_create_to_floor_write_reused"], None,
            "reported", counts("floor-write-reused"))
    for row in (tls or {}).get("import", []):
        sec = f"bulk_create of {row['indicators']:,} indicators (bench_tls)"
        fig(sec, f"{row['scheme']}, batches of {row['batch']}: client CPU",
            row["client_cpu_s"], "s", None, None, None, "reported",
            f"{row['requests']} requests, {row['client_cpu_us_per_request']:.0f} us a request, "
            f"{row['wall_s']:.2f} s wall, emulator connections {row['emulator_connections']:.0f}")

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    doc = {
        "date": now,
        "commit": a.commit,
        "dirty": a.dirty == "true",
        "nproc": a.nproc,
        "cpu": cpu_model(),
        "kernel": platform.release(),
        "quick": a.quick == "1",
        "benchmarks_seconds": a.elapsed,
        "loadavg_before": a.loadavg,
        "loadavg_after": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "ok": bool(e2e.get("ok", False)),
        "figures": figures,
        "raw": {"e2e": e2e, "decode": dec, "tls": tls},
    }
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "latest.json"), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")

    lines = [
        "# Benchmark results (scripts/bench.sh)",
        "",
        f"- date: {now}",
        f"- commit: `{a.commit}`{' (with uncommitted changes)' if a.dirty == 'true' else ''}",
        f"- machine: {a.nproc} cores, {cpu_model()}, Linux {platform.release()}",
        f"- benchmarks took {a.elapsed} s{' (BENCH_QUICK: reduced counts)' if a.quick == '1' else ''}",
        f"- load average before / after: {a.loadavg or 'n/a'} / "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} (the machine may be shared)",
        "",
        "CPU times are of the client process alone (getrusage); the emulator runs in its own "
        "process. Ratios are to the floor measured in the same run.",
    ]
    section = None
    for x in figures:
        if x["section"] != section:
            section = x["section"]
            lines += ["", f"## {section}", "",
                      "| figure | value | floor | ratio | target | status | note |",
                      "|---|---|---|---|---|---|---|"]
        lines.append(
            f"| {x['name']} | {fmt(x['value'], x['unit'])} | {fmt(x['floor'], x['unit'])} | "
            f"{fmt(x['ratio'], 'x') if x['ratio'] is not None else ''} | {x['target'] or ''} | "
            f"{x['status']} | {x['note']} |")
    lines += ["", "## Raw output of the other benchmarks", ""]
    names = ["sdk.txt", "page_encoding.txt", "emulator_rps.txt", "threads_create.txt", "sync.txt",
             "tls.txt", "sync_scale.txt"]
    names += sorted(os.path.basename(p) for p in glob.glob(os.path.join(a.raw, "emulator_*.txt"))
                    if os.path.basename(p) != "emulator_rps.txt")
    for name in names:
        body = text(os.path.join(a.raw, name)).strip()
        if body:
            lines += [f"### {name[:-4]}", "", "```", body, "```", ""]
    with open(os.path.join(a.out, "latest.md"), "w") as f:
        f.write("\n".join(lines).rstrip() + "\n")


if __name__ == "__main__":
    main()
