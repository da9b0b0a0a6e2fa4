"""The URLs of the Django site `pages.py` measures: the portals under /support/, nothing else."""

from django.urls import include, path

urlpatterns = [path("support/", include("ticketcore_django.urls"))]
