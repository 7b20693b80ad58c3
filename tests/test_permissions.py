"""The permission matrix: every screen and API route × persona, each expected to allow or deny.

ok = answered (200, or a redirect back into the application); login = sent to log in;
denied = 403; hidden = 404 (another department's application does not exist for them).
"""

from __future__ import annotations

import json
import zipfile

import pytest

from conftest import sign_in
from madoguchi.accounts.models import ApiToken
from madoguchi.applications.models import Application
from madoguchi.intake.actions import import_package
from madoguchi.linking.models import Delivery

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "counter_clerk", "reviewer", "kaigo_clerk", "administrator"]
R = "{receipt}"
# route, method, expected per persona (in PERSONAS order)
MATRIX = [
    ("/applications/", "get", ["login", "ok", "ok", "ok", "ok"]),
    ("/applications/queue/identification/", "get", ["login", "ok", "ok", "ok", "ok"]),
    (f"/applications/{R}/", "get", ["login", "ok", "ok", "hidden", "ok"]),
    (f"/applications/{R}/transition/", "post", ["login", "ok", "ok", "hidden", "ok"]),
    (f"/applications/{R}/my-number/", "post", ["login", "denied", "ok", "hidden", "denied"]),
    (f"/applications/{R}/resolve/", "post", ["login", "denied", "ok", "hidden", "denied"]),
    (f"/applications/{R}/assign/", "post", ["login", "ok", "ok", "hidden", "ok"]),
    (f"/applications/{R}/attachments/0/", "get", ["login", "ok", "ok", "hidden", "ok"]),
    ("/applications/bulk/", "post", ["login", "ok", "ok", "ok", "ok"]),
    ("/applications/filters/", "post", ["login", "ok", "ok", "ok", "ok"]),
    ("/linking/", "get", ["login", "ok", "ok", "ok", "ok"]),
    (f"/linking/{R}/", "get", ["login", "ok", "ok", "hidden", "ok"]),
    (f"/linking/{R}/record.json", "get", ["login", "ok", "ok", "hidden", "ok"]),
    (f"/linking/{R}/record.csv", "get", ["login", "ok", "ok", "hidden", "ok"]),
    (f"/linking/{R}/transcribed/", "post", ["login", "ok", "ok", "hidden", "ok"]),
    (f"/linking/{R}/resend/", "post", ["login", "ok", "ok", "hidden", "ok"]),
    ("/procedures/", "get", ["login", "ok", "ok", "ok", "ok"]),
    ("/procedures/jidou-teate-nintei/2026.2/", "get", ["login", "ok", "ok", "ok", "ok"]),
    ("/intake/quarantine/", "get", ["login", "denied", "denied", "denied", "ok"]),
    ("/residents/gaiji/", "get", ["login", "denied", "denied", "denied", "ok"]),
    ("/audit/", "get", ["login", "denied", "denied", "denied", "ok"]),
    ("/staff/", "get", ["login", "denied", "denied", "denied", "ok"]),
    ("/staff/new/", "get", ["login", "denied", "denied", "denied", "ok"]),
    ("/staff/import/", "get", ["login", "denied", "denied", "denied", "ok"]),
    ("/staff/departments/", "get", ["login", "denied", "denied", "denied", "ok"]),
    ("/staff/departments/kaigo/rename/", "post", ["login", "denied", "denied", "denied", "ok"]),
    ("/staff/departments/assign/", "post", ["login", "denied", "denied", "denied", "ok"]),
    ("/password/", "get", ["login", "ok", "ok", "ok", "ok"]),
]
CASES = [
    pytest.param(route, method, persona, expected[i], id=f"{method} {route} {persona}")
    for route, method, expected in MATRIX
    for i, persona in enumerate(PERSONAS)
]


def outcome(response) -> str:
    if response.status_code == 302:
        return "login" if response["Location"].startswith("/login/") else "ok"
    return {200: "ok", 403: "denied", 404: "hidden"}.get(
        response.status_code, str(response.status_code)
    )


@pytest.fixture
def kosodate_application(trusted) -> Application:
    # One with an attachment, so the attachment route has one to show.
    path = next(
        g.path
        for g in trusted.generated
        if g.procedure_id == "jidou-teate-nintei"
        and any(n.startswith("attachments/") for n in zipfile.ZipFile(g.path).namelist())
    )
    import_package(path.read_bytes(), path.name)
    application = Application.objects.get()
    # Resolvable by hand, so the resolve route reaches its permission check.
    Application.objects.filter(pk=application.pk).update(identification="unidentified")
    # Waiting for its core system, so the hand-over routes have a record to show.
    Delivery.objects.create(application=application, core_system="jidou_teate", method="rpa")
    return application


@pytest.mark.parametrize(("route", "method", "persona", "expected"), CASES)
def test_permission_matrix(client, request, kosodate_application, route, method, persona, expected):
    if persona != "anonymous":
        sign_in(client, request.getfixturevalue(persona))
    url = route.replace(R, kosodate_application.receipt_number)
    data = {
        "receipt_numbers": [kosodate_application.receipt_number],
        "action": "transition",
        "name": "mine",
        "to_status": "in_review",
        "resident": kosodate_application.resident.atena_number,
        "note": "電話で確認",
    }
    response = getattr(client, method)(url, data) if method == "post" else client.get(url)
    assert outcome(response) == expected


# The REST API, with each persona's own token (anonymous: none). A member of staff's token
# opens nothing of the core systems' pull API.
API_MATRIX = [
    ("/api/v1/applications", "get", ["login", "ok", "ok", "ok", "ok"]),
    (f"/api/v1/applications/{R}", "get", ["login", "ok", "ok", "hidden", "ok"]),
    (f"/api/v1/applications/{R}/transition", "post", ["login", "ok", "ok", "hidden", "ok"]),
    (f"/api/v1/applications/{R}/my-number", "post", ["login", "denied", "ok", "hidden", "denied"]),
    ("/api/v1/core-systems/jidou_teate/records", "get", ["login"] * 5),
    (f"/api/v1/core-systems/jidou_teate/records/{R}", "get", ["login"] * 5),
]
API_CASES = [
    pytest.param(route, method, persona, expected[i], id=f"{method} {route} {persona}")
    for route, method, expected in API_MATRIX
    for i, persona in enumerate(PERSONAS)
]


@pytest.mark.parametrize(("route", "method", "persona", "expected"), API_CASES)
def test_api_permission_matrix(
    client, request, kosodate_application, route, method, persona, expected
):
    headers = {}
    if persona != "anonymous":
        _row, token = ApiToken.issue(request.getfixturevalue(persona), "matrix")
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    url = route.replace(R, kosodate_application.receipt_number)
    if method == "post":
        response = client.post(
            url, json.dumps({"to_status": "in_review"}), content_type="application/json", **headers
        )
    else:
        response = client.get(url, **headers)
    answer = {200: "ok", 401: "login", 403: "denied", 404: "hidden"}.get(
        response.status_code, str(response.status_code)
    )
    assert answer == expected
