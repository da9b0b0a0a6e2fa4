"""Browser tests: the example sites served for real, driven in headless Chromium.

`site` starts `examples/flask_site` or `examples/django_site` (every test runs on both) on a
free port with its settings in environment variables, as a production site would, and sends its
email over SMTP to a local sink. Chromium is Debian's (`/usr/bin/chromium`); Playwright's own
builds are never downloaded. A missing Chromium fails the suite unless `TICKETCORE_BROWSER=0`
says to skip it.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import runpy
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import browsing
import pytest
from aiosmtpd.controller import Controller
from browsing import ROOT, SECRET, Site, SmtpSink, free_port
from playwright.sync_api import Browser, BrowserContext, Page, expect
from werkzeug.serving import make_server

from ticketcore import Helpdesk, Settings
from ticketcore_flask import TicketCore

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
TIMEOUT_MS = 15_000  # generous: CI machines run the whole suite on two busy cores
SERVER_START_SECONDS = 30
MANAGE = ROOT / "examples" / "django_site" / "manage.py"
DJANGO_ENV = {
    "DJANGO_SETTINGS_MODULE": "example_site.settings",
    "DJANGO_SECRET_KEY": SECRET,
}

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Overrides pytest-playwright's fixture: launch Debian's Chromium, headless."""
    if not shutil.which(CHROMIUM) and os.environ.get("TICKETCORE_BROWSER") == "0":
        pytest.skip(f"{CHROMIUM} missing: apt-get install -y chromium")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
        ],
    }


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.port = free_port()  # Controller cannot take port 0
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port, server_hostname="localhost")
    controller.start()
    yield sink
    with contextlib.suppress(AssertionError):
        controller.stop()


@pytest.fixture(params=["flask", "django"])
def site(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    smtp_sink: SmtpSink,
) -> Iterator[Site]:
    port = free_port()
    env = {
        "TICKETCORE_ATTACHMENTS_DIR": str(tmp_path / "attachments"),
        "TICKETCORE_SECRET_KEY": SECRET,
        "TICKETCORE_SITE_URL": f"http://127.0.0.1:{port}/support",
        "TICKETCORE_MAIL_TRANSPORT": "smtp",
        "TICKETCORE_SMTP_HOST": "127.0.0.1",
        "TICKETCORE_SMTP_PORT": str(smtp_sink.port),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(browsing, "screenshot_prefix", f"{request.param}-")
    if request.param == "flask":
        yield from flask_site(monkeypatch, tmp_path, port, smtp_sink)
    else:
        template = request.getfixturevalue("django_database")
        yield from django_site(monkeypatch, tmp_path, port, smtp_sink, template)


def flask_site(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, port: int, mail: SmtpSink
) -> Iterator[Site]:
    """examples/flask_site in a thread of this process, sharing its helpdesk with the test."""
    monkeypatch.setenv("TICKETCORE_DATABASE_URL", f"sqlite:///{tmp_path / 'tc.db'}")
    monkeypatch.setenv("FLASK_SECRET_KEY", SECRET)
    monkeypatch.syspath_prepend(str(ROOT / "examples"))
    if "flask_site" in sys.modules:
        flask_site = importlib.reload(sys.modules["flask_site"])
    else:
        flask_site = importlib.import_module("flask_site")
    TicketCore.helpdesk_of(flask_site.app).close()  # the module-level app stays unused
    app = flask_site.create_app()
    helpdesk = TicketCore.helpdesk_of(app)
    helpdesk.upgrade_database()  # as a real site does: the migrations must match the models
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(
            url=f"http://127.0.0.1:{port}",
            helpdesk=helpdesk,
            mail=mail,
            member_external_id="member:sam@members.example.org",
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        helpdesk.close()


@dataclass(frozen=True)
class DjangoDatabase:
    path: Path
    member_id: int


@pytest.fixture(scope="session")
def django_database(tmp_path_factory: pytest.TempPathFactory) -> DjangoDatabase:
    """The Django site's database after `manage.py migrate` and `demo_members`, made once per
    test process: each test serves a copy of it."""
    path = tmp_path_factory.mktemp("django_site") / "site.db"
    env = {k: v for k, v in os.environ.items() if k != "TICKETCORE_DATABASE_URL"}
    env.update(DJANGO_ENV, DJANGO_DATABASE_PATH=str(path))
    for command in ("migrate", "demo_members"):
        done = subprocess.run(
            [sys.executable, str(MANAGE), command], env=env, capture_output=True, check=False
        )
        assert done.returncode == 0, done.stderr.decode()
    with contextlib.closing(sqlite3.connect(path)) as db:
        (member_id,) = db.execute(
            "SELECT id FROM auth_user WHERE username = ?", ("sam@members.example.org",)
        ).fetchone()
    return DjangoDatabase(path, member_id)


def django_site(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    port: int,
    mail: SmtpSink,
    template: DjangoDatabase,
) -> Iterator[Site]:
    """examples/django_site served by its own `runserver` in another process (Django is set up
    once per process, and this one may hold the test project of tests/django_harness.py).

    ticketcore's tables sit in Django's database, as the site's settings leave them; the test's
    helpdesk is made from the same settings and opens the same SQLite file, whose writers
    queue for its lock in both processes.
    """
    database = tmp_path / "site.db"
    shutil.copyfile(template.path, database)
    monkeypatch.delenv("TICKETCORE_DATABASE_URL", raising=False)
    for key, value in {**DJANGO_ENV, "DJANGO_DATABASE_PATH": str(database)}.items():
        monkeypatch.setenv(key, value)
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [
                sys.executable,
                str(MANAGE),
                "runserver",
                "--noreload",
                "--insecure",
                f"127.0.0.1:{port}",
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        served = runpy.run_path(str(MANAGE.parent / "example_site" / "settings.py"))["TICKETCORE"]
        names = {name.upper() for name in Settings.model_fields}
        values = {key: value for key, value in served.items() if key in names}
        helpdesk = Helpdesk(
            Settings.from_mapping({**values, "DATABASE_URL": f"sqlite:///{database}"})
        )
        try:
            site = Site(  # makes Ann while the server starts
                url=f"http://127.0.0.1:{port}",
                helpdesk=helpdesk,
                mail=mail,
                member_external_id=str(template.member_id),
            )
            wait_for_port(port, server, log)
            yield site
        finally:
            helpdesk.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def wait_for_port(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while server.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"the Django site did not start:\n{log.read_text()}")


@pytest.fixture
def new_context(browser: Browser, site: Site) -> Iterator[Callable[..., BrowserContext]]:
    """A fresh browser (own cookies) on the site; each is closed after the test.

    Overrides pytest-playwright's factory of the same name (same call shape), so its `context`
    fixture opens on the site too.
    """
    made: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        context = browser.new_context(base_url=site.url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.fixture
def page(new_context: Callable[..., BrowserContext]) -> Page:
    """Overrides pytest-playwright's page: one on the live site."""
    return new_context().new_page()
