

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0007_apitoken'),
    ]

    operations = [
        migrations.AddField(
            model_name='user',
            name='era_dates',
            field=models.BooleanField(default=True, verbose_name='日付を和暦で表示'),
        ),
    ]
