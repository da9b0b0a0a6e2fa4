"""`PortalClient`: drives a `Portal` in memory, the way a browser would, for tests of a host
site or a plugin. No web framework needed.

    client = PortalClient(Portal(helpdesk))
    page = client.get("/support/")
    client.post("/support/account/login", {"email": "…", "password": "…"})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import csrf, identity
from .http import HostUser, Params, Request, Response, UploadedFile
from .portal import Portal

File = tuple[str, str, bytes, str]  # field, filename, content, content type


@dataclass
class ClientResponse:
    status: int
    text: str
    body: bytes
    headers: list[tuple[str, str]]
    url: str
    content_type: str = ""
    history: list[int] = field(default_factory=list)

    @property
    def location(self) -> str | None:
        return next((v for k, v in self.headers if k.lower() == "location"), None)

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


class PortalClient:
    """A browser in memory: keeps the session, follows redirects, sends the form's CSRF token."""

    def __init__(
        self,
        portal: Portal,
        *,
        script_root: str | None = None,
        remote_addr: str = "127.0.0.1",
        host_user: HostUser | None = None,
    ) -> None:
        self.portal = portal
        self.script_root = (
            portal.helpdesk.settings.url_prefix if script_root is None else script_root
        )
        self.remote_addr = remote_addr
        self.host_user = host_user
        self.session: dict[str, Any] = {}

    def get(self, url: str, *, follow: bool = True) -> ClientResponse:
        return self._send("GET", url, {}, (), follow)

    def post(
        self,
        url: str,
        data: Mapping[str, str | Sequence[str]] | None = None,
        *,
        files: Sequence[File] = (),
        follow: bool = True,
        csrf_token: bool = True,
    ) -> ClientResponse:
        form = {k: [v] if isinstance(v, str) else list(v) for k, v in (data or {}).items()}
        if csrf_token and csrf.FIELD not in form:
            form[csrf.FIELD] = [csrf.token(self.session)]
        return self._send("POST", url, form, files, follow)

    def log_in_as(self, user_id: int) -> None:
        """Start a logged-in session without the login form (for tests about other pages)."""
        identity.log_in(self.portal.helpdesk, self.session, user_id)

    def _send(
        self,
        method: str,
        url: str,
        form: dict[str, list[str]],
        files: Sequence[File],
        follow: bool,
    ) -> ClientResponse:
        history: list[int] = []
        while True:
            response = self.portal.handle(self._request(method, url, form, files))
            if not (follow and response.status in (301, 302, 303, 307, 308)):
                return _wrap(response, url, history)
            history.append(response.status)
            if len(history) > 10:
                raise RuntimeError(f"too many redirects from {url}")
            url = response.location or "/"
            method, form, files = "GET", {}, ()

    def _request(
        self, method: str, url: str, form: dict[str, list[str]], files: Sequence[File]
    ) -> Request:
        parts = urlsplit(url)
        if not parts.path.startswith(self.script_root):
            raise ValueError(f"{url} is not below the portal's {self.script_root}")
        uploads: dict[str, list[UploadedFile]] = {}
        for name, filename, content, content_type in files:
            uploads.setdefault(name, []).append(
                UploadedFile(filename=filename, content=content, content_type=content_type)
            )
        return Request(
            method=method,
            path=parts.path[len(self.script_root) :] or "/",
            script_root=self.script_root,
            query=Params(parse_qs(parts.query, keep_blank_values=True)),
            form=Params(form),
            files=uploads,
            session=self.session,
            remote_addr=self.remote_addr,
            host_user=self.host_user,
        )


def _wrap(response: Response, url: str, history: list[int]) -> ClientResponse:
    text = response.body.decode("utf-8", "replace") if "text" in response.content_type else ""
    return ClientResponse(
        status=response.status,
        text=text,
        body=response.body,
        headers=response.headers,
        url=url,
        content_type=response.content_type,
        history=history,
    )
