"""The request/response contract between the portal and a web framework.

An adapter turns its framework's request into a `Request`, calls `Portal.handle`, and turns the
`Response` back. Nothing here knows Flask or Django, so the same views serve both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from ..schemas import UploadedFile

__all__ = ["HostCsrf", "HostUser", "Params", "Request", "Response", "UploadedFile", "redirect"]


class Params:
    """Query or form values: several per name, `get` gives the first (as a browser sends them)."""

    def __init__(self, values: Mapping[str, Iterable[str]] | None = None) -> None:
        self._values: dict[str, list[str]] = {k: list(v) for k, v in (values or {}).items()}

    def get(self, name: str, default: str = "") -> str:
        found = self._values.get(name)
        return found[0] if found else default

    def getlist(self, name: str) -> list[str]:
        return list(self._values.get(name, []))

    def __contains__(self, name: object) -> bool:
        return name in self._values

    def to_dict(self) -> dict[str, str]:
        return {k: v[0] for k, v in self._values.items() if v}


@dataclass(frozen=True)
class HostUser:
    """The host site's logged-in user, as an adapter's user loader reports them.

    `role` lets a host make its staff agents or admins; None leaves the ticketcore account's
    role as it is (new accounts are customers).
    """

    external_id: str
    email: str
    display_name: str = ""
    role: str | None = None


@dataclass(frozen=True)
class HostCsrf:
    """The host framework's own CSRF protection (Django's), used instead of the portal's: its
    token and field name go into every form, and its verdict on this request stands."""

    token: str
    field: str
    valid: bool


@dataclass(frozen=True)
class Request:
    """One HTTP request as the portal sees it.

    `path` is below the mount point (`/tickets/ABC-DEF-2345`); `script_root` is the mount point
    as the browser sees it (`/support`). `session` is the framework's signed session, written
    back by the adapter. `host_csrf` replaces the portal's CSRF tokens with the host's;
    `static_url` maps a static file name (`ticketcore/portal.css`) to the host's address for it
    (Django's staticfiles), else the portal serves its files itself.
    """

    method: str
    path: str
    script_root: str = ""
    query: Params = field(default_factory=Params)
    form: Params = field(default_factory=Params)
    files: Mapping[str, list[UploadedFile]] = field(default_factory=dict)
    session: MutableMapping[str, Any] = field(default_factory=dict)
    remote_addr: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    host_user: HostUser | None = None
    host_csrf: HostCsrf | None = None
    static_url: Callable[[str], str] | None = None

    def uploads(self, name: str) -> list[UploadedFile]:
        """The files sent in field `name`, without the empty part a browser sends for none."""
        return [f for f in self.files.get(name, []) if f.filename]


@dataclass
class Response:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def location(self) -> str | None:
        return next((v for k, v in self.headers if k.lower() == "location"), None)


def redirect(url: str, status: int = 303) -> Response:
    """See Other: after a POST the browser loads the page with GET, so reload never re-posts."""
    return Response(status=status, headers=[("Location", url)])
