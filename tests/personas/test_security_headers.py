import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct-horse-battery-42"
EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "connect-src": "'self' ws: wss:",
    "img-src": "'self' data:",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'self'",
}
# A <script> element without src=, an on*= event handler attribute, or a javascript: URL.
INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|javascript:", re.IGNORECASE
)
# style-src 'self' blocks <style> elements and style= attributes too.
INLINE_STYLE = re.compile(r"<style[\s>]|\sstyle\s*=", re.IGNORECASE)


def csp(response) -> dict[str, str]:
    directives = (d.strip().split(None, 1) for d in response["Content-Security-Policy"].split(";"))
    return {name: value for name, value in directives}


@pytest.fixture
def ana():
    return User.objects.create_user("ana", password=PASSWORD)


@pytest.mark.parametrize("url", ["/accounts/login/", "/accounts/signup/", "/healthz", "/no-such/"])
def test_every_response_carries_the_policy(client, url):
    response = client.get(url)
    assert csp(response) == EXPECTED_CSP
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_rejected_host_error_page_has_the_policy_too(client):
    response = client.get("/accounts/login/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert csp(response) == EXPECTED_CSP


def test_pages_of_a_logged_in_user_have_no_inline_script_or_style(client, ana):
    client.force_login(ana)
    for url in ["/", reverse("password_change")]:
        response = client.get(url)
        assert response.status_code == 200
        assert csp(response) == EXPECTED_CSP
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html) and not INLINE_STYLE.search(html), url


def test_no_template_contains_inline_script_or_style():
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "templates").rglob("*.html")
        if INLINE_SCRIPT.search(path.read_text()) or INLINE_STYLE.search(path.read_text())
    ]
    assert offenders == []


def test_session_and_csrf_cookies_are_httponly_samesite_and_secure(client, ana):
    response = client.post(reverse("login"), {"username": "ana", "password": PASSWORD})
    assert response.status_code == 302
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["httponly"] and session["samesite"] == "Lax"
    # Tests run without DJANGO_DEBUG, i.e. like production: cookies only travel over HTTPS.
    assert session["secure"]
    form = Client().get(reverse("login"))
    csrf = form.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["httponly"] and csrf["samesite"] == "Lax" and csrf["secure"]


def test_scripts_take_the_csrf_token_from_the_page_not_the_cookie():
    """What lets the CSRF cookie be HttpOnly."""
    scripts = [path.read_text() for path in (ROOT / "static" / "js").glob("*.js")]
    assert scripts and not any("cookie" in script.lower() for script in scripts)


def test_hsts_on_https_requests(client):
    response = client.get(reverse("login"), secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


@pytest.mark.parametrize("url", ["login", "signup", "logout"])
def test_state_changing_account_forms_need_the_csrf_token(url):
    response = Client(enforce_csrf_checks=True).post(reverse(url), {"username": "x"})
    assert response.status_code == 403


def settings_under(env: dict[str, str]) -> dict:
    """Import the settings module in a fresh interpreter with the given environment."""
    names = ["DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS"]
    code = (
        "import json, avatar_site.settings as s;"
        f"print(json.dumps({{n: getattr(s, n) for n in {names!r}}}))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean | env,
        capture_output=True, text=True, timeout=60, check=True,
    )
    return json.loads(result.stdout)


def test_debug_drops_secure_cookies_and_hsts_production_keeps_them():
    debug = settings_under({"DJANGO_DEBUG": "1"})
    assert debug == {
        "DEBUG": True, "SESSION_COOKIE_SECURE": False, "CSRF_COOKIE_SECURE": False,
        "SECURE_HSTS_SECONDS": 0,
    }
    production = settings_under({})
    assert production == {
        "DEBUG": False, "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31536000,
    }
