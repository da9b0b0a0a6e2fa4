"""The URLs of the Django site `measure.py` runs django-helpdesk in: /helpdesk/ and the admin.

The admin is there because django-helpdesk's agent ticket page links the submitter's user to
its admin page (it reverses `admin:auth_user_change`), as its install guide expects.
"""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("helpdesk/", include("helpdesk.urls", namespace="helpdesk")),
]
