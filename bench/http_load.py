"""The Flask example under load: gunicorn with 2 workers, driven by wrk from another process.

Issue 10 asks for the customer list and the ticket page at 100,000 tickets, on SQLite and on
PostgreSQL: requests per second, p99, and zero errors, and the peak RSS of a portal process
after the run (target: under 200 MB).

For each database, `examples/flask_site` (the example site with the portal at /support) runs
under gunicorn with 2 sync workers on a free port of 127.0.0.1, against a working copy of the
scale desk (`scaledesk.working_desk`), with its settings in `TICKETCORE_*` environment
variables as in production: emails to the console and never sent after commit, one fixed
`FLASK_SECRET_KEY` so both workers read the same session cookie. The benchmark logs in as the
desk's busiest customer through the real login form (the CSRF token from the page, then the
POST), checks that each page answers 200 with the right content (the list with the customer's
count of tickets, each ticket page with its track ID), and then runs wrk with that session
cookie for `--seconds` on:

* the "my tickets" list, /support/tickets (the customer with the most tickets);
* ticket pages, /support/tickets/<track ID>, cycling over the customer's 30 newest tickets.

A Lua script counts every answer that is not a 200 holding the logout form (wrk counts a
redirect to the login page as a success, and a login page answers 200) and prints wrk's
latency percentiles as JSON. wrk's own socket errors (connect, read, write, timeout) are
reported apart. After both runs the peak RSS (VmHWM) of each gunicorn worker is read from /proc
(a worker that gunicorn had to replace meanwhile fails the run), then gunicorn is stopped with
SIGTERM (a graceful shutdown).

wrk comes from Debian (`apt-get install wrk`, done here when missing and running as root);
gunicorn from the `bench` extra (installed here, at the version pinned in constraints.txt, when
missing). `--quick` is 1,000 tickets on SQLite for 3 seconds per page, what
tests/test_bench_load.py runs. Exit status 1 when any request failed.
"""

from __future__ import annotations

import argparse
import contextlib
import html.parser
import http.cookiejar
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scaledesk import Desk, working_desk
from ticketcore.demo import DEMO_PASSWORD
from ticketcore.models import Ticket

ROOT = Path(__file__).resolve().parents[1]
FLASK_SECRET = "bench-flask-secret-key-shared-by-both-workers-0123456789"
RSS_TARGET_MB = 200
PAGES = ("my tickets", "ticket page")

# wrk's Lua side: the paths to cycle over, the cookie and the logged-in marker are filled in.
LUA = r"""
local paths = {%(paths)s}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  sent = 0
  non_2xx = 0
  wrong = 0
end

function request()
  sent = sent + 1
  local path = paths[(sent - 1) %% #paths + 1]
  return wrk.format("GET", path, {["Cookie"] = "%(cookie)s"})
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non_2xx = non_2xx + 1
  elseif not body:find("%(marker)s", 1, true) then
    wrong = wrong + 1
  end
end

function done(summary, latency, requests)
  local bad, wrong_pages = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non_2xx")
    wrong_pages = wrong_pages + thread:get("wrong")
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p90_us": %%d, ' ..
    '"p99_us": %%d, "max_us": %%d, "mean_us": %%.1f, "non_2xx": %%d, "wrong_content": %%d, ' ..
    '"connect": %%d, "read": %%d, "write": %%d, "timeout": %%d, "status": %%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, bad, wrong_pages,
    e.connect, e.read, e.write, e.timeout, e.status))
end
"""
# Only a logged-in page has the logout form: a login page, even answered with 200, has not.
LOGGED_IN = 'action="/support/account/logout"'


@dataclass
class PageResult:
    """One page's wrk run, as written to the JSON file."""

    database: str
    tickets: int
    page: str
    seconds: float
    connections: int
    requests: int
    requests_per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int  # socket errors: connect, read, write, timeout
    non_2xx: int  # answers other than 2xx (a redirect to the login page counts here)
    wrong_content: int  # 200 without the page's marker text


# ---------------------------------------------------------------- tools


def ensure_wrk() -> str:
    """wrk from Debian's packages, installed when missing and we may (root, as in CI)."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise SystemExit("wrk is missing: install it with `apt-get install wrk` (Debian)")
    print("installing wrk from Debian's packages", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], env=env, check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, check=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("apt-get installed wrk, but it is not on PATH")
    return found


def ensure_gunicorn() -> None:
    """gunicorn, from the `bench` extra: installed at the pinned version when missing."""
    probe = subprocess.run(
        [sys.executable, "-c", "import gunicorn"], capture_output=True, check=False
    )
    if probe.returncode == 0:
        return
    print("installing gunicorn (pinned by constraints.txt)", file=sys.stderr)
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
         "-c", str(ROOT / "constraints.txt"), "gunicorn"],
        check=True,
    )  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------- the site


@contextlib.contextmanager
def gunicorn(desk: Desk, work: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The example site under gunicorn (2 sync workers) on a free port; stopped with SIGTERM."""
    port = free_port()
    log = work / "gunicorn.log"
    env = {
        **os.environ,
        "TICKETCORE_DATABASE_URL": desk.database_url,
        "TICKETCORE_ATTACHMENTS_DIR": desk.attachments_dir,
        "TICKETCORE_SECRET_KEY": desk.settings().secret_key,
        "TICKETCORE_MAIL_TRANSPORT": "console",
        "TICKETCORE_DELIVER_AFTER_COMMIT": "false",
        "FLASK_SECRET_KEY": FLASK_SECRET,
    }
    command = [
        sys.executable, "-m", "gunicorn", "--workers", "2", "--worker-class", "sync",
        "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT / "examples"),
        "--error-logfile", str(log), "flask_site:app",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process, log)
        yield base, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:  # pragma: no cover - a stuck shutdown
                process.kill()
                process.wait()


def _wait_until_up(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn stopped (exit {process.returncode}):\n{_tail(log)}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{base}/support/", timeout=10) as answer,
        ):
            if answer.status == 200 and len(worker_pids(process.pid)) == 2:
                return
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer within 120 s:\n{_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"


def worker_pids(master: int) -> list[int]:
    """The gunicorn workers: the master's child processes."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            # pid (comm) state ppid …: comm may hold spaces and parentheses, so split after it
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == master:
                pids.append(int(entry.name))
    return sorted(pids)


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the most resident memory the process ever had."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise SystemExit(f"no VmHWM for process {pid}")


# ---------------------------------------------------------------- the customer


class _Form(html.parser.HTMLParser):
    """The fields of the login form: hidden ones carry the CSRF token and `next`."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.action: str | None = None
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form" and self.action is None and "login" in values.get("action", ""):
            self.action = values["action"]
            self._inside = True
        elif tag == "input" and self._inside and values.get("type") == "hidden":
            self.fields[values.get("name", "")] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False


def log_in(base: str, email: str, password: str) -> tuple[str, urllib.request.OpenerDirector]:
    """Log in through the form like a browser; the Cookie header of the session it started."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/support/account/login", timeout=30) as page:
        form = _Form()
        form.feed(page.read().decode())
    if form.action is None or "csrf_token" not in form.fields:
        raise SystemExit("the login page has no login form with a CSRF token")
    data = urllib.parse.urlencode({**form.fields, "email": email, "password": password})
    action = urllib.parse.urljoin(f"{base}/support/account/login", form.action)
    with opener.open(action, data=data.encode(), timeout=60) as answer:
        landed = answer.geturl()
    if "/account/login" in landed:
        raise SystemExit(f"logging in as {email} failed: still on {landed}")
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    if not cookie:
        raise SystemExit("logging in set no cookie")
    return cookie, opener


def customer_tickets(desk: Desk) -> list[str]:
    """The track IDs of all the customer's tickets, newest first (the same on every run over the
    same data): the list must count them all, the ticket pages cycle over the first 30."""
    engine = create_engine(desk.database_url)
    try:
        with engine.connect() as conn:
            found = list(
                conn.scalars(
                    select(Ticket.track_id)
                    .where(Ticket.requester_id == desk.customer_id)
                    .order_by(Ticket.id.desc())
                )
            )
    finally:
        engine.dispose()
    if not found:
        raise SystemExit(f"customer {desk.customer_email} has no tickets")
    return found


def fetch(opener: urllib.request.OpenerDirector, url: str) -> tuple[int, str, str]:
    """Status, body and the URL finally answering (redirects followed)."""
    try:
        with opener.open(url, timeout=60) as answer:
            return answer.status, answer.read().decode(), answer.geturl()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace"), url


def checked_pages(
    base: str, opener: urllib.request.OpenerDirector, tracks: list[str]
) -> dict[str, list[str]]:
    """Each page's paths, after checking that every one answers 200 itself (no redirect) with
    the customer's content: on the list their count of tickets ("All (N)") and, when any is
    active, links to them; on a ticket page its track ID."""
    pages = {"my tickets": ["/support/tickets"], "ticket page": []}
    status, body, landed = fetch(opener, f"{base}/support/tickets")
    if (
        status != 200
        or landed != f"{base}/support/tickets"
        or LOGGED_IN not in body
        or f"All ({len(tracks)})" not in body
    ):
        raise SystemExit(f"the ticket list is not the customer's ({status}, {landed})")
    for track in tracks[:30]:
        path = f"/support/tickets/{track}"
        status, body, landed = fetch(opener, base + path)
        if status != 200 or landed != base + path or track not in body or LOGGED_IN not in body:
            raise SystemExit(f"{path} answered {status} from {landed} without its track ID")
        pages["ticket page"].append(path)
    return pages


# ---------------------------------------------------------------- wrk


def run_wrk(
    wrk: str,
    base: str,
    *,
    paths: Sequence[str],
    cookie: str,
    seconds: float,
    connections: int,
    work: Path,
) -> dict[str, Any]:
    """wrk cycling over `paths` with the session cookie; its summary as a dict."""

    def lua_string(text: str) -> str:
        return text.replace("\\", "\\\\").replace('"', '\\"')

    script = work / "load.lua"
    script.write_text(
        LUA
        % {
            "paths": ", ".join(json.dumps(path) for path in paths),
            "cookie": lua_string(cookie),
            "marker": lua_string(LOGGED_IN),
        }
    )
    done = subprocess.run(
        [wrk, "--threads", "2", "--connections", str(connections), "--duration",
         f"{seconds:g}s", "--timeout", "30s", "--script", str(script), base],
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        check=False,
    )  # fmt: skip
    found = re.search(r"^WRK_JSON (\{.*\})$", done.stdout, re.M)
    if done.returncode != 0 or not found:
        raise SystemExit(f"wrk failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
    return dict(json.loads(found.group(1)))


def measure_database(
    database: str, tickets: int, seconds: float, connections: int, warmup: float, wrk: str
) -> tuple[list[PageResult], list[float]]:
    results: list[PageResult] = []
    with working_desk(database, tickets) as desk:
        tracks = customer_tickets(desk)
        work = Path(tempfile.mkdtemp(prefix="tc_bench_http_"))
        try:
            with gunicorn(desk, work) as (base, master):
                started_workers = worker_pids(master.pid)
                cookie, opener = log_in(base, desk.customer_email, DEMO_PASSWORD)
                pages = checked_pages(base, opener, tracks)
                load = {"cookie": cookie, "connections": connections, "work": work}
                for page in PAGES:
                    if warmup:
                        run_wrk(wrk, base, paths=pages[page], seconds=warmup, **load)
                    figures = run_wrk(wrk, base, paths=pages[page], seconds=seconds, **load)
                    results.append(_page_result(database, tickets, page, connections, figures))
                workers = worker_pids(master.pid)
                if workers != started_workers:  # a worker died or timed out: its peak is gone
                    raise SystemExit(
                        f"gunicorn replaced workers {started_workers} by {workers} during the "
                        f"run:\n{_tail(work / 'gunicorn.log')}"
                    )
                rss = [peak_rss_mb(pid) for pid in workers]
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return results, rss


def _page_result(
    database: str, tickets: int, page: str, connections: int, figures: dict[str, Any]
) -> PageResult:
    duration = figures["duration_us"] / 1e6
    return PageResult(
        database=database,
        tickets=tickets,
        page=page,
        seconds=round(duration, 2),
        connections=connections,
        requests=figures["requests"],
        requests_per_second=round(figures["requests"] / duration, 1),
        p50_ms=round(figures["p50_us"] / 1000, 1),
        p90_ms=round(figures["p90_us"] / 1000, 1),
        p99_ms=round(figures["p99_us"] / 1000, 1),
        max_ms=round(figures["max_us"] / 1000, 1),
        errors=figures["connect"] + figures["read"] + figures["write"] + figures["timeout"],
        non_2xx=figures["non_2xx"],
        wrong_content=figures["wrong_content"],
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=None, help="default 100,000")
    parser.add_argument(
        "--database", nargs="+", choices=("sqlite", "postgresql"), help="default: sqlite"
    )
    parser.add_argument("--seconds", type=float, default=None, help="per page; default 30")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--warmup", type=float, default=None, help="untimed seconds per page")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--quick", action="store_true", help="1,000 tickets, SQLite, 3 s")
    args = parser.parse_args(argv)
    tickets = args.tickets or (1_000 if args.quick else 100_000)
    databases = args.database or ["sqlite"]
    seconds = args.seconds or (3.0 if args.quick else 30.0)
    warmup = args.warmup if args.warmup is not None else (0.0 if args.quick else 3.0)
    wrk = ensure_wrk()
    ensure_gunicorn()
    version = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
    print(
        f"HTTP: examples/flask_site under gunicorn (2 sync workers), {tickets:,} tickets, "
        f"wrk {args.connections} connections x {seconds:g} s per page after {warmup:g} s of "
        f"warm-up; {version.stdout.split(' [')[0].strip() or 'wrk'}; "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs"
        + ("; --quick: figures are rough" if args.quick else "")
    )
    results: list[PageResult] = []
    rss: list[dict[str, Any]] = []
    for database in databases:
        found, peaks = measure_database(database, tickets, seconds, args.connections, warmup, wrk)
        results += found
        rss += [{"database": database, "peak_rss_mb": mb} for mb in peaks]
    print()
    print(
        f"{'database':<12}{'page':<13}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p90 ms':>9}"
        f"{'p99 ms':>9}{'max ms':>9}{'errors':>8}{'non-2xx':>9}{'wrong':>7}"
    )
    for r in results:
        print(
            f"{r.database:<12}{r.page:<13}{r.requests:>9,}{r.requests_per_second:>9.1f}"
            f"{r.p50_ms:>9.1f}{r.p90_ms:>9.1f}{r.p99_ms:>9.1f}{r.max_ms:>9.1f}"
            f"{r.errors:>8}{r.non_2xx:>9}{r.wrong_content:>7}"
        )
    print()
    for database in databases:
        peaks = [p["peak_rss_mb"] for p in rss if p["database"] == database]
        listed = ", ".join(f"{mb:.0f} MB" for mb in peaks)
        verdict = "met" if max(peaks) < RSS_TARGET_MB else "NOT met"
        print(
            f"peak RSS of the gunicorn workers on {database}: {listed} "
            f"(target under {RSS_TARGET_MB} MB: {verdict})"
        )
    failed = sum(r.errors + r.non_2xx + r.wrong_content for r in results)
    print(f"failed requests: {failed}" + (" (target: none)" if failed else " (target met: none)"))
    if args.json:
        out = {
            "http": [asdict(r) for r in results],
            "worker_peak_rss_mb": [p["peak_rss_mb"] for p in rss],
            "worker_peak_rss": rss,
        }
        args.json.write_text(json.dumps(out, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
