"""The portal's pages, one module per area; each module adds its routes to the router."""

from __future__ import annotations

from ..routing import Router
from . import account, home, ticket_new, ticket_page, tickets


def register_views(router: Router) -> None:
    for module in (home, tickets, ticket_new, ticket_page, account):
        module.register(router)
