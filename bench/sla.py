"""How fast are SLA deadlines? `BusinessCalendar.add` against pandas' `CustomBusinessHour`.

The work: a 9:00-17:00 Monday-to-Friday calendar in America/New_York with the 2026 US federal
holidays (observed dates), and a fixed set of start instants spread over 2026 (any time of day,
weekends and holidays included). For each start, the deadline 8 business hours later, and 1,000
business hours later (about half a year). Reported: additions per second on one core (best of
5 repeats after a warm-up) and how much dearer the 1,000-hour addition is than the 8-hour one.

pandas is measured twice: its offset alone on naive local timestamps prepared beforehand, and
the same job `BusinessCalendar.add` does (an aware datetime in, an aware UTC datetime out).
Before timing, both are checked to give the same deadlines on a sample: pandas moves a deadline
that falls exactly on 17:00 to the next opening, where the specification says 17:00, so the
check rolls our answer forward the same way (`next_open`) before comparing.

Run: `pip install -e .[bench]` then `python bench/sla.py` (`--quick` for a smoke run; pandas is
skipped, saying so, when it is not installed).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ticketcore.sla import BusinessCalendar

ZONE = ZoneInfo("America/New_York")
US_FEDERAL_HOLIDAYS_2026 = {  # observed dates: Independence Day (a Saturday) is kept on Friday
    "New Year's Day": "2026-01-01",
    "Birthday of Martin Luther King, Jr.": "2026-01-19",
    "Washington's Birthday": "2026-02-16",
    "Memorial Day": "2026-05-25",
    "Juneteenth National Independence Day": "2026-06-19",
    "Independence Day (observed)": "2026-07-03",
    "Labor Day": "2026-09-07",
    "Columbus Day": "2026-10-12",
    "Veterans Day": "2026-11-11",
    "Thanksgiving Day": "2026-11-26",
    "Christmas Day": "2026-12-25",
}
DEFINITION = {
    "timezone": "America/New_York",
    "hours": {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": sorted(US_FEDERAL_HOLIDAYS_2026.values()),
}
TARGETS_HOURS = (8, 1000)
REPEATS = 5


def start_instants(count: int) -> list[datetime]:
    """`count` fixed instants in 2026 (UTC, as stored), to the second, any day and time."""
    rng = random.Random(2026)
    year_start = datetime(2026, 1, 1, tzinfo=ZONE).astimezone(UTC)
    seconds = int(
        (datetime(2027, 1, 1, tzinfo=ZONE) - datetime(2026, 1, 1, tzinfo=ZONE)).total_seconds()
    )
    return [year_start + timedelta(seconds=rng.randrange(seconds)) for _ in range(count)]


def ops_per_second(work: Callable[[], object], count: int, repeats: int) -> float:
    work()  # warm-up: lays out the calendar, fills caches
    best = min(_timed(work) for _ in range(repeats))
    return count / best


def _timed(work: Callable[[], object]) -> float:
    began = time.perf_counter()
    work()
    return time.perf_counter() - began


def pin_to_one_core() -> str:
    if not hasattr(os, "sched_setaffinity"):
        return "one process (cannot pin to a core here)"
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return f"one core (CPU {core})"


def ticketcore_runs(starts: Sequence[datetime]) -> dict[int, Callable[[], object]]:
    calendar = BusinessCalendar.from_dict(DEFINITION)
    runs: dict[int, Callable[[], object]] = {}
    for hours in TARGETS_HOURS:
        minutes = hours * 60

        def run(minutes: int = minutes) -> list[datetime]:
            return [calendar.add(start, minutes) for start in starts]

        runs[hours] = run
    return runs


def pandas_runs(
    starts: Sequence[datetime],
) -> tuple[dict[int, Callable[[], object]], dict[int, Callable[[], object]], str]:
    import pandas as pd
    from pandas.tseries.offsets import CustomBusinessHour

    naive_local = [pd.Timestamp(start.astimezone(ZONE).replace(tzinfo=None)) for start in starts]
    offset_only: dict[int, Callable[[], object]] = {}
    same_job: dict[int, Callable[[], object]] = {}
    for hours in TARGETS_HOURS:
        offset = CustomBusinessHour(
            n=hours,
            start="09:00",
            end="17:00",
            holidays=DEFINITION["holidays"],
            weekmask="Mon Tue Wed Thu Fri",
        )

        def bare(offset: Any = offset) -> list[Any]:
            return [stamp + offset for stamp in naive_local]

        def whole(offset: Any = offset) -> list[datetime]:
            return [pandas_add(start, offset) for start in starts]

        offset_only[hours], same_job[hours] = bare, whole
    return offset_only, same_job, pd.__version__


def pandas_add(start: datetime, offset: Any) -> datetime:
    """What `BusinessCalendar.add` does, done with pandas: aware in, aware UTC out."""
    import pandas as pd

    local = pd.Timestamp(start.astimezone(ZONE).replace(tzinfo=None))
    result: datetime = (local + offset).tz_localize(ZONE).tz_convert(UTC).to_pydatetime()
    return result


def check_same_answers(starts: Sequence[datetime]) -> int:
    """Both libraries give the same deadline for every sample start and target."""
    from pandas.tseries.offsets import CustomBusinessHour

    calendar = BusinessCalendar.from_dict(DEFINITION)
    checked = 0
    for hours in TARGETS_HOURS:
        offset = CustomBusinessHour(
            n=hours,
            start="09:00",
            end="17:00",
            holidays=DEFINITION["holidays"],
            weekmask="Mon Tue Wed Thu Fri",
        )
        for start in starts:
            ours = calendar.add(start, hours * 60)
            theirs = pandas_add(start, offset)
            # pandas gives the next opening where the deadline is a closing time
            assert calendar.next_open(ours) == theirs, (start, hours, ours, theirs)
            assert calendar.minutes_between(start, ours) == hours * 60
            checked += 1
    return checked


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few iterations (a smoke run)")
    args = parser.parse_args(argv)
    count, repeats, sample = (200, 3, 50) if args.quick else (5000, REPEATS, 1000)

    where = pin_to_one_core()
    starts = start_instants(count)
    try:
        import pandas  # noqa: F401
    except ImportError:
        have_pandas = False
    else:
        have_pandas = True

    print(
        "SLA deadlines: 9:00-17:00 Mon-Fri, America/New_York, "
        f"{len(US_FEDERAL_HOLIDAYS_2026)} US federal holidays (2026, observed)"
    )
    print(
        f"{count:,} start instants over 2026, best of {repeats} after a warm-up, {where}; "
        f"Python {platform.python_version()}"
        + ("" if not args.quick else "; --quick: figures are rough")
    )
    rows: list[tuple[str, dict[int, float]]] = []
    ours = ticketcore_runs(starts)
    rows.append(
        (
            "BusinessCalendar.add",
            {h: ops_per_second(run, count, repeats) for h, run in ours.items()},
        )
    )
    if have_pandas:
        checked = check_same_answers(starts[:sample])
        offset_only, same_job, version = pandas_runs(starts)
        print(f"pandas {version}: same deadlines as BusinessCalendar on {checked:,} samples")
        rows.append(
            (
                "pandas CustomBusinessHour, aware in/out",
                {h: ops_per_second(run, count, repeats) for h, run in same_job.items()},
            )
        )
        rows.append(
            (
                "pandas CustomBusinessHour, offset only",
                {h: ops_per_second(run, count, repeats) for h, run in offset_only.items()},
            )
        )
    else:
        print("pandas is not installed: skipping the pandas figures (pip install -e .[bench])")

    print()
    width = max(len(name) for name, _ in rows)
    print(f"{'':<{width}}  {'8 h add/s':>11}  {'1000 h add/s':>12}  {'1000h/8h cost':>13}")
    for name, rates in rows:
        ratio = rates[8] / rates[1000]  # cost per call is 1/rate
        print(f"{name:<{width}}  {rates[8]:>11,.0f}  {rates[1000]:>12,.0f}  {ratio:>12.2f}x")
    rates = rows[0][1]
    print()
    print(
        "targets for BusinessCalendar.add: >= 100,000 add/s at 8 h: "
        f"{'met' if rates[8] >= 100_000 else 'NOT met'}; 1000 h within 3x of 8 h: "
        f"{'met' if rates[8] / rates[1000] <= 3 else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
