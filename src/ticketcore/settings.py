"""The one settings model. Every option has a default and a description that the docs reuse.

A setting has one name everywhere: field `organization_visibility`, environment variable and
Flask key `TICKETCORE_ORGANIZATION_VISIBILITY`, Django `TICKETCORE = {"ORGANIZATION_VISIBILITY": …}`.
`Settings.from_mapping` is the single place that translates those spellings.
"""

from __future__ import annotations

import os
import typing
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import InvalidInput

ENV_PREFIX = "TICKETCORE_"

DANGEROUS_EXTENSIONS = (
    "exe", "com", "bat", "cmd", "scr", "pif", "msi", "msp", "dll", "cpl", "jar", "js", "jse",
    "vbs", "vbe", "wsf", "wsh", "ps1", "psm1", "hta", "lnk", "reg", "sh", "app", "html", "htm",
    "svg", "xhtml", "php", "py", "iso",
)  # fmt: skip


class Settings(BaseModel):
    """Configuration of one `Helpdesk`. Build it with keyword arguments or `from_env()`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    database_url: str = Field(
        "sqlite:///ticketcore.db",
        description="SQLAlchemy URL of the database (SQLite, PostgreSQL with psycopg, "
        "MariaDB/MySQL with PyMySQL).",
    )
    sql_echo: bool = Field(False, description="Log every SQL statement (for debugging).")
    attachments_dir: str = Field(
        "ticketcore-attachments",
        description="Directory where the local storage backend keeps attachment files.",
    )
    site_name: str = Field("Support", description="Name of the support desk shown to users.")
    organization_visibility: Literal["none", "view", "view_and_reply"] = Field(
        "none",
        description="Whether customers see their organization's tickets: `none`, `view` "
        "(read only), or `view_and_reply`.",
    )
    agents_see_all_tickets: bool = Field(
        False,
        description="Let every agent see every ticket, not only their teams' and their own.",
    )
    public_tickets: bool = Field(
        False,
        description="Allow tickets marked public to be read by anyone (requester emails hidden).",
    )
    reply_on_closed: Literal["reopen", "refuse", "allow"] = Field(
        "reopen",
        description="What a customer reply to a Resolved or Closed ticket does: `reopen` it, "
        "`refuse` with a message, or `allow` without reopening.",
    )
    auto_close_days: int = Field(
        7,
        ge=0,
        description="Days after which a Resolved ticket closes by itself (0 disables); run by "
        "`ticketcore tickets auto-close`.",
    )
    assignment: Literal["organization_then_round_robin", "round_robin", "none"] = Field(
        "organization_then_round_robin",
        description="How new tickets get an assignee: the organization's assigned staff, then "
        "round-robin in the team; only round-robin; or leave them unassigned.",
    )
    sla_pause_statuses: tuple[Literal["open", "in_progress", "pending"], ...] = Field(
        ("pending",),
        description="Statuses in which the resolution clock stops (waiting on the customer).",
    )
    sla_at_risk_percent: int = Field(
        75,
        ge=0,
        le=100,
        description="A target is at risk once this share of its business time has passed "
        "(0 switches the rule off).",
    )
    sla_at_risk_minutes: int = Field(
        0,
        ge=0,
        description="A target is also at risk when this many business minutes or fewer are "
        "left (0 switches the rule off).",
    )
    customer_can_choose_team: bool = Field(
        True, description="Let customers pick the team (department) of a new ticket."
    )
    customer_can_choose_priority: bool = Field(
        True, description="Let customers pick the priority of a new ticket."
    )
    site_url: str = Field(
        "http://localhost:5000/support",
        description="Public address of the portal, for links in emails (no trailing slash).",
    )
    mail_from: str = Field(
        "Support <support@example.com>",
        description="Sender of every email ticketcore sends.",
    )
    reply_address: str = Field(
        "support@example.com",
        description="Address replies go to; a ticket's token is added as `support+<token>@…`.",
    )
    mail_transport: Literal["smtp", "console"] = Field(
        "console",
        description="How email leaves: `smtp`, or `console` (printed, for development).",
    )
    smtp_host: str = Field("localhost", description="SMTP server host name.")
    smtp_port: int = Field(25, ge=1, le=65535, description="SMTP server port.")
    smtp_security: Literal["none", "starttls", "ssl"] = Field(
        "none", description="Plain SMTP, STARTTLS upgrade, or SMTP over SSL/TLS."
    )
    smtp_username: str = Field("", description="SMTP login name (empty: no login).")
    smtp_password: str = Field("", description="SMTP password.")
    smtp_timeout: float = Field(10.0, gt=0, description="Seconds to wait for the SMTP server.")
    deliver_after_commit: bool = Field(
        True,
        description="Try to send a change's emails right after it commits (failures wait in "
        "the outbox); off: only `ticketcore outbox run` workers send.",
    )
    outbox_max_attempts: int = Field(
        8, ge=1, description="Attempts before an email is marked failed."
    )
    outbox_retry_seconds: int = Field(
        30,
        ge=1,
        description="Wait before the first retry; each later retry waits twice as long.",
    )
    inbound_create_tickets: bool = Field(
        True,
        description="Let email to the support address that matches no ticket open a new one.",
    )
    inbound_max_bytes: int = Field(
        25 * 1024 * 1024, ge=1024, description="Largest inbound email accepted, in bytes."
    )
    brand_color: str = Field(
        "#2563eb",
        pattern=r"^#[0-9a-fA-F]{6}$",
        description="Accent colour of the portals and emails.",
    )
    logo_url: str = Field("", description="Address of the logo shown in the portals and emails.")
    max_attachment_bytes: int = Field(
        10 * 1024 * 1024, ge=1, description="Largest attachment accepted, in bytes."
    )
    max_attachments_per_message: int = Field(
        10, ge=0, description="How many files one message may carry."
    )
    blocked_attachment_extensions: tuple[str, ...] = Field(
        DANGEROUS_EXTENSIONS,
        description="File name extensions refused as attachments (executables, scripts, HTML).",
    )

    url_prefix: str = Field(
        "/support",
        pattern=r"^(/[A-Za-z0-9._~-]+)+$",
        description="Path under which the adapters mount the customer portal (the agent "
        "portal sits below it).",
    )
    agent_path: str = Field(
        "/agent",
        pattern=r"^(/[A-Za-z0-9._~-]+)+$",
        description="Path of the agent portal below `url_prefix`: with the defaults agents "
        "work at `/support/agent`.",
    )
    secret_key: str = Field(
        "",
        description="Secret that signs password-reset and email-verification links (the Flask "
        "adapter falls back to `app.secret_key`). The portals refuse to start without one; keep it stable across processes.",
    )
    allow_registration: bool = Field(
        True, description="Let visitors create a customer account in the portal."
    )
    email_verification: bool = Field(
        False,
        description="New accounts must follow an emailed link before they can log in.",
    )
    guest_tickets: bool = Field(
        True,
        description="Let visitors without an account open a ticket with their email address; "
        "the emailed secret link opens that ticket only.",
    )
    password_min_length: int = Field(
        10, ge=8, le=128, description="Shortest password accepted for an account."
    )
    password_rules: tuple[Literal["digit", "letter", "mixed_case", "symbol"], ...] = Field(
        ("letter", "digit"),
        description="Kinds of character every new password must contain (`digit`, `letter`, "
        "`mixed_case`, `symbol`); passwords equal to the email or its name part are refused.",
    )
    login_max_failures: int = Field(
        5, ge=1, description="Failed logins for one account before it is paused."
    )
    login_max_failures_per_address: int = Field(
        20, ge=1, description="Failed logins from one network address before it is paused."
    )
    login_lockout_minutes: int = Field(
        15,
        ge=1,
        description="Window in which failures are counted, and how long a pause lasts.",
    )
    session_idle_minutes: int = Field(
        120, ge=1, description="A portal session ends after this many minutes without a request."
    )
    password_reset_minutes: int = Field(
        60, ge=5, description="How long a password-reset link stays valid (it works once)."
    )
    verification_link_hours: int = Field(
        72, ge=1, description="How long an email-verification link stays valid."
    )
    invitation_days: int = Field(
        7,
        ge=1,
        le=90,
        description="How long the link in an invitation to a new account stays valid (it works "
        "once).",
    )
    require_two_factor_for_agents: bool = Field(
        False,
        description="Agents and admins must set up two-factor authentication (TOTP) before "
        "they can use the portal.",
    )
    secure_data_key: str = Field(
        "",
        description="Fernet key (`ticketcore keys secure-data` prints a new one) that encrypts "
        "secure data at rest; empty switches secure data off.",
    )
    secure_data_purge_on_close: bool = Field(
        True, description="Purge a ticket's secure data automatically when it is closed."
    )

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], prefix: str = "") -> Settings:
        """Build settings from `NAME`/`PREFIXNAME` keys (any case); unknown prefixed keys fail.

        Raises `InvalidInput` naming each bad setting.
        """
        fields = cls.model_fields
        data: dict[str, Any] = {}
        unknown: list[str] = []
        for key, value in values.items():
            if prefix and not key.upper().startswith(prefix):
                continue
            name = key[len(prefix) :].lower()
            if name not in fields:
                unknown.append(key)
                continue
            if isinstance(value, str) and _is_sequence(fields[name].annotation):
                value = tuple(part.strip() for part in value.split(",") if part.strip())
            data[name] = value
        errors: dict[str, list[str]] = {k: ["unknown setting"] for k in unknown}
        try:
            settings = cls(**data)
        except ValidationError as exc:
            for err in exc.errors():
                field = f"{prefix}{str(err['loc'][0]).upper()}" if err["loc"] else ""
                errors.setdefault(field, []).append(err["msg"])
            raise InvalidInput(errors) from None
        if errors:
            raise InvalidInput(errors)
        return settings

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read `TICKETCORE_*` environment variables; keyword overrides win."""
        env = os.environ if environ is None else environ
        known = {f"{ENV_PREFIX}{name.upper()}" for name in cls.model_fields}
        picked: dict[str, Any] = {k: v for k, v in env.items() if k in known}
        picked.update({f"{ENV_PREFIX}{k.upper()}": v for k, v in overrides.items()})
        return cls.from_mapping(picked, prefix=ENV_PREFIX)


def _is_sequence(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (tuple, list)
