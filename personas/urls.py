from django.urls import path

from personas.views import dashboard

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
]
