"""The site's own pages, and the support portals below /support/."""

from __future__ import annotations

from django.contrib.auth.views import LogoutView
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.MemberLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("support/", include("ticketcore_django.urls")),
]
