"""The operator console: server-rendered pages under /console (see services/audit/README.md)."""

from audit.entrypoints.console.routes import install

__all__ = ["install"]
