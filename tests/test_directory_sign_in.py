"""Directory sign-in against a real OpenLDAP server (tests/directory.py): groups give the 課
and the role, the account follows the directory at each sign-in, a refused account stays
out, and with the directory down the local administrator still signs in while everyone
else is told why they cannot."""

from __future__ import annotations

import ldap
import pytest

from conftest import PASSWORD
from madoguchi.accounts.models import User
from madoguchi.audit.constants import AuditAction
from madoguchi.audit.models import AuditEvent
from madoguchi.vocabulary import Role
from tests.directory import ACCOUNTS, ADMIN_DN, ADMIN_PASSWORD, GROUPS, PEOPLE, directory

pytestmark = pytest.mark.django_db
__all__ = ["directory"]  # the fixture, used by name


def sign_in(client, uid: str, password: str | None = None):
    return client.post(
        "/login/", {"username": uid, "password": password or ACCOUNTS[uid][2]}, follow=False
    )


def test_a_clerk_signs_in_with_the_directory_and_its_groups_give_the_department(directory, client):
    answer = sign_in(client, "hanako")
    assert answer.status_code == 302 and answer["Location"] == "/applications/"
    hanako = User.objects.get(username="hanako")
    assert (hanako.department.code, hanako.role) == ("kosodate", Role.COUNTER_CLERK)
    assert (hanako.display_name, hanako.email) == ("窓口 花子", "hanako@example.jp")
    assert not hanako.has_usable_password()  # the password stays in the directory
    created = AuditEvent.objects.get(action=AuditAction.STAFF_CREATED, target_id="hanako")
    assert created.extra == {
        "department": "kosodate",
        "role": "counter_clerk",
        "source": "directory",
    }
    assert client.get("/applications/").status_code == 200


def test_role_groups_give_the_role_and_the_second_factor_stays_required(
    directory, client, settings
):
    assert sign_in(client, "shiro").status_code == 302
    shiro = User.objects.get(username="shiro")
    assert (shiro.department.code, shiro.role) == ("kaigo", Role.MANAGER)

    answer = sign_in(client, "ichiro")
    assert User.objects.get(username="ichiro").role == Role.REVIEWER
    assert client.get(answer["Location"])["Location"].startswith("/second-factor/")

    settings.LDAP_IS_TWO_FACTOR = True
    client.logout()
    sign_in(client, "ichiro")
    assert client.get("/applications/").status_code == 200


@pytest.mark.parametrize(
    ("uid", "password"),
    [("taro", None), ("nogroup", None), ("hanako", "wrong-password"), ("nobody", "x" * 12)],
    ids=["in the deny group", "in no madoguchi group", "wrong password", "not in the directory"],
)
def test_the_directory_refuses(directory, client, uid, password):
    answer = sign_in(client, uid, password)
    assert answer.status_code == 200
    assert "ユーザー名またはパスワードが正しくありません" in answer.content.decode()
    assert not User.objects.filter(username=uid).exists()


def test_a_move_in_the_directory_moves_the_account_at_the_next_sign_in(directory, client):
    sign_in(client, "hanako")
    connection = ldap.initialize(directory.uri)
    connection.simple_bind_s(ADMIN_DN, ADMIN_PASSWORD)
    member = f"uid=hanako,{PEOPLE}".encode()
    connection.modify_s(f"cn=kosodate,{GROUPS}", [(ldap.MOD_DELETE, "member", [member])])
    connection.modify_s(f"cn=kaigo,{GROUPS}", [(ldap.MOD_ADD, "member", [member])])
    connection.unbind_s()
    client.logout()
    sign_in(client, "hanako")
    assert User.objects.get(username="hanako").department.code == "kaigo"
    moved = AuditEvent.objects.get(action=AuditAction.STAFF_MOVED, target_id="hanako")
    assert (moved.extra["from"]["department"], moved.extra["to"]["department"]) == (
        "kosodate",
        "kaigo",
    )


def test_with_the_directory_stopped_the_local_administrator_still_signs_in(
    directory, client, administrator, counter_clerk
):
    sign_in(client, "hanako")
    client.logout()
    directory.stop()

    refused = sign_in(client, "hanako").content.decode()
    assert "庁内ディレクトリ(ログインの確認先)に接続できないため" in refused

    answer = client.post("/login/", {"username": administrator.username, "password": PASSWORD})
    assert answer.status_code == 302
    assert client.get("/staff/").status_code == 200
    client.logout()
    # A local password of another role does not replace the directory.
    answer = client.post("/login/", {"username": counter_clerk.username, "password": PASSWORD})
    assert answer.status_code == 200
