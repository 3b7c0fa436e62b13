"""The thin Saleor adapter: translates Saleor objects and events into engine calls.

Only this package imports Saleor. ``plugin.PersonalizationPlugin`` is what Saleor
discovers through the ``saleor.plugins`` entry point.
"""
