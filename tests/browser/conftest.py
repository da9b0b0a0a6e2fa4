"""Browser tests: the example Flask site served for real, driven in headless Chromium.

`site` starts `examples/flask_site` on a free port with its settings in `TICKETCORE_*`
environment variables, as a production site would, and sends its email over SMTP to a local
sink. Chromium is Debian's (`/usr/bin/chromium`); Playwright's own builds are never downloaded.
A missing Chromium fails the suite unless `TICKETCORE_BROWSER=0` says to skip it.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import shutil
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from browsing import ROOT, SECRET, Site, SmtpSink, free_port
from playwright.sync_api import Browser, BrowserContext, Page, expect
from werkzeug.serving import make_server

from ticketcore_flask import TicketCore

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
TIMEOUT_MS = 15_000  # generous: CI machines run the whole suite on two busy cores

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


@pytest.fixture
def site(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, smtp_sink: SmtpSink) -> Iterator[Site]:
    port = free_port()
    env = {
        "TICKETCORE_DATABASE_URL": f"sqlite:///{tmp_path / 'tc.db'}",
        "TICKETCORE_ATTACHMENTS_DIR": str(tmp_path / "attachments"),
        "TICKETCORE_SECRET_KEY": SECRET,
        "TICKETCORE_SITE_URL": f"http://127.0.0.1:{port}/support",
        "TICKETCORE_MAIL_TRANSPORT": "smtp",
        "TICKETCORE_SMTP_HOST": "127.0.0.1",
        "TICKETCORE_SMTP_PORT": str(smtp_sink.port),
        "FLASK_SECRET_KEY": SECRET,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
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
        yield Site(url=f"http://127.0.0.1:{port}", helpdesk=helpdesk, mail=smtp_sink)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        helpdesk.close()


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
