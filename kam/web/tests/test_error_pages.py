"""Error pages in the site's layout and the interface language, as production serves them."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client as HttpClient
from django.test import RequestFactory
from django.utils import translation
from django.views.defaults import server_error
from pytest_django import DjangoAssertNumQueries

from kam.people.models import User
from kam.web.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def production(settings: Any) -> None:
    settings.DEBUG = False  # Django's technical pages otherwise


def _signed_in(user: User, language: str) -> HttpClient:
    http = HttpClient(raise_request_exception=False)
    assert http.login(username=user.username, password=PASSWORD)
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return http


def test_an_unknown_client_gets_the_not_found_page_in_the_layout_and_in_romanian(
    director: User,
) -> None:
    response = _signed_in(director, "ro").get("/clients/NOPE/")
    page = response.content.decode()
    assert response.status_code == 404
    assert 'lang="ro"' in page and 'data-test="not-found"' in page
    assert "Pagina nu a fost găsită" in page and "Înapoi la panoul principal" in page
    assert 'href="/clients/"' in page  # the navigation of the layout
    assert 'href="/"' in page and "Not Found" not in page


def test_the_not_found_page_speaks_english_too(director: User) -> None:
    page = _signed_in(director, "en").get("/no/such/page/").content.decode()
    assert 'lang="en"' in page and "Page not found" in page and "Back to the dashboard" in page


def test_a_failure_gets_the_server_error_page_in_romanian(
    director: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("kam.web.clients.client_page", broken)
    response = _signed_in(director, "ro").get("/clients/C1/")
    page = response.content.decode()
    assert response.status_code == 500
    assert 'lang="ro"' in page and 'data-test="server-error"' in page
    assert "Ceva nu a mers bine" in page and 'href="/"' in page and "boom" not in page


def test_the_server_error_page_needs_neither_the_request_nor_the_database(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    request = RequestFactory().get("/")
    with translation.override("ro"), django_assert_num_queries(0):
        response = server_error(request)
    page = response.content.decode()
    assert response.status_code == 500
    assert 'lang="ro"' in page and "Ceva nu a mers bine" in page and "kam.css" in page
