"""The Saleor-agnostic recommendation engine.

Nothing under this package imports Django or Saleor: the store it talks to is
described by the protocols in :mod:`saleor_personalization.engine.ports`, and
adapters (the Django store, the Saleor plugin) translate their objects into the
plain dataclasses defined here.
"""
