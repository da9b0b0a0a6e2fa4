"""django-helpdesk, the nearest Python peer, timed on the same desk as ticketcore (issue 10).

`python bench/peer.py --tickets N [--requests R] [--warmup W] [--json OUT] [--quick]`, with
the project's interpreter. The peer cannot share our environment (it pins its own Django), so
this script makes it one: a virtual environment at `bench/.peer/venv` with the exact pins of
`bench/peer/requirements.txt`, made again only when those pins (or this Python) change. Then
it exports ticketcore's story texts, so both desks tell the same stories, and runs
`bench/peer/measure.py` in that environment: it loads (or reuses) the peer's scale data,
times django-helpdesk's nearest pages to ours and writes the JSON that `bench/run.py` reads.
This script prints that JSON as a table.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # not POSIX: no lock, so do not make the venv twice at once
    fcntl = None  # type: ignore[assignment]

BENCH = Path(__file__).resolve().parent
PEER = BENCH / "peer"
STATE = BENCH / ".peer"  # ignored by git: the venv, the cached databases, the results
REQUIREMENTS = PEER / "requirements.txt"
VENV = STATE / "venv"
STAMP = "ticketcore-peer.stamp"
PAGES = (
    "agent_ticket_list",
    "agent_ticket_list_json",
    "agent_ticket_list_json_search",
    "dashboard",
    "agent_ticket_detail",
    "public_ticket_view",
    "customer_ticket_list",
    "customer_ticket_list_json",
    "ticket_create",
    "followup_post",
)


def _requirements_digest() -> str:
    """What the venv was made from: the pins and the interpreter that made it."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def _python(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin") / "python"


def venv_ready(venv: Path = VENV) -> bool:
    """True when the venv exists and was made from the current pins (no network needed)."""
    stamp = venv / STAMP
    return (
        _python(venv).exists()
        and stamp.exists()
        and stamp.read_text().strip() == _requirements_digest()
    )


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def ensure_venv(venv: Path = VENV) -> Path:
    """The peer's interpreter, making its venv first when the pins changed or it is missing.

    Made from scratch rather than upgraded in place, so nothing from older pins lingers;
    installed with --no-deps and `pip check`ed, so the pins alone decide what is there.
    """
    with _locked(venv.parent / f"{venv.name}.lock"):
        if venv_ready(venv):
            return _python(venv)
        print(f"peer: making {venv} from {REQUIREMENTS.relative_to(BENCH.parent)}", flush=True)
        if venv.exists():
            shutil.rmtree(venv)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(_python(venv)), "-m", "pip", "--disable-pip-version-check"]
        subprocess.run(
            [*pip, "install", "--quiet", "--no-deps", "-r", str(REQUIREMENTS)], check=True
        )
        subprocess.run([*pip, "check"], check=True, stdout=subprocess.DEVNULL)
        (venv / STAMP).write_text(_requirements_digest() + "\n")
    return _python(venv)


def write_shape(path: Path) -> Path:
    """ticketcore's story texts and the scale data's rules (endings by age, teams, names,
    files) as JSON for the peer's loader, which cannot import ticketcore: scale.py stays the one
    place they are written. Rewritten only when they change, since the peer's cache keys on it."""
    try:
        from ticketcore import scale
        from ticketcore.demo import ENDINGS
        from ticketcore.demo_stories import IN_PROGRESS, STORIES
    except ImportError as error:
        raise SystemExit(
            f"bench/peer.py needs ticketcore ({error}): run it with the project's interpreter"
        ) from error
    fields = ("team", "subject", "body", "answer", "followup", "resolution", "note", "priority")
    shape = {
        "stories": [{name: getattr(story, name) for name in fields} for story in STORIES],
        "in_progress": IN_PROGRESS,
        "recent_endings": list(ENDINGS),
        # scale.py's private rules, read here on purpose: the peer must write the same desk.
        "days": scale._DAYS,
        "recent_days": scale._RECENT.days,
        "month_days": scale._MONTH.days,
        "month_endings": list(scale._MONTH_ENDINGS),
        "month_weights": list(scale._MONTH_WEIGHTS),
        "old_endings": list(scale._OLD_ENDINGS),
        "old_weights": list(scale._OLD_WEIGHTS),
        "teams": list(scale._TEAMS),
        "story_teams": scale._STORY_TEAM,
        "staff_domain": scale._STAFF_DOMAIN,
        "first_names": list(scale._FIRST),
        "last_names": list(scale._LAST),
        "files": [[name, base64.b64encode(content).decode()] for name, content in scale._FILES],
    }
    text = json.dumps(shape, indent=1, sort_keys=True) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


def table(result: dict[str, Any], warmup: int) -> str:
    """The JSON as people read it."""
    load = result["load_seconds"]
    lines = [
        f"django-helpdesk {result['version']} (Django {result['django']}, {result['database']}): "
        f"{result['tickets']:,} tickets"
        + (f", loaded in {load:.1f} s" if load is not None else ", cached data"),
        f"in process through Django's test client, {warmup} warm-up requests per page first",
        "",
        f"{'page':32} {'p50 ms':>9} {'p95 ms':>9} {'statements':>11} {'requests':>9}",
    ]
    for key, page in result["pages"].items():
        lines.append(
            f"{key:32} {page['p50_ms']:9.2f} {page['p95_ms']:9.2f} "
            f"{page['statements']:11d} {page['requests']:9d}"
        )
    lines += [f"{key:32} absent: {why}" for key, why in result["absent"].items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, help="default 1,000; 200 with --quick")
    parser.add_argument("--requests", type=int, help="timed requests per page (default 30)")
    parser.add_argument("--warmup", type=int, help="untimed requests first (default 5)")
    parser.add_argument("--json", type=Path, help="default bench/.peer/results-<N>.json")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 200 tickets, 1 + 3")
    parser.add_argument("--venv", type=Path, default=VENV, help="the peer's virtual environment")
    args = parser.parse_args(argv)
    tickets = args.tickets if args.tickets is not None else (200 if args.quick else 1_000)
    requests = args.requests if args.requests is not None else (3 if args.quick else 30)
    warmup = args.warmup if args.warmup is not None else (1 if args.quick else 5)
    out = args.json or STATE / f"results-{tickets}.json"

    python = ensure_venv(args.venv.resolve())
    shape = write_shape(STATE / "shape.json")
    done = subprocess.run(
        [
            str(python),
            str(PEER / "measure.py"),
            f"--tickets={tickets}",
            f"--requests={requests}",
            f"--warmup={warmup}",
            f"--json={out}",
            f"--shape={shape}",
            f"--data={STATE / 'data'}",
        ],
        check=False,
    )
    if done.returncode != 0:
        return done.returncode
    result = json.loads(out.read_text())
    missing = [key for key in PAGES if key not in result["pages"] and key not in result["absent"]]
    if missing:
        raise SystemExit(f"measure.py left out {missing}")
    print(table(result, warmup))
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
