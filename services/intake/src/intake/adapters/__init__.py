"""Implementations of the service layer's ports: PostgreSQL, in memory, and the system clock."""
