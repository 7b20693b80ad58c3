"""職員の管理 without a developer: staff and 課 on screen and by command, 人事異動 on their
発令日, leavers, one-time passwords, the 人事課's list. Every change is audited."""

from __future__ import annotations

import datetime as dt
import html
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from conftest import PASSWORD, sign_in
from madoguchi.accounts import actions
from madoguchi.accounts.models import ApiToken, Department, User
from madoguchi.applications.models import Application
from madoguchi.audit.constants import AuditAction
from madoguchi.audit.models import AuditEvent
from madoguchi.intake.actions import import_package
from madoguchi.procedures.catalog import load_catalog
from madoguchi.procedures.models import Procedure
from madoguchi.vocabulary import Role

pytestmark = pytest.mark.django_db


def audited(action: AuditAction, target: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action, target_id=target).latest("seq")


def json_out(capsys) -> dict:
    return json.loads(capsys.readouterr().out)


def inbox(client) -> set[str]:
    """The departments whose applications the signed-in member's inbox lists."""
    page = client.get("/applications/")
    assert page.status_code == 200
    return {
        application.procedure.department.code
        for application in Application.objects.select_related("procedure__department")
        if f'data-receipt-number="{application.receipt_number}"' in page.content.decode()
    }


@pytest.fixture
def both_departments(trusted) -> None:
    for path in trusted.packages:
        import_package(path.read_bytes(), path.name)
    departments = set(Application.objects.values_list("procedure__department__code", flat=True))
    assert {"kosodate", "kaigo"} <= departments


def test_the_first_administrator_is_added_by_command_and_must_change_the_password(
    catalog, client, capsys
):
    call_command("staff", "add", "kanri", "--name", "管理 一郎", "--role", "admin", "--json")
    added = json_out(capsys)
    assert (added["role"], added["department"]) == ("administrator", None)
    assert audited(AuditAction.STAFF_CREATED, "kanri").actor is None

    answer = client.post("/login/", {"username": "kanri", "password": added["password"]})
    assert answer.status_code == 302
    # Nothing but the password page until a password of one's own is chosen.
    assert client.get("/staff/")["Location"].startswith("/password/")
    refused = client.post(
        "/password/",
        {"old_password": added["password"], "new_password1": "short", "new_password2": "short"},
    )
    assert refused.status_code == 200 and "12" in refused.content.decode()
    new = "kanri-no-atarashii-pass"
    client.post(
        "/password/",
        {"old_password": added["password"], "new_password1": new, "new_password2": new},
    )
    assert client.get("/staff/").status_code == 200
    assert audited(AuditAction.PASSWORD_CHANGED, "kanri").actor.username == "kanri"
    assert not User.objects.get(username="kanri").must_change_password


def test_a_move_entered_in_march_takes_effect_on_april_1st(
    both_departments, counter_clerk, client, monkeypatch, capsys
):
    sign_in(client, counter_clerk)
    march = dt.date(2027, 3, 15)
    monkeypatch.setattr(actions, "today", lambda: march)
    call_command(
        "staff", "move", counter_clerk.username, "--department", "kaigo", "--from", "2027-04-01"
    )
    assert "2027-04-01 に異動します" in capsys.readouterr().out
    scheduled = audited(AuditAction.STAFF_MOVE_SCHEDULED, counter_clerk.username)
    assert scheduled.extra["effective_from"] == "2027-04-01"
    assert inbox(client) == {"kosodate"}

    monkeypatch.setattr(actions, "today", lambda: dt.date(2027, 3, 31))
    assert inbox(client) == {"kosodate"}
    monkeypatch.setattr(actions, "today", lambda: dt.date(2027, 4, 1))
    assert inbox(client) == {"kaigo"}
    counter_clerk.refresh_from_db()
    assert (counter_clerk.department.code, counter_clerk.move_due) == ("kaigo", None)
    moved = audited(AuditAction.STAFF_MOVED, counter_clerk.username)
    assert moved.actor is None
    assert moved.extra["from"]["department"] == "kosodate"
    assert moved.extra["to"]["department"] == "kaigo"


def test_the_worker_applies_a_due_move_for_staff_who_did_not_sign_in(counter_clerk, monkeypatch):
    monkeypatch.setattr(actions, "today", lambda: dt.date(2027, 3, 1))
    actions.move_staff(
        counter_clerk,
        actions.Move(role=Role.REVIEWER),
        effective_from=dt.date(2027, 4, 1),
        actor=None,
    )
    assert actions.apply_due_moves(on=dt.date(2027, 3, 31)) == 0
    assert actions.apply_due_moves(on=dt.date(2027, 4, 1)) == 1
    counter_clerk.refresh_from_db()
    assert (counter_clerk.role, counter_clerk.department.code) == (Role.REVIEWER, "kosodate")


def test_disabling_a_leaver_ends_the_live_session_and_the_api_token(
    catalog, client, counter_clerk, administrator
):
    sign_in(client, counter_clerk)
    _row, token = ApiToken.issue(counter_clerk, "rpa")
    assert client.get("/applications/").status_code == 200
    api = client.get("/api/v1/applications", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.status_code == 200

    call_command("staff", "disable", counter_clerk.username)
    assert client.get("/applications/")["Location"].startswith("/login/")
    api = client.get("/api/v1/applications", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.status_code == 401
    assert not client.login(username=counter_clerk.username, password=PASSWORD)
    assert audited(AuditAction.STAFF_DISABLED, counter_clerk.username)
    # History stays: the account is kept, and so is every audit row naming it.
    assert User.objects.filter(username=counter_clerk.username, is_active=False).exists()


def test_a_forgotten_password_is_reset_on_screen_and_shown_once(
    catalog, client, counter_clerk, administrator
):
    other = type(client)()
    sign_in(other, counter_clerk)
    sign_in(client, administrator)
    page = client.post(f"/staff/{counter_clerk.pk}/reset-password/")
    password = page.content.decode().split('data-testid="one-time-password">')[1].split("<")[0]
    assert len(password) >= 12
    assert audited(AuditAction.PASSWORD_RESET, counter_clerk.username).actor == administrator
    # The colleague's own sessions end; the new password works once, then must be changed.
    assert other.get("/applications/")["Location"].startswith("/login/")
    assert other.login(username=counter_clerk.username, password=password)
    assert other.get("/applications/")["Location"].startswith("/password/")


def test_staff_are_added_and_moved_on_screen_and_only_by_the_administrator(
    catalog, client, administrator, counter_clerk
):
    kaigo = Department.objects.get(code="kaigo")
    form = {
        "username": "suzuki",
        "display_name": "鈴木 一",
        "display_name_kana": "スズキ ハジメ",
        "email": "",
        "department": kaigo.pk,
        "role": Role.REVIEWER,
    }
    sign_in(client, counter_clerk)
    assert client.post("/staff/new/", form).status_code == 403
    sign_in(client, administrator)
    page = client.post("/staff/new/", form).content.decode()
    assert 'data-testid="one-time-password"' in page
    member = User.objects.get(username="suzuki")
    assert (member.department, member.role, member.must_change_password) == (
        kaigo,
        "reviewer",
        True,
    )
    assert audited(AuditAction.STAFF_CREATED, "suzuki").actor == administrator

    again = client.post("/staff/new/", form).content.decode()
    assert "同じユーザー名の職員がすでにいます" in again

    tomorrow = actions.today() + dt.timedelta(days=1)
    client.post(
        f"/staff/{member.pk}/move/",
        {"department": Department.objects.get(code="kosodate").pk, "effective_from": tomorrow},
    )
    member.refresh_from_db()
    assert member.department == kaigo and member.move_due == tomorrow
    detail = client.get(f"/staff/{member.pk}/").content.decode()
    assert tomorrow.strftime("%Y-%m-%d") in detail


STAFF_CSV = (
    "ユーザー名,氏名,カナ,所属コード,役割,メール,発令日,在籍\n"
    "tanaka,田中 二郎,タナカ ジロウ,kaigo,窓口担当,,,在職\n"
    "madoka,窓口 まどか,,kaigo,審査担当,,2027-04-01,在職\n"
    "shinsa,審査 一郎,,kosodate,審査担当,,,退職\n"
)


def test_the_personnel_list_is_shown_first_and_changes_nothing_in_a_dry_run(
    catalog, counter_clerk, reviewer, tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr(actions, "today", lambda: dt.date(2027, 3, 10))
    path = tmp_path / "jinji.csv"
    path.write_bytes(STAFF_CSV.encode("cp932"))
    before = AuditEvent.objects.count()
    call_command("staff", "import", str(path), "--dry-run", "--json")
    plan = json_out(capsys)
    kinds = {(c["username"], c["kind"]) for c in plan["changes"]}
    assert kinds == {
        ("tanaka", "add"),
        ("madoka", "update"),  # the fixture's display name is its username
        ("madoka", "move"),
        ("shinsa", "disable"),
    }
    assert plan["dry_run"] and not plan["applied"]
    assert AuditEvent.objects.count() == before
    assert not User.objects.filter(username="tanaka").exists()

    call_command("staff", "import", str(path), "--json")
    done = json_out(capsys)
    assert done["applied"]
    added = next(c for c in done["changes"] if c["kind"] == "add")
    assert len(added["password"]) >= 12
    assert User.objects.get(username="tanaka").department.code == "kaigo"
    assert not User.objects.get(username="shinsa").is_active
    assert User.objects.get(username="madoka").move_due == dt.date(2027, 4, 1)
    # A second run of the same list changes nothing.
    call_command("staff", "import", str(path), "--json")
    assert json_out(capsys)["changes"] == []


def test_a_list_with_one_bad_row_changes_nothing_and_names_the_row(
    catalog, counter_clerk, tmp_path
):
    path = tmp_path / "jinji.csv"
    path.write_text(STAFF_CSV + "kato,加藤,,nosuchka,窓口担当,,,在職\n", encoding="utf-8")
    with pytest.raises(CommandError, match="何も変更していません"):
        call_command("staff", "import", str(path))
    assert not User.objects.filter(username="tanaka").exists()
    counter_clerk.refresh_from_db()
    assert counter_clerk.move_due is None


def test_a_procedure_moves_to_another_department_with_its_applications(
    both_departments, client, counter_clerk, kaigo_clerk, capsys
):
    moved = Application.objects.filter(procedure__department__code="kosodate").first()
    call_command("departments", "add", "kodomo", "--name", "こども家庭課")
    call_command("departments", "assign", moved.procedure.procedure_id, "--department", "kodomo")
    call_command("staff", "move", kaigo_clerk.username, "--department", "kodomo")
    sign_in(client, kaigo_clerk)
    assert moved.receipt_number in client.get("/applications/").content.decode()
    sign_in(client, counter_clerk)
    assert moved.receipt_number not in client.get("/applications/").content.decode()
    event = audited(AuditAction.PROCEDURE_ASSIGNED, moved.procedure.procedure_id)
    assert event.extra == {"from": ["kosodate"], "to": "kodomo"}
    # Loading the catalog again keeps the municipality's choice.
    load_catalog()
    assert set(
        Procedure.objects.filter(procedure_id=moved.procedure.procedure_id).values_list(
            "department__code", flat=True
        )
    ) == {"kodomo"}


def test_a_reorganisation_merges_one_department_into_another(
    catalog, counter_clerk, administrator, client
):
    sign_in(client, administrator)
    hoiku = Department.objects.get(code="hoiku")
    kosodate = Department.objects.get(code="kosodate")
    moved = set(Procedure.objects.filter(department=hoiku).values_list("procedure_id", flat=True))
    client.post("/staff/departments/kosodate/rename/", {"name": "こども未来課"})
    client.post("/staff/departments/hoiku/merge/", {"into": kosodate.pk})  # not confirmed
    assert Department.objects.get(code="hoiku").merged_into is None
    client.post("/staff/departments/hoiku/merge/", {"into": kosodate.pk, "confirm": "on"})
    kosodate.refresh_from_db()
    hoiku.refresh_from_db()
    assert kosodate.name == "こども未来課" and hoiku.merged_into == kosodate
    assert not Procedure.objects.filter(department=hoiku).exists()
    assert moved <= set(
        Procedure.objects.filter(department=kosodate).values_list("procedure_id", flat=True)
    )
    assert audited(AuditAction.DEPARTMENTS_MERGED, "hoiku").extra["into"] == "kosodate"
    assert audited(AuditAction.DEPARTMENT_RENAMED, "kosodate").actor == administrator
    with pytest.raises(CommandError, match="統合されています"):
        call_command("staff", "move", counter_clerk.username, "--department", "hoiku")


def test_the_personnel_list_is_previewed_then_applied_on_screen(
    catalog, client, administrator, counter_clerk, reviewer
):
    sign_in(client, administrator)
    upload = SimpleUploadedFile("jinji.csv", STAFF_CSV.encode("cp932"), content_type="text/csv")
    preview = client.post("/staff/import/", {"file": upload}).content.decode()
    assert "まだ反映していません" in preview and "無効化" in preview
    assert not User.objects.filter(username="tanaka").exists()
    text = preview.split('<textarea name="text" hidden aria-hidden="true">')[1].split(
        "</textarea>"
    )[0]
    applied = client.post("/staff/import/", {"text": html.unescape(text), "apply": "1"})
    assert "反映しました" in applied.content.decode()
    assert User.objects.get(username="tanaka").department.code == "kaigo"
    assert audited(AuditAction.STAFF_DISABLED, "shinsa").actor == administrator
