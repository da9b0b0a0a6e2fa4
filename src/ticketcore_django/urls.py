"""Mount with `path("support/", include("ticketcore_django.urls"))`: every address below the
mount point goes to the portal, which has its own router."""

from __future__ import annotations

from django.urls import path, re_path

from .views import portal

app_name = "ticketcore"

urlpatterns = [
    path("", portal, {"path": ""}, name="portal"),
    re_path(r"^(?P<path>.+)$", portal, name="portal"),
]
