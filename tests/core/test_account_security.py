"""Account security: registration that never reveals an address, password rules, verification
and reset links (once, with expiry), login rate limits per account and per address, sessions
ended by a password change, two-factor codes, and the emails people switched off."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from ticketcore import Actor, Helpdesk, PermissionDenied
from ticketcore.errors import ConfigurationError, InvalidInput, LoginFailed, RateLimited
from ticketcore.models import OutboxMessage, User

SECRET_KEY = "test-secret-key-for-signing-links"
PASSWORD = "correct horse 42"
ADDRESS = "203.0.113.7"


@pytest.fixture
def helpdesk(helpdesk_factory) -> Helpdesk:
    """Emails stay in the outbox (nothing is sent), so tests read them there."""
    return helpdesk_factory(secret_key=SECRET_KEY, deliver_after_commit=False)


@pytest.fixture
def make(helpdesk_factory, helpdesk):
    """Another helpdesk over the same database, with other settings."""

    def factory(**settings) -> Helpdesk:
        return helpdesk_factory(
            **{"secret_key": SECRET_KEY, "deliver_after_commit": False, **settings}
        )

    return factory


def emails(helpdesk: Helpdesk, kind: str | None = None, to: str | None = None) -> list:
    with helpdesk.sessionmaker() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind is not None:
            query = query.where(OutboxMessage.event == kind)
        if to is not None:
            query = query.where(OutboxMessage.recipient == to)
        return list(session.scalars(query))


def link_token(mail: OutboxMessage, kind: str) -> str:
    """The token of the `/account/<kind>/<token>` link in an email (text and HTML agree)."""
    found = re.findall(
        rf"http://localhost:5000/support/account/{kind}/([A-Za-z0-9_.-]+)", mail.body_text
    )
    assert len(found) == 1, mail.body_text
    assert f"/account/{kind}/{found[0]}" in (mail.body_html or "")
    return found[0]


def register(helpdesk: Helpdesk, email: str = "nina@example.org", password: str = PASSWORD):
    return helpdesk.accounts.register(display_name="Nina", email=email, password=password)


def fail_login(helpdesk: Helpdesk, email: str, address: str = ADDRESS) -> None:
    with pytest.raises(LoginFailed):
        helpdesk.accounts.login(email, "wrong password 1", address=address)


# ------------------------------------------------------------------ registration


def test_registration_creates_a_customer_who_can_log_in_at_once(helpdesk):
    result = register(helpdesk, email="Nina@Example.org")
    assert result.can_log_in and not result.verification_sent
    assert result.user is not None and result.user.role == "customer"
    assert result.user.display_name == "Nina"
    user = helpdesk.accounts.login("nina@example.org", PASSWORD, address=ADDRESS)
    assert user.id == result.user.id
    assert helpdesk.accounts.profile(user.id).email_verified
    assert emails(helpdesk) == []


def test_registration_can_be_switched_off(make):
    helpdesk = make(allow_registration=False)
    with pytest.raises(PermissionDenied):
        register(helpdesk)
    assert helpdesk.users.find_by_email("nina@example.org") is None


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Sh0rt!", "must be at least 12 characters"),
        ("No digits here!", "must contain a digit"),
        ("1234567890-=!", "must contain a letter"),
        ("all lower case 1!", "must contain both upper-case and lower-case letters"),
        ("NoSymbolsHere12", "must contain a symbol (a character that is not a letter or a digit)"),
        ("Nina.Lund@Example.org", "must not be your email address or its name part"),
        ("NINA.LUND", "must not be your email address or its name part"),
    ],
)
def test_each_password_rule_names_its_problem(make, password, message):
    helpdesk = make(
        password_min_length=12, password_rules=("digit", "letter", "mixed_case", "symbol")
    )
    assert message in helpdesk.accounts.check_password(password, "nina.lund@example.org")
    with pytest.raises(InvalidInput) as caught:
        register(helpdesk, email="nina.lund@example.org", password=password)
    assert message in caught.value.errors["password"]
    assert helpdesk.users.find_by_email("nina.lund@example.org") is None


def test_a_password_keeping_every_rule_passes(make):
    helpdesk = make(
        password_min_length=12, password_rules=("digit", "letter", "mixed_case", "symbol")
    )
    assert helpdesk.accounts.check_password("Tr0ub4dor & 3", "nina@example.org") == []


def test_a_registration_form_gets_every_problem_at_once(helpdesk):
    with pytest.raises(InvalidInput) as caught:
        helpdesk.accounts.register(
            display_name="  ",
            email="not an address",
            password="short",
            timezone="Mars/Olympus",
            locale="xx-nope",
        )
    errors = caught.value.errors
    assert set(errors) == {"display_name", "email", "password", "timezone", "locale"}
    assert errors["password"] == ["must be at least 10 characters", "must contain a digit"]


@pytest.mark.parametrize("verification", [True, False])
def test_registering_a_taken_address_looks_like_any_registration_and_tells_the_owner(
    make, verification
):
    helpdesk = make(email_verification=verification)
    first = register(helpdesk, email="nina@example.org")
    fresh = register(helpdesk, email="someone.new@example.org")
    again = helpdesk.accounts.register(
        display_name="Mallory", email="NINA@example.org", password="another pass 99"
    )
    assert again.user is None and again.verification_sent and not again.can_log_in
    if verification:  # exactly what a new address gets
        assert again.model_dump() == fresh.model_dump()
    else:
        assert first.user is not None  # the owner's own registration went through
    [notice] = emails(helpdesk, "account_exists")
    assert notice.recipient == "nina@example.org"
    assert "You already have an account at Support" in notice.subject
    assert "http://localhost:5000/support/account/login" in notice.body_text
    assert "http://localhost:5000/support/account/forgot" in notice.body_text
    # Nothing about the account changed: the old password still opens it, the new one not.
    if not verification:
        helpdesk.accounts.login("nina@example.org", PASSWORD, address=ADDRESS)
    with pytest.raises(LoginFailed):
        helpdesk.accounts.login("nina@example.org", "another pass 99", address=ADDRESS)
    with helpdesk.sessionmaker() as session:
        names = session.scalars(
            select(User.display_name).where(User.email_key == "nina@example.org")
        )
        assert list(names) == ["Nina"]


def test_registering_the_address_of_a_passwordless_customer_sends_a_set_password_link(helpdesk):
    guest = helpdesk.users.get_or_create_customer("gus@example.org", "Gus")
    result = register(helpdesk, email="gus@example.org", password="chosen pass 7")
    assert result.user is None and result.verification_sent and not result.can_log_in
    [mail] = emails(helpdesk, "account_reset", to="gus@example.org")
    assert mail.subject == "Choose a password for Support"
    with pytest.raises(LoginFailed):  # the registration's password did not claim the account
        helpdesk.accounts.login("gus@example.org", "chosen pass 7", address=ADDRESS)
    helpdesk.accounts.reset_password(link_token(mail, "reset"), "mailbox proven 8")
    assert helpdesk.accounts.login("gus@example.org", "mailbox proven 8", address=ADDRESS).id == (
        guest.id
    )


# ------------------------------------------------------------------ verification


def test_a_new_account_logs_in_only_after_following_the_verification_link(make, clock):
    helpdesk = make(email_verification=True)
    result = register(helpdesk)
    assert result.user is None and result.verification_sent and not result.can_log_in
    with pytest.raises(InvalidInput) as caught:
        helpdesk.accounts.login("nina@example.org", PASSWORD, address=ADDRESS)
    assert caught.value.errors == {
        "email": ["confirm your email address first: we sent you a link"]
    }
    fail_login(helpdesk, "nina@example.org")  # a wrong password still says only that
    [mail] = emails(helpdesk, "account_verify", to="nina@example.org")
    assert "Confirm your email address" in mail.subject
    assert "The link works for 3 days." in mail.body_text
    clock.advance(hours=71)
    user = helpdesk.accounts.verify_email(link_token(mail, "verify"))
    assert helpdesk.accounts.profile(user.id).email_verified
    with pytest.raises(InvalidInput):  # the link worked once; it logs nobody in again
        helpdesk.accounts.verify_email(link_token(mail, "verify"))
    assert helpdesk.accounts.login("nina@example.org", PASSWORD, address=ADDRESS).id == user.id


def test_a_verification_link_expires_and_a_new_one_can_be_sent(make, clock):
    helpdesk = make(email_verification=True)
    register(helpdesk)
    [old] = emails(helpdesk, "account_verify")
    clock.advance(hours=72, seconds=1)
    with pytest.raises(InvalidInput) as caught:
        helpdesk.accounts.verify_email(link_token(old, "verify"))
    assert caught.value.errors == {"token": ["this link has expired or was already used"]}
    helpdesk.accounts.resend_verification("nina@example.org")
    new = emails(helpdesk, "account_verify")[-1]
    assert new.id != old.id
    helpdesk.accounts.verify_email(link_token(new, "verify"))
    helpdesk.accounts.login("nina@example.org", PASSWORD, address=ADDRESS)


def test_a_tampered_link_is_refused(make):
    helpdesk = make(email_verification=True)
    register(helpdesk)
    token = link_token(emails(helpdesk, "account_verify")[0], "verify")
    with pytest.raises(InvalidInput):
        helpdesk.accounts.verify_email(token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    with pytest.raises(InvalidInput):  # a verification link is no reset link
        helpdesk.accounts.reset_password(token, "new password 1")


# ------------------------------------------------------------------ logging in


def test_a_wrong_password_and_an_unknown_address_get_the_same_answer(helpdesk):
    register(helpdesk)
    with pytest.raises(LoginFailed) as wrong_password:
        helpdesk.accounts.login("nina@example.org", "wrong password 1", address=ADDRESS)
    with pytest.raises(LoginFailed) as unknown:
        helpdesk.accounts.login("nobody@example.org", "wrong password 1", address=ADDRESS)
    assert wrong_password.value.errors == unknown.value.errors
    assert wrong_password.value.errors == {"password": ["email or password is wrong"]}
    assert str(wrong_password.value) == str(unknown.value)
    assert isinstance(unknown.value, InvalidInput)


def test_a_deactivated_account_cannot_log_in(helpdesk):
    user = register(helpdesk).user
    helpdesk.users.deactivate(Actor.system(), user.id)
    fail_login(helpdesk, "nina@example.org")
    with pytest.raises(LoginFailed):
        helpdesk.accounts.login("nina@example.org", PASSWORD, address=ADDRESS)


def test_too_many_failures_pause_the_account_until_the_window_passes(make, clock):
    helpdesk = make(login_max_failures=3, login_lockout_minutes=15)
    register(helpdesk)
    for n in range(3):
        fail_login(helpdesk, "nina@example.org", address=f"198.51.100.{n}")
        clock.advance(minutes=1)
    # The right password from a new address does not help: the account is paused.
    with pytest.raises(RateLimited) as caught:
        helpdesk.accounts.login("nina@example.org", PASSWORD, address="192.0.2.99")
    assert caught.value.retry_after == 12 * 60  # the first failure leaves the window then
    assert "try again in 12 minutes" in str(caught.value)
    clock.advance(minutes=11, seconds=59)
    with pytest.raises(RateLimited):
        helpdesk.accounts.login("nina@example.org", PASSWORD, address="192.0.2.99")
    clock.advance(seconds=1)
    helpdesk.accounts.login("nina@example.org", PASSWORD, address="192.0.2.99")


def test_a_success_forgets_the_accounts_failures(make):
    helpdesk = make(login_max_failures=3)
    register(helpdesk)
    fail_login(helpdesk, "nina@example.org")
    fail_login(helpdesk, "nina@example.org")
    helpdesk.accounts.login("nina@example.org", PASSWORD, address=ADDRESS)
    fail_login(helpdesk, "nina@example.org")
    fail_login(helpdesk, "nina@example.org")
    helpdesk.accounts.login("nina@example.org", PASSWORD, address=ADDRESS)


def test_unknown_addresses_are_paused_like_real_ones(make):
    helpdesk = make(login_max_failures=2)
    fail_login(helpdesk, "nobody@example.org")
    fail_login(helpdesk, "nobody@example.org")
    with pytest.raises(RateLimited):
        helpdesk.accounts.login("nobody@example.org", "anything at all 1", address=ADDRESS)


def test_too_many_failures_from_one_network_address_pause_that_address(make, clock):
    helpdesk = make(login_max_failures=10, login_max_failures_per_address=4)
    register(helpdesk)
    for n in range(4):  # a different account each time: only the address adds up
        fail_login(helpdesk, f"guess{n}@example.org", address=ADDRESS)
    with pytest.raises(RateLimited):
        helpdesk.accounts.login("nina@example.org", PASSWORD, address=ADDRESS)
    # Nina herself, from her own network, is not affected.
    helpdesk.accounts.login("nina@example.org", PASSWORD, address="192.0.2.10")
    clock.advance(minutes=15)
    helpdesk.accounts.login("nina@example.org", PASSWORD, address=ADDRESS)


# ------------------------------------------------------------------ password reset


def test_a_reset_link_works_once(helpdesk):
    user = register(helpdesk).user
    assert helpdesk.accounts.request_password_reset("NINA@example.org") is None
    [mail] = emails(helpdesk, "account_reset", to="nina@example.org")
    assert mail.subject == "Reset your password for Support"
    assert "The link works once, for 1 hour." in mail.body_text
    token = link_token(mail, "reset")
    with pytest.raises(InvalidInput) as weak:
        helpdesk.accounts.reset_password(token, "weak")
    assert set(weak.value.errors) == {"password"}  # the link is still good after a typo
    assert helpdesk.accounts.reset_password(token, "brand new pass 5").id == user.id
    helpdesk.accounts.login("nina@example.org", "brand new pass 5", address=ADDRESS)
    fail_login(helpdesk, "nina@example.org")  # the old password is gone
    with pytest.raises(InvalidInput) as again:
        helpdesk.accounts.reset_password(token, "another pass 6")
    assert again.value.errors == {"token": ["this link has expired or was already used"]}
    helpdesk.accounts.login("nina@example.org", "brand new pass 5", address=ADDRESS)


def test_a_reset_link_expires(helpdesk, clock):
    register(helpdesk)
    helpdesk.accounts.request_password_reset("nina@example.org")
    token = link_token(emails(helpdesk, "account_reset")[0], "reset")
    clock.advance(minutes=60, seconds=1)
    with pytest.raises(InvalidInput) as caught:
        helpdesk.accounts.reset_password(token, "brand new pass 5")
    assert caught.value.errors == {"token": ["this link has expired or was already used"]}
    helpdesk.accounts.login("nina@example.org", PASSWORD, address=ADDRESS)


def test_asking_for_a_reset_of_an_unknown_address_sends_nothing_and_says_nothing(helpdesk):
    assert helpdesk.accounts.request_password_reset("nobody@example.org") is None
    assert emails(helpdesk) == []


def test_reset_emails_to_one_address_are_limited(make, clock):
    helpdesk = make(login_max_failures=3, login_lockout_minutes=15)
    register(helpdesk)
    for _ in range(5):
        helpdesk.accounts.request_password_reset("nina@example.org")
    assert len(emails(helpdesk, "account_reset")) == 3
    clock.advance(minutes=15)
    helpdesk.accounts.request_password_reset("nina@example.org")
    assert len(emails(helpdesk, "account_reset")) == 4


def test_following_a_reset_link_verifies_the_address(make):
    helpdesk = make(email_verification=True)
    register(helpdesk)
    helpdesk.accounts.request_password_reset("nina@example.org")
    helpdesk.accounts.reset_password(
        link_token(emails(helpdesk, "account_reset")[0], "reset"), "brand new pass 5"
    )
    helpdesk.accounts.login("nina@example.org", "brand new pass 5", address=ADDRESS)


def test_links_need_a_secret_key(make):
    helpdesk = make()
    register(helpdesk)
    keyless = make(secret_key="")
    with pytest.raises(ConfigurationError, match="secret_key"):
        keyless.accounts.request_password_reset("nina@example.org")
    assert emails(helpdesk) == []


# ------------------------------------------------------------------ password change, sessions


def test_changing_the_password_needs_the_current_one(helpdesk):
    user = register(helpdesk).user
    actor = helpdesk.users.actor_for(user.id)
    with pytest.raises(InvalidInput) as caught:
        helpdesk.accounts.change_password(actor, "not my password", "short")
    assert caught.value.errors == {
        "password": ["must be at least 10 characters", "must contain a digit"],
        "current_password": ["the current password is wrong"],
    }
    helpdesk.accounts.login("nina@example.org", PASSWORD, address=ADDRESS)
    helpdesk.accounts.change_password(actor, PASSWORD, "changed pass 77")
    helpdesk.accounts.login("nina@example.org", "changed pass 77", address=ADDRESS)
    fail_login(helpdesk, "nina@example.org")


def test_a_password_change_ends_other_sessions(helpdesk, clock):
    user = register(helpdesk).user
    logged_in_at = clock.now()
    assert helpdesk.accounts.session_valid(user.id, logged_in_at)
    clock.advance(minutes=5)
    helpdesk.accounts.change_password(
        helpdesk.users.actor_for(user.id), PASSWORD, "changed pass 77"
    )
    assert not helpdesk.accounts.session_valid(user.id, logged_in_at)
    assert helpdesk.accounts.session_valid(user.id, clock.now())  # the renewed session
    clock.advance(minutes=1)
    helpdesk.users.deactivate(Actor.system(), user.id)
    assert not helpdesk.accounts.session_valid(user.id, clock.now())
    assert not helpdesk.accounts.session_valid(999_999, clock.now())


def test_a_live_session_gives_its_account_and_actor(helpdesk, clock):
    user = register(helpdesk).user
    found = helpdesk.accounts.session_user(user.id, clock.now())
    assert found is not None
    account, actor = found
    assert account.email == "nina@example.org"
    assert actor == helpdesk.users.actor_for(user.id)
    assert helpdesk.users.with_actor(user.id) == found  # a host's user, by their account's id
    helpdesk.users.deactivate(Actor.system(), user.id)
    assert helpdesk.accounts.session_user(user.id, clock.now()) is None
    assert helpdesk.users.with_actor(user.id) is None
    assert helpdesk.users.with_actor(999_999) is None


# ------------------------------------------------------------------ two-factor authentication


def test_two_factor_set_up_use_and_switch_off(helpdesk, clock):
    accounts = helpdesk.accounts
    user = register(helpdesk).user
    actor = helpdesk.users.actor_for(user.id)
    assert not accounts.needs_second_factor(user.id)
    secret = accounts.new_totp_secret()
    uri = accounts.totp_uri(secret, user.email)
    assert uri.startswith("otpauth://totp/Support:nina%40example.org?secret=" + secret)
    assert "issuer=Support" in uri
    app = pyotp.TOTP(secret)
    with pytest.raises(InvalidInput) as wrong:
        accounts.enable_two_factor(
            actor, secret, "000000" if app.at(clock.now()) != "000000" else "111111"
        )
    assert set(wrong.value.errors) == {"code"}
    assert not accounts.profile(user.id).two_factor_enabled

    assert accounts.enable_two_factor(actor, secret, app.at(clock.now())).two_factor_enabled
    assert accounts.needs_second_factor(user.id)
    clock.advance(seconds=30)  # the previous code still counts (clock drift)
    assert accounts.verify_second_factor(
        user.id, app.at(clock.now() - timedelta(seconds=30)), address=ADDRESS
    )
    assert accounts.verify_second_factor(user.id, app.at(clock.now()), address=ADDRESS)
    clock.advance(minutes=5)
    assert not accounts.verify_second_factor(
        user.id, app.at(clock.now() - timedelta(minutes=5)), address=ADDRESS
    )

    with pytest.raises(InvalidInput) as caught:
        accounts.disable_two_factor(actor, "not my password")
    assert set(caught.value.errors) == {"password"}
    assert accounts.needs_second_factor(user.id)
    assert not accounts.disable_two_factor(actor, PASSWORD).two_factor_enabled
    assert not accounts.needs_second_factor(user.id)


def test_wrong_codes_are_rate_limited(make, clock):
    helpdesk = make(login_max_failures=3)
    accounts = helpdesk.accounts
    user = register(helpdesk).user
    secret = accounts.new_totp_secret()
    app = pyotp.TOTP(secret)
    accounts.enable_two_factor(helpdesk.users.actor_for(user.id), secret, app.at(clock.now()))
    wrong = "123456" if app.at(clock.now()) != "123456" else "654321"
    for _ in range(3):
        assert not accounts.verify_second_factor(user.id, wrong, address=ADDRESS)
    with pytest.raises(RateLimited):
        accounts.verify_second_factor(user.id, app.at(clock.now()), address="192.0.2.10")
    clock.advance(minutes=15)
    assert accounts.verify_second_factor(user.id, app.at(clock.now()), address=ADDRESS)


def test_a_site_can_require_two_factor_for_staff(make, cast, clock):
    helpdesk = make(require_two_factor_for_agents=True)
    accounts = helpdesk.accounts
    helpdesk.users.set_password(Actor.system(), cast.ann.id, PASSWORD)
    assert accounts.two_factor_required(cast.ann)
    assert not accounts.two_factor_required(cast.carol)  # customers are not asked
    secret = accounts.new_totp_secret()
    accounts.enable_two_factor(cast.ann_actor, secret, pyotp.TOTP(secret).at(clock.now()))
    assert not accounts.two_factor_required(cast.ann.id)
    with pytest.raises(InvalidInput, match="requires two-factor authentication"):
        accounts.disable_two_factor(cast.ann_actor, PASSWORD)
    assert accounts.needs_second_factor(cast.ann.id)
    relaxed = make()
    assert not relaxed.accounts.two_factor_required(cast.bill)


# ------------------------------------------------------------------ profile and email preferences


def test_profile_changes_are_validated_all_at_once(helpdesk, cast):
    accounts = helpdesk.accounts
    with pytest.raises(InvalidInput) as caught:
        accounts.update_profile(
            cast.carol_actor,
            display_name="",
            timezone="Europe/Atlantis",
            locale="zz",
            notification_preferences={"new_tickets": False},  # a staff-only choice
        )
    assert set(caught.value.errors) == {
        "display_name",
        "timezone",
        "locale",
        "notification_preferences",
    }
    profile = accounts.profile(cast.carol.id)
    assert profile.notification_preferences == {"replies": True, "status": True}
    assert profile.display_name == "Carol"
    updated = accounts.update_profile(
        cast.carol_actor,
        display_name="Carol Ng",
        timezone="Europe/Paris",
        locale="fr-FR",
        notification_preferences={"replies": False},
    )
    assert (updated.display_name, updated.timezone, updated.locale) == (
        "Carol Ng",
        "Europe/Paris",
        "fr_FR",
    )
    assert updated.notification_preferences == {"replies": False, "status": True}
    assert accounts.profile(cast.ann.id).notification_preferences == {
        "replies": True,
        "status": True,
        "new_tickets": True,
        "customer_replies": True,
    }
    with pytest.raises(Exception, match="no account"):
        accounts.update_profile(Actor.system(), display_name="Robot")


def test_switched_off_emails_are_not_sent(helpdesk, cast):
    helpdesk.accounts.update_profile(cast.carol_actor, notification_preferences={"replies": False})
    helpdesk.accounts.update_profile(
        cast.ann_actor, notification_preferences={"new_tickets": False}
    )
    ticket = helpdesk.tickets.create(
        cast.carol_actor, subject="The printer jams", body="Every page.", cc=[cast.dave.email]
    ).ticket
    assert ticket.assignee.display_name == "Ann"
    sent = {(m.event, m.recipient) for m in emails(helpdesk)}
    assert ("ticket_created", cast.carol.email) in sent  # the receipt always goes
    assert ("new_ticket", cast.ann.email) not in sent  # Ann switched new tickets off

    before = len(emails(helpdesk))
    helpdesk.messages.reply(cast.ann_actor, ticket.id, body="Which model?")
    replies = [(m.event, m.recipient) for m in emails(helpdesk)[before:]]
    assert replies == [("agent_replied", cast.dave.email)]  # not Carol

    before = len(emails(helpdesk))
    helpdesk.messages.reply(cast.carol_actor, ticket.id, body="The X200.")
    assert [(m.event, m.recipient) for m in emails(helpdesk)[before:]] == [
        ("customer_replied", cast.ann.email)  # Ann kept customer replies on
    ]

    before = len(emails(helpdesk))
    helpdesk.tickets.close(cast.ann_actor, ticket.id)  # Carol kept status changes on
    closed = sorted((m.event, m.recipient) for m in emails(helpdesk)[before:])
    assert closed == [("ticket_closed", cast.carol.email), ("ticket_closed", cast.dave.email)]
