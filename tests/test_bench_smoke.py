"""The benchmarks still run: `bench/sla.py --quick` prints the 8-hour figure, and
`bench/run.py --quick` measures every portal page on a 1,000-ticket desk.

Timings are never asserted: they depend on the machine. With pandas installed the quick run
also checks that pandas and `BusinessCalendar` give the same deadlines on a sample.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "sla.py"


def test_sla_benchmark_runs_quickly_and_prints_the_8_hour_figure() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^\s+8 h add/s\s+1000 h add/s\s+1000h/8h cost$", done.stdout, re.M)
    assert re.search(r"^BusinessCalendar\.add\s+[\d,]+\s+[\d,]+\s+[\d.]+x$", done.stdout, re.M)
    if importlib.util.find_spec("pandas") is None:
        assert "pandas is not installed: skipping" in done.stdout
    else:
        assert "same deadlines as BusinessCalendar" in done.stdout
        assert re.search(
            r"^pandas CustomBusinessHour.*\s[\d,]+\s+[\d,]+\s+[\d.]+x$", done.stdout, re.M
        )


def test_the_scale_benchmark_runs_quickly_and_every_page_costs_the_same_sql(
    tmp_path: Path,
) -> None:
    """`bench/run.py --quick`: every page through both adapters on a 1,000-ticket desk, the
    report written, each page answering with one statement count on every request."""
    report = tmp_path / "RESULTS.md"
    done = subprocess.run(
        [sys.executable, str(BENCH.with_name("run.py")), "--quick", "--quiet", "--results", report],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    text = report.read_text()
    for page in ("my tickets", "queue: at risk", "agent ticket page", "post a reply"):
        assert re.search(
            rf"^\| {page} \| [\d.]+ / [\d.]+ \| [\d.]+ / [\d.]+ \| \d+ / \d+ \|$", text, re.M
        )
    assert "* SQL statements per page the same at 1,000 tickets: met" in text
    assert re.search(r"ticket creations per second on SQLite: .*\([\d,]+/s at 1,000", text)
