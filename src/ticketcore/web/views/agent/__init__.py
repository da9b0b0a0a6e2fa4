"""The agent portal: every route name starts with `agent.`, which the portal's gate keeps to
staff (customers get 404); `agent.admin.` routes are for admins only."""

from __future__ import annotations

from ...routing import Router
from . import (
    admin_canned,
    admin_home,
    admin_organizations,
    admin_settings,
    admin_sla,
    admin_teams,
    admin_templates,
    admin_users,
    dashboard,
    kb,
    message_client,
    queues,
    tasks,
    ticket,
    ticket_extras,
)


def register(router: Router, prefix: str) -> None:
    for module in (
        dashboard,
        queues,
        message_client,
        tasks,
        ticket,
        ticket_extras,
        admin_home,
        admin_teams,
        admin_organizations,
        admin_users,
        admin_templates,
        admin_sla,
        admin_canned,
        admin_settings,
        kb,
    ):
        module.register(router, prefix)
