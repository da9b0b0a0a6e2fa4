"""Generate the scale data set (issue 10): `python bench/gen.py 100000 [--database-url URL]`.

A thin wrapper over `ticketcore.scale.load_scale_data`, so a benchmark (or a person) can make the
same deterministic desk that `ticketcore demo-data --scale N` makes: N tickets over the last two
years, 2,000 customers in 200 organizations, 20 agents in 5 teams. It creates the tables if the
database has none, refuses a database that already has tickets, and prints the time taken.
"""

from __future__ import annotations

import argparse
import sys
import time

from ticketcore import Helpdesk, Settings
from ticketcore.scale import load_scale_data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tickets", type=int, help="how many tickets to generate")
    parser.add_argument(
        "--database-url",
        default="sqlite:///scale.db",
        help="where to write (default: scale.db in the current directory)",
    )
    parser.add_argument("--seed", type=int, default=1, help="same seed, same data")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    helpdesk = Helpdesk(Settings.from_env(database_url=args.database_url))
    try:
        helpdesk.upgrade_database()
        started = time.perf_counter()
        summary = load_scale_data(helpdesk, args.tickets, seed=args.seed, progress=not args.quiet)
        took = time.perf_counter() - started
    finally:
        helpdesk.close()
    counts = ", ".join(f"{n:,} {what}" for what, n in summary.counts.items())
    print(f"{args.tickets:,} tickets in {took:.1f} s ({counts})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
