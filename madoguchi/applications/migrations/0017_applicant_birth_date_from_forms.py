"""The list's 生年月日 for the applications already received: from each form's
applicant.birth_date field (None where it is not a date)."""

import datetime as dt

from django.db import migrations


def fill(apps, schema_editor):
    Application = apps.get_model("applications", "Application")
    Procedure = apps.get_model("procedures", "Procedure")
    field_of = {}
    for procedure in Procedure.objects.all():
        field_of[procedure.pk] = next(
            (
                f["id"]
                for f in procedure.definition.get("fields", [])
                if f.get("semantic") == "applicant.birth_date"
            ),
            None,
        )
    changed = []
    for application in Application.objects.filter(applicant_birth_date=None).iterator(
        chunk_size=2000
    ):
        field = field_of.get(application.procedure_id)
        value = str(application.form.get(field, "")).strip() if field else ""
        try:
            application.applicant_birth_date = dt.date.fromisoformat(value) if len(value) == 10 else None
        except ValueError:
            continue
        if application.applicant_birth_date is not None:
            changed.append(application)
        if len(changed) >= 2000:
            Application.objects.bulk_update(changed, ["applicant_birth_date"])
            changed = []
    Application.objects.bulk_update(changed, ["applicant_birth_date"])


class Migration(migrations.Migration):
    dependencies = [("applications", "0016_applicant_birth_date"), ("procedures", "0001_initial")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
