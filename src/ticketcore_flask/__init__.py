"""Flask adapter: mounts ticketcore's portals into an existing Flask app.

    from ticketcore_flask import TicketCore
    ticketcore = TicketCore(app)          # or TicketCore() + ticketcore.init_app(app)

Only translation lives here: configuration (`TICKETCORE_*` keys of `app.config`), requests and
responses, the host's logged-in user, and the `flask ticketcore` command group. The portals are
framework-neutral, in `ticketcore.web`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click
import flask
from flask import Blueprint, Flask, current_app
from flask.cli import with_appcontext

from ticketcore import Helpdesk, Settings
from ticketcore.cli import CliState, add_commands
from ticketcore.web import HostUser, Params, Portal, Request, Response, UploadedFile

__all__ = ["HostUser", "TicketCore"]

EXTENSION = "ticketcore"
UserLoader = Callable[[], HostUser | None]


class TicketCore:
    """The support desk of one Flask app: its `helpdesk` and the customer `portal`.

    `user_loader` returns the host's logged-in user as a `HostUser` (or None); without one,
    Flask-Login's `current_user` is used when Flask-Login is set up, else ticketcore's own
    accounts. `login_url` is where the portal sends people to log in when the host owns
    logging in (default: Flask-Login's `login_view`).
    """

    def __init__(
        self,
        app: Flask | None = None,
        *,
        helpdesk: Helpdesk | None = None,
        user_loader: UserLoader | None = None,
        login_url: str | None = None,
        template_dirs: Sequence[str | Path] = (),
    ) -> None:
        self._helpdesk = helpdesk
        self._user_loader = user_loader
        self._login_url = login_url
        self.template_dirs = tuple(template_dirs)
        if app is not None:
            self.init_app(app)

    def user_loader(self, loader: UserLoader) -> UserLoader:
        """Decorator form of the `user_loader` argument (call before `init_app`)."""
        self._user_loader = loader
        return loader

    def init_app(self, app: Flask) -> None:
        if EXTENSION in app.extensions:
            raise RuntimeError(
                "ticketcore is already set up on this app: call TicketCore(app) or "
                "init_app(app) once"
            )
        helpdesk = self._helpdesk or Helpdesk(self._settings(app))
        loader = self._user_loader or _flask_login_loader(app)
        login_url = self._login_url
        if loader is not None and login_url is None:
            login_url = _flask_login_url(app)
        portal = Portal(
            helpdesk,
            template_dirs=self.template_dirs,
            host_login_url=login_url if loader is not None else None,
        )
        state = _State(helpdesk, portal, loader)
        app.extensions[EXTENSION] = state
        app.register_blueprint(_blueprint(), url_prefix=helpdesk.settings.url_prefix)
        app.cli.add_command(_command_group())

    @staticmethod
    def _settings(app: Flask) -> Settings:
        values = {k: v for k, v in app.config.items() if k.startswith("TICKETCORE_")}
        if not values.get("TICKETCORE_SECRET_KEY") and app.secret_key:
            values["TICKETCORE_SECRET_KEY"] = str(app.secret_key)
        return Settings.from_mapping(values, prefix="TICKETCORE_")

    @staticmethod
    def helpdesk_of(app: Flask) -> Helpdesk:
        return _state(app).helpdesk


class _State:
    def __init__(self, helpdesk: Helpdesk, portal: Portal, loader: UserLoader | None) -> None:
        self.helpdesk = helpdesk
        self.portal = portal
        self.loader = loader


def _state(app: Flask) -> _State:
    state = app.extensions.get(EXTENSION)
    if not isinstance(state, _State):
        raise RuntimeError("ticketcore is not set up on this app: call TicketCore(app)")
    return state


def _blueprint() -> Blueprint:
    blueprint = Blueprint("ticketcore", __name__)
    methods = ["GET", "POST"]
    blueprint.add_url_rule("/", "portal", _view, methods=methods, defaults={"path": ""})
    blueprint.add_url_rule("/<path:path>", "portal", _view, methods=methods)
    return blueprint


def _view(path: str) -> flask.Response:
    state = _state(current_app)
    request = flask.request
    files = {
        name: [
            UploadedFile(
                filename=f.filename or "", content=f.read(), content_type=f.mimetype or None
            )
            for f in request.files.getlist(name)
        ]
        for name in request.files
    }
    if not current_app.secret_key:
        raise RuntimeError("set app.secret_key: the portal keeps its session in Flask's")
    portal_request = Request(
        method=request.method,
        path="/" + path,
        script_root=request.script_root + state.helpdesk.settings.url_prefix,
        query=Params(request.args.to_dict(flat=False)),
        form=Params(request.form.to_dict(flat=False)),
        files=files,
        session=flask.session,
        remote_addr=request.remote_addr or "",
        headers=dict(request.headers),
        host_user=state.loader() if state.loader is not None else None,
    )
    return _to_flask(state.portal.handle(portal_request))


def _to_flask(response: Response) -> flask.Response:
    result = flask.Response(response.body, status=response.status)
    result.headers["Content-Type"] = response.content_type
    for name, value in response.headers:
        result.headers.add(name, value)
    return result


def _flask_login_loader(app: Flask) -> UserLoader | None:
    """The Flask-Login user as a `HostUser`, when the app uses Flask-Login."""
    if getattr(app, "login_manager", None) is None:
        return None
    from flask_login import current_user

    def load() -> HostUser | None:
        user: Any = current_user
        if not getattr(user, "is_authenticated", False):
            return None
        return HostUser(
            external_id=str(user.get_id()),
            email=str(user.email),
            display_name=str(getattr(user, "name", "") or getattr(user, "display_name", "")),
        )

    return load


def _flask_login_url(app: Flask) -> str | None:
    view = getattr(getattr(app, "login_manager", None), "login_view", None)
    if not view:
        return None
    with app.test_request_context():
        return flask.url_for(view)


def _command_group() -> click.Group:
    @click.group("ticketcore", help="Run and maintain the ticketcore helpdesk of this app.")
    @click.pass_context
    @with_appcontext
    def group(ctx: click.Context) -> None:
        ctx.obj = CliState(helpdesk=_state(current_app).helpdesk)

    add_commands(group)
    return group
