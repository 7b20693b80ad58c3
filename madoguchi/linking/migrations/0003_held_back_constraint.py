from django.db import migrations, models


class Migration(migrations.Migration):
    """Apart from 0002's data step: PostgreSQL refuses an ALTER TABLE after rows changed in
    the same transaction (pending trigger events)."""

    dependencies = [
        ("linking", "0002_delivery_held_back"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='delivery',
            constraint=models.CheckConstraint(condition=models.Q(('held_back', False), models.Q(('state', 'pending'), models.Q(('last_error', ''), _negated=True)), _connector='OR'), name='held_back_is_pending_with_reason'),
        ),
    ]
