"""Packages made to order for the tests, with the simulator's own parts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.management import call_command
from signxml import XMLSigner

from madoguchi.applications.actions.workflow import change_status
from madoguchi.vocabulary import Status
from pittari_sim.generate import JST, tiny_png
from pittari_sim.package import PackageSpec, application_xml, build_zip, package_files, sign
from pittari_sim.pki import CA, new_key

_KEY: rsa.RSAPrivateKey | None = None


def shared_key() -> rsa.RSAPrivateKey:
    """One signer key for the hand-made cases (key generation is the slow part)."""
    global _KEY
    if _KEY is None:
        _KEY = new_key()
    return _KEY


def spec(receipt_number: str = "2026112600000001", **overrides: Any) -> PackageSpec:
    values: dict[str, Any] = {
        "receipt_number": receipt_number,
        "procedure_id": "jidou-teate-nintei",
        "procedure_version": "2026.1",
        "submitted_at": dt.datetime.now(JST) - dt.timedelta(hours=1),
        "municipality_code": "131016",
        "submitter": "self",
        "form": {"applicant_name": "山田　花子", "applicant_kana": "ヤマダ　ハナコ"},
        "attachments": [("hokensho.png", "image/png", tiny_png(1))],
    }
    values.update(overrides)
    return PackageSpec(**values)


def build(
    ca: CA,
    package_spec: PackageSpec | None = None,
    *,
    cert_kwargs: dict[str, Any] | None = None,
    signer: XMLSigner | None = None,
    edit_xml: Callable[[bytes], bytes] | None = None,
    edit_files: Callable[[dict[str, bytes]], None] | None = None,
) -> bytes:
    package_spec = package_spec or spec()
    key = shared_key()
    kwargs = {
        "name": "山田　花子",
        "birth_date": dt.date(1990, 1, 1),
        "sex": "2",
        "address": "東京都千代田区千代田1番1号",
    } | (cert_kwargs or {})
    certificate = ca.issue_signing_certificate(key, **kwargs)
    xml = sign(application_xml(package_spec), key, certificate, signer=signer)
    if edit_xml:
        xml = edit_xml(xml)
    files = package_files(package_spec, xml)
    if edit_files:
        edit_files(files)
    return build_zip(files)


def rezip(data: bytes, edit: Callable[[dict[str, bytes]], None]) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    edit(files)
    return build_zip(files)


def edit_envelope(**changes: Any) -> Callable[[dict[str, bytes]], None]:
    def edit(files: dict[str, bytes]) -> None:
        envelope = json.loads(files["envelope.json"])
        envelope.update(changes)
        files["envelope.json"] = json.dumps(envelope).encode()

    return edit


def export_csv(procedure_id: str, out: Path, capsys: Any) -> dict[str, Any]:
    """`madoguchi export batch --format csv-utf8 --json`, its report. The files appear on
    commit: call it inside django_capture_on_commit_callbacks(execute=True)."""
    call_command(
        "export",
        "batch",
        "--procedure",
        procedure_id,
        "--format",
        "csv-utf8",
        "--out",
        str(out),
        "--json",
    )
    return dict(json.loads(capsys.readouterr().out))


def read_rows(path: str | Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def make_ready(applications: Iterable[Any], actor: Any) -> None:
    """受付 → 審査中 → 基幹連携待ち, through the action, as a reviewer would."""
    for application in applications:
        change_status(application.pk, Status.IN_REVIEW, actor=actor)
        change_status(application.pk, Status.READY_FOR_HANDOFF, actor=actor)


def pull_record(client: Any, configure: Any, capsys: Any, receipt_number: str) -> Any:
    """方式3: the 児童手当システム fetches one record through the pull API with its own
    token; the response."""
    from madoguchi.linking.models import Delivery

    configure('[jidou_teate]\nmethod = "pull_api"\n')
    Delivery.objects.update(method="pull_api")
    call_command("linking", "token", "jidou_teate")
    token = capsys.readouterr().out.strip()
    return client.get(
        f"/api/v1/core-systems/jidou_teate/records/{receipt_number}",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def pulled_items(client: Any, configure: Any, capsys: Any, receipt_number: str) -> dict[str, str]:
    """The record's items by source (form.applicant_name …), fetched as pull_record does."""
    record = pull_record(client, configure, capsys, receipt_number).json()
    return {i["source"]: i["value"] for i in record["items"]}


def cp932_rows(procedure_id: str, out: Path, capsys: Any, on_commit: Any) -> list[dict[str, str]]:
    """方式4: `madoguchi export batch --format csv-cp932` of every waiting record, read back
    once the file has appeared (on commit: pass django_capture_on_commit_callbacks)."""
    with on_commit(execute=True):
        call_command(
            "export", "batch", "--procedure", procedure_id, "--format", "csv-cp932",
            "--out", str(out), "--json",
        )  # fmt: skip
    [path] = json.loads(capsys.readouterr().out)["files"]
    return list(csv.DictReader(io.StringIO(Path(path).read_bytes().decode("cp932"))))
