"""Django's logged-in user as the portal's `HostUser`.

Django is the authority on its users: their email and name follow Django's, and so does their
role — superusers are admins, staff (or members of `AGENT_GROUP`) are agents, everyone else a
customer, unless `ROLE` decides. Taking staff status away in Django takes the agent portal away
on that person's next request.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ticketcore.web import HostUser

from .conf import Options


def host_user(request: HttpRequest, options: Options) -> HostUser | None:
    user: Any = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return HostUser(
        external_id=str(user.pk),
        email=str(getattr(user, "email", "") or ""),
        display_name=user.get_full_name() or user.get_username(),
        role=role_of(user, options),
    )


def role_of(user: Any, options: Options) -> str | None:
    if options.role is not None:
        return options.role(user)
    if user.is_superuser:
        return "admin"
    if options.agent_group is not None:
        staff = user.groups.filter(name=options.agent_group).exists()
    else:
        staff = user.is_staff
    return "agent" if staff else "customer"
