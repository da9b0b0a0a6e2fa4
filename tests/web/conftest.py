"""The portal behaviour suite runs over every adapter: the in-memory `PortalClient` on SQLite,
and Flask's and Django's test clients on every database of the matrix.

`web.client()` gives a fresh browser (its own session); `web.helpdesk` and `web.cast` are the
desk behind the portal.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Protocol

import pytest
from flask import Flask

from cast_of_users import build_cast
from databases import BACKENDS, server_database_for
from ticketcore import FakeClock, Helpdesk
from ticketcore.testing import make_helpdesk
from ticketcore.web import Portal
from ticketcore.web.testclient import ClientResponse, File, PortalClient
from ticketcore_flask import TicketCore

SECRET = "test-secret-key-that-is-long-enough-0123456789"
PASSWORD = "correct horse 42"
WEB_MATRIX = [("memory", "sqlite")] + [(a, b) for a in ("flask", "django") for b in BACKENDS]


class Client(Protocol):
    def get(self, url: str, *, follow: bool = True) -> ClientResponse: ...

    def post(
        self,
        url: str,
        data: Mapping[str, str | Sequence[str]] | None = None,
        *,
        files: Sequence[File] = (),
        follow: bool = True,
        csrf_token: bool = True,
    ) -> ClientResponse: ...

    def log_in_as(self, user_id: int) -> None: ...


class FlaskClient:
    """Flask's test client behind the same interface as `PortalClient`."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client = app.test_client()

    def get(self, url: str, *, follow: bool = True) -> ClientResponse:
        return _wrap(self.client.get(url, follow_redirects=follow), url)

    def post(
        self,
        url: str,
        data: Mapping[str, str | Sequence[str]] | None = None,
        *,
        files: Sequence[File] = (),
        follow: bool = True,
        csrf_token: bool = True,
    ) -> ClientResponse:
        form: dict[str, Any] = {
            k: v if isinstance(v, str) else list(v) for k, v in (data or {}).items()
        }
        if csrf_token and "csrf_token" not in form:
            with self.client.session_transaction() as session:
                from ticketcore.web import csrf

                form["csrf_token"] = csrf.token(session)
        for name, filename, content, content_type in files:
            form.setdefault(name, [])
            if not isinstance(form[name], list):
                form[name] = [form[name]]
            form[name].append((io.BytesIO(content), filename, content_type))
        response = self.client.post(
            url, data=form, follow_redirects=follow, content_type="multipart/form-data"
        )
        return _wrap(response, url)

    def log_in_as(self, user_id: int) -> None:
        from ticketcore.web import identity

        helpdesk = TicketCore.helpdesk_of(self.app)
        with self.client.session_transaction() as session:
            identity.log_in(helpdesk, session, user_id)


def _wrap(response: Any, url: str) -> ClientResponse:
    body = response.get_data()
    content_type = response.headers.get("Content-Type", "")
    return ClientResponse(
        status=response.status_code,
        text=body.decode("utf-8", "replace") if "text" in content_type else "",
        body=body,
        headers=list(response.headers.items()),
        url=response.request.path if response.request is not None else url,
        content_type=content_type,
        history=[r.status_code for r in response.history],
    )


@pytest.fixture(params=WEB_MATRIX, ids=[f"{a}-{b}" for a, b in WEB_MATRIX])
def web_setup(request: pytest.FixtureRequest) -> tuple[str, str]:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def database_url(
    request: pytest.FixtureRequest, web_setup: tuple[str, str], tmp_path: Path
) -> Iterator[str]:
    """Overrides the root fixture: the web matrix decides the backend."""
    backend = web_setup[1]
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'ticketcore.db'}"
        return
    with server_database_for(request, backend) as url:
        yield url


@pytest.fixture
def web_factory(
    web_setup: tuple[str, str], database_url: str, tmp_path: Path, clock: FakeClock
) -> Iterator[Callable[..., SimpleNamespace]]:
    """Build a portal with chosen settings; returns a namespace with `helpdesk`, `cast`,
    `client()` (a new browser) and `adapter`."""
    made: list[Helpdesk] = []
    overrides: list[Any] = []

    def factory(*, with_cast: bool = True, **settings: Any) -> SimpleNamespace:
        settings.setdefault("secret_key", SECRET)
        settings.setdefault("mail_transport", "console")
        settings.setdefault("deliver_after_commit", False)
        helpdesk = make_helpdesk(tmp_path, database_url=database_url, clock=clock, **settings)
        made.append(helpdesk)
        ns = SimpleNamespace(helpdesk=helpdesk, adapter=web_setup[0], clock=clock)
        ns.cast = build_cast(helpdesk) if with_cast else None
        if web_setup[0] == "memory":
            portal = Portal(helpdesk)
            ns.client = lambda **kw: PortalClient(portal, **kw)
        elif web_setup[0] == "django":
            from django.test import override_settings

            from django_harness import DjangoClient, set_up_django

            set_up_django()
            override = override_settings(TICKETCORE={"OWN_ACCOUNTS": True, "HELPDESK": helpdesk})
            override.enable()
            overrides.append(override)
            ns.client = DjangoClient
        else:
            app = Flask("ticketcore_test_site")
            app.secret_key = SECRET
            app.config["TESTING"] = True
            TicketCore(app, helpdesk=helpdesk)
            ns.app = app
            ns.client = lambda: FlaskClient(app)
        return ns

    yield factory
    for override in reversed(overrides):
        override.disable()
    for helpdesk in made:
        helpdesk.close()


@pytest.fixture
def web(web_factory: Callable[..., SimpleNamespace]) -> SimpleNamespace:
    return web_factory()
