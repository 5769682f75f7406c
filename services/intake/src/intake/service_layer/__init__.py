"""Intake's use cases: commands, their handlers, read-only views, and the ports they need."""
