from django.db import migrations


def refold(apps, schema_editor):
    """The search keys again, folded as lib/text.py now folds (Latin case; 異体字 from the
    MJ縮退マップ and the 国税庁 JIS縮退マップ): a key kept under the old folding would not be
    found by the new one. Only the rows whose keys change are written."""
    from madoguchi.lib.text import normalize_for_match

    Application = apps.get_model("applications", "Application")
    changed = []
    rows = Application.objects.only("applicant_name", "applicant_kana", "name_key", "kana_key")
    for application in rows.iterator(chunk_size=2000):
        name_key = normalize_for_match(application.applicant_name)[:100]
        kana_key = normalize_for_match(application.applicant_kana)[:100]
        if (name_key, kana_key) != (application.name_key, application.kana_key):
            application.name_key, application.kana_key = name_key, kana_key
            changed.append(application)
        if len(changed) >= 2000:
            Application.objects.bulk_update(changed, ["name_key", "kana_key"])
            changed = []
    Application.objects.bulk_update(changed, ["name_key", "kana_key"])


class Migration(migrations.Migration):

    dependencies = [
        ("applications", "0023_internal_comments"),
    ]

    operations = [
        migrations.RunPython(refold, migrations.RunPython.noop, elidable=True),
    ]
