from django.db import migrations, models


def first_is_last(apps, schema_editor):
    """Until now only the first opening was kept: it is the last one known."""
    ApplicationRead = apps.get_model("applications", "ApplicationRead")
    ApplicationRead.objects.update(last_read_at=models.F("first_read_at"))


class Migration(migrations.Migration):

    dependencies = [
        ('applications', '0021_approval_routes'),
    ]

    operations = [
        migrations.AddField(
            model_name='applicationread',
            name='last_read_at',
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(first_is_last, migrations.RunPython.noop),
    ]
