"""`Portal`: the customer portal as one framework-neutral object.

An adapter builds a `Request`, calls `handle`, and sends back the `Response`. The portal finds
who is asking, checks CSRF on every POST, picks the view, and maps the core's errors to pages:
an invisible ticket and a forbidden action are both "404 Not Found" (no leak that it exists).
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from ..errors import ConfigurationError, Conflict, InvalidInput, NotFound, PermissionDenied
from ..permissions import Actor, ActorKind
from . import csrf, identity
from .context import LoginRequired, RequestContext
from .http import Request, Response, redirect
from .routing import MethodNotAllowed, Router
from .templating import STATIC_DIR, gettext_, make_environment, use_language
from .views import register_views

if TYPE_CHECKING:
    from ..helpdesk import Helpdesk

log = logging.getLogger(__name__)

SECURITY_HEADERS = [
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    (
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'self'",
    ),
]


class Portal:
    """The customer portal of one helpdesk.

    `template_dirs` are searched before the packaged templates. With `host_login_url` the host
    site owns logging in (its users arrive as `Request.host_user`), and the portal's own
    account pages send people there instead.
    """

    def __init__(
        self,
        helpdesk: Helpdesk,
        *,
        template_dirs: Sequence[str | Path] = (),
        host_login_url: str | None = None,
        host_logout_url: str | None = None,
    ) -> None:
        if not helpdesk.settings.secret_key:
            raise ConfigurationError(
                "the portal needs a secret key: set TICKETCORE_SECRET_KEY (or the host "
                "framework's secret key) to a long random value"
            )
        self.helpdesk = helpdesk
        self.host_login_url = host_login_url
        self.host_logout_url = host_logout_url
        extra_dirs = [
            d for dirs in helpdesk.hook.register_template_dirs(helpdesk=helpdesk) for d in dirs
        ]
        self.environment = make_environment([*template_dirs, *extra_dirs])
        helpdesk.hook.prepare_jinja_environment(helpdesk=helpdesk, environment=self.environment)
        self.router = Router()
        register_views(self.router, helpdesk.settings.agent_path)

    @property
    def own_accounts(self) -> bool:
        """True when people log in with ticketcore accounts rather than the host's."""
        return self.host_login_url is None

    # ------------------------------------------------------------------ dispatch

    def handle(self, request: Request) -> Response:
        if request.path.startswith("/static/"):
            return self.static_file(request.path.removeprefix("/static/"))
        with self.helpdesk.shared_reads():
            return self._handle(request)

    def _handle(self, request: Request) -> Response:
        self.helpdesk.site_settings.refresh()  # another process may have changed them
        try:
            user, actor, expired = identity.identify(
                self.helpdesk, request.session, request.host_user
            )
        except (InvalidInput, Conflict) as exc:  # the host's user cannot have an account
            use_language("en", "UTC")
            ctx = RequestContext(self, request, None, Actor.anonymous())
            response = self.error_page(
                ctx,
                403,
                gettext_("Your account cannot use the support portal"),
                gettext_("The site's account has a problem: %(problem)s", problem=str(exc)),
            )
        else:
            use_language(user.locale if user else "en", user.timezone if user else "UTC")
            ctx = RequestContext(self, request, user, actor)
            if expired:
                ctx.flash(gettext_("Your session ended. Please log in again."), "info")
            response = self._dispatch(ctx)
        present = {name.lower() for name, _ in response.headers}
        for name, value in [*SECURITY_HEADERS, ("Cache-Control", "private, no-store")]:
            if name.lower() not in present:  # a view's own (an attachment's sandbox) wins
                response.headers.append((name, value))
        return response

    def _dispatch(self, ctx: RequestContext) -> Response:
        request = ctx.request
        try:
            route, params = self.router.match(request.method, request.path)
            if request.method == "POST" and not csrf.is_valid(request):
                return self.error_page(
                    ctx,
                    400,
                    gettext_("This form has expired"),
                    gettext_("Go back, reload the page and send the form again."),
                )
            gate = self._gate(ctx, route.name)
            if gate is not None:
                return gate
            response: Response = route.view(ctx, **params)
            return response
        except LoginRequired:
            target = request.script_root + request.path
            if request.query.to_dict():
                target += "?" + urlencode(request.query.to_dict())
            return redirect(self.login_url(ctx, target))
        except (NotFound, PermissionDenied):
            return self._not_found(ctx)
        except MethodNotAllowed as exc:
            if self._agent_path(request.path) and not ctx.actor.is_staff:
                return self._not_found(ctx)  # not even the shape of the agent portal's URLs
            response = self.error_page(ctx, 405, gettext_("Method not allowed"), "")
            response.headers.append(("Allow", ", ".join(exc.allowed)))
            return response
        except Conflict as exc:
            return self.error_page(ctx, 409, gettext_("That did not work"), str(exc))
        except InvalidInput as exc:
            return self.error_page(ctx, 400, gettext_("That did not work"), str(exc))

    def _not_found(self, ctx: RequestContext) -> Response:
        return self.error_page(
            ctx,
            404,
            gettext_("Page not found"),
            gettext_("There is nothing here, or you may not see it."),
        )

    def _agent_path(self, path: str) -> bool:
        prefix = self.helpdesk.settings.agent_path
        return path == prefix or path.startswith(prefix + "/")

    def _gate(self, ctx: RequestContext, route_name: str) -> Response | None:
        """The agent portal is for staff only (customers get 404, as if it did not exist), its
        administration for admins only; and staff who must set up two-factor authentication see
        nothing else until they have."""
        if route_name.startswith("agent."):
            ctx.require_login()
            if not ctx.actor.is_staff or (
                route_name.startswith("agent.admin.") and ctx.actor.kind is not ActorKind.ADMIN
            ):
                raise NotFound("no such page")
        user = ctx.user
        if (
            user is None
            or not self.own_accounts
            or route_name.startswith("account.")
            or not self.helpdesk.accounts.two_factor_required(user)
        ):
            return None
        ctx.flash(gettext_("Set up two-factor authentication to continue."), "info")
        return ctx.redirect("account.two_factor")

    def login_url(self, ctx: RequestContext, next_path: str) -> str:
        if self.host_login_url is not None:
            return f"{self.host_login_url}?{urlencode({'next': next_path})}"
        return ctx.url("account.login", next=next_path)

    # ------------------------------------------------------------------ rendering

    def render(self, ctx: RequestContext, template: str, values: dict[str, Any]) -> str:
        settings = self.helpdesk.settings
        context = {
            "ctx": ctx,
            "user": ctx.user,
            "actor": ctx.actor,
            "settings": settings,
            "site_name": settings.site_name,
            "url": ctx.url,
            "csrf_token": ctx.csrf_token(),
            "csrf_field": ctx.csrf_field,
            "static_url": ctx.static_url,
            "flashes": ctx.take_flashes(),
            "own_accounts": self.own_accounts,
            **values,
        }
        if ctx.user is None:
            context.setdefault("login_url", self.login_url(ctx, ctx.request.script_root + "/"))
        return self.environment.get_template(template).render(context)

    def error_page(self, ctx: RequestContext, status: int, title: str, detail: str) -> Response:
        return ctx.render(
            "ticketcore/customer/error.html", status=status, title=title, detail=detail
        )

    def static_file(self, name: str) -> Response:
        root = STATIC_DIR.resolve()
        path = (root / name).resolve()
        if not path.is_file() or root not in path.parents:
            return Response(b"not found", status=404, content_type="text/plain; charset=utf-8")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type == "application/javascript":
            content_type += "; charset=utf-8"
        return Response(
            path.read_bytes(),
            content_type=content_type,
            headers=[
                ("Cache-Control", "public, max-age=3600"),
                ("X-Content-Type-Options", "nosniff"),
            ],
        )
