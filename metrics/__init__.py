"""Scores: the framework, normalisation, aggregation, coverage, sustainability, quality, robustness."""
