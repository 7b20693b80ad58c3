import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    """API tokens are credentials: they move from the api app to accounts (below the hand-over
    in the layer order, so that linking may issue a core system's). The table stays where it
    is; only Django's idea of the model moves (api 0004 lets go of it)."""

    dependencies = [
        ('accounts', '0006_staff_administration'),
        ('api', '0003_token_scope'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.CreateModel(
            name='ApiToken',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('core_system', models.CharField(blank=True, max_length=40, verbose_name='基幹システム')),
                ('name', models.CharField(max_length=100, verbose_name='用途')),
                ('token_sha256', models.CharField(max_length=64, unique=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('last_used_at', models.DateTimeField(blank=True, null=True)),
                ('revoked_at', models.DateTimeField(blank=True, null=True)),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'db_table': 'api_apitoken',
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('user__isnull', False), ('core_system', '')), models.Q(('user__isnull', True), models.Q(('core_system', ''), _negated=True)), _connector='OR'), name='token_for_one_scope')],
            },
        ),])
    ]
