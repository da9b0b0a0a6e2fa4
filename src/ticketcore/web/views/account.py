"""The account pages: logging in (password, then a code when the account has two-factor
authentication, or a social provider), registering, email links, passwords, the profile.

The rules that shape them:

* No page tells whether an address has an account: a failed login, a reset request and a
  registration answer the same whatever the database holds (`helpdesk.accounts` sees to the
  emails; these views never branch on existence where a visitor could see it).
* A session starts only when every factor is proven: after the password, a two-factor
  account is only "pending" in the session (`tc_pending_uid`) until its code is right.
* `next=` only ever leads within the site (`ctx.safe_next`).
* When the host site owns logging in, its login page replaces ours; only the profile (name,
  zone, language, emails) stays, since those belong to the helpdesk.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from babel import Locale, UnknownLocaleError

from ...errors import InvalidInput, LoginFailed, NotFound, RateLimited
from ...notify.render import LOCALE_DIR
from ...schemas import UserOut
from .. import identity
from ..captcha import captcha_markup, captcha_refused
from ..context import RequestContext
from ..forms import Form
from ..http import Response, redirect
from ..routing import Router
from ..social import LoginProvider
from ..templating import gettext_ as _
from ..templating import ngettext_

PENDING_KEY = "tc_pending_uid"  # [user id, when the password was right, next]
PENDING_MINUTES = 10
TOTP_KEY = "tc_totp_secret"
SOCIAL_KEY = "tc_social"  # [provider name, state, next]

T = "ticketcore/account/"


def register(router: Router) -> None:
    both = ("GET", "POST")
    router.add("/account/login", "account.login", login, both)
    router.add("/account/login/code", "account.login_code", login_code, both)
    router.add("/account/logout", "account.logout", logout, ("POST",))
    router.add("/account/register", "account.register", register_account, both)
    router.add("/account/verify/<token>", "account.verify", verify, both)
    router.add("/account/forgot", "account.forgot", forgot, both)
    router.add("/account/reset/<token>", "account.reset", reset, both)
    router.add("/account/password", "account.password", password, both)
    router.add("/account/profile", "account.profile", profile, both)
    router.add("/account/two-factor", "account.two_factor", two_factor, both)
    router.add("/account/social/<provider>", "account.social", social)
    router.add("/account/social/<provider>/callback", "account.social_callback", social_callback)


# ---------------------------------------------------------------------------- logging in


def login(ctx: RequestContext) -> Response:
    next_path = _next(ctx)
    if not ctx.portal.own_accounts:
        return redirect(ctx.portal.login_url(ctx, ctx.safe_next(next_path)))
    if ctx.user is not None and ctx.request.method == "GET":
        return redirect(ctx.safe_next(next_path))
    form = ctx.form(email="", next=next_path)
    if ctx.request.method == "POST" and not captcha_refused(ctx, "login", form):
        try:
            user = ctx.helpdesk.accounts.login(
                form["email"], ctx.request.form.get("password"), address=ctx.request.remote_addr
            )
        except RateLimited as exc:
            return _login_page(ctx, form, limited=exc)
        except LoginFailed:
            form.error("password", _("The email address or the password is wrong."))
        except InvalidInput as exc:
            form.absorb(exc, shown=["email", "password"])
        else:
            return _start_session(ctx, user, next_path, _("You are logged in."))
    return _login_page(ctx, form)


def _login_page(ctx: RequestContext, form: Form, limited: RateLimited | None = None) -> Response:
    return _page(
        ctx,
        "login.html",
        form,
        limited,
        captcha=captcha_markup(ctx, "login"),
        providers=_providers(ctx).values(),
        next_path=form["next"],
    )


def login_code(ctx: RequestContext) -> Response:
    """The second step: the password was right, the code from the app is still owed."""
    _own_accounts_only(ctx)
    pending = _pending(ctx)
    if pending is None:
        ctx.flash(_("Please log in again."), "info")
        return ctx.redirect("account.login")
    user_id, next_path = pending
    form = ctx.form()
    if ctx.request.method == "POST":
        try:
            right = ctx.helpdesk.accounts.verify_second_factor(
                user_id, form["code"], address=ctx.request.remote_addr
            )
        except RateLimited as exc:
            return _page(ctx, "login_code.html", form, exc)
        if right:
            identity.log_in(ctx.helpdesk, ctx.session, user_id)
            ctx.flash(_("You are logged in."))
            return redirect(ctx.safe_next(next_path))
        form.error("code", _("This code is wrong or has expired. Enter the current code."))
    return _page(ctx, "login_code.html", form)


def logout(ctx: RequestContext) -> Response:
    identity.log_out(ctx.session)
    if ctx.portal.host_logout_url:
        return redirect(ctx.portal.host_logout_url)
    ctx.flash(_("You are logged out."), "info")
    return ctx.redirect("home")


def _start_session(ctx: RequestContext, user: UserOut, next_path: str, message: str) -> Response:
    """Log in, or ask for the code first when the account has two-factor authentication."""
    if ctx.helpdesk.accounts.needs_second_factor(user.id):
        now = ctx.helpdesk.clock.now().timestamp()
        ctx.session[PENDING_KEY] = [user.id, now, ctx.safe_next(next_path)]
        return ctx.redirect("account.login_code")
    identity.log_in(ctx.helpdesk, ctx.session, user.id)
    ctx.flash(message)
    return redirect(ctx.safe_next(next_path))


def _pending(ctx: RequestContext) -> tuple[int, str] | None:
    """The account whose password was right a moment ago, and where to go next."""
    value = ctx.session.get(PENDING_KEY)
    if not (isinstance(value, list) and len(value) == 3 and isinstance(value[0], int)):
        return None
    age = ctx.helpdesk.clock.now().timestamp() - float(value[1])
    if not 0 <= age <= PENDING_MINUTES * 60:
        ctx.session.pop(PENDING_KEY, None)
        return None
    return value[0], str(value[2])


# ---------------------------------------------------------------------------- registering


def register_account(ctx: RequestContext) -> Response:
    next_path = _next(ctx)
    if not ctx.portal.own_accounts:
        return redirect(ctx.portal.login_url(ctx, ctx.safe_next(next_path)))
    if not ctx.helpdesk.settings.allow_registration:
        raise NotFound("registration is off")
    if ctx.request.query.get("sent"):
        return ctx.render(T + "check_email.html")
    if ctx.user is not None:
        return redirect(ctx.safe_next(next_path))
    form = ctx.form(display_name="", email="", next=next_path)
    if ctx.request.method == "POST" and not captcha_refused(ctx, "register", form):
        values = ctx.request.form
        if values.get("password") != values.get("password_repeat"):
            form.error("password_repeat", _("The two passwords are not the same."))
            for problem in ctx.helpdesk.accounts.check_password(
                values.get("password"), form["email"]
            ):
                form.error("password", problem)
        else:
            try:
                result = ctx.helpdesk.accounts.register(
                    display_name=form["display_name"],
                    email=form["email"],
                    password=values.get("password"),
                )
            except InvalidInput as exc:
                form.absorb(exc, shown=["display_name", "email", "password"])
            else:
                if result.can_log_in and result.user is not None:
                    name = result.user.display_name
                    welcome = _("Welcome, %(name)s! Your account is ready.", name=name)
                    return _start_session(ctx, result.user, next_path, welcome)
                return ctx.redirect("account.register", sent="1")
    return _page(
        ctx,
        "register.html",
        form,
        captcha=captcha_markup(ctx, "register"),
        providers=_providers(ctx).values(),
        next_path=form["next"],
    )


def verify(ctx: RequestContext, token: str) -> Response:
    """Confirm the address of a new account. The link only opens a page; the button does it,
    so a mail scanner fetching the link logs no one in, and a link planted on someone else
    needs them to press it."""
    _own_accounts_only(ctx)
    form = ctx.form()
    if ctx.request.method == "POST":
        try:
            user = ctx.helpdesk.accounts.verify_email(token)
        except InvalidInput:
            form.error("", _("This link has expired or was already used."))
        else:
            return _start_session(ctx, user, "", _("Thank you: your email address is confirmed."))
    return _page(ctx, "verify.html", form)


# ---------------------------------------------------------------------------- passwords


def forgot(ctx: RequestContext) -> Response:
    _own_accounts_only(ctx)
    if ctx.request.query.get("sent"):
        return ctx.render(T + "forgot_sent.html")
    form = ctx.form(email="")
    if ctx.request.method == "POST":
        try:
            ctx.helpdesk.accounts.request_password_reset(form["email"])
        except InvalidInput as exc:
            form.absorb(exc, shown=["email"])
        else:
            return ctx.redirect("account.forgot", sent="1")
    return _page(ctx, "forgot.html", form)


def reset(ctx: RequestContext, token: str) -> Response:
    _own_accounts_only(ctx)
    form = ctx.form()
    if ctx.request.method == "POST":
        new = ctx.request.form.get("password")
        if new != ctx.request.form.get("password_repeat"):
            form.error("password_repeat", _("The two passwords are not the same."))
        else:
            try:
                user = ctx.helpdesk.accounts.reset_password(token, new)
            except InvalidInput as exc:
                form.absorb(exc, fields={"token": ""}, shown=["password"])
            else:
                return _start_session(ctx, user, "", _("Your new password is saved."))
    return _page(ctx, "reset.html", form)


def password(ctx: RequestContext) -> Response:
    _own_accounts_only(ctx)
    user = ctx.require_login()
    form = ctx.form()
    if ctx.request.method == "POST":
        values = ctx.request.form
        if values.get("password") != values.get("password_repeat"):
            form.error("password_repeat", _("The two passwords are not the same."))
        else:
            try:
                ctx.helpdesk.accounts.change_password(
                    ctx.actor, values.get("current_password"), values.get("password")
                )
            except RateLimited as exc:
                return _page(ctx, "password.html", form, exc)
            except InvalidInput as exc:
                form.absorb(exc, shown=["current_password", "password"])
            else:
                # Other sessions end with the old password; this one starts afresh.
                identity.log_in(ctx.helpdesk, ctx.session, user.id)
                ctx.flash(_("Your password is changed."))
                return ctx.redirect("account.profile")
    return _page(ctx, "password.html", form)


# ---------------------------------------------------------------------------- profile


def profile(ctx: RequestContext) -> Response:
    user = ctx.require_login()
    accounts = ctx.helpdesk.accounts
    current = accounts.profile(user.id)
    keys = list(current.notification_preferences)
    form = ctx.form(
        display_name=current.display_name,
        timezone=current.timezone,
        locale=current.locale,
        **{f"pref_{k}": "1" if on else "" for k, on in current.notification_preferences.items()},
    )
    if ctx.request.method == "POST":
        try:
            accounts.update_profile(
                ctx.actor,
                display_name=form["display_name"],
                timezone=form["timezone"],
                locale=form["locale"],
                notification_preferences={k: bool(form[f"pref_{k}"]) for k in keys},
            )
        except InvalidInput as exc:
            form.absorb(exc, shown=["display_name", "timezone", "locale"])
        else:
            ctx.flash(_("Your profile is saved."))
            return ctx.redirect("account.profile")
    return _page(
        ctx,
        "profile.html",
        form,
        profile=current,
        preferences=[(f"pref_{k}", _preference_label(k)) for k in keys],
        timezones=[(zone, zone) for zone in _timezones()],
        languages=_languages(current.locale),
    )


def two_factor(ctx: RequestContext) -> Response:
    """Set up an authenticator app (secret shown as text, confirmed by a code) or switch it
    off with the password. The secret waits in the session until a code proves the app has it."""
    _own_accounts_only(ctx)
    user = ctx.require_login()
    accounts = ctx.helpdesk.accounts
    current = accounts.profile(user.id)
    form = ctx.form()
    limited: RateLimited | None = None
    if ctx.request.method == "POST" and current.two_factor_enabled:
        try:
            accounts.disable_two_factor(ctx.actor, ctx.request.form.get("password"))
        except RateLimited as exc:
            limited = exc
        except InvalidInput as exc:
            form.absorb(exc, shown=["password"])
        else:
            ctx.flash(_("Two-factor authentication is off."), "info")
            return ctx.redirect("account.profile")
    secret = ""
    if not current.two_factor_enabled:
        secret = str(ctx.session.get(TOTP_KEY) or "") or accounts.new_totp_secret()
        ctx.session[TOTP_KEY] = secret
        if ctx.request.method == "POST":
            try:
                accounts.enable_two_factor(ctx.actor, secret, form["code"])
            except InvalidInput as exc:
                form.absorb(exc, shown=["code"])
            else:
                ctx.session.pop(TOTP_KEY, None)
                ctx.flash(_("Two-factor authentication is on."))
                return ctx.redirect("account.profile")
    required = ctx.helpdesk.settings.require_two_factor_for_agents and user.role != "customer"
    return _page(
        ctx,
        "two_factor.html",
        form,
        limited,
        enabled=current.two_factor_enabled,
        required=required,
        secret=secret,
        secret_groups=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        uri=accounts.totp_uri(secret, current.email) if secret else "",
    )


# ---------------------------------------------------------------------------- social login


def social(ctx: RequestContext, provider: str) -> Response:
    _own_accounts_only(ctx)
    chosen = _provider(ctx, provider)
    state = secrets.token_urlsafe(32)
    ctx.session[SOCIAL_KEY] = [chosen.name, state, ctx.safe_next(_next(ctx))]
    callback = ctx.absolute_url("account.social_callback", provider=chosen.name)
    return redirect(chosen.authorization_url(callback_url=callback, state=state))


def social_callback(ctx: RequestContext, provider: str) -> Response:
    """Back from the provider: the state must be the one this browser was sent with (so no one
    can finish their sign-in in someone else's browser), the address verified by the provider.
    Staff log in with their password (and code) only."""
    _own_accounts_only(ctx)
    chosen = _provider(ctx, provider)
    saved = ctx.session.pop(SOCIAL_KEY, None)
    form = ctx.form(email="", next="")
    if not (
        isinstance(saved, list)
        and len(saved) == 3
        and saved[0] == chosen.name
        and hmac.compare_digest(str(saved[1]).encode(), ctx.request.query.get("state").encode())
    ):
        form.error("", _("This sign-in could not be checked. Please try again."))
        return _login_page(ctx, form)
    form.values["next"] = next_path = str(saved[2])
    callback = ctx.absolute_url("account.social_callback", provider=chosen.name)
    try:
        external = chosen.complete(callback_url=callback, query=ctx.request.query.to_dict())
    except InvalidInput:
        form.error("", _("Signing in with %(provider)s did not work.", provider=chosen.label))
        return _login_page(ctx, form)
    if not external.email_verified:
        form.error(
            "",
            _(
                "%(provider)s has not confirmed your email address, so it cannot open an "
                "account here.",
                provider=chosen.label,
            ),
        )
        return _login_page(ctx, form)
    users = ctx.helpdesk.users
    user = users.find_by_email(external.email)
    if user is None and not ctx.helpdesk.settings.allow_registration:
        form.error("", _("There is no account for this email address."))
        return _login_page(ctx, form)
    if user is None:
        user = users.get_or_create_customer(external.email, external.display_name)
    if user.role != "customer":
        form.error("", _("Staff accounts log in with their email address and password."))
        return _login_page(ctx, form)
    if not user.is_active:
        form.error("", _("This account cannot log in."))
        return _login_page(ctx, form)
    return _start_session(ctx, user, next_path, _("You are logged in."))


def _providers(ctx: RequestContext) -> dict[str, LoginProvider]:
    helpdesk = ctx.helpdesk
    found = helpdesk.hook.register_login_providers(helpdesk=helpdesk)
    return {p.name: p for group in found if group for p in group}


def _provider(ctx: RequestContext, name: str) -> LoginProvider:
    chosen = _providers(ctx).get(name)
    if chosen is None:
        raise NotFound(f"no login provider {name}")
    return chosen


# ---------------------------------------------------------------------------- helpers


def _page(
    ctx: RequestContext,
    template: str,
    form: Form,
    limited: RateLimited | None = None,
    **values: Any,
) -> Response:
    """An account form: 400 with its errors, or 429 (and when to retry) after too many tries."""
    if limited is not None:
        form.error("", _too_many(limited))
    status = 429 if limited else 400 if form.errors else 200
    response = ctx.render(T + template, status=status, form=form, **values)
    if limited is not None:
        response.headers.append(("Retry-After", str(limited.retry_after)))
    return response


def _own_accounts_only(ctx: RequestContext) -> None:
    """Pages about ticketcore's own passwords do not exist when the host site owns logins."""
    if not ctx.portal.own_accounts:
        raise NotFound("the host site owns accounts")


def _next(ctx: RequestContext) -> str:
    return ctx.request.form.get("next") or ctx.request.query.get("next")


def _too_many(exc: RateLimited) -> str:
    minutes = -(-exc.retry_after // 60)
    return ngettext_(
        "Too many attempts. Try again in %(num)s minute.",
        "Too many attempts. Try again in %(num)s minutes.",
        minutes,
    )


_PREFERENCE_LABELS: dict[str, Callable[[], str]] = {
    "replies": lambda: _("Replies to my tickets"),
    "status": lambda: _("Status changes of my tickets"),
    "new_tickets": lambda: _("New tickets for my teams"),
    "customer_replies": lambda: _("Customer replies on tickets I handle"),
}


def _preference_label(key: str) -> str:
    label = _PREFERENCE_LABELS.get(key)
    return label() if label else key


@cache
def _timezones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def _languages(current: str) -> list[tuple[str, str]]:
    """English, every language with a catalog, and the user's own (so saving keeps it)."""
    codes = {"en", current}
    if LOCALE_DIR.is_dir():
        codes.update(d.name for d in LOCALE_DIR.iterdir() if (d / "LC_MESSAGES").is_dir())
    options = []
    for code in codes:
        try:
            name = Locale.parse(code, sep="-" if "-" in code else "_").get_display_name(code)
        except (UnknownLocaleError, ValueError, TypeError):
            continue
        options.append((code, name or code))
    return sorted(options, key=lambda option: option[1].casefold())
