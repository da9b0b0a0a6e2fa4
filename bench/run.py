"""Issue 10's benchmark in one command: prints the tables and writes `bench/RESULTS.md`.

    python bench/run.py            # everything, about 25 minutes on two cores
    python bench/run.py --quick    # 1,000 tickets, SQLite, a few requests: what the tests run

Each part runs in processes of its own (so a portal process's peak memory is its own, and
Django's global settings never meet Flask's): `pages.py` per adapter, database and size,
`peer.py` for django-helpdesk on the same data, `http_load.py` for the Flask example under
gunicorn, `outbox.py` for the workers. This script only starts them, reads their JSON and
judges the figures against the issue's targets. Timings are the machine's; the statement
counts are not, and must be the same at every size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
NOTES = HERE / "RESULTS-notes.md"  # the why of the figures, written by hand, added to the report
LIST_PAGES = ("my tickets", "queue: mine", "queue: unassigned", "queue: my teams", "queue: at risk")
# Our page → django-helpdesk's nearest, as bench/README.md explains. Its lists are an HTML
# shell and a JSON request the shell's JavaScript makes: a person waits for both.
PEER_PAGES: dict[str, tuple[str, ...]] = {
    "my tickets": ("customer_ticket_list", "customer_ticket_list_json"),
    "queue: mine": ("agent_ticket_list", "agent_ticket_list_json"),
    "agent dashboard": ("dashboard",),
    "agent ticket page": ("agent_ticket_detail",),
    "customer ticket page": ("public_ticket_view",),
    "create a ticket": ("ticket_create",),
    "post a reply": ("followup_post",),
}
TARGET_P50_MS = 15.0
TARGET_RATIO = 5.0
TARGET_CREATIONS = 300.0
TARGET_OUTBOX = 500.0
TARGET_RSS_MB = 200.0


def run_json(command: list[str], quiet: bool) -> dict[str, Any]:
    """Run one part with `--json` and return what it wrote; its table goes to our stdout."""
    with tempfile.TemporaryDirectory(prefix="tc_bench_run_") as folder:
        out = Path(folder) / "out.json"
        print("$", " ".join(command[1:]), flush=True)
        subprocess.run(
            [*command, "--json", str(out)],
            check=True,
            stdout=subprocess.DEVNULL if quiet else None,
        )
        return json.loads(out.read_text())  # type: ignore[no-any-return]


def python(script: str, *args: object) -> list[str]:
    return [sys.executable, str(HERE / script), *(str(a) for a in args)]


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def pages_table(runs: list[dict[str, Any]], database: str, sizes: list[int]) -> list[str]:
    """One row per page: p50 / p95 per adapter and size, then the statements at each size."""
    mine = [r for r in runs if r["database"] == database]
    adapters = sorted({r["adapter"] for r in mine}, key=("flask", "django").index)
    by = {(r["adapter"], r["tickets"]): r for r in mine}
    head = [f"{a.title()} {n:,}" for a in adapters for n in sizes]
    lines = [
        f"| page | {' | '.join(h + ' p50 / p95 ms' for h in head)} | "
        + " | ".join(f"SQL at {n:,}" for n in sizes)
        + " |",
        "|---" * (1 + len(head) + len(sizes)) + "|",
    ]
    for page in mine[0]["pages"]:
        cells = []
        for adapter in adapters:
            for n in sizes:
                row = by[(adapter, n)]["pages"][page]
                cells.append(f"{ms(row['p50_ms'])} / {ms(row['p95_ms'])}")
        sql = [
            " / ".join(str(by[(a, n)]["pages"][page]["statements"]) for a in adapters)
            for n in sizes
        ]
        lines.append(f"| {page} | {' | '.join(cells)} | {' | '.join(sql)} |")
    return lines


def statements_differ(runs: list[dict[str, Any]]) -> list[str]:
    """Pages whose statements are not the same at every size (per adapter and database), or
    not the same on every request."""
    problems = []
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in runs:
        groups.setdefault((r["adapter"], r["database"]), []).append(r)
    for (adapter, database), group in groups.items():
        for page in group[0]["pages"]:
            seen = {tuple(r["pages"][page]["statements_seen"]) for r in group}
            if len(seen) > 1 or any(len(s) > 1 for s in seen):
                problems.append(f"{page} ({adapter}, {database}): {sorted(seen)}")
    return problems


def peer_table(ours: dict[str, Any], peer: dict[str, Any]) -> tuple[list[str], dict[str, float]]:
    lines = [
        "| our page | p50 ms | django-helpdesk page | p50 ms | SQL ours / theirs | ratio |",
        "|---|---|---|---|---|---|",
    ]
    ratios: dict[str, float] = {}
    for page, theirs in PEER_PAGES.items():
        missing = [t for t in theirs if t not in peer["pages"]]
        if missing:
            why = "; ".join(peer.get("absent", {}).get(t, f"{t} not measured") for t in missing)
            lines.append(f"| {page} | {ms(ours['pages'][page]['p50_ms'])} | {why} | | | |")
            continue
        a = ours["pages"][page]
        p50 = sum(peer["pages"][t]["p50_ms"] for t in theirs)
        statements = sum(peer["pages"][t]["statements"] for t in theirs)
        ratios[page] = p50 / a["p50_ms"]
        lines.append(
            f"| {page} | {ms(a['p50_ms'])} | {' + '.join(theirs)} | {ms(p50)} | "
            f"{a['statements']} / {statements} | {ratios[page]:.1f}x |"
        )
    return lines, ratios


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def environment() -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE
    ).stdout.strip()
    return (
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, commit {commit or '?'}, "
        f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


def report(args: argparse.Namespace, found: dict[str, Any]) -> str:
    runs: list[dict[str, Any]] = found["pages"]
    sizes, biggest = args.sizes, max(args.sizes)
    out = [
        "# Benchmark results (issue 10)",
        "",
        f"Made by `python bench/run.py{' --quick' if args.quick else ''}` on {environment()}. "
        f"{args.requests} requests per page after {args.warmup} warm-up requests; p50 and p95 "
        "in milliseconds, in process through each adapter's test client; SQL is the number "
        "of statements a request sends (Flask / Django: Django's own session and user "
        "statements included). See bench/README.md for what each page does.",
    ]
    for database in args.databases:
        out += ["", f"## Pages on {database}", "", *pages_table(runs, database, sizes)]
    creations = [
        (r["database"], r["tickets"], r["creations_per_second"])
        for r in runs
        if r.get("creations_per_second")
    ]
    if creations:
        out += ["", "## Ticket creations in one process (API)", ""]
        out += [f"* {db}, {n:,} tickets: {rate:,.0f} per second" for db, n, rate in creations]
    ratios: dict[str, float] = {}
    peer = found.get("peer", {}).get(biggest)
    ours = next(
        (
            r
            for r in runs
            if (r["adapter"], r["database"], r["tickets"]) == ("flask", "sqlite", biggest)
        ),
        None,
    )
    if peer and ours:
        lines, ratios = peer_table(ours, peer)
        out += [
            "",
            f"## Side by side with django-helpdesk {peer['version']} ({biggest:,} tickets, "
            f"SQLite, Flask adapter; peer on Django {peer['django']})",
            "",
            "Ratio: their p50 divided by ours; where their page is a shell and a JSON "
            "request, the two p50s added (a person waits for both).",
            "",
            *lines,
        ]
    if found.get("http"):
        out += ["", "## Over HTTP: the Flask example under gunicorn, 2 workers", ""]
        out += [
            "| database | tickets | page | req/s | p50 ms | p99 ms | errors |",
            "|---" * 7 + "|",
        ]
        for h in found["http"]["http"]:
            out.append(
                f"| {h['database']} | {h['tickets']:,} | {h['page']} | "
                f"{h['requests_per_second']:,.0f} | {ms(h['p50_ms'])} | {ms(h['p99_ms'])} | "
                f"{h['errors'] + h['non_2xx']} |"
            )
    if found.get("outbox"):
        out += ["", "## Outbox: queued emails drained by worker processes into aiosmtpd", ""]
        out += ["| database | emails | workers | seconds | per second | lost | doubled |"]
        out += ["|---" * 7 + "|"]
        for o in found["outbox"]["outbox"]:
            out.append(
                f"| {o['database']} | {o['messages']:,} | {o['workers']} | {o['seconds']:.1f} | "
                f"{o['per_second']:,.0f} | {o['lost']} | {o['duplicates']} |"
            )
    out += ["", "## Targets", "", *targets(args, found, ratios)]
    if NOTES.exists() and not args.quick:
        out += ["", NOTES.read_text().strip()]
    return "\n".join(out) + "\n"


def targets(args: argparse.Namespace, found: dict[str, Any], ratios: dict[str, float]) -> list[str]:
    runs, biggest = found["pages"], max(args.sizes)
    lines = []
    at_scale = [r for r in runs if r["database"] == "sqlite" and r["tickets"] == biggest]
    slow = [
        f"{page} on {r['adapter']} ({r['pages'][page]['p50_ms']:.1f} ms)"
        for r in at_scale
        for page in LIST_PAGES
        if r["pages"][page]["p50_ms"] >= TARGET_P50_MS
    ]
    lines.append(
        f"* List pages p50 under {TARGET_P50_MS:.0f} ms on SQLite at {biggest:,} tickets: "
        + (verdict(not slow) + (f": {', '.join(slow)}" if slow else ""))
    )
    listed = {p: r for p, r in ratios.items() if p in LIST_PAGES}
    if listed:
        short = {p: r for p, r in listed.items() if r < TARGET_RATIO}
        lines.append(
            f"* List pages at least {TARGET_RATIO:.0f}x faster than django-helpdesk's nearest: "
            + verdict(not short)
            + " ("
            + ", ".join(f"{p} {r:.1f}x" for p, r in listed.items())
            + ")"
        )
    differ = statements_differ(runs)
    lines.append(
        f"* SQL statements per page the same at {', '.join(f'{n:,}' for n in args.sizes)} "
        f"tickets: {verdict(not differ)}" + (f": {'; '.join(differ)}" if differ else "")
    )
    rates = [r["creations_per_second"] for r in runs if r.get("creations_per_second")]
    if rates:
        rate = min(r["creations_per_second"] for r in at_scale if r.get("creations_per_second"))
        lines.append(
            f"* At least {TARGET_CREATIONS:.0f} ticket creations per second on SQLite: "
            f"{verdict(rate >= TARGET_CREATIONS)} ({rate:,.0f}/s at {biggest:,} tickets)"
        )
    if found.get("outbox"):
        rows = found["outbox"]["outbox"]
        exact = all(o["lost"] == 0 and o["duplicates"] == 0 for o in rows)
        slowest = min(o["per_second"] for o in rows)
        lines.append(
            f"* Outbox at least {TARGET_OUTBOX:.0f} emails/s with 4 workers, none lost or "
            f"doubled: {verdict(exact and slowest >= TARGET_OUTBOX)} (slowest "
            f"{slowest:,.0f}/s; {'none' if exact else 'SOME'} lost or doubled)"
        )
    peaks = [r["peak_rss_mb"] for r in runs]
    if found.get("http"):
        peaks += found["http"].get("worker_peak_rss_mb", [])
    lines.append(
        f"* Portal process peak RSS under {TARGET_RSS_MB:.0f} MB: "
        f"{verdict(max(peaks) < TARGET_RSS_MB)} (highest {max(peaks):.0f} MB)"
    )
    return lines


def measure_all(args: argparse.Namespace) -> dict[str, Any]:
    found: dict[str, Any] = {"pages": [], "peer": {}}
    for tickets in args.sizes:
        for database in args.databases:
            for adapter in args.adapters:
                creations = args.creations if adapter == "flask" else 0
                found["pages"].append(
                    run_json(
                        python(
                            "pages.py",
                            "--adapter", adapter,
                            "--database", database,
                            "--tickets", tickets,
                            "--requests", args.requests,
                            "--warmup", args.warmup,
                            "--creations", creations,
                        ),
                        args.quiet,
                    )
                )  # fmt: skip
        if "peer" in args.parts:
            peer_args = ["--tickets", tickets, "--requests", args.requests, "--warmup", args.warmup]
            found["peer"][tickets] = run_json(python("peer.py", *peer_args), args.quiet)
    if "http" in args.parts:
        found["http"] = run_json(
            python(
                "http_load.py",
                *(["--quick"] if args.quick else ["--tickets", max(args.sizes), "--database"]),
                *([] if args.quick else args.databases),
            ),
            args.quiet,
        )
    if "outbox" in args.parts:
        found["outbox"] = run_json(
            python("outbox.py", *(["--quick"] if args.quick else [])), args.quiet
        )
    return found


def sizes(text: str) -> list[int]:
    return [int(n.replace("_", "").replace(",", "")) for n in text.split("+")]


def choices(text: str, allowed: Iterable[str]) -> list[str]:
    picked = [p for p in text.split(",") if p]
    unknown = set(picked) - set(allowed)
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown: {', '.join(sorted(unknown))}")
    return picked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 tickets, SQLite, 3 requests")
    parser.add_argument("--sizes", type=sizes, help="ticket counts joined by +: 1000+100000")
    parser.add_argument("--databases", type=lambda t: choices(t, ("sqlite", "postgresql")))
    parser.add_argument("--adapters", type=lambda t: choices(t, ("flask", "django")))
    parser.add_argument(
        "--parts",
        type=lambda t: choices(t, ("peer", "http", "outbox")),
        help="beside the pages: peer,http,outbox (all unless --quick)",
    )
    parser.add_argument("--requests", type=int, help="timed requests per page (30)")
    parser.add_argument("--warmup", type=int, help="warm-up requests per page (5)")
    parser.add_argument("--creations", type=int, help="ticket creations timed (500)")
    parser.add_argument("--results", type=Path, help="the report (bench/RESULTS.md)")

    parser.add_argument("--quiet", action="store_true", help="only the final report")
    args = parser.parse_args(argv)
    quick = args.quick
    args.sizes = args.sizes or ([1_000] if quick else [1_000, 100_000])
    args.databases = args.databases or (["sqlite"] if quick else ["sqlite", "postgresql"])
    args.adapters = args.adapters or ["flask", "django"]
    args.parts = (
        args.parts if args.parts is not None else ([] if quick else ["peer", "http", "outbox"])
    )
    args.requests = args.requests or (3 if quick else 30)
    args.warmup = args.warmup or (1 if quick else 5)
    args.creations = args.creations if args.creations is not None else (50 if quick else 500)
    # A quick run never overwrites the full run's report.
    results = args.results or (
        HERE / ".data" / "RESULTS-quick.md" if quick else HERE / "RESULTS.md"
    )
    results.parent.mkdir(exist_ok=True)
    text = report(args, measure_all(args))
    print(text)
    results.write_text(text)
    print(f"written to {results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
