"""Shared runtime of every service: settings, logging, database, Kafka and the app factory."""
