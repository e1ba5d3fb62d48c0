import pytest
from django.contrib.auth.models import User
from django.urls import reverse

pytestmark = pytest.mark.django_db

STRONG = "correct-horse-battery-42"


def signup(client, username="ana", p1=STRONG, p2=STRONG):
    return client.post(
        reverse("signup"), {"username": username, "password1": p1, "password2": p2}
    )


def test_anonymous_dashboard_redirects_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_signup_page_renders(client):
    response = client.get(reverse("signup"))
    assert response.status_code == 200
    assert b"Create your account" in response.content


def test_signup_lands_on_dashboard_logout_and_login_again(client):
    response = signup(client)
    assert response.status_code == 302 and response["Location"] == "/"
    page = client.get("/")
    assert page.status_code == 200
    assert b"Create your digital self" in page.content

    assert client.get(reverse("logout")).status_code == 405  # log out is POST only
    client.post(reverse("logout"))
    assert client.get("/").status_code == 302

    response = client.post(reverse("login"), {"username": "ana", "password": STRONG})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_duplicate_username_shows_error_and_creates_nothing(client):
    User.objects.create_user("ana", password=STRONG)
    response = signup(client)
    assert response.status_code == 200
    assert b"already exists" in response.content
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("p1", "p2", "message"),
    [(STRONG, STRONG + "x", b"didn"), ("1234", "1234", b"too short")],
)
def test_bad_passwords_show_errors(client, p1, p2, message):
    response = signup(client, p1=p1, p2=p2)
    assert response.status_code == 200
    assert message in response.content
    assert not User.objects.exists()


def test_wrong_password_does_not_log_in(client):
    User.objects.create_user("ana", password=STRONG)
    response = client.post(reverse("login"), {"username": "ana", "password": "nope"})
    assert response.status_code == 200
    assert client.get("/").status_code == 302


def test_password_change(client):
    user = User.objects.create_user("ana", password=STRONG)
    client.force_login(user)
    new = "another-long-passphrase-7"
    response = client.post(
        reverse("password_change"),
        {"old_password": STRONG, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)


def test_unknown_host_is_rejected(client):
    assert client.get("/accounts/login/", HTTP_HOST="evil.example").status_code == 400


def test_admin_is_enabled(client):
    assert client.get("/admin/login/").status_code == 200
