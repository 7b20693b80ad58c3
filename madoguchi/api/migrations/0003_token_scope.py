from django.db import migrations, models


class Migration(migrations.Migration):
    """Apart from 0002's data step: PostgreSQL refuses an ALTER TABLE after rows changed in
    the same transaction (pending trigger events)."""

    dependencies = [
        ("api", "0002_one_token_model"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='apitoken',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('user__isnull', False), ('core_system', '')), models.Q(('user__isnull', True), models.Q(('core_system', ''), _negated=True)), _connector='OR'), name='token_for_one_scope'),
        ),
    ]
