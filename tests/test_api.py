"""The REST API: the screens' own boundaries, workflow and audit, through tokens."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from madoguchi.accounts.models import ApiToken, hash_token
from madoguchi.api.openapi import schema
from madoguchi.applications.models import Application
from madoguchi.audit.constants import AuditAction
from madoguchi.audit.models import AuditEvent
from madoguchi.endpoints import dumped
from madoguchi.intake.actions import import_package

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def received(trusted) -> Application:
    for path in trusted.packages:
        import_package(path.read_bytes(), path.name)
    return Application.objects.filter(procedure__procedure_id="jidou-teate-nintei").first()


def auth(user) -> dict[str, str]:
    _token, value = ApiToken.issue(user, "test")
    return {"HTTP_AUTHORIZATION": f"Bearer {value}"}


def call(client, user, method: str, path: str, body: dict | None = None):
    _token, value = ApiToken.issue(user, "test")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {value}"}
    if method == "get":
        return client.get(f"/api/v1/{path}", **headers)
    return client.post(
        f"/api/v1/{path}", json.dumps(body or {}), content_type="application/json", **headers
    )


def test_a_token_is_needed(client, received):
    assert client.get("/api/v1/applications").status_code == 401
    bad = client.get("/api/v1/applications", HTTP_AUTHORIZATION="Bearer mdg_guess")
    assert bad.json()["error"] == "unauthenticated"


def test_a_token_is_noted_as_used_at_most_once_a_minute(client, received, counter_clerk):
    """When a token was last used is kept, but a vendor polling every second does not write
    a row each time."""
    import datetime as dt

    from django.utils import timezone

    token, value = ApiToken.issue(counter_clerk, "test")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {value}"}
    assert token.last_used_at is None
    assert client.get("/api/v1/applications", **headers).status_code == 200
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get("/api/v1/applications", **headers)
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - dt.timedelta(minutes=2))
    client.get("/api/v1/applications", **headers)
    token.refresh_from_db()
    assert token.last_used_at > first - dt.timedelta(seconds=1)
    assert token.last_used_at <= timezone.now()


def test_the_list_keeps_to_the_department(client, received, counter_clerk, kaigo_clerk):
    mine = call(client, counter_clerk, "get", "applications").json()
    assert (
        mine["count"]
        == Application.objects.filter(procedure__department=counter_clerk.department).count()
    )
    theirs = call(client, kaigo_clerk, "get", "applications").json()
    assert received.receipt_number not in {a["receipt_number"] for a in theirs["results"]}
    assert (
        call(client, kaigo_clerk, "get", f"applications/{received.receipt_number}").status_code
        == 404
    )


def test_reading_one_is_audited_and_a_transition_follows_the_workflow(client, received, reviewer):
    detail = call(client, reviewer, "get", f"applications/{received.receipt_number}").json()
    assert detail["form"] == received.form
    assert AuditEvent.objects.filter(action=AuditAction.APPLICATION_VIEWED, actor=reviewer).exists()
    path = f"applications/{received.receipt_number}/transition"
    refused = call(client, reviewer, "post", path, {"to_status": "completed"})
    assert refused.status_code == 409 and "変更できません" in refused.json()["message"]
    done = call(client, reviewer, "post", path, {"to_status": "in_review"})
    assert done.json()["status"] == "in_review"


def test_my_number_through_the_api_is_audited_and_kept_to_reviewers(
    client, received, reviewer, counter_clerk
):
    path = f"applications/{received.receipt_number}/my-number"
    assert call(client, counter_clerk, "post", path).status_code == 403
    answer = call(client, reviewer, "post", path).json()
    assert len(answer["my_number"]) == 12
    event = AuditEvent.objects.get(action=AuditAction.MY_NUMBER_VIEWED)
    assert event.actor == reviewer and event.extra["purpose"].startswith("api:")


def test_the_committed_description_is_the_one_generated_from_the_code(client):
    """docs/openapi.json is what the operations' declarations say, byte for byte (after a
    change to the API: madoguchi api openapi --out docs/openapi.json), and what is served."""
    committed = (ROOT / "docs" / "openapi.json").read_text(encoding="utf-8")
    assert committed == dumped(schema())
    assert client.get("/api/v1/openapi.json").json() == json.loads(committed)
    operations = [op for paths in json.loads(committed)["paths"].values() for op in paths.values()]
    assert len(operations) == 10 and all(op["responses"] for op in operations)


def test_a_request_is_checked_against_its_schema_before_its_handler(client, reviewer):
    """Input is validated by the declared schema: a wrong type, a missing item or an item
    outside its list is refused with the operation's own code, in Japanese, and nothing
    changes."""
    headers = auth(reviewer)
    refused = client.post(
        "/api/v1/counter-applications",
        json.dumps({"procedure": "x", "channel": "fax", "form": {"a": 1}}),
        content_type="application/json",
        **headers,
    )
    answer = refused.json()
    assert (refused.status_code, answer["error"]) == (400, "invalid_form")
    assert answer["fields"] == {
        "atena_number": ["必須です"],
        "channel": ["counter、mail のいずれかを指定してください"],
        "form": ["文字列で指定してください"],
    }
    assert client.get("/api/v1/applications", {"sort": "x"}, **headers).json()["error"] == (
        "invalid_filter"
    )
    not_json = client.post(
        "/api/v1/applications/x/transition", "{", content_type="application/json", **headers
    )
    assert (not_json.status_code, not_json.json()["error"]) == (400, "invalid_status")


@pytest.mark.django_db(transaction=True)
def test_an_upgrade_keeps_the_core_systems_tokens_working(client):
    """Pull-API tokens lived in linking's own model; after the upgrade the one token model
    holds them and the same clear value still reads that core system's records."""
    before = [("api", "0001_initial"), ("linking", "0002_delivery_held_back")]
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(before)
        old_apps = executor.loader.project_state(before).apps
        old_apps.get_model("linking", "CoreSystemToken").objects.create(
            core_system="jidou_teate", name="vendor", token_sha256=hash_token("mdgc_old")
        )
    finally:
        migrate_to_latest()
    token = ApiToken.objects.get()
    assert (token.core_system, token.user, token.name) == ("jidou_teate", None, "vendor")
    answer = client.get(
        "/api/v1/core-systems/jidou_teate/records", HTTP_AUTHORIZATION="Bearer mdgc_old"
    )
    assert answer.status_code == 200
    staff_route = client.get("/api/v1/applications", HTTP_AUTHORIZATION="Bearer mdgc_old")
    assert staff_route.status_code == 401


def migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
