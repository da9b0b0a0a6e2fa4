"""The account pages, driven as a person would: by label and button text.

Logging in (password, code, social provider), registering, email links, passwords, profile and
two-factor set-up; and the attacks on them: guessing (rate limit), open redirects through
`next=`, forged forms (CSRF), planted social-login states, and pages that would tell whether
an address has an account.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from sqlalchemy import select

from ticketcore import hookimpl
from ticketcore.errors import InvalidInput
from ticketcore.models import OutboxMessage
from ticketcore.testing import temporary_plugin
from ticketcore.web import Portal, identity
from ticketcore.web.http import HostUser
from ticketcore.web.social import ExternalIdentity
from ticketcore.web.testclient import ClientResponse, PortalClient

PASSWORD = "correct horse 42"  # as in conftest
NEW_PASSWORD = "brand new secret 7"
LOGIN = "/support/account/login"
REGISTER = "/support/account/register"
PROFILE = "/support/account/profile"
TWO_FACTOR = "/support/account/two-factor"


# ---------------------------------------------------------------------------- helpers


def with_password(web: SimpleNamespace, user: Any, password: str = PASSWORD) -> Any:
    web.helpdesk.users.set_password(web.cast.system, user.id, password)
    return user


def log_in(
    client: Any, email: str, password: str = PASSWORD, *, follow: bool = True, **extra: str
) -> ClientResponse:
    page: ClientResponse = client.post(
        LOGIN, {"email": email, "password": password, **extra}, follow=follow
    )
    return page


def registration(name: str = "Zoe Quinn", email: str = "zoe@example.org", **extra: str) -> dict:
    return {
        "display_name": name,
        "email": email,
        "password": PASSWORD,
        "password_repeat": PASSWORD,
        **extra,
    }


def logged_in(client: Any) -> bool:
    """What the header says: a "Log out" button only for a logged-in visitor."""
    return "Log out" in client.get("/support/").text


def mails(web: SimpleNamespace, recipient: str, event: str) -> list[OutboxMessage]:
    with web.helpdesk.sessionmaker() as session:
        return list(
            session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.recipient == recipient, OutboxMessage.event == event)
                .order_by(OutboxMessage.id)
            )
        )


def link_in(web: SimpleNamespace, recipient: str, event: str, kind: str) -> str:
    """The portal path of the last `kind` link (verify, reset) emailed to `recipient`."""
    body = mails(web, recipient, event)[-1].body_text
    found = re.search(rf"https?://\S+/account/{kind}/[\w.\-]+", body)
    assert found, body
    return urlsplit(found.group(0)).path


def error_beside(page: ClientResponse, field: str) -> str:
    found = re.search(rf'<p class="tc-error" id="{field}-error">([^<]*)</p>', page.text)
    return found.group(1) if found else ""


def path_of(location: str | None) -> str:
    assert location is not None
    parts = urlsplit(location)
    assert parts.netloc in ("", "localhost"), location
    return parts.path


def totp_secret(page: ClientResponse) -> str:
    found = re.search(r'<code class="tc-secret" aria-label="Key">([A-Z2-7 ]+)</code>', page.text)
    assert found, page.text
    return found.group(1).replace(" ", "")


# ---------------------------------------------------------------------------- registering


def test_register_logs_the_new_customer_in(web: SimpleNamespace) -> None:
    client = web.client()
    page = client.get(REGISTER)
    assert page.status == 200
    for label in ("Your name", "Email address", "Password", "Repeat the password"):
        assert f">{label}" in page.text
    page = client.post(REGISTER, registration())
    assert page.status == 200
    assert "Welcome, Zoe Quinn! Your account is ready." in page.text
    assert "Zoe Quinn" in page.text and "Log out" in page.text
    user = web.helpdesk.users.find_by_email("zoe@example.org")
    assert user is not None and user.role == "customer"


def test_register_keeps_the_input_and_explains_a_weak_password(web: SimpleNamespace) -> None:
    client = web.client()
    page = client.post(REGISTER, registration(password="short", password_repeat="short"))
    assert page.status == 400
    assert 'value="Zoe Quinn"' in page.text and 'value="zoe@example.org"' in page.text
    assert error_beside(page, "password") == "must be at least 10 characters"
    assert 'value="short"' not in page.text
    assert web.helpdesk.users.find_by_email("zoe@example.org") is None


def test_register_wants_the_password_twice(web: SimpleNamespace) -> None:
    page = web.client().post(REGISTER, registration(password_repeat="something else 9"))
    assert page.status == 400
    assert error_beside(page, "password_repeat") == "The two passwords are not the same."
    assert 'value="zoe@example.org"' in page.text


def test_register_escapes_what_people_type(web: SimpleNamespace) -> None:
    page = web.client().post(REGISTER, registration(name="<script>alert(1)</script>"))
    assert page.status == 200
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_a_taken_address_looks_like_a_new_one(web_factory: Callable[..., Any]) -> None:
    web = web_factory(email_verification=True)
    with_password(web, web.cast.carol)
    new = web.client().post(REGISTER, registration())
    taken = web.client().post(REGISTER, registration(email=web.cast.carol.email))
    assert new.status == taken.status == 200
    assert new.url == taken.url
    assert new.text == taken.text
    assert "Check your email" in new.text
    # The owner of the address learns what happened by email; the visitor does not.
    assert mails(web, web.cast.carol.email, "account_exists")
    assert mails(web, "zoe@example.org", "account_verify")


def test_registration_switched_off(web_factory: Callable[..., Any]) -> None:
    web = web_factory(allow_registration=False)
    client = web.client()
    assert client.get(REGISTER).status == 404
    assert client.post(REGISTER, registration()).status == 404
    assert ">Register<" not in client.get("/support/").text


def test_verification_link_confirms_and_logs_in(web_factory: Callable[..., Any]) -> None:
    web = web_factory(email_verification=True)
    client = web.client()
    page = client.post(REGISTER, registration())
    assert "Check your email" in page.text and not logged_in(client)

    page = log_in(client, "zoe@example.org")
    assert page.status == 400
    assert "confirm your email address first" in error_beside(page, "email")

    link = link_in(web, "zoe@example.org", "account_verify", "verify")
    page = client.get(link)  # a mail scanner following the link logs no one in
    assert page.status == 200 and "Confirm my email address" in page.text
    assert not logged_in(client)
    page = client.post(link)
    assert "your email address is confirmed" in page.text
    assert "Zoe Quinn" in page.text and logged_in(client)

    client.post("/support/account/logout")
    assert log_in(client, "zoe@example.org").status == 200 and logged_in(client)


def test_a_forged_verification_link_does_nothing(web: SimpleNamespace) -> None:
    client = web.client()
    page = client.post("/support/account/verify/not-a-real-token")
    assert page.status == 400
    assert "This link has expired or was already used." in page.text
    assert not logged_in(client)


# ---------------------------------------------------------------------------- logging in


def test_login_and_logout(web: SimpleNamespace) -> None:
    with_password(web, web.cast.carol)
    client = web.client()
    page = client.get(LOGIN)
    assert ">Email address" in page.text and ">Password" in page.text
    page = log_in(client, "Carol@Acme.example.com")
    assert page.status == 200 and "You are logged in." in page.text
    assert "Carol" in page.text and logged_in(client)

    page = client.post("/support/account/logout")
    assert "You are logged out." in page.text and not logged_in(client)


def test_wrong_password_gets_one_generic_answer(web: SimpleNamespace) -> None:
    with_password(web, web.cast.carol)
    client = web.client()
    wrong = log_in(client, web.cast.carol.email, "not my password 1")
    unknown = log_in(client, "nobody@example.org", "not my password 1")
    assert wrong.status == unknown.status == 400
    message = "The email address or the password is wrong."
    assert error_beside(wrong, "password") == error_beside(unknown, "password") == message
    assert f'value="{web.cast.carol.email}"' in wrong.text
    assert "not my password 1" not in wrong.text
    assert not logged_in(client)


def test_login_is_paused_after_too_many_failures(web: SimpleNamespace) -> None:
    with_password(web, web.cast.carol)
    client = web.client()
    for _ in range(web.helpdesk.settings.login_max_failures):
        assert log_in(client, web.cast.carol.email, "guess 12345").status == 400
    page = log_in(client, web.cast.carol.email)  # even the right password waits
    assert page.status == 429
    assert "Too many attempts. Try again in 15 minutes." in page.text
    assert page.header("Retry-After") == str(15 * 60)
    assert f'value="{web.cast.carol.email}"' in page.text
    assert not logged_in(client)

    web.clock.advance(minutes=16)
    assert log_in(client, web.cast.carol.email).status == 200 and logged_in(client)


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]
)
def test_login_never_leaves_the_site(web: SimpleNamespace, target: str) -> None:
    with_password(web, web.cast.carol)
    client = web.client()
    page = client.get(f"{LOGIN}?next={target}")
    assert page.status == 200
    page = log_in(client, web.cast.carol.email, next=target, follow=False)
    assert page.status == 303
    assert path_of(page.location) == "/support/"


def test_next_is_escaped_on_the_login_page(web: SimpleNamespace) -> None:
    page = web.client().get(f'{LOGIN}?next="><script>alert(1)</script>')
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;" in page.text


def test_login_returns_to_the_page_asked_for(web: SimpleNamespace) -> None:
    with_password(web, web.cast.carol)
    client = web.client()
    page = client.get("/support/account/profile", follow=False)
    assert path_of(page.location) == LOGIN
    assert parse_qs(urlsplit(page.location or "").query)["next"] == ["/support/account/profile"]

    page = log_in(client, web.cast.carol.email, next="/support/tickets", follow=False)
    assert path_of(page.location) == "/support/tickets"


def test_logout_needs_a_posted_form_with_its_token(web: SimpleNamespace) -> None:
    client = web.client()
    client.log_in_as(web.cast.carol.id)
    assert client.get("/support/account/logout").status == 405
    assert client.post("/support/account/logout", csrf_token=False).status == 400
    assert logged_in(client)
    client.post("/support/account/logout")
    assert not logged_in(client)


def test_login_form_needs_its_token(web: SimpleNamespace) -> None:
    with_password(web, web.cast.carol)
    client = web.client()
    page = client.post(
        LOGIN, {"email": web.cast.carol.email, "password": PASSWORD}, csrf_token=False
    )
    assert page.status == 400 and not logged_in(client)


def test_session_ends_after_idle_minutes(web: SimpleNamespace) -> None:
    client = web.client()
    client.log_in_as(web.cast.carol.id)
    assert client.get(PROFILE).status == 200
    web.clock.advance(minutes=web.helpdesk.settings.session_idle_minutes - 1)
    assert client.get(PROFILE).status == 200  # each page keeps it alive
    web.clock.advance(minutes=web.helpdesk.settings.session_idle_minutes + 1)
    page = client.get(PROFILE)
    assert "Your session ended. Please log in again." in page.text
    assert ">Password" in page.text and not logged_in(client)


def test_the_last_seen_time_is_rewritten_at_most_once_a_minute(web: SimpleNamespace) -> None:
    session: dict[str, object] = {}
    identity.log_in(web.helpdesk, session, web.cast.carol.id)
    logged_in_at = session[identity.SEEN_KEY]
    web.clock.advance(seconds=identity.SEEN_EVERY_SECONDS - 1)
    user, _, expired = identity.identify(web.helpdesk, session, None)
    assert user is not None and not expired
    assert session[identity.SEEN_KEY] == logged_in_at  # unchanged: the host saves nothing
    web.clock.advance(seconds=1)
    identity.identify(web.helpdesk, session, None)
    assert session[identity.SEEN_KEY] == web.helpdesk.clock.now().timestamp()


# ---------------------------------------------------------------------------- passwords


def test_forgot_password_says_the_same_for_any_address(web: SimpleNamespace) -> None:
    with_password(web, web.cast.carol)
    client = web.client()
    assert "Send me a link" in client.get("/support/account/forgot").text
    known = client.post("/support/account/forgot", {"email": web.cast.carol.email})
    unknown = client.post("/support/account/forgot", {"email": "nobody@example.org"})
    assert known.status == unknown.status == 200
    assert known.text == unknown.text
    assert "If an account exists for that address, we sent a link" in known.text
    assert len(mails(web, web.cast.carol.email, "account_reset")) == 1
    assert mails(web, "nobody@example.org", "account_reset") == []


def test_the_forgot_link_of_the_account_exists_email_works(web: SimpleNamespace) -> None:
    page = web.client().get("/support/account/forgot")
    assert page.status == 200 and "Send me a link" in page.text


def test_forgot_password_wants_an_address(web: SimpleNamespace) -> None:
    page = web.client().post("/support/account/forgot", {"email": "not an address"})
    assert page.status == 400 and error_beside(page, "email")
    assert 'value="not an address"' in page.text


def test_reset_link_works_once(web: SimpleNamespace) -> None:
    carol = with_password(web, web.cast.carol)
    client = web.client()
    client.post("/support/account/forgot", {"email": carol.email})
    link = link_in(web, carol.email, "account_reset", "reset")

    page = client.get(link)
    assert ">New password" in page.text and ">Repeat the new password" in page.text
    page = client.post(link, {"password": NEW_PASSWORD, "password_repeat": "other one 99"})
    assert page.status == 400 and error_beside(page, "password_repeat")
    page = client.post(link, {"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD})
    assert "Your new password is saved." in page.text and logged_in(client)

    client.post("/support/account/logout")
    page = client.post(
        link, {"password": "third password 3", "password_repeat": "third password 3"}
    )
    assert page.status == 400
    assert "this link has expired or was already used" in page.text
    assert not logged_in(client)
    assert log_in(client, carol.email, PASSWORD).status == 400
    assert log_in(client, carol.email, NEW_PASSWORD).status == 200


def test_change_password_needs_the_current_one(web: SimpleNamespace) -> None:
    carol = with_password(web, web.cast.carol)
    other_browser = web.client()
    log_in(other_browser, carol.email)
    client = web.client()
    log_in(client, carol.email)
    assert client.get("/support/account/password").status == 200

    data = {"current_password": "wrong one 123", "password": NEW_PASSWORD}
    page = client.post("/support/account/password", {**data, "password_repeat": NEW_PASSWORD})
    assert page.status == 400
    assert error_beside(page, "current_password") == "the current password is wrong"

    data["current_password"] = PASSWORD
    web.clock.advance(seconds=5)
    page = client.post("/support/account/password", {**data, "password_repeat": NEW_PASSWORD})
    assert "Your password is changed." in page.text
    assert logged_in(client)  # this session goes on ...
    assert not logged_in(other_browser)  # ... the others end
    client.post("/support/account/logout")
    assert log_in(client, carol.email, NEW_PASSWORD).status == 200


def test_password_page_needs_a_login(web: SimpleNamespace) -> None:
    page = web.client().get("/support/account/password", follow=False)
    assert path_of(page.location) == LOGIN


# ---------------------------------------------------------------------------- profile


def test_profile_changes_name_zone_language_and_emails(web: SimpleNamespace) -> None:
    client = web.client()
    client.log_in_as(web.cast.carol.id)
    page = client.get(PROFILE)
    assert page.status == 200
    for label in ("Your name", "Time zone", "Language", "Replies to my tickets"):
        assert f">{label}" in page.text
    assert '<option value="Europe/Berlin">' in page.text
    assert '<option value="en" selected>English</option>' in page.text
    assert 'href="/support/account/password"' in page.text
    assert 'href="/support/account/two-factor"' in page.text

    page = client.post(
        PROFILE,
        {
            "display_name": "Carol C.",
            "timezone": "Europe/Berlin",
            "locale": "en",
            "pref_replies": "1",
        },
    )
    assert "Your profile is saved." in page.text and "Carol C." in page.text
    assert '<option value="Europe/Berlin" selected>' in page.text
    saved = web.helpdesk.accounts.profile(web.cast.carol.id)
    assert saved.timezone == "Europe/Berlin" and saved.display_name == "Carol C."
    assert saved.notification_preferences == {"replies": True, "status": False}


def test_profile_refuses_a_bad_zone_and_keeps_the_input(web: SimpleNamespace) -> None:
    client = web.client()
    client.log_in_as(web.cast.carol.id)
    page = client.post(
        PROFILE, {"display_name": "New Name", "timezone": "Mars/Olympus", "locale": "en"}
    )
    assert page.status == 400
    assert error_beside(page, "timezone") == "unknown time zone"
    assert 'value="New Name"' in page.text
    assert web.helpdesk.accounts.profile(web.cast.carol.id).timezone == "UTC"


def test_profile_needs_a_login(web: SimpleNamespace) -> None:
    page = web.client().get(PROFILE, follow=False)
    assert path_of(page.location) == LOGIN


# ---------------------------------------------------------------------------- two-factor


def set_up_two_factor(web: SimpleNamespace, client: Any) -> str:
    page = client.get(TWO_FACTOR)
    assert "Turn on two-factor authentication" in page.text
    secret = totp_secret(page)
    assert "otpauth://totp/" in page.text
    page = client.post(TWO_FACTOR, {"code": "000000"})
    assert page.status == 400 and error_beside(page, "code")
    assert totp_secret(page) == secret  # the same key while setting up
    page = client.post(TWO_FACTOR, {"code": pyotp.TOTP(secret).at(web.clock.now())})
    assert "Two-factor authentication is on." in page.text
    return secret


def test_two_factor_set_up_then_login_needs_the_code(web: SimpleNamespace) -> None:
    carol = with_password(web, web.cast.carol)
    client = web.client()
    log_in(client, carol.email)
    secret = set_up_two_factor(web, client)
    assert web.helpdesk.accounts.profile(carol.id).two_factor_enabled
    client.post("/support/account/logout")

    page = log_in(client, carol.email, next="/support/tickets")
    assert "Enter your code" in page.text and ">Code from your app" in page.text
    assert not logged_in(client)  # the password alone opens nothing
    page = client.post("/support/account/login/code", {"code": "123456"})
    assert page.status == 400 and "This code is wrong" in error_beside(page, "code")
    page = client.post(
        "/support/account/login/code",
        {"code": pyotp.TOTP(secret).at(web.clock.now())},
        follow=False,
    )
    assert path_of(page.location) == "/support/tickets"
    assert logged_in(client)

    # Switching it off needs the password.
    page = client.post(TWO_FACTOR, {"password": "wrong password 1"})
    assert page.status == 400 and error_beside(page, "password")
    page = client.post(TWO_FACTOR, {"password": PASSWORD})
    assert "Two-factor authentication is off." in page.text
    assert not web.helpdesk.accounts.profile(carol.id).two_factor_enabled


def test_the_code_step_expires(web: SimpleNamespace) -> None:
    carol = with_password(web, web.cast.carol)
    client = web.client()
    log_in(client, carol.email)
    secret = set_up_two_factor(web, client)
    client.post("/support/account/logout")
    log_in(client, carol.email)
    web.clock.advance(minutes=11)
    page = client.post(
        "/support/account/login/code", {"code": pyotp.TOTP(secret).at(web.clock.now())}
    )
    assert "Please log in again." in page.text and not logged_in(client)
    # Without a password first there is no code step at all.
    assert ">Password" in web.client().get("/support/account/login/code").text


def test_code_guesses_are_limited(web: SimpleNamespace) -> None:
    carol = with_password(web, web.cast.carol)
    client = web.client()
    log_in(client, carol.email)
    secret = set_up_two_factor(web, client)
    client.post("/support/account/logout")
    log_in(client, carol.email)
    for _ in range(web.helpdesk.settings.login_max_failures):
        assert client.post("/support/account/login/code", {"code": "000000"}).status == 400
    page = client.post(
        "/support/account/login/code", {"code": pyotp.TOTP(secret).at(web.clock.now())}
    )
    assert page.status == 429 and "Too many attempts." in page.text
    assert not logged_in(client)


def test_agents_must_set_up_two_factor(web_factory: Callable[..., Any]) -> None:
    web = web_factory(require_two_factor_for_agents=True)
    ann = with_password(web, web.cast.ann)
    client = web.client()
    page = log_in(client, ann.email)
    assert page.url.endswith("/account/two-factor")
    assert "Set up two-factor authentication to continue." in page.text
    page = client.get("/support/tickets")
    assert page.url.endswith("/account/two-factor")
    secret = set_up_two_factor(web, client)
    assert client.get("/support/").url == "/support/"

    page = client.get(TWO_FACTOR)
    assert "cannot be switched off" in page.text
    assert "Turn off two-factor authentication" not in page.text

    client.post("/support/account/logout")
    log_in(client, ann.email)
    web.clock.advance(seconds=30)
    client.post("/support/account/login/code", {"code": pyotp.TOTP(secret).at(web.clock.now())})
    assert client.get("/support/").url == "/support/" and logged_in(client)


# ---------------------------------------------------------------------------- social login


class FakeProvider:
    name = "fake"
    label = "Fakebook"

    def authorization_url(self, *, callback_url: str, state: str) -> str:
        return f"https://fake.example/auth?state={state}&cb={callback_url}"

    def complete(self, *, callback_url: str, query: Mapping[str, str]) -> ExternalIdentity:
        if query.get("error"):
            raise InvalidInput("denied")
        return ExternalIdentity(
            email=query.get("email", ""),
            email_verified=query.get("verified", "yes") == "yes",
            display_name=query.get("name", ""),
        )


class FakeProviderPlugin:
    @hookimpl
    def register_login_providers(self, helpdesk: Any) -> list[Any]:
        return [FakeProvider()]


def start_social(client: Any) -> str:
    page = client.get("/support/account/social/fake?next=/support/tickets", follow=False)
    assert page.status == 303
    location = page.location or ""
    assert location.startswith("https://fake.example/auth?")
    query = parse_qs(urlsplit(location).query)
    assert query["cb"] == ["http://localhost:5000/support/account/social/fake/callback"]
    return query["state"][0]


CALLBACK = "/support/account/social/fake/callback"


def test_social_login_with_a_verified_email(web: SimpleNamespace) -> None:
    with temporary_plugin(web.helpdesk, FakeProviderPlugin()):
        client = web.client()
        assert "Continue with Fakebook" in client.get(LOGIN).text
        assert "Continue with Fakebook" in client.get(REGISTER).text
        state = start_social(client)
        page = client.get(
            f"{CALLBACK}?state={state}&email=sam@example.org&name=Sam+Smith", follow=False
        )
        assert path_of(page.location) == "/support/tickets"
        assert "Sam Smith" in client.get("/support/").text
        user = web.helpdesk.users.find_by_email("sam@example.org")
        assert user is not None and user.role == "customer"

        other = web.client()  # an existing customer joins by address
        state = start_social(other)
        other.get(f"{CALLBACK}?state={state}&email={web.cast.carol.email}")
        assert "Carol" in other.get("/support/").text and logged_in(other)


def test_social_login_refuses_a_planted_state(web: SimpleNamespace) -> None:
    with temporary_plugin(web.helpdesk, FakeProviderPlugin()):
        client = web.client()
        page = client.get(f"{CALLBACK}?state=made-up&email=sam@example.org")
        assert page.status == 400 and "could not be checked" in page.text
        start_social(client)
        page = client.get(f"{CALLBACK}?state=wrong&email=sam@example.org")
        assert page.status == 400 and "could not be checked" in page.text
        assert not logged_in(client)
        assert web.helpdesk.users.find_by_email("sam@example.org") is None


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("email=sam@example.org&verified=no", "has not confirmed your email address"),
        ("error=denied", "Signing in with Fakebook did not work."),
        ("email=ann@help.example.com", "Staff accounts log in with their email address"),
    ],
)
def test_social_login_refusals(web: SimpleNamespace, query: str, message: str) -> None:
    with temporary_plugin(web.helpdesk, FakeProviderPlugin()):
        client = web.client()
        state = start_social(client)
        page = client.get(f"{CALLBACK}?state={state}&{query}")
        assert page.status == 400 and message in page.text
        assert not logged_in(client)


def test_unknown_social_provider_is_not_found(web: SimpleNamespace) -> None:
    assert web.client().get("/support/account/social/nope", follow=False).status == 404


# ---------------------------------------------------------------------------- CAPTCHA, host


class RefusingCaptcha:
    @hookimpl
    def captcha_html(self, helpdesk: Any, form: str) -> str:
        return f'<div class="captcha-widget" data-form="{form}">Are you human?</div>'

    @hookimpl
    def verify_captcha(
        self, helpdesk: Any, form: str, values: Mapping[str, str], remote_addr: str
    ) -> str | None:
        return None if values.get("captcha") == "human" else "Please solve the puzzle."


def test_captcha_refusal_keeps_the_input(web: SimpleNamespace) -> None:
    with temporary_plugin(web.helpdesk, RefusingCaptcha()):
        client = web.client()
        page = client.get(REGISTER)
        assert '<div class="captcha-widget" data-form="register">' in page.text
        page = client.post(REGISTER, registration())
        assert page.status == 400 and "Please solve the puzzle." in page.text
        assert 'value="Zoe Quinn"' in page.text and 'value="zoe@example.org"' in page.text
        assert web.helpdesk.users.find_by_email("zoe@example.org") is None

        with_password(web, web.cast.carol)
        assert 'data-form="login"' in client.get(LOGIN).text
        assert log_in(client, web.cast.carol.email).status == 400
        assert log_in(client, web.cast.carol.email, captcha="human").status == 200

        client.post("/support/account/logout")
        assert client.post(REGISTER, registration(captcha="human")).status == 200
        assert logged_in(client)


def test_host_site_owns_logins(web: SimpleNamespace) -> None:
    portal = Portal(web.helpdesk, host_login_url="https://www.example.org/login")
    host_user = HostUser(external_id="u-7", email="hope@example.org", display_name="Hope")
    visitor = PortalClient(portal)
    page = visitor.get(f"{LOGIN}?next=/support/tickets", follow=False)
    assert page.location == "https://www.example.org/login?next=%2Fsupport%2Ftickets"
    assert visitor.get(REGISTER, follow=False).location.startswith("https://www.example.org/")

    member = PortalClient(portal, host_user=host_user)
    for path in ("forgot", "password", "two-factor", "reset/x", "verify/x", "login/code"):
        assert member.get(f"/support/account/{path}").status == 404, path
    page = member.get(PROFILE)
    assert page.status == 200 and "hope@example.org" in page.text
    assert "/account/password" not in page.text
    page = member.post(PROFILE, {"display_name": "Hope", "timezone": "Asia/Tokyo", "locale": "en"})
    assert "Your profile is saved." in page.text
