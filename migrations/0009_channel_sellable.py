from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('saleor_personalization', '0008_description_experiments'),
    ]

    operations = [
        migrations.CreateModel(
            name='ChannelSellable',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('channel_id', models.IntegerField()),
                ('product_id', models.BigIntegerField()),
                ('in_stock', models.BooleanField()),
            ],
            options={
                'db_table': 'personalization_channel_sellable',
                'constraints': [models.UniqueConstraint(fields=('channel_id', 'product_id'), name='personalization_sellable_unique')],
            },
        ),
        migrations.CreateModel(
            name='ChannelSellableRefresh',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('channel_id', models.IntegerField(unique=True)),
                ('refreshed_at', models.DateTimeField()),
                ('products', models.PositiveIntegerField(default=0)),
                ('in_stock', models.PositiveIntegerField(default=0)),
            ],
            options={
                'db_table': 'personalization_channel_sellable_refresh',
            },
        ),
    ]
