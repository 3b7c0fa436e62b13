import django.contrib.postgres.fields
import django.db.models.deletion
import uuid
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('saleor_personalization', '0006_learned_recommender'),
    ]

    operations = [
        migrations.CreateModel(
            name='RewriteJob',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('status', models.CharField(choices=[('pending', 'Pending'), ('running', 'Running'), ('done', 'Done'), ('failed', 'Failed')], default='pending', max_length=16)),
                ('product_ids', django.contrib.postgres.fields.ArrayField(base_field=models.BigIntegerField(), size=None)),
                ('language_code', models.CharField(blank=True, default='', max_length=35)),
                ('instructions', models.TextField(blank=True, default='')),
                ('candidates', models.PositiveSmallIntegerField(default=2)),
                ('done', models.PositiveIntegerField(default=0)),
                ('proposals', models.PositiveIntegerField(default=0)),
                ('outcomes', models.JSONField(default=dict)),
                ('error', models.TextField(blank=True, default='')),
                ('requested_by', models.CharField(blank=True, default='', max_length=255)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('started_at', models.DateTimeField(blank=True, null=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
            ],
            options={
                'db_table': 'personalization_rewrite_job',
            },
        ),
        migrations.CreateModel(
            name='DescriptionScore',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('product_id', models.BigIntegerField()),
                ('language_code', models.CharField(blank=True, default='', max_length=35)),
                ('total', models.FloatField()),
                ('alignment', models.FloatField()),
                ('completeness', models.FloatField()),
                ('readability', models.FloatField()),
                ('length', models.FloatField()),
                ('suggestions', models.JSONField(default=list)),
                ('text_hash', models.CharField(max_length=64)),
                ('computed_at', models.DateTimeField()),
            ],
            options={
                'db_table': 'personalization_description_score',
                'indexes': [models.Index(fields=['language_code', 'total'], name='personalization_score_weakest')],
                'constraints': [models.UniqueConstraint(fields=('product_id', 'language_code'), name='personalization_score_unique')],
            },
        ),
        migrations.CreateModel(
            name='DescriptionVersion',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('product_id', models.BigIntegerField()),
                ('language_code', models.CharField(blank=True, default='', max_length=35)),
                ('status', models.CharField(choices=[('live', 'Live'), ('proposed', 'Proposed'), ('rejected', 'Rejected'), ('retired', 'Retired')], max_length=16)),
                ('origin', models.CharField(choices=[('original', 'Original'), ('generated', 'Generated'), ('manual', 'Manual')], max_length=16)),
                ('description', models.JSONField()),
                ('text', models.TextField()),
                ('text_hash', models.CharField(max_length=64)),
                ('backend', models.CharField(blank=True, default='', max_length=64)),
                ('model', models.CharField(blank=True, default='', max_length=255)),
                ('prompt_version', models.CharField(blank=True, default='', max_length=64)),
                ('score', models.JSONField(blank=True, null=True)),
                ('guardrails', models.JSONField(blank=True, null=True)),
                ('author', models.CharField(blank=True, default='', max_length=255)),
                ('approver', models.CharField(blank=True, default='', max_length=255)),
                ('approval', models.CharField(blank=True, choices=[('staff', 'Staff'), ('auto', 'Auto'), ('experiment', 'Experiment')], default='', max_length=16)),
                ('reason', models.TextField(blank=True, default='')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('decided_at', models.DateTimeField(blank=True, null=True)),
                ('job', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='versions', to='saleor_personalization.rewritejob')),
            ],
            options={
                'db_table': 'personalization_description_version',
                'indexes': [models.Index(fields=['product_id', 'language_code', 'status'], name='personalization_version_prod')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('status', 'live')), fields=('product_id', 'language_code'), name='personalization_one_live_version')],
            },
        ),
    ]
