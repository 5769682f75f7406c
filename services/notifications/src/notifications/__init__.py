"""Notifications: e-mail and SMS to clients in their own language."""
