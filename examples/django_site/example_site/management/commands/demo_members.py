"""`manage.py demo_members`: the site's own member, to try the portal as someone the site
already knows. Safe to run again: the member's name and password are set back to these."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

EMAIL = "sam@members.example.org"
PASSWORD = "member-password"


class Command(BaseCommand):
    help = f"Create the site member {EMAIL} (password {PASSWORD})."

    def handle(self, *args: Any, **options: Any) -> None:
        member, _ = get_user_model().objects.update_or_create(
            username=EMAIL, defaults={"email": EMAIL, "first_name": "Sam", "last_name": "Member"}
        )
        member.set_password(PASSWORD)
        member.save(update_fields=["password"])
        self.stdout.write(f"Site member login (the site's own accounts): {EMAIL} / {PASSWORD}")
