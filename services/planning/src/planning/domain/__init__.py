"""Aggregates and rules; no I/O here."""
