"""The SLA benchmark still runs: `bench/sla.py --quick` exits 0 and prints the 8-hour figure.

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
