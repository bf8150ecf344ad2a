"""Data layer: regions, indicator catalogue, topic tables, queries, generator, loader."""
