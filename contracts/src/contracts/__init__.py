"""The event catalogue: pure data shared by every service (no I/O here)."""
