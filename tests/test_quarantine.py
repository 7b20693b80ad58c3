"""The quarantine screen: kept packages, their reasons, audited download and re-processing."""

from __future__ import annotations

import pytest

from conftest import sign_in
from madoguchi.applications.models import Application
from madoguchi.audit.constants import AuditAction
from madoguchi.audit.models import AuditEvent
from madoguchi.intake.actions import add_trust_anchor, import_package
from madoguchi.intake.constants import Reason
from madoguchi.intake.models import QuarantinedPackage
from pittari_sim.pki import CA
from tests.builders import build, spec

pytestmark = pytest.mark.django_db


@pytest.fixture
def untrusted(trusted) -> tuple[CA, bytes]:
    """Signed under a CA the municipality has not registered yet."""
    other = CA.create("Second JPKI CA")
    data = build(other, spec("2026112600000801"))
    assert import_package(data, "late.zip").reason == Reason.CERTIFICATE_UNTRUSTED
    return other, data


def test_the_administrator_sees_the_reason_and_reprocesses_after_adding_the_anchor(
    client, untrusted, administrator
):
    other, data = untrusted
    sign_in(client, administrator)
    page = client.get("/intake/quarantine/").content.decode()
    assert "署名用電子証明書が信頼できる認証局につながりません" in page
    assert "2026112600000801" in page

    add_trust_anchor(other.cert_pem())
    quarantined = QuarantinedPackage.objects.get()
    client.post(f"/intake/quarantine/{quarantined.pk}/reprocess/")
    assert Application.objects.filter(receipt_number="2026112600000801").exists()
    quarantined.refresh_from_db()
    assert (quarantined.resolution, quarantined.resolved_at is not None) == ("accepted", True)
    listing = client.get("/intake/quarantine/").content.decode()
    assert 'data-receipt-number="2026112600000801"' not in listing
    resolved = client.get("/intake/quarantine/", {"resolved": "1"}).content.decode()
    assert "解決済 (受付)" in resolved  # the outcome by its name, not its code


def test_reprocessing_before_the_cause_is_fixed_keeps_it_quarantined(
    client, untrusted, administrator
):
    sign_in(client, administrator)
    quarantined = QuarantinedPackage.objects.get()
    response = client.post(f"/intake/quarantine/{quarantined.pk}/reprocess/", follow=True)
    assert "再び隔離されました" in response.content.decode()
    quarantined.refresh_from_db()
    assert quarantined.resolved_at is None
    assert QuarantinedPackage.objects.count() == 1


def test_download_gives_the_bytes_as_received_and_is_audited(client, untrusted, administrator):
    _other, data = untrusted
    sign_in(client, administrator)
    quarantined = QuarantinedPackage.objects.get()
    response = client.get(f"/intake/quarantine/{quarantined.pk}/download/")
    assert response.content == data
    event = AuditEvent.objects.get(action=AuditAction.PACKAGE_DOWNLOADED)
    assert event.actor == administrator


@pytest.mark.parametrize("persona", ["counter_clerk", "reviewer", "kaigo_clerk"])
def test_clerks_cannot_open_the_quarantine(client, untrusted, persona, request):
    sign_in(client, request.getfixturevalue(persona))
    quarantined = QuarantinedPackage.objects.get()
    assert client.get("/intake/quarantine/").status_code == 403
    assert client.get(f"/intake/quarantine/{quarantined.pk}/download/").status_code == 403
    assert client.post(f"/intake/quarantine/{quarantined.pk}/reprocess/").status_code == 403
    assert not Application.objects.filter(receipt_number="2026112600000801").exists()


@pytest.mark.parametrize(
    ("resolution", "label"),
    [
        ("accepted", "受付"),
        ("duplicate", "重複"),
        ("quarantined:not_a_zip", "別の理由で隔離: ZIP形式のファイルではありません"),
    ],
)
def test_a_resolution_reads_as_words(resolution, label):
    assert QuarantinedPackage(resolution=resolution).resolution_label == label
