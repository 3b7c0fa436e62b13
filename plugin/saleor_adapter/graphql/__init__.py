"""Our fields in Saleor's own GraphQL API: similar and recommended products, event tracking.

:func:`schema.install` attaches them to Saleor's graphene classes from our
``AppConfig.ready()``, before Saleor builds its schema.
"""
