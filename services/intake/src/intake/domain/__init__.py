"""Intake's domain: pure decisions and the events they record; no I/O."""
