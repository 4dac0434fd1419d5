#!/usr/bin/env python3
"""Runs every Fieldscreen benchmark and prints one table: figure, value, unit, the goal beside
it, and the machine. Results are also written as JSON under target/bench/ with the git revision.

    python3 scripts/bench.py           # measure (make bench; under 15 minutes on 2 cores)
    python3 scripts/bench.py --smoke   # every benchmark once, tiny sizes (make bench-smoke)

Each benchmark appends its figures as JSON lines to $FIELDSCREEN_BENCH_OUT (see crates/benchkit);
ratios are measured side by side inside one benchmark run (alternating, median of rounds)."""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "target" / "bench"


def machine():
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith("model name")), platform.processor())
    os_name = platform.platform()
    rel = Path("/etc/os-release")
    if rel.exists():
        for line in rel.read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    return {"cores": os.cpu_count(), "memory_gib": round(mem_kb / 1024 / 1024, 1), "cpu": cpu, "os": os_name, "kernel": platform.release()}


def git(*args):
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (subprocess.CalledProcessError, FileNotFoundError):
        return ""


def steps(smoke):
    cargo = os.environ.get("CARGO", "cargo")
    # Smoke runs the benchmark binaries in test mode (no `--bench` flag): once, tiny sizes.
    bench = (lambda pkg, name: [cargo, "test", "-q", "-p", pkg, "--bench", name]) if smoke else (lambda pkg, name: [cargo, "bench", "-q", "-p", pkg, "--bench", name])
    return [
        ("protocol load and engine step", bench("screening", "screening")),
        ("vault: unlock, commit latency, SQLCipher ratio", bench("vault", "vault")),
        ("bundle export against the age CLI", bench("bundle", "export")),
        ("read aloud: eSpeak NG to the first sample, English and Arabic", bench("voice", "voice")),
        ("unit figures over 10,000 records", bench("unit", "figures")),
        ("sync: one device and 200 devices, SQLite and PostgreSQL", bench("hub", "sync")),
        ("app: cold start, memory after a screening, .deb size", ["bash", "scripts/bench-app.sh"] + (["--smoke"] if smoke else [])),
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="run every benchmark once with tiny sizes")
    a = ap.parse_args()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    lines = OUT_DIR / ("figures-smoke.jsonl" if a.smoke else "figures.jsonl")
    lines.unlink(missing_ok=True)
    env = dict(os.environ, FIELDSCREEN_BENCH_OUT=str(lines))
    if a.smoke:
        env["FIELDSCREEN_BENCH_SMOKE"] = "1"
    failed = []
    started = time.monotonic()
    for title, cmd in steps(a.smoke):
        print(f"\n== {title}: {' '.join(cmd)}", flush=True)
        t0 = time.monotonic()
        r = subprocess.run(cmd, cwd=ROOT, env=env)
        print(f"   ({time.monotonic() - t0:.0f} s)", flush=True)
        if r.returncode != 0:
            failed.append(title)
    figures = [json.loads(l) for l in lines.read_text().splitlines() if l.strip()] if lines.exists() else []
    m = machine()
    rev = git("rev-parse", "HEAD")
    dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    report = {
        "revision": rev,
        "dirty": dirty,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "smoke": a.smoke,
        "seconds": round(time.monotonic() - started),
        "machine": m,
        "figures": figures,
        "failed": failed,
    }
    name = f"bench-{'smoke-' if a.smoke else ''}{rev[:12] or 'norev'}.json"
    (OUT_DIR / name).write_text(json.dumps(report, indent=2) + "\n")
    (OUT_DIR / ("latest-smoke.json" if a.smoke else "latest.json")).write_text(json.dumps(report, indent=2) + "\n")

    print()
    print(f"Fieldscreen benchmarks{' (smoke: tiny sizes, not measurements)' if a.smoke else ''}")
    print(f"machine: {m['cores']} cores, {m['memory_gib']} GiB, {m['cpu']}, {m['os']} (kernel {m['kernel']})")
    print(f"revision: {rev[:12]}{' (uncommitted changes)' if dirty else ''}; {report['seconds']} s in all")
    print()
    print(table(figures))
    print(f"\nJSON: {OUT_DIR / name}")
    if failed:
        print(f"\nFAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def fmt(v):
    if v is None:
        return ""
    a = abs(v)
    if a >= 100 or a == 0:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def table(figures):
    rows = [("figure", "value", "unit", "goal", "")]
    for f in figures:
        goal = ""
        if f.get("goal") is not None:
            goal = ("<= " if f.get("better") == "lower" else ">= ") + fmt(f["goal"])
        mark = "" if f.get("met") is None or f.get("smoke") else ("met" if f["met"] else "NOT MET")
        rows.append((f["figure"], fmt(f["value"]), f["unit"], goal, mark))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    out = []
    for i, r in enumerate(rows):
        out.append(f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]:<{widths[3]}}  {r[4]}".rstrip())
        if i == 0:
            out.append("-" * len(out[0]))
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
