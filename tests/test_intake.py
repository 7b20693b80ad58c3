"""Intake (③-2, ③-4): every bad package gets its own reason, and nothing else is lost."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
import zipfile

import pytest
from signxml import XMLSigner
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod

from madoguchi.applications.models import Application, Evidence
from madoguchi.audit.constants import AuditAction
from madoguchi.audit.models import AuditEvent
from madoguchi.intake import actions as intake_actions
from madoguchi.intake.actions import add_trust_anchor, import_package, load_crl
from madoguchi.intake.constants import Outcome, Reason
from madoguchi.intake.models import QuarantinedPackage
from madoguchi.intake.revocation import recheck_pending_revocations
from madoguchi.intake.trust import TrustError
from madoguchi.lib.text import normalize_for_match
from madoguchi.vocabulary import Identification
from pittari_sim.generate import JST, tiny_png
from pittari_sim.package import application_xml, build_zip, package_files, sign
from pittari_sim.pki import CA, new_key
from tests.builders import build, edit_envelope, rezip, shared_key, spec

pytestmark = pytest.mark.django_db

NOW = dt.datetime.now(dt.UTC)


def test_it_accepts_and_identifies_generated_applications(trusted):
    for path in trusted.packages:
        assert import_package(path.read_bytes(), path.name).outcome == Outcome.ACCEPTED
    assert Application.objects.count() == len(trusted.packages)
    assert set(Application.objects.values_list("identification", flat=True)) == {
        Identification.IDENTIFIED
    }


def test_it_stores_the_package_unchanged_with_its_evidence(trusted):
    path = trusted.packages[0]
    import_package(path.read_bytes(), path.name)
    evidence = Evidence.objects.get()
    assert evidence.package_bytes == path.read_bytes()
    assert evidence.crl_number == 1
    # The certificate may carry a substitute for a registry character (髙 → 高).
    assert normalize_for_match(evidence.signer_basic_four["name"]) == normalize_for_match(
        evidence.application.signer.name
    )


def test_a_second_import_is_a_duplicate(trusted):
    data = trusted.packages[0].read_bytes()
    import_package(data, "a.zip")
    result = import_package(data, "a.zip")
    assert result.outcome == Outcome.DUPLICATE
    assert Application.objects.count() == 1


def _tamper_one_byte(data: bytes) -> bytes:
    def edit(files: dict[str, bytes]) -> None:
        xml = files["application.xml"]
        marker = b'id="account_number">'
        at = xml.index(marker) + len(marker)
        digit = xml[at : at + 1]
        files["application.xml"] = xml[:at] + (b"1" if digit != b"1" else b"2") + xml[at + 1 :]

    return rezip(data, edit)


def test_a_tampered_form_is_quarantined_and_the_rest_of_the_batch_accepted(trusted):
    packages = trusted.packages
    tampered_path = next(p for p in packages if b"account_number" in _xml(p.read_bytes()))
    results = []
    for path in packages:
        data = path.read_bytes()
        if path == tampered_path:
            data = _tamper_one_byte(data)
        results.append(import_package(data, path.name))
    by_file = {r.file: r for r in results}
    assert by_file[tampered_path.name].outcome == Outcome.QUARANTINED
    assert by_file[tampered_path.name].reason == Reason.SIGNATURE_INVALID
    assert [r.outcome for r in results].count(Outcome.ACCEPTED) == len(packages) - 1
    kept = QuarantinedPackage.objects.get()
    assert kept.package_bytes == _tamper_one_byte(tampered_path.read_bytes())
    assert kept.receipt_number == tampered_path.stem


def _xml(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("application.xml")


def _bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("envelope.json", b"\0" * (60 * 1024 * 1024))
    return buffer.getvalue()


def _traversal() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../etc/cron.d/evil", b"x")
    return buffer.getvalue()


class LegacySigner(XMLSigner):
    """Lets a test sign with SHA-1, which the verifier must refuse."""

    def check_deprecated_methods(self) -> None:
        pass


def _remove(name: str):
    return lambda files: files.pop(name)


def _doctype(xml: bytes) -> bytes:
    return xml.replace(b"?>", b'?><!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]>', 1)


CASES = {
    "not_a_zip": lambda ca: "申請書です".encode(),
    "zip_corrupt": lambda ca: build(ca)[:-200],
    "zip_limits": lambda ca: _bomb(),
    "unsafe_path": lambda ca: _traversal(),
    "envelope_invalid": lambda ca: build(ca, edit_files=_remove("envelope.json")),
    "envelope_mismatch": lambda ca: build(
        ca, edit_files=edit_envelope(procedure_id="kaigo-nintei")
    ),
    "attachment_missing": lambda ca: build(ca, edit_files=_remove("attachments/hokensho.png")),
    "attachment_unexpected": lambda ca: build(
        ca, edit_files=lambda f: f.__setitem__("attachments/extra.pdf", b"%PDF-1.4")
    ),
    "attachment_digest_mismatch": lambda ca: build(
        ca, edit_files=lambda f: f.__setitem__("attachments/hokensho.png", b"\x89PNG changed")
    ),
    "xml_forbidden": lambda ca: build(ca, edit_xml=_doctype),
    "signature_algorithm": lambda ca: build(
        ca,
        signer=LegacySigner(
            signature_algorithm=SignatureMethod.RSA_SHA1,
            digest_algorithm=DigestAlgorithm.SHA1,
            c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
        ),
    ),
    "certificate_untrusted": lambda ca: build(CA.create("Unknown CA")),
    "certificate_expired": lambda ca: build(
        ca,
        cert_kwargs={
            "not_before": NOW - dt.timedelta(days=900),
            "not_after": NOW - dt.timedelta(days=2),
        },
    ),
    "certificate_not_yet_valid": lambda ca: build(
        ca, cert_kwargs={"not_before": NOW + dt.timedelta(days=1)}
    ),
    "certificate_usage": lambda ca: build(ca, cert_kwargs={"key_usage": "encryption"}),
    # A TLS server's certificate (extendedKeyUsage serverAuth only) signs no application.
    "certificate_usage_tls": lambda ca: build(
        ca, cert_kwargs={"extended_key_usage": ["1.3.6.1.5.5.7.3.1"]}
    ),
    "procedure_unknown": lambda ca: build(ca, spec(procedure_version="1999.1")),
}


@pytest.mark.parametrize("reason", sorted(CASES))
def test_bad_package_is_quarantined_with_its_reason(trusted, reason):
    data = CASES[reason](trusted.ca)
    good = trusted.packages[0]
    code = Reason(reason.removesuffix("_tls"))
    results = [import_package(data, "bad.zip"), import_package(good.read_bytes(), good.name)]
    assert (results[0].outcome, results[0].reason) == (Outcome.QUARANTINED, code)
    assert results[1].outcome == Outcome.ACCEPTED
    assert QuarantinedPackage.objects.get(reason=code).package_bytes == data
    assert code.label  # every code has a Japanese explanation for the clerk


def test_a_back_dated_package_is_held_until_an_administrator_has_checked_its_date(
    trusted, administrator
):
    """submitted_at is unsigned and sets the time the certificate is judged at: a card
    revoked yesterday signing a package that claims to be a month old is not accepted as
    valid-then. Held (the rest of the batch untouched) until the date is checked."""
    from madoguchi.intake.actions import reprocess

    revoked_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    load_crl(trusted.ca.crl([(4242, revoked_at)], number=3))
    claimed = dt.datetime.now(JST) - dt.timedelta(days=30)
    data = build(
        trusted.ca, spec("2026112600000013", submitted_at=claimed), cert_kwargs={"serial": 4242}
    )
    good = trusted.packages[0]
    results = [import_package(data, "old.zip"), import_package(good.read_bytes(), good.name)]
    assert (results[0].outcome, results[0].reason) == (
        Outcome.QUARANTINED,
        Reason.SUBMITTED_AT_OUT_OF_WINDOW,
    )
    assert "window 14 days" in results[0].detail
    assert results[1].outcome == Outcome.ACCEPTED
    held = QuarantinedPackage.objects.get(reason=Reason.SUBMITTED_AT_OUT_OF_WINDOW)
    assert reprocess(held, actor=administrator).reason == Reason.SUBMITTED_AT_OUT_OF_WINDOW
    # Checked and accepted by a person: now the certificate is judged at that date — and
    # this card was revoked after it, so the package is accepted as the applicant's.
    assert reprocess(held, actor=administrator, late_accepted=True).outcome == Outcome.ACCEPTED
    assert AuditEvent.objects.filter(
        action=AuditAction.QUARANTINE_REPROCESSED, extra__late_accepted=True
    ).exists()
    # Inside the window, measured from when the package was fetched, not from today.
    fetched = dt.datetime.now(dt.UTC) - dt.timedelta(days=20)
    older = build(trusted.ca, spec("2026112600000014", submitted_at=fetched - dt.timedelta(days=1)))
    assert import_package(older, "b.zip", fetched_at=fetched).outcome == Outcome.ACCEPTED


def test_attachment_names_equal_but_for_case_or_normalisation_are_refused(trusted):
    files = [
        ("Scan.pdf", "application/pdf", b"%PDF-1.4 a"),
        ("scan.PDF", "application/pdf", b"%PDF-1.4 b"),
    ]
    result = import_package(build(trusted.ca, spec(attachments=files)), "a.zip")
    assert result.reason == Reason.ATTACHMENT_NAME_COLLISION
    composed = [
        ("\u30ac.png", "image/png", tiny_png(1)),  # ガ, one code point
        ("\u30ab\u3099.png", "image/png", tiny_png(2)),  # カ + combining ゛
    ]
    second = build(trusted.ca, spec("2026112600000015", attachments=composed))
    assert import_package(second, "b.zip").reason == Reason.ATTACHMENT_NAME_COLLISION


def test_a_certificate_whose_extended_usage_signs_documents_is_accepted(trusted):
    data = build(
        trusted.ca,
        spec("2026112600000012"),
        cert_kwargs={"extended_key_usage": ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.36"]},
    )
    assert import_package(data, "a.zip").outcome == Outcome.ACCEPTED


def test_certificate_revoked_before_signing_is_refused_and_after_is_accepted(trusted):
    before = build(trusted.ca, spec("2026112600000010"), cert_kwargs={"serial": 1001})
    after = build(trusted.ca, spec("2026112600000011"), cert_kwargs={"serial": 1002})
    signing_time = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    load_crl(
        trusted.ca.crl(
            [
                (1001, signing_time - dt.timedelta(days=1)),
                (1002, signing_time + dt.timedelta(minutes=30)),
            ],
            number=2,
        )
    )
    assert import_package(before, "before.zip").reason == Reason.CERTIFICATE_REVOKED
    assert import_package(after, "after.zip").outcome == Outcome.ACCEPTED


def test_without_a_fresh_crl_the_application_is_held_not_accepted_silently(catalog, portal_data):
    add_trust_anchor((portal_data.root / "trust" / "ca.pem").read_bytes())
    result = import_package(build(portal_data.ca), "a.zip")
    assert result.outcome == Outcome.ACCEPTED
    assert Application.objects.get().identification == Identification.REVOCATION_PENDING


def test_a_reference_to_part_of_the_document_is_refused(trusted):
    """Signature wrapping: only a signature over the whole form counts."""

    def point_elsewhere(xml: bytes) -> bytes:
        return xml.replace(b'URI=""', b'URI="#other"', 1)

    result = import_package(build(trusted.ca, edit_xml=point_elsewhere), "w.zip")
    assert result.reason == Reason.SIGNATURE_ALGORITHM


def test_an_injected_comment_does_not_change_what_is_read(trusted):
    def inject(xml: bytes) -> bytes:
        return xml.replace("山田　花子</Item>".encode(), "山田<!-- -->　花子</Item>".encode(), 1)

    result = import_package(build(trusted.ca, edit_xml=inject), "c.zip")
    assert result.outcome == Outcome.ACCEPTED
    assert Application.objects.get().form["applicant_name"] == "山田　花子"


def test_certificate_and_registry_disagreeing_needs_review(trusted):
    """The serial links to a resident whose 基本4情報 differ from the certificate's."""
    with (trusted.root / "registry" / "links.csv").open(encoding="utf-8") as f:
        row = next(csv.DictReader(f))
    data = build(
        trusted.ca,
        spec("2026112600000020"),
        cert_kwargs={
            "serial": int(row["serial_number"], 16),
            "name": "別人　太郎",
            "birth_date": dt.date.fromisoformat(row["birth_date"]),
            "sex": row["sex"],
            "address": row["address"],
        },
    )
    assert import_package(data, "x.zip").outcome == Outcome.ACCEPTED
    application = Application.objects.get(receipt_number="2026112600000020")
    assert application.identification == Identification.NEEDS_REVIEW
    assert application.identification_notes == ["氏名が住民記録と異なります"]


def _add_anchor(portal) -> None:
    add_trust_anchor((portal.root / "trust" / "ca.pem").read_bytes())


def test_an_expired_crl_is_refused(catalog, portal_data):
    _add_anchor(portal_data)
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    with pytest.raises(TrustError, match="古いCRL"):
        load_crl(portal_data.ca.crl([], number=5, this_update=old))


def test_a_crl_with_a_bad_signature_is_refused(catalog, portal_data):
    _add_anchor(portal_data)
    with pytest.raises(TrustError, match="署名"):
        load_crl(portal_data.ca.crl([], number=5, signer=new_key()))


def test_an_older_crl_cannot_replace_a_newer_one(catalog, portal_data):
    _add_anchor(portal_data)
    load_crl(portal_data.ca.crl([], number=9))
    with pytest.raises(TrustError, match="新しい"):
        load_crl(portal_data.ca.crl([(1234, NOW - dt.timedelta(days=1))], number=8))


@pytest.mark.parametrize(
    ("revoked", "expected"),
    [(False, Identification.UNIDENTIFIED), (True, Identification.CERTIFICATE_REVOKED)],
)
def test_a_held_application_is_settled_when_a_fresh_crl_arrives(
    catalog, portal_data, revoked, expected
):
    _add_anchor(portal_data)
    import_package(build(portal_data.ca, cert_kwargs={"serial": 4242}), "held.zip")
    application = Application.objects.get()
    assert application.identification == Identification.REVOCATION_PENDING
    entries = [(4242, application.submitted_at - dt.timedelta(days=1))] if revoked else []
    load_crl(portal_data.ca.crl(entries, number=3))
    assert recheck_pending_revocations() == 1
    application.refresh_from_db()
    assert application.identification == expected
    assert application.evidence.crl_number == 3
    assert recheck_pending_revocations() == 0


def test_a_wrapped_signature_is_refused(trusted):
    """The validly signed form hidden inside a forged one: the signature must sit at the root."""

    def wrap(xml: bytes) -> bytes:
        body = xml.split(b"?>", 1)[1]
        forged = body.replace("山田　花子".encode(), "攻撃　者".encode(), 1)
        forged = forged.split(b"<ds:Signature")[0]
        return (
            b'<?xml version="1.0"?>'
            + forged.replace(b"</Application>", b"", 1)
            + body
            + b"</Application>"
        )

    result = import_package(build(trusted.ca, edit_xml=wrap), "w.zip")
    assert result.outcome == Outcome.QUARANTINED
    assert result.reason == Reason.SIGNATURE_ALGORITHM


def test_japanese_element_names_in_the_signed_form_verify(trusted):
    package_spec = spec("2026112600000055")
    root = application_xml(package_spec)
    note = root.makeelement("{urn:madoguchi:pittari:1}備考")
    note.text = "窓口で相談済み"
    root.append(note)
    certificate = trusted.ca.issue_signing_certificate(
        shared_key(), name="山田　花子", birth_date=dt.date(1990, 1, 1), sex="2", address="千代田"
    )
    data = build_zip(package_files(package_spec, sign(root, shared_key(), certificate)))
    assert import_package(data, "j.zip").outcome == Outcome.ACCEPTED


def test_envelope_fields_are_checked_before_anything_is_stored(trusted):
    result = import_package(build(trusted.ca, edit_files=edit_envelope(submitter="robot")), "e.zip")
    assert (result.outcome, result.reason) == (Outcome.QUARANTINED, Reason.ENVELOPE_INVALID)


def test_a_package_whose_checks_run_too_long_is_quarantined(trusted, settings, monkeypatch):
    """Stands in for a crafted package that keeps the checks busy: they are cut off."""
    real = intake_actions.read_package

    def slow(data, now, trust, **kwargs):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # busy in Python, as a pathological input
            pass
        return real(data, now, trust, **kwargs)

    monkeypatch.setattr(intake_actions, "read_package", slow)
    settings.INTAKE_TIME_LIMIT_SECONDS = 0.2
    result = import_package(trusted.packages[0].read_bytes(), "slow.zip")
    assert (result.outcome, result.reason) == (Outcome.QUARANTINED, Reason.PROCESSING_TIMEOUT)
