from django.contrib import admin
from django.urls import include, path

from personas.views import health

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("accounts/", include("personas.account_urls")),
    path("", include("personas.urls")),
]
