"""方式4 to object storage (共通機能標準仕様書 §2.2.2 ②): the batch file and its manifest put
into an S3-compatible bucket — here moto's S3 server, a separate HTTP server from PyPI (no
S3-compatible server binary ships in Debian 12 or on PyPI for this machine)."""

from __future__ import annotations

import hashlib
import io
import json
import urllib.request
import zipfile

import boto3
import pytest
from moto.server import ThreadedMotoServer

from madoguchi.applications.models import Evidence
from madoguchi.audit.constants import AuditAction
from madoguchi.audit.models import AuditEvent
from madoguchi.linking.constants import DeliveryState, HandoffMethod
from madoguchi.linking.models import Delivery
from madoguchi.linking.plugins import DeliveryError, core_system
from madoguchi.linking.plugins.registry import ConfigurationError
from madoguchi.linking.tasks import hand_over
from tests.test_linking import nintei  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def s3_server():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    # moto keeps its buckets in the process, across servers: each test starts empty.
    urllib.request.urlopen(  # noqa: S310 (the test's own server)
        urllib.request.Request(f"http://{host}:{port}/moto-api/reset", method="POST")
    ).close()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(s3_server, settings):
    """A client of the server, with the bucket "handoff" made, and madoguchi's credentials."""
    settings.S3_ACCESS_KEY_ID, settings.S3_SECRET_ACCESS_KEY = "madoguchi", "secret-key"
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        aws_access_key_id="madoguchi",
        aws_secret_access_key="secret-key",
        region_name="ap-northeast-1",
    )
    client.create_bucket(
        Bucket="handoff", CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"}
    )
    return client


@pytest.fixture
def batch_into_bucket(configure, s3_server, s3, django_capture_on_commit_callbacks):
    """The 児童手当 core system by 方式4 into s3://handoff/jidou/in (with ``extra`` settings),
    one hand-over pass; the bucket's keys after it."""

    def hand_over_once(extra: str) -> list[str]:
        configure(
            '[jidou_teate]\nmethod = "batch"\nbatch_every_minutes = 1\n'
            f'bucket = "s3://handoff/jidou/in"\ns3_endpoint = "{s3_server}"\n{extra}'
        )
        Delivery.objects.update(method=HandoffMethod.BATCH)
        with django_capture_on_commit_callbacks(execute=True):
            hand_over()
        return sorted(o["Key"] for o in s3.list_objects_v2(Bucket="handoff")["Contents"])

    return hand_over_once


def test_a_batch_goes_into_the_bucket_file_then_manifest(
    configure,
    nintei,  # noqa: F811 (the fixture imported above)
    s3_server,
    s3,
    tmp_path,
    batch_into_bucket,
):
    keys = batch_into_bucket("")
    assert len(keys) == 2 and all(k.startswith("jidou/in/") for k in keys)
    data_key = next(k for k in keys if not k.endswith(".manifest.json"))
    manifest = json.loads(
        s3.get_object(Bucket="handoff", Key=data_key + ".manifest.json")["Body"].read()
    )
    body = s3.get_object(Bucket="handoff", Key=data_key)["Body"].read()
    assert manifest["sha256"] == hashlib.sha256(body).hexdigest()
    assert manifest["records"] == len(nintei)
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}

    # A bucket that is not there: the delivery fails with the reason (and is retried).
    configure(f'[jidou_teate]\nbucket = "s3://missing"\ns3_endpoint = "{s3_server}"\n')
    placed = tmp_path / "x.csv"
    placed.write_bytes(body)
    placed.with_name("x.csv.manifest.json").write_text("{}")
    with pytest.raises(DeliveryError, match="s3://missing"):
        core_system("jidou_teate").send(placed)
    configure('[jidou_teate]\nbucket = "handoff"\n')
    with pytest.raises(ConfigurationError, match="s3://"):
        core_system("jidou_teate")


def test_the_signed_packages_go_with_the_batch(
    nintei,  # noqa: F811 (the fixture imported above)
    s3,
    batch_into_bucket,
):
    """packages = true: beside the batch file, every record's 申請ZIP exactly as received
    (<受付番号>.zip in one archive), its hash and entries in the manifest and the audit log."""
    keys = batch_into_bucket("packages = true\n")
    data_key = next(k for k in keys if k.endswith(".csv"))
    assert keys == sorted([data_key, data_key + ".manifest.json", data_key + ".packages.zip"])
    manifest = json.loads(
        s3.get_object(Bucket="handoff", Key=data_key + ".manifest.json")["Body"].read()
    )
    archive_bytes = s3.get_object(Bucket="handoff", Key=data_key + ".packages.zip")["Body"].read()
    packages = manifest["packages"]
    assert packages["sha256"] == hashlib.sha256(archive_bytes).hexdigest()
    assert packages["without_package"] == []
    received = dict(Evidence.objects.values_list("application__receipt_number", "package_sha256"))
    with zipfile.ZipFile(io.BytesIO(archive_bytes)) as archive:
        assert sorted(archive.namelist()) == sorted(f"{n}.zip" for n in received)
        for entry in packages["entries"]:
            data = archive.read(f"{entry['receipt_number']}.zip")
            assert hashlib.sha256(data).hexdigest() == entry["sha256"]
            assert entry["sha256"] == received[entry["receipt_number"]]
    assert len(packages["entries"]) == manifest["records"] == len(nintei)
    event = AuditEvent.objects.get(action=AuditAction.APPLICATIONS_EXPORTED)
    assert event.extra["package_sha256"] == packages["sha256"]
