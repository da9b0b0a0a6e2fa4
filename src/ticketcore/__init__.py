"""ticketcore: a complete support desk for any Python web site.

Everything public is re-exported here; other modules are internal and may change.
"""

from .clock import Clock, FakeClock, SystemClock
from .errors import (
    ConfigurationError,
    Conflict,
    InvalidInput,
    InvalidTransition,
    LoginFailed,
    NotFound,
    PermissionDenied,
    RateLimited,
    StaleTicket,
    TicketcoreError,
)
from .helpdesk import Helpdesk
from .hookspecs import hookimpl
from .permissions import Access, Action, Actor, ActorKind
from .settings import Settings
from .workflow import Priority, Status, StatusGroup, TicketKind

__version__ = "0.1.0.dev0"

__all__ = [
    "Access",
    "Action",
    "Actor",
    "ActorKind",
    "Clock",
    "ConfigurationError",
    "Conflict",
    "FakeClock",
    "Helpdesk",
    "InvalidInput",
    "InvalidTransition",
    "LoginFailed",
    "NotFound",
    "PermissionDenied",
    "Priority",
    "RateLimited",
    "Settings",
    "StaleTicket",
    "Status",
    "StatusGroup",
    "SystemClock",
    "TicketKind",
    "TicketcoreError",
    "hookimpl",
]
