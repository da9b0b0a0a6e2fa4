"""The one Django view: translates the request for `Portal.handle` and its answer back.

CSRF is Django's own (`CsrfViewMiddleware`, its cookie and token), checked here rather than by
the global middleware so that a failed check shows the portal's "This form has expired" page
like every other portal error, and so it holds even on a project without the middleware.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth import SESSION_KEY as DJANGO_LOGIN_KEY
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import CsrfViewMiddleware, get_token, rotate_token
from django.templatetags.static import static
from django.views.decorators.csrf import csrf_exempt

from ticketcore.web import HostCsrf, Params, Request, Response, UploadedFile
from ticketcore.web.identity import USER_KEY

from .conf import desk
from .identity import host_user

CSRF_FIELD = "csrfmiddlewaretoken"
_csrf = CsrfViewMiddleware(lambda request: HttpResponse())


@csrf_exempt  # not exempt: checked below, with the same middleware
def portal(request: HttpRequest, path: str) -> HttpResponse:
    site = desk()
    _csrf.process_request(request)
    csrf_valid = _csrf.process_view(request, None, (), {}) is None
    session = request.session
    user_before = session.get(USER_KEY)
    django_login_before = DJANGO_LOGIN_KEY in session
    files = {
        name: [
            UploadedFile(filename=f.name or "", content=f.read(), content_type=f.content_type)
            for f in request.FILES.getlist(name)
        ]
        for name in request.FILES
    }
    portal_request = Request(
        method=request.method or "GET",
        path="/" + path,
        script_root=request.path[: len(request.path) - len(path)].rstrip("/"),
        query=Params(dict(request.GET.lists())),
        form=Params(dict(request.POST.lists())),
        files=files,
        session=session,
        remote_addr=request.META.get("REMOTE_ADDR", ""),
        headers=dict(request.headers),
        host_user=host_user(request, site.options),
        host_csrf=HostCsrf(token=get_token(request), field=CSRF_FIELD, valid=csrf_valid),
        static_url=static if apps.is_installed("django.contrib.staticfiles") else None,
    )
    answer = site.portal.handle(portal_request)
    if django_login_before and DJANGO_LOGIN_KEY not in session:
        logout(request)  # the portal's "Log out": Django's way (signal, new session and token)
    elif session.get(USER_KEY) != user_before:
        session.cycle_key()  # logging in or out starts a new session and token: no fixation
        rotate_token(request)
    return _csrf.process_response(request, _to_django(answer))


def _to_django(answer: Response) -> HttpResponse:
    response: HttpResponse
    if answer.location is not None:  # a redirect class, as Django's own middleware expects
        response = HttpResponseRedirect(answer.location, status=answer.status)
    else:
        response = HttpResponse(answer.body, status=answer.status)
    response.headers["Content-Type"] = answer.content_type
    for name, value in answer.headers:
        response.headers[name] = value
    return response
