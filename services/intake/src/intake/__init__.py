"""Intake: registers clients from every source, decides responsibility, keeps the personal-data vault."""
