"""Account security for the portals: registration, logins with rate limiting, verification and
password-reset links, password changes, profiles and two-factor authentication (TOTP).

The rules that shape this module:

* **No answer tells whether an address has an account.** Registering with a taken address,
  asking for a reset link and failing to log in look the same from outside whatever the
  database holds; the owner of the address learns what happened by email.
* **Failed attempts are rows** (`LoginFailure`), counted per account, per network address and
  per second factor over a sliding window of `login_lockout_minutes`, so every process of a site
  sees the same count. A locked key is refused before its password is checked.
* **Argon2 is slow on purpose.** Passwords are hashed and checked outside write transactions,
  so SQLite's single write lock is held for milliseconds, not for a hash.
* **Links are signed, dated and single-purpose.** Tokens are signed with `secret_key` (one salt
  per purpose) and dated by the helpdesk clock; a reset link carries a fingerprint of the
  password it replaces, so it stops working once used.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import available_timezones

import pyotp
from babel import Locale, UnknownLocaleError
from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer
from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..clock import Clock
from ..errors import (
    ConfigurationError,
    InvalidInput,
    LoginFailed,
    NotFound,
    PermissionDenied,
    RateLimited,
)
from ..models import LoginFailure, OutboxMessage, Role, User
from ..notify.account_mail import AccountMail, account_url, queue_account_email
from ..passwords import hash_password, verify_password
from ..permissions import Actor
from ..schemas import UserCreate, UserOut, email_key, normalize_email
from .accounts import active_account, actor_from_user
from .base import FieldErrors, Service
from .convert import user_out
from .unit_of_work import UnitOfWork

__all__ = [
    "CUSTOMER_PREFERENCES",
    "STAFF_PREFERENCES",
    "AccountService",
    "ProfileOut",
    "RegistrationResult",
]

NAME_MAX = 200
PASSWORD_MAX = 1000  # longer "passwords" are a way to make the server hash megabytes
_KEY_MAX = 400  # LoginFailure.key

# Emails a user can switch off in their profile (see notify.queue.PREFERENCE_OF_EVENT).
CUSTOMER_PREFERENCES = ("replies", "status")
STAFF_PREFERENCES = ("replies", "status", "new_tickets", "customer_replies")

_RESET_SALT = "ticketcore.account.reset"
_VERIFY_SALT = "ticketcore.account.verify"
_WRONG_LINK = "this link has expired or was already used"
_WRONG_CODE = "this code is wrong or has expired; enter the current code from your app"

_RULE_MESSAGES = {
    "digit": "must contain a digit",
    "letter": "must contain a letter",
    "mixed_case": "must contain both upper-case and lower-case letters",
    "symbol": "must contain a symbol (a character that is not a letter or a digit)",
}


class RegistrationResult(BaseModel):
    """What a registration form shows next. Its shape never depends on whether the address
    already had an account: `user` is set only for a new account that can log in at once."""

    model_config = ConfigDict(frozen=True)

    user: UserOut | None
    verification_sent: bool
    can_log_in: bool


class ProfileOut(UserOut):
    """A user's own account page: the public fields plus their security and email settings."""

    two_factor_enabled: bool
    email_verified: bool
    notification_preferences: dict[str, bool]


class AccountService(Service):
    # ------------------------------------------------------------------ passwords

    def check_password(self, password: str, email: str = "") -> list[str]:
        """What is wrong with `password` as a new password for `email` (empty: nothing).

        Pure rules from settings, so a form can show every problem at once before anything
        is hashed.
        """
        settings = self.settings
        problems: list[str] = []
        if len(password) < settings.password_min_length:
            problems.append(f"must be at least {settings.password_min_length} characters")
        if len(password) > PASSWORD_MAX:
            problems.append(f"must be at most {PASSWORD_MAX} characters")
        checks = {
            "digit": any(c.isdigit() for c in password),
            "letter": any(c.isalpha() for c in password),
            "mixed_case": any(c.islower() for c in password) and any(c.isupper() for c in password),
            "symbol": any(not c.isalnum() for c in password),
        }
        problems.extend(
            _RULE_MESSAGES[rule] for rule in settings.password_rules if not checks[rule]
        )
        address = email.strip().casefold()
        if address and password.strip().casefold() in (address, address.partition("@")[0]):
            problems.append("must not be your email address or its name part")
        return problems

    def change_password(self, actor: Actor, current_password: str, new_password: str) -> UserOut:
        """Replace the actor's password after checking the current one.

        Other sessions and outstanding reset links stop working (`password_changed_at`); the
        portal renews the current session with `helpdesk.clock.now()` as its login time. Wrong
        current passwords count as failed logins, so a stolen session cannot guess on.
        """
        with self.reading() as uow:
            user = _own_user(uow.session, actor)
            user_id, email, old_hash = user.id, user.email, user.password_hash
            account_key = _account_key(user.email_key)
            self._refuse_if_locked(uow.session, {account_key: self.settings.login_max_failures})
        errors = FieldErrors()
        problems = self.check_password(new_password, email)
        if problems:
            errors.errors["password"] = problems
        if not _password_matches(old_hash, current_password):
            self._record_failures([account_key])
            errors.errors["current_password"] = ["the current password is wrong"]
        errors.raise_if_any()
        new_hash = hash_password(new_password)
        with self.transaction() as uow:
            user = _user_for_update(uow.session, user_id)
            user.password_hash = new_hash
            user.password_changed_at = self.helpdesk.clock.now()
            return user_out(user)

    # ------------------------------------------------------------------ registration

    def register(
        self,
        *,
        display_name: str,
        email: str,
        password: str,
        timezone: str = "UTC",
        locale: str = "en",
    ) -> RegistrationResult:
        """Create a customer account from the portal's registration form.

        An address that already has an account is never reported: its owner gets an email
        instead (log in or reset; or, for an account without a password, a link to choose one),
        and the result looks like a new account waiting for verification.
        """
        settings = self.settings
        if not settings.allow_registration:
            raise PermissionDenied("registration is switched off on this site")
        errors = FieldErrors()
        name = errors.check(_valid_name, display_name)
        try:
            address = normalize_email(email)
        except ValueError as exc:
            errors.errors["email"] = [str(exc)]
            address = ""
        problems = self.check_password(password, address or email)
        if problems:
            errors.errors["password"] = problems
        zone = errors.check(_valid_timezone, timezone)
        language = errors.check(_valid_locale, locale)
        errors.raise_if_any()
        # Hashed for every request, taken address or not: the answer takes as long either way.
        password_hash = hash_password(password)
        verify = settings.email_verification
        with self.transaction() as uow:
            session = uow.session
            existing = session.scalar(select(User).where(User.email_key == email_key(address)))
            if existing is not None:
                if existing.is_active and existing.password_hash is not None:
                    self._queue_mail(uow, AccountMail.EXISTS, existing)
                elif existing.is_active:
                    # Created by a guest ticket or an email: claimed only through its mailbox.
                    self._queue_reset(uow, existing)
                return RegistrationResult(user=None, verification_sent=True, can_log_in=False)
            values = UserCreate.model_validate(
                {"email": address, "display_name": name, "timezone": zone, "locale": language}
            )
            user = self.helpdesk.users._create(session, values, password_hash, verified=not verify)
            if not verify:
                return RegistrationResult(
                    user=user_out(user), verification_sent=False, can_log_in=True
                )
            self._queue_verification(uow, user)
            return RegistrationResult(user=None, verification_sent=True, can_log_in=False)

    def resend_verification(self, email: str) -> None:
        """Send a new verification link to an unverified account (for an expired link); says
        nothing either way."""
        key = email_key(email.strip())
        with self.transaction() as uow:
            user = uow.session.scalar(select(User).where(User.email_key == key))
            if user is not None and user.is_active and user.email_verified_at is None:
                self._queue_verification(uow, user)

    def verify_email(self, token: str) -> UserOut:
        """Mark the address of the link's account verified. The link works once: the portal
        logs its follower in, and a link lying in a mailbox must not keep doing that."""
        payload = self._load(token, _VERIFY_SALT, self.settings.verification_link_hours * 3600)
        with self.transaction() as uow:
            user = _user_of(uow.session, payload)
            if (
                user is None
                or payload.get("e") != user.email_key
                or user.email_verified_at is not None
            ):
                raise InvalidInput(_WRONG_LINK, field="token")
            user.email_verified_at = self.helpdesk.clock.now()
            return user_out(user)

    # ------------------------------------------------------------------ logging in

    def login(self, email: str, password: str, *, address: str) -> UserOut:
        """The account these credentials open, coming from network `address`.

        Raises `RateLimited` while the account or the address has too many recent failures
        (before the password is even checked), `LoginFailed` with one message for an unknown
        address, a wrong password and a deactivated account alike, and `InvalidInput` on
        `email` for a correct password of an address that still awaits verification.
        A staff member may then still owe a second factor: see `needs_second_factor`.
        """
        settings = self.settings
        key = email_key(email.strip())
        account_key, address_key = _account_key(key), _address_key(address)
        with self.reading() as uow:
            self._refuse_if_locked(
                uow.session,
                {
                    account_key: settings.login_max_failures,
                    address_key: settings.login_max_failures_per_address,
                },
            )
            user = uow.session.scalar(select(User).where(User.email_key == key))
            user_id = user.id if user is not None else None
            usable = user is not None and user.is_active
            password_hash = user.password_hash if user is not None else None
            verified = user is not None and user.email_verified_at is not None
        if not _password_matches(password_hash, password) or not usable:
            self._record_failures([account_key, address_key])
            raise LoginFailed()
        if settings.email_verification and not verified:
            raise InvalidInput(
                "confirm your email address first: we sent you a link", field="email"
            )
        with self.transaction() as uow:
            uow.session.execute(delete(LoginFailure).where(LoginFailure.key == account_key))
            row = uow.session.get(User, user_id)
            if row is None or not row.is_active:  # deactivated a moment ago
                raise LoginFailed()
            return user_out(row)

    def session_valid(self, user_id: int, authenticated_at: datetime) -> bool:
        """Whether a session that logged in at `authenticated_at` may go on: not when the account
        is gone or deactivated, or its password changed after that login.

        Compared to the second, so a session store that keeps whole seconds works.
        """
        return self.session_user(user_id, authenticated_at) is not None

    def session_user(
        self, user_id: int, authenticated_at: datetime
    ) -> tuple[UserOut, Actor] | None:
        """The account and the actor of a session that may go on (`session_valid`), else None:
        what a portal asks on every request, from one read of the account."""
        with self.reading() as uow:
            user = active_account(uow.session, user_id)
            if user is None:
                return None
            changed = user.password_changed_at
            if changed is not None and changed.replace(microsecond=0) > authenticated_at.replace(
                microsecond=0
            ):
                return None
            return user_out(user), actor_from_user(user)

    # ------------------------------------------------------------------ password reset

    def request_password_reset(self, email: str) -> None:
        """Email a reset link if an active account has this address; say nothing either way."""
        try:
            address = normalize_email(email)
        except ValueError as exc:
            raise InvalidInput(str(exc), field="email") from None
        with self.transaction() as uow:
            user = uow.session.scalar(select(User).where(User.email_key == email_key(address)))
            if user is not None and user.is_active:
                self._queue_reset(uow, user)

    def reset_password(self, token: str, password: str) -> UserOut:
        """Set a new password through a reset link; the link then stops working.

        Following the link proved the mailbox, so the address counts as verified, and the
        account's login failures are forgotten.
        """
        errors = FieldErrors()
        try:
            payload = self._load(token, _RESET_SALT, self.settings.password_reset_minutes * 60)
        except InvalidInput as exc:
            errors.errors.update(exc.errors)
            payload = {}
        return self.password_from_link(payload, password, errors, self._reset_user, _WRONG_LINK)

    def password_from_link(
        self,
        payload: Mapping[str, Any] | None,
        password: str,
        errors: FieldErrors,
        linked_user: Callable[..., User | None],
        wrong_link: str,
    ) -> UserOut:
        """Set the password of the account a signed link names (a reset or an invitation).

        Every problem is reported at once (`errors` may already hold the link's); the link is
        checked again under the row lock, so two tabs racing with one link set one password.
        Following the link proved the mailbox, so the address counts as verified, and the
        account's login failures are forgotten.
        """
        email = ""
        if payload:
            with self.reading() as uow:
                user = linked_user(uow.session, payload)
                if user is None:
                    errors.errors["token"] = [wrong_link]
                else:
                    email = user.email
        problems = self.check_password(password, email)
        if problems:
            errors.errors["password"] = problems
        errors.raise_if_any()
        new_hash = hash_password(password)  # outside the transaction: Argon2 is slow on purpose
        with self.transaction() as uow:
            user = linked_user(uow.session, payload, lock=True)
            if user is None:
                raise InvalidInput(wrong_link, field="token")
            now = self.helpdesk.clock.now()
            user.password_hash = new_hash
            user.password_changed_at = now
            if user.email_verified_at is None:
                user.email_verified_at = now
            uow.session.execute(
                delete(LoginFailure).where(LoginFailure.key == _account_key(user.email_key))
            )
            return user_out(user)

    # ------------------------------------------------------------------ two-factor (TOTP)

    def needs_second_factor(self, user_id: int) -> bool:
        """Whether this user must enter a code from their app after their password."""
        with self.reading() as uow:
            user = uow.session.get(User, user_id)
            return user is not None and user.totp_secret is not None

    def two_factor_required(self, user: int | UserOut) -> bool:
        """Whether this user must set up two-factor authentication before using the portal
        (staff, on a site that requires it, without it yet)."""
        if not self.settings.require_two_factor_for_agents:
            return False
        user_id = user if isinstance(user, int) else user.id
        with self.reading() as uow:
            row = uow.session.get(User, user_id)
            return row is not None and row.role.is_staff and row.totp_secret is None

    def verify_second_factor(self, user_id: int, code: str, *, address: str) -> bool:
        """Whether `code` is the current code of the user's authenticator app.

        Wrong codes are counted like failed logins (per user and per address); too many raise
        `RateLimited` before the code is checked.
        """
        settings = self.settings
        factor_key, address_key = f"totp:{user_id}", _address_key(address)
        with self.reading() as uow:
            self._refuse_if_locked(
                uow.session,
                {
                    factor_key: settings.login_max_failures,
                    address_key: settings.login_max_failures_per_address,
                },
            )
            user = active_account(uow.session, user_id)
            secret = user.totp_secret if user is not None else None
        if secret is not None and _code_matches(secret, code, self.helpdesk.clock.now()):
            with self.transaction() as uow:
                uow.session.execute(delete(LoginFailure).where(LoginFailure.key == factor_key))
            return True
        self._record_failures([factor_key, address_key])
        return False

    def new_totp_secret(self) -> str:
        """A fresh secret for the set-up page (saved only by `enable_two_factor`)."""
        return pyotp.random_base32()

    def totp_uri(self, secret: str, email: str) -> str:
        """The `otpauth://` address an authenticator app reads from a QR code."""
        return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=self.settings.site_name)

    def enable_two_factor(self, actor: Actor, secret: str, code: str) -> ProfileOut:
        """Save `secret` once the actor proved their app holds it with a current `code`."""
        if not _valid_secret(secret):
            raise InvalidInput("start the set-up again: this key is not valid", field="code")
        if not _code_matches(secret, code, self.helpdesk.clock.now()):
            raise InvalidInput(_WRONG_CODE, field="code")
        with self.transaction() as uow:
            user = _own_user(uow.session, actor)
            user.totp_secret = secret
            return _profile(user)

    def disable_two_factor(self, actor: Actor, password: str) -> ProfileOut:
        """Switch two-factor authentication off, after the actor confirmed their password.

        Refused for staff on a site that requires it. Wrong passwords count as failed logins.
        """
        with self.reading() as uow:
            user = _own_user(uow.session, actor)
            if self.settings.require_two_factor_for_agents and user.role.is_staff:
                raise InvalidInput(
                    "this site requires two-factor authentication for staff accounts", field=""
                )
            user_id, password_hash = user.id, user.password_hash
            account_key = _account_key(user.email_key)
            self._refuse_if_locked(uow.session, {account_key: self.settings.login_max_failures})
        if not _password_matches(password_hash, password):
            self._record_failures([account_key])
            raise InvalidInput("the password is wrong", field="password")
        with self.transaction() as uow:
            user = _user_for_update(uow.session, user_id)
            user.totp_secret = None
            return _profile(user)

    # ------------------------------------------------------------------ profile

    def profile(self, user_id: int) -> ProfileOut:
        """The user's own account page."""
        with self.reading() as uow:
            user = uow.session.get(User, user_id)
            if user is None:
                raise NotFound(f"no user {user_id}")
            return _profile(user)

    def update_profile(
        self,
        actor: Actor,
        *,
        display_name: str | None = None,
        timezone: str | None = None,
        locale: str | None = None,
        notification_preferences: Mapping[str, bool] | None = None,
    ) -> ProfileOut:
        """Change the actor's own name, time zone, language and which emails they get.

        Arguments left at None stay as they are; preferences not named keep their value.
        Customers choose `replies` and `status`; staff also `new_tickets` and
        `customer_replies`.
        """
        with self.transaction() as uow:
            user = _own_user(uow.session, actor)
            errors = FieldErrors()
            name = errors.check(_valid_name, display_name) if display_name is not None else None
            zone = errors.check(_valid_timezone, timezone) if timezone is not None else None
            language = errors.check(_valid_locale, locale) if locale is not None else None
            preferences = (
                errors.check(_valid_preferences, user.role, notification_preferences)
                if notification_preferences is not None
                else None
            )
            errors.raise_if_any()
            if name is not None:
                user.display_name = name
            if zone is not None:
                user.timezone = zone
            if language is not None:
                user.locale = language
            if preferences is not None:
                # A new dict, so the JSON column sees the change.
                user.notification_preferences = {
                    **(user.notification_preferences or {}),
                    **preferences,
                }
            return _profile(user)

    # ------------------------------------------------------------------ rate limiting

    def _refuse_if_locked(self, session: Session, limits: Mapping[str, int]) -> None:
        """Raise `RateLimited` if any key has reached its limit of failures in the window; the
        wait is until enough of them have left the window."""
        now = self.helpdesk.clock.now()
        window = timedelta(minutes=self.settings.login_lockout_minutes)
        wait = 0.0
        for key, limit in limits.items():
            recent = session.scalars(
                select(LoginFailure.failed_at)
                .where(LoginFailure.key == key, LoginFailure.failed_at > now - window)
                .order_by(LoginFailure.failed_at.desc())
                .limit(limit)
            ).all()
            if len(recent) >= limit:
                wait = max(wait, (recent[limit - 1] + window - now).total_seconds())
        if wait > 0:
            raise RateLimited(math.ceil(wait))

    def _record_failures(self, keys: Iterable[str]) -> None:
        """Count a failure against each key, in its own committed transaction (the caller is
        about to raise), and forget failures too old to count."""
        now = self.helpdesk.clock.now()
        cutoff = now - timedelta(minutes=self.settings.login_lockout_minutes)
        with self.transaction() as uow:
            uow.session.add_all(LoginFailure(key=key, failed_at=now) for key in keys)
            uow.session.execute(delete(LoginFailure).where(LoginFailure.failed_at <= cutoff))

    # ------------------------------------------------------------------ links

    def _queue_mail(
        self,
        uow: UnitOfWork,
        kind: AccountMail,
        user: User,
        *,
        link: str = "",
        valid_for: timedelta | None = None,
    ) -> None:
        """Queue an account email, unless this user already got `login_max_failures` of this
        kind within the lockout window: a form anyone can post must not flood a mailbox."""
        now = self.helpdesk.clock.now()
        since = now - timedelta(minutes=self.settings.login_lockout_minutes)
        recent = uow.session.scalar(
            select(func.count()).where(
                OutboxMessage.event == kind.value,
                OutboxMessage.recipient_user_id == user.id,
                OutboxMessage.created_at > since,
            )
        )
        if (recent or 0) >= self.settings.login_max_failures:
            return
        queue_account_email(uow, kind, user, link=link, valid_for=valid_for)

    def _queue_verification(self, uow: UnitOfWork, user: User) -> None:
        token = self._dump({"u": user.id, "e": user.email_key}, _VERIFY_SALT)
        self._queue_mail(
            uow,
            AccountMail.VERIFY,
            user,
            link=account_url(self.settings.site_url, f"verify/{token}"),
            valid_for=timedelta(hours=self.settings.verification_link_hours),
        )

    def _queue_reset(self, uow: UnitOfWork, user: User) -> None:
        token = self._dump({"u": user.id, "f": self._fingerprint(user)}, _RESET_SALT)
        self._queue_mail(
            uow,
            AccountMail.RESET,
            user,
            link=account_url(self.settings.site_url, f"reset/{token}"),
            valid_for=timedelta(minutes=self.settings.password_reset_minutes),
        )

    def _serializer(self, salt: str) -> URLSafeTimedSerializer:
        key = self.settings.secret_key
        if not key:
            raise ConfigurationError(
                "set secret_key (TICKETCORE_SECRET_KEY) to a long random value: it signs "
                "verification and password-reset links"
            )
        return URLSafeTimedSerializer(
            key,
            salt=salt,
            signer=_ClockSigner,
            signer_kwargs={"clock": self.helpdesk.clock, "digest_method": hashlib.sha256},
        )

    def _dump(self, payload: dict[str, Any], salt: str) -> str:
        return str(self._serializer(salt).dumps(payload))

    def _load(self, token: str, salt: str, max_age: int) -> dict[str, Any]:
        serializer = self._serializer(salt)
        try:
            payload = serializer.loads(token.strip(), max_age=max_age)
        except BadData:
            raise InvalidInput(_WRONG_LINK, field="token") from None
        if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
            raise InvalidInput(_WRONG_LINK, field="token")
        return payload

    def _reset_user(
        self, session: Session, payload: Mapping[str, Any], *, lock: bool = False
    ) -> User | None:
        """The account a reset link names, while the password it was made for is unchanged."""
        user = _user_of(session, payload, lock=lock)
        if user is None or not hmac.compare_digest(
            str(payload.get("f", "")), self._fingerprint(user)
        ):
            return None
        return user

    def _fingerprint(self, user: User) -> str:
        """Changes whenever the password does, so a reset link works once. Keyed, so the
        (readable) token says nothing about the hash."""
        changed = user.password_changed_at.isoformat() if user.password_changed_at else ""
        material = f"{user.id}|{user.password_hash or ''}|{changed}".encode()
        key = self.settings.secret_key.encode()
        return hmac.new(key, material, hashlib.sha256).hexdigest()[:32]


class _ClockSigner(TimestampSigner):
    """Dates signatures by the helpdesk clock, so expiry follows the same time as everything
    else (and a test's fake clock)."""

    def __init__(self, *args: Any, clock: Clock, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clock = clock

    def get_timestamp(self) -> int:
        return int(self.clock.now().timestamp())


# ---------------------------------------------------------------------------- helpers


def _own_user(session: Session, actor: Actor) -> User:
    """The actor's own active account; anyone else (guests, the system) has no profile."""
    user = active_account(session, actor.user_id) if actor.user_id is not None else None
    if user is None:
        raise NotFound("no account")
    return user


def _user_for_update(session: Session, user_id: int) -> User:
    user = active_account(session, user_id, for_update=True)
    if user is None:
        raise NotFound("no account")
    return user


def _user_of(session: Session, payload: Mapping[str, Any], *, lock: bool = False) -> User | None:
    """The active account a link's payload names, or None."""
    return active_account(session, payload["u"], for_update=lock)


def _profile(user: User) -> ProfileOut:
    stored = user.notification_preferences or {}
    keys = STAFF_PREFERENCES if user.role.is_staff else CUSTOMER_PREFERENCES
    return ProfileOut.model_validate(
        {
            **user_out(user).model_dump(),
            "two_factor_enabled": user.totp_secret is not None,
            "email_verified": user.email_verified_at is not None,
            "notification_preferences": {key: stored.get(key, True) is not False for key in keys},
        }
    )


def _account_key(key: str) -> str:
    return f"account:{key}"[:_KEY_MAX]


def _address_key(address: str) -> str:
    return f"address:{address.strip()}"[:_KEY_MAX]


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def _password_matches(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash to check against, hash anyway, so the answer takes as
    long for an unknown address as for a known one."""
    if not password_hash:
        verify_password(_dummy_hash(), password)
        return False
    return verify_password(password_hash, password)


def _code_matches(secret: str, code: str, now: datetime) -> bool:
    digits = "".join(code.split())
    if len(digits) != 6 or not digits.isdigit():
        return False
    return pyotp.TOTP(secret).verify(digits, for_time=now, valid_window=1)


def _valid_secret(secret: str) -> bool:
    try:
        pyotp.TOTP(secret).byte_secret()
    except (ValueError, TypeError):
        return False
    return 16 <= len(secret) <= 64


def _valid_name(value: str) -> str:
    name = value.strip()
    if not name:
        raise InvalidInput("is required", field="display_name")
    if len(name) > NAME_MAX:
        raise InvalidInput(f"must be at most {NAME_MAX} characters", field="display_name")
    return name


@cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def _valid_timezone(value: str) -> str:
    zone = value.strip()
    if zone not in _timezones():
        raise InvalidInput("unknown time zone", field="timezone")
    return zone


def _valid_locale(value: str) -> str:
    text = value.strip()
    try:
        parsed = Locale.parse(text, sep="-" if "-" in text else "_")
    except (UnknownLocaleError, ValueError, TypeError):
        raise InvalidInput("unknown language", field="locale") from None
    return str(parsed)


def _valid_preferences(role: Role, values: Mapping[str, bool]) -> dict[str, bool]:
    allowed = STAFF_PREFERENCES if role.is_staff else CUSTOMER_PREFERENCES
    unknown = sorted(key for key in values if key not in allowed)
    if unknown:
        raise InvalidInput(
            f"unknown notification: {', '.join(unknown)}", field="notification_preferences"
        )
    if any(not isinstance(value, bool) for value in values.values()):
        raise InvalidInput("each choice must be on or off", field="notification_preferences")
    return dict(values)
