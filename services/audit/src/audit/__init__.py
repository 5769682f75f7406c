"""Audit: the shared, hash-chained audit trail and the operator console."""
