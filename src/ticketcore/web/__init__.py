"""The portals, framework-neutral: an adapter hands a `Request` to `Portal.handle` and sends
back the `Response`."""

from __future__ import annotations

from .http import HostCsrf, HostUser, Params, Request, Response, UploadedFile
from .portal import Portal
from .social import ExternalIdentity, LoginProvider

__all__ = [
    "ExternalIdentity",
    "HostCsrf",
    "HostUser",
    "LoginProvider",
    "Params",
    "Portal",
    "Request",
    "Response",
    "UploadedFile",
]
