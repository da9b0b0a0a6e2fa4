"""The Django app: registers the system checks and rebuilds the helpdesk when tests change the
settings it was built from."""

from __future__ import annotations

from django.apps import AppConfig


class TicketcoreConfig(AppConfig):
    name = "ticketcore_django"
    label = "ticketcore"
    verbose_name = "Support desk"

    def ready(self) -> None:
        from django.core.signals import setting_changed

        from . import checks, conf

        checks.register()
        setting_changed.connect(conf.settings_changed)
