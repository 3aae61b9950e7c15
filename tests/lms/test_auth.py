import re

import pytest
from django.contrib.auth import get_user
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory


@pytest.fixture
def user(db):
    return UserFactory(username="ada", email="ada@example.org")


def test_login_page_renders(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content


def test_login_with_right_password_signs_in_and_redirects_home(client, user):
    response = client.post(reverse("login"), {"username": "ada", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert get_user(client) == user


def test_login_with_wrong_password_shows_an_error_and_signs_nobody_in(client, user):
    response = client.post(reverse("login"), {"username": "ada", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert not get_user(client).is_authenticated


def test_login_with_overlong_username_is_refused_cleanly(client, user):
    response = client.post(reverse("login"), {"username": "a" * 10_000, "password": "x"})
    assert response.status_code == 200
    assert not get_user(client).is_authenticated


def test_login_is_locked_after_repeated_failures(client, user):
    for _ in range(5):
        client.post(reverse("login"), {"username": "ada", "password": "nope"})
    # even the right password is refused while locked
    response = client.post(reverse("login"), {"username": "ada", "password": PASSWORD})
    assert response.status_code == 429
    assert not get_user(client).is_authenticated


def test_login_keeps_the_next_page_on_the_same_site(client, user):
    response = client.post(
        reverse("login") + "?next=/admin/",
        {"username": "ada", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response.url == reverse("home")


def test_logout_needs_post_and_signs_out(client, user):
    client.force_login(user)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert not get_user(client).is_authenticated


def test_password_change(client, user):
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-much-better-passphrase",
            "new_password2": "a-much-better-passphrase",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-much-better-passphrase")


def test_password_change_with_wrong_old_password_changes_nothing(client, user):
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {"old_password": "nope", "new_password1": "x-Y-z-12345", "new_password2": "x-Y-z-12345"},
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_change_needs_login(client, db):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_password_reset_by_email(client, user):
    # given a user who forgot their password
    response = client.post(reverse("password_reset"), {"email": "ADA@example.org"})
    assert response.status_code == 302
    # then an email with a one-time link is sent
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+)", mail.outbox[0].body).group(1)
    # when they follow it and choose a new password
    response = client.get(link, follow=True)
    assert response.status_code == 200
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url,
        {"new_password1": "fresh-start-2026!", "new_password2": "fresh-start-2026!"},
    )
    assert response.status_code == 302
    # then the new password works and the link is spent
    user.refresh_from_db()
    assert user.check_password("fresh-start-2026!")
    assert b"no longer valid" in client.get(link, follow=True).content


def test_password_reset_for_unknown_email_sends_nothing_and_reveals_nothing(client, db):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert mail.outbox == []


def test_api_token_round_trip(client, user):
    # when a client exchanges credentials for a token
    response = client.post(
        "/api/v1/lms/auth/token/",
        {"username": "ada", "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200
    token = response.json()["token"]
    # then the token authenticates API calls
    me = client.get("/api/v1/lms/me/", headers={"authorization": f"Token {token}"})
    assert me.status_code == 200
    assert me.json()["username"] == "ada"
    # and revoking it ends that
    revoke = client.delete("/api/v1/lms/auth/token/", headers={"authorization": f"Token {token}"})
    assert revoke.status_code == 204
    again = client.get("/api/v1/lms/me/", headers={"authorization": f"Token {token}"})
    assert again.status_code == 401


@pytest.mark.parametrize(
    ("body", "attr"),
    [
        ({"username": "ada", "password": "wrong"}, "non_field_errors"),
        ({"username": "ada"}, "password"),
        ({}, "username"),
        ({"username": ["ada"], "password": PASSWORD}, "username"),
        ({"username": "a" * 10_000, "password": PASSWORD}, "username"),
        ({"username": "ada", "password": "p" * 10_000}, "password"),
    ],
)
def test_api_token_bad_credentials_get_a_validation_error(client, user, body, attr):
    response = client.post("/api/v1/lms/auth/token/", body, content_type="application/json")
    assert response.status_code == 400
    error = response.json()
    assert error["type"] == "validation_error"
    assert attr in {e["attr"] for e in error["errors"]}
    assert all(e["detail"] for e in error["errors"])


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/accounts/login/", {"user-agent": "evil\x00agent"}),
        ("/accounts/login/", {"accept": "text/html\x00"}),
        ("/api/v1/lms/auth/token/", {"user-agent": "\x00"}),
        ("/admin/login/", {"user-agent": "\x00"}),
    ],
)
def test_nul_bytes_in_headers_are_a_400_and_record_nothing(client, user, path, headers):
    from axes.models import AccessAttempt

    response = client.post(path, {"username": "ada", "password": "nope"}, headers=headers)
    assert response.status_code == 400
    assert not AccessAttempt.objects.exists()


def test_admin_login_with_overlong_username_is_refused_cleanly(client, user):
    response = client.post("/admin/login/", {"username": "a" * 10_000, "password": "x"})
    assert response.status_code == 200
    assert not get_user(client).is_authenticated


def _token_for(client):
    response = client.post(
        "/api/v1/lms/auth/token/",
        {"username": "ada", "password": PASSWORD},
        content_type="application/json",
    )
    return response.json()["token"]


def test_password_change_revokes_api_tokens(client, user):
    token = _token_for(client)
    client.force_login(user)
    client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-much-better-passphrase",
            "new_password2": "a-much-better-passphrase",
        },
    )
    client.logout()
    response = client.get("/api/v1/lms/me/", headers={"authorization": f"Token {token}"})
    assert response.status_code == 401


def test_password_reset_revokes_api_tokens(client, user):
    token = _token_for(client)
    client.post(reverse("password_reset"), {"email": "ada@example.org"})
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+)", mail.outbox[0].body).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(
        form_url, {"new_password1": "fresh-start-2026!", "new_password2": "fresh-start-2026!"}
    )
    response = client.get("/api/v1/lms/me/", headers={"authorization": f"Token {token}"})
    assert response.status_code == 401


def test_anonymous_cannot_revoke_tokens(client, db):
    response = client.delete("/api/v1/lms/auth/token/")
    assert response.status_code == 401
