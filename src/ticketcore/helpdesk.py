"""`Helpdesk`: the composition root — settings, engine, sessions, plugins, clock and services.

Everything a host or plugin needs hangs off one object, so two helpdesks in one process (two
tests, two tenants) never share state.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy.orm import sessionmaker

from .checkpoints import Checkpointer
from .clock import Clock, SystemClock
from .db import is_sqlite_file, make_engine
from .models import Base
from .notify.inbound import InboundMailService
from .notify.outbox import OutboxService
from .plugins import make_plugin_manager
from .services import config_cache
from .services.accounts import UserService
from .services.attachments import AttachmentService
from .services.auth import AccountService
from .services.canned import CannedResponseService
from .services.conversations import ConversationService
from .services.dashboard import DashboardService
from .services.invitations import InvitationService
from .services.kb import KnowledgeBase
from .services.messages import MessageService
from .services.organizations import OrganizationService
from .services.saved_views import SavedViewService
from .services.secure_data import SecureDataService
from .services.site_settings import SiteSettingsService
from .services.sla import SlaService
from .services.tasks import TaskService
from .services.teams import TeamService
from .services.templates import TemplateService
from .services.tickets import TicketService
from .services.unit_of_work import shared_reads
from .settings import Settings
from .sla.calendar import BusinessCalendar
from .storage import LocalStorage, Storage


class Helpdesk:
    """A support desk on one database.

    `Helpdesk()` reads `TICKETCORE_*` environment variables; `Helpdesk(settings)` or
    `Helpdesk(database_url=..., organization_visibility="view")` configure it in code.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        clock: Clock | None = None,
        storage: Storage | None = None,
        plugins: Iterable[Any] = (),
        load_entrypoints: bool = True,
        **options: Any,
    ) -> None:
        if settings is None:
            settings = Settings.from_env(**options)
        elif options:  # validated like any other settings, not merely copied
            settings = Settings.from_mapping({**settings.model_dump(), **options})
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.engine = make_engine(settings.database_url, echo=settings.sql_echo)
        self._checkpoints = Checkpointer(self.engine) if is_sqlite_file(self.engine) else None
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        config_cache.watch(self.sessionmaker)  # edits of teams and SLA policies are noticed
        self.storage: Storage = storage or LocalStorage(settings.attachments_dir)
        self.plugins = make_plugin_manager(plugins, load_entrypoints=load_entrypoints)
        self.users = UserService(self)
        self.accounts = AccountService(self)
        self.invitations = InvitationService(self)
        self.organizations = OrganizationService(self)
        self.teams = TeamService(self)
        self.templates = TemplateService(self)
        self.tickets = TicketService(self)
        self.messages = MessageService(self)
        self.attachments = AttachmentService(self)
        self.secure_data = SecureDataService(self)
        self.sla = SlaService(self)
        self.conversations = ConversationService(self)
        self.tasks = TaskService(self)
        self.canned = CannedResponseService(self)
        self.saved_views = SavedViewService(self)
        self.dashboard = DashboardService(self)
        self.site_settings = SiteSettingsService(self)
        self.kb = KnowledgeBase(self)
        self.outbox = OutboxService(self)
        self.mail = InboundMailService(self)
        # Parsed business calendars by (id, version): building one is the slow part of SLA maths.
        self.calendar_cache: dict[Any, BusinessCalendar] = {}
        # While True, changes queue no email (bulk imports, demo data).
        self.mute_notifications = False
        # Portal settings an admin changed, over the configured ones (none before the tables exist).
        self.site_settings.load()

    @property
    def hook(self) -> Any:
        return self.plugins.hook

    def upgrade_database(self) -> None:
        """Bring the database schema up to date with the migrations shipped in the package."""
        from .migrate import upgrade

        upgrade(self.engine)

    def create_tables(self) -> None:
        """Create the tables straight from the models (tests, throwaway databases).

        Real sites use `upgrade_database()` so later versions can migrate them.
        """
        Base.metadata.create_all(self.engine)

    def shared_reads(self) -> AbstractContextManager[None]:
        """Inside this block, the reads of every service share one read transaction until the
        next write, which starts a fresh one: what the portal does for each request. Use it
        around a page of your own that calls several reading methods."""
        return shared_reads(self)

    def close(self) -> None:
        if self._checkpoints is not None:
            self._checkpoints.stop()
        self.engine.dispose()

    def __enter__(self) -> Helpdesk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Helpdesk {self.engine.url.render_as_string(hide_password=True)}>"
