"""The site's own pages: a home page and the member login, Django's `LoginView` with the email
as the username (as members know it)."""

from __future__ import annotations

from typing import ClassVar

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UsernameField
from django.contrib.auth.views import LoginView
from django.contrib.messages.views import SuccessMessageMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class MemberLoginForm(AuthenticationForm):
    username = UsernameField(
        label="Email",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages: ClassVar[dict[str, str]] = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Email or password is wrong.",
    }

    def clean_username(self) -> str:
        """Usernames are stored in lower case; people type their email in any case."""
        return str(self.cleaned_data["username"]).lower()


class MemberLoginView(SuccessMessageMixin, LoginView):
    form_class = MemberLoginForm
    success_message = "Welcome back!"


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")
