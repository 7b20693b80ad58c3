from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('api', '0003_token_scope'),
        ('accounts', '0007_apitoken'),
    ]

    operations = [
        # The model now lives in accounts (0007); its table stays.
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name='ApiToken')]),
    ]
