"""Everything a view needs about the request it answers: who is asking, how to render, link
and redirect, and the one-time messages shown on the next page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit

from ..errors import InvalidInput
from ..permissions import Actor, ActorKind
from ..schemas import UserOut
from . import csrf
from .forms import Form
from .http import Request, Response, redirect
from .templating import gettext_ as _

if TYPE_CHECKING:
    from ..helpdesk import Helpdesk
    from .portal import Portal

FLASH_KEY = "tc_flash"


class LoginRequired(Exception):
    """Raised by a view that needs an account; the portal answers with the login page."""


class RequestContext:
    def __init__(
        self, portal: Portal, request: Request, user: UserOut | None, actor: Actor
    ) -> None:
        self.portal = portal
        self.request = request
        self.user = user
        self.actor = actor

    @property
    def helpdesk(self) -> Helpdesk:
        return self.portal.helpdesk

    @property
    def session(self) -> Any:
        return self.request.session

    @property
    def is_customer(self) -> bool:
        return self.actor.kind is ActorKind.CUSTOMER

    # ------------------------------------------------------------------ links

    def url(self, name: str, **params: Any) -> str:
        return self.request.script_root + self.portal.router.path_for(name, **params)

    def absolute_url(self, name: str, **params: Any) -> str:
        """For emails and plugins: the site address configured in settings, not the request's."""
        base = self.helpdesk.settings.site_url.rstrip("/")
        return base + self.portal.router.path_for(name, **params)

    def safe_next(self, value: str, default: str = "") -> str:
        """`next=` only ever leads within the site: a path, never another host or scheme."""
        parts = urlsplit(value)
        if (
            value.startswith("/")
            and not value.startswith("//")
            and not value.startswith("/\\")
            and not parts.scheme
            and not parts.netloc
            and "\\" not in value
        ):
            return value
        return default or self.url("home")

    # -------------------------------------------------------------- responses

    def render(self, template: str, status: int = 200, **values: Any) -> Response:
        body = self.portal.render(self, template, values)
        return Response(body=body.encode(), status=status)

    def redirect(self, name: str, **params: Any) -> Response:
        return redirect(self.url(name, **params))

    def flash(self, text: str, category: str = "success") -> None:
        messages = list(self.session.get(FLASH_KEY, []))
        messages.append([category, text])
        self.session[FLASH_KEY] = messages

    def take_flashes(self) -> list[tuple[str, str]]:
        messages = self.session.pop(FLASH_KEY, [])
        return [(str(c), str(t)) for c, t in messages]

    def csrf_token(self) -> str:
        if self.request.host_csrf is not None:
            return self.request.host_csrf.token
        return csrf.token(self.session)

    @property
    def csrf_field(self) -> str:
        return self.request.host_csrf.field if self.request.host_csrf else csrf.FIELD

    def static_url(self, filename: str) -> str:
        if self.request.static_url is not None:
            return self.request.static_url(filename)
        return self.url("static", filename=filename)

    # ------------------------------------------------------------------ rules

    def require_login(self) -> UserOut:
        if self.user is None:
            raise LoginRequired()
        return self.user

    def require_post(self) -> None:
        if self.request.method != "POST":
            raise InvalidInput(_("this page takes a form"))

    def form(self, **defaults: Any) -> Form:
        """The submitted values (or `defaults` on GET), ready to re-render with errors."""
        if self.request.method == "POST":
            return Form(self.request.form.to_dict())
        return Form({k: "" if v is None else str(v) for k, v in defaults.items()})

    def abort_not_found(self) -> NoReturn:
        from ..errors import NotFound

        raise NotFound("not found")
