"""The site's URLs plus one view that fails, for the 500 page test."""

from django.urls import path

from avatar_site.urls import urlpatterns as site_urlpatterns


def fail(request):
    raise RuntimeError("a bug in a view")


urlpatterns = [*site_urlpatterns, path("fail/", fail)]
