"""Without debug (the default) errors show the app's own pages: no URL list on a 404, no
traceback or settings on a 500."""

import pytest
from django.test import Client


@pytest.mark.django_db
def test_404_is_our_page_without_the_url_list(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html and "Back to your personas" in html
    assert "URLconf" not in html and "admin/" not in html


@pytest.mark.urls("tests.personas.failing_urls")
def test_500_is_our_page_without_traceback_or_settings():
    response = Client(raise_request_exception=False).get("/fail/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html and 'href="/static/css/site.css"' in html
    assert "a bug in a view" not in html and "Traceback" not in html and "SECRET" not in html
