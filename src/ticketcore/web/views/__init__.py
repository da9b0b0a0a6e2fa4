"""The portal's pages, one module per area; each module adds its routes to the router."""

from __future__ import annotations

from ..routing import Router
from . import account, account_invite, agent, home, kb, ticket_new, ticket_page, tickets


def register_views(router: Router, agent_path: str) -> None:
    for module in (home, tickets, ticket_new, ticket_page, account, account_invite, kb):
        module.register(router)
    agent.register(router, agent_path)
