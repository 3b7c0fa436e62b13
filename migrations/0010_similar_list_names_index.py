from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations


class Migration(migrations.Migration):
    # Built concurrently (outside a transaction) so a shop's list refreshes and
    # product saves go on while an existing table is indexed.
    atomic = False

    dependencies = [
        ('saleor_personalization', '0009_channel_sellable'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='similarproductlist',
            index=GinIndex(fields=['product_ids'], name='personalization_similar_names'),
        ),
    ]
