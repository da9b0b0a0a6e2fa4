"""The examples are documentation: run them so they cannot rot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_api_tour_runs_and_shows_the_promised_behaviour():
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "api_tour.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "refused: {'subject': ['String should have at least 1 character']" in out
    assert "assigned to Ann" in out
    assert "carol waits on: 1" in out
    assert "after carol's answer: Open" in out
    assert "carol sees 3 messages; ann sees 4" in out
    assert "dave (same company) cannot see it" in out
