

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0007_apitoken'),
        ('applications', '0020_sealed_my_numbers'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ApprovalRoute',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('decision', models.CharField(choices=[('received', '受付'), ('in_review', '審査中'), ('correction_requested', '補正依頼中'), ('ready_for_handoff', '基幹連携待ち'), ('handed_off', '基幹連携済'), ('completed', '完了'), ('rejected', '却下'), ('withdrawn', '取下げ')], max_length=30, verbose_name='決定')),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('department', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='approval_routes', to='accounts.department')),
            ],
        ),
        migrations.CreateModel(
            name='ApprovalRouteStep',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveSmallIntegerField()),
                ('title', models.CharField(max_length=40, verbose_name='職')),
                ('approver', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('deputy', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('route', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='steps', to='applications.approvalroute')),
            ],
            options={
                'ordering': ['position'],
            },
        ),
        migrations.CreateModel(
            name='Decision',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('to_status', models.CharField(choices=[('received', '受付'), ('in_review', '審査中'), ('correction_requested', '補正依頼中'), ('ready_for_handoff', '基幹連携待ち'), ('handed_off', '基幹連携済'), ('completed', '完了'), ('rejected', '却下'), ('withdrawn', '取下げ')], max_length=30, verbose_name='決定')),
                ('state', models.CharField(choices=[('in_progress', '決裁中'), ('approved', '決裁済'), ('returned', '差戻し')], default='in_progress', max_length=20, verbose_name='決裁')),
                ('reason', models.TextField(blank=True, verbose_name='申請者へのメッセージ')),
                ('proposal', models.TextField(blank=True, verbose_name='伺い文')),
                ('review', models.TextField(blank=True, verbose_name='審査結果')),
                ('include_memos', models.BooleanField(default=False, verbose_name='内部メモを決裁文書に載せる')),
                ('drafted_at', models.DateTimeField(auto_now_add=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('application', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='decisions', to='applications.application')),
                ('drafter', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-drafted_at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='DecisionStep',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveSmallIntegerField()),
                ('title', models.CharField(max_length=40, verbose_name='職')),
                ('state', models.CharField(choices=[('waiting', '承認待ち'), ('approved', '承認'), ('approved_by_deputy', '代決'), ('returned', '差戻し'), ('post_review', '後閲')], default='waiting', max_length=20, verbose_name='状態')),
                ('acted_at', models.DateTimeField(blank=True, null=True)),
                ('comment', models.TextField(blank=True, verbose_name='意見')),
                ('reviewed_at', models.DateTimeField(blank=True, null=True)),
                ('acted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('approver', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('decision', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='steps', to='applications.decision')),
                ('deputy', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['position'],
            },
        ),
        migrations.AddConstraint(
            model_name='approvalroute',
            constraint=models.UniqueConstraint(fields=('department', 'decision'), name='one_route_a_decision'),
        ),
        migrations.AddConstraint(
            model_name='approvalroutestep',
            constraint=models.UniqueConstraint(fields=('route', 'position'), name='route_step_once'),
        ),
        migrations.AddConstraint(
            model_name='decision',
            constraint=models.UniqueConstraint(condition=models.Q(('state', 'in_progress')), fields=('application',), name='one_decision_in_progress'),
        ),
        migrations.AddConstraint(
            model_name='decisionstep',
            constraint=models.UniqueConstraint(fields=('decision', 'position'), name='decision_step_once'),
        ),
    ]
