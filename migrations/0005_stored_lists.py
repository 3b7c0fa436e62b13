import django.contrib.postgres.fields
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('saleor_personalization', '0004_product_popularity'),
    ]

    operations = [
        migrations.AddField(
            model_name='shopperprofile',
            name='session_list',
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='shopperprofile',
            name='lasting_list',
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='shopperprofile',
            name='session_until',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='shopperprofile',
            name='lists_for',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.CreateModel(
            name='SimilarProductList',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('product_id', models.BigIntegerField()),
                ('product_ids', django.contrib.postgres.fields.ArrayField(base_field=models.BigIntegerField(), size=None)),
                ('scores', django.contrib.postgres.fields.ArrayField(base_field=models.FloatField(), size=None)),
                ('computed_at', models.DateTimeField(blank=True, null=True)),
                ('space', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='similar_lists', to='saleor_personalization.embeddingspace')),
            ],
            options={
                'db_table': 'personalization_similar_list',
                'indexes': [models.Index(fields=['space', 'computed_at'], name='personalization_similar_stale')],
                'constraints': [models.UniqueConstraint(fields=('space', 'product_id'), name='personalization_similar_unique_product')],
            },
        ),
    ]
