"""The ``saleor-personalization`` command line."""
