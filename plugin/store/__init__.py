"""The recommendation store on PostgreSQL + pgvector, through Django.

:class:`DjangoStore` implements the engine's
:class:`~saleor_personalization.engine.ports.RecommendationStore` protocol.
"""

from .django_store import DjangoStore
from .spaces import NoActiveSpaceError, activate, active_space, create_space, ensure_index

__all__ = [
    "DjangoStore",
    "NoActiveSpaceError",
    "activate",
    "active_space",
    "create_space",
    "ensure_index",
]
