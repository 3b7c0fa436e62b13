import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('saleor_personalization', '0005_stored_lists'),
    ]

    operations = [
        migrations.AddField(
            model_name='embeddingspace',
            name='kind',
            field=models.CharField(choices=[('content', 'Content'), ('learned', 'Learned')], default='content', max_length=16),
        ),
        migrations.RemoveConstraint(
            model_name='embeddingspace',
            name='personalization_one_active_space',
        ),
        migrations.AddConstraint(
            model_name='embeddingspace',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'active')), fields=('kind',), name='personalization_one_active_space_per_kind'),
        ),
        migrations.CreateModel(
            name='RecommenderModel',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('queued', 'Queued'), ('training', 'Training'), ('live', 'Live'), ('rejected', 'Rejected'), ('retired', 'Retired'), ('failed', 'Failed')], default='queued', max_length=16)),
                ('trigger', models.CharField(blank=True, default='', max_length=16)),
                ('text_model', models.CharField(blank=True, default='', max_length=255)),
                ('window_start', models.DateTimeField(blank=True, null=True)),
                ('window_end', models.DateTimeField(blank=True, null=True)),
                ('event_count', models.PositiveIntegerField(default=0)),
                ('shopper_count', models.PositiveIntegerField(default=0)),
                ('product_count', models.PositiveIntegerField(default=0)),
                ('last_event_id', models.BigIntegerField(blank=True, null=True)),
                ('hyperparameters', models.JSONField(blank=True, default=dict)),
                ('metrics', models.JSONField(blank=True, default=dict)),
                ('decision', models.TextField(blank=True, default='')),
                ('training_seconds', models.FloatField(blank=True, null=True)),
                ('peak_memory_mb', models.FloatField(blank=True, null=True)),
                ('artifact_weights', models.BinaryField(blank=True, null=True)),
                ('artifact_description', models.JSONField(blank=True, null=True)),
                ('error', models.TextField(blank=True, default='')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('started_at', models.DateTimeField(blank=True, null=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('activated_at', models.DateTimeField(blank=True, null=True)),
                ('space', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='recommender_models', to='saleor_personalization.embeddingspace')),
            ],
            options={
                'db_table': 'personalization_recommender_model',
                'indexes': [models.Index(fields=['status', '-created_at'], name='personalization_model_status')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('status', 'live')), fields=('status',), name='personalization_one_live_recommender')],
            },
        ),
    ]
