"""The server as `make run` starts it (no DJANGO_DEBUG): static files and the icon are
served, and errors show our own pages, never Django's debug pages (the URL list on a 404, a
settings dump on a 500). No browser needed."""

import urllib.error
import urllib.request

import pytest


def get(url: str) -> tuple[int, str, str]:
    """Status, content type and body; redirects are followed."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


@pytest.mark.timeout(180)
def test_static_files_icon_and_error_pages_without_debug(server):
    status, kind, body = get(server + "/static/css/site.css")
    assert status == 200 and kind.startswith("text/css") and "--accent" in body
    status, kind, body = get(server + "/favicon.ico")
    assert status == 200 and kind.startswith("image/svg+xml") and "<svg" in body
    login_page = get(server + "/accounts/login/")[2]
    assert 'rel="icon" href="/static/img/favicon.svg"' in login_page

    # A 404 from the URL resolver and one raised by a view (a bad share link).
    for path in ("/no-such-page/", "/s/no-such-token/"):
        status, _, body = get(server + path)
        assert status == 404, path
        assert "Page not found" in body, path
        assert "URLconf" not in body and "Traceback" not in body, path
