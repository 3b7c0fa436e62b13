"""Running the engine outside Saleor: an embedded PostgreSQL and a minimal Django."""
