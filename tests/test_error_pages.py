"""Errors a clerk meets are Japanese pages inside the layout, not Django's English ones."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import path

from conftest import sign_in

pytestmark = pytest.mark.django_db


def explode(request):
    raise RuntimeError("a bug")


urlpatterns = [path("explode/", explode)]


def test_an_unknown_address_is_a_japanese_page_in_the_layout(client, counter_clerk):
    sign_in(client, counter_clerk)
    response = client.get("/applications/0000000000000000/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "ページが見つかりません" in page and 'data-testid="current-user"' in page
    assert "Not Found" not in page


def test_a_refusal_says_so_in_japanese(client, kaigo_clerk, reviewer):
    sign_in(client, kaigo_clerk)
    response = client.get("/staff/")
    assert response.status_code == 403
    assert "この操作をする権限がありません" in response.content.decode()


def test_an_expired_form_says_what_to_do(counter_clerk):
    strict = Client(enforce_csrf_checks=True)
    sign_in(strict, counter_clerk)
    response = strict.post("/applications/bulk/", {"action": "assign"})
    assert response.status_code == 403
    assert "画面の有効期限が切れました" in response.content.decode()


def test_a_fault_of_ours_is_a_japanese_page_that_leaks_nothing(settings):
    settings.ROOT_URLCONF = __name__
    response = Client(raise_request_exception=False).get("/explode/")
    page = response.content.decode()
    assert response.status_code == 500
    assert "システムエラーが発生しました" in page and "a bug" not in page
