from django.db import migrations, models


def seal_with_the_key(apps, schema_editor):
    """Events written before the HMAC chain are sealed again under the current key, in
    order: from this upgrade on, rewriting the log needs the key, which is not in the
    database."""
    from madoguchi.audit.models import GENESIS_HASH, audit_keys, chain_hash

    AuditEvent = apps.get_model("audit", "AuditEvent")
    ChainHead = apps.get_model("audit", "ChainHead")
    key_id, key = next(iter(audit_keys().items()))
    prev_hash = GENESIS_HASH
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        payload = {
            "seq": event.seq,
            "at": event.at.isoformat(),
            "actor_id": event.actor_id,
            "actor_name": event.actor_name,
            "action": event.action,
            "target_type": event.target_type,
            "target_id": event.target_id,
            "extra": event.extra,
        }
        event.prev_hash = prev_hash
        event.hash = chain_hash(key, prev_hash, payload)
        event.key_id = key_id
        event.save(update_fields=["prev_hash", "hash", "key_id"])
        prev_hash = event.hash
    ChainHead.objects.filter(pk=1).update(last_hash=prev_hash)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(default="", max_length=16),
        ),
        migrations.RunPython(seal_with_the_key, migrations.RunPython.noop),
    ]
