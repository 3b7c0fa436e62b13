"""saleor-personalization: language-model recommendations for Saleor.

``saleor_personalization.engine`` is the Saleor- and Django-agnostic core;
``saleor_personalization.store`` keeps its data in PostgreSQL + pgvector through
Django models; ``saleor_personalization.standalone`` runs it all outside Saleor
on an embedded PostgreSQL.
"""

__version__ = "0.1.0"
