import django.db.models.deletion
from django.contrib.postgres.operations import RemoveIndexConcurrently
from django.db import migrations, models

# Foreign keys whose column already leads a unique index, and an index no statement
# uses: they only cost writes. Dropped concurrently, so serving reads never queue
# behind a drop's lock.
REDUNDANT = [
    # (model, field, related model, related_name, table, column, index)
    ("productvector", "space", "embeddingspace", "vectors",
     "personalization_product_vector", "space_id",
     "personalization_product_vector_space_id_9a1c560d"),
    ("similarproductlist", "space", "embeddingspace", "similar_lists",
     "personalization_similar_list", "space_id",
     "personalization_similar_list_space_id_1780316f"),
    ("descriptionexperimentarm", "experiment", "descriptionexperiment", "arms",
     "personalization_description_experiment_arm", "experiment_id",
     "personalization_descriptio_experiment_id_260274c8"),
    ("descriptionexposure", "experiment", "descriptionexperiment", "exposures",
     "personalization_description_exposure", "experiment_id",
     "personalization_description_exposure_experiment_id_091e8241"),
    ("descriptionconversion", "experiment", "descriptionexperiment", "conversions",
     "personalization_description_conversion", "experiment_id",
     "personalization_description_conversion_experiment_id_c508a323"),
]


def _drop(model, field, to, related_name, table, column, index):
    return migrations.SeparateDatabaseAndState(
        database_operations=[
            migrations.RunSQL(
                f'DROP INDEX CONCURRENTLY IF EXISTS "{index}"',
                reverse_sql=f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{index}" '
                f'ON "{table}" ("{column}")',
            )
        ],
        state_operations=[
            migrations.AlterField(
                model_name=model,
                name=field,
                field=models.ForeignKey(
                    db_index=False,
                    on_delete=django.db.models.deletion.CASCADE,
                    related_name=related_name,
                    to=f"saleor_personalization.{to}",
                ),
            )
        ],
    )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('saleor_personalization', '0010_similar_list_names_index'),
    ]

    operations = [
        *(_drop(*redundant) for redundant in REDUNDANT),
        # Unused: no statement finds lists by their computed_at through it.
        RemoveIndexConcurrently(
            model_name='similarproductlist', name='personalization_similar_stale'
        ),
    ]
