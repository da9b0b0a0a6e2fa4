"""Django adapter: the ticketcore customer and agent portals inside an existing Django project.

    INSTALLED_APPS = [..., "ticketcore_django"]
    urlpatterns = [..., path("support/", include("ticketcore_django.urls"))]
    # python manage.py migrate    (also brings ticketcore's own tables up to date)

Only translation lives here: settings (`TICKETCORE = {...}`), the database of `DATABASES`,
requests and responses, `request.user`, Django's CSRF and sessions, and `manage.py ticketcore`.
The portals themselves are framework-neutral, in `ticketcore.web`. Developers reach the site's
helpdesk with `get_helpdesk()`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ticketcore import Helpdesk

__all__ = ["get_helpdesk"]


def get_helpdesk() -> Helpdesk:
    """The site's helpdesk, built from settings on first use and shared by every request."""
    from .conf import desk

    return desk().helpdesk
