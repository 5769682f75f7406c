"""Database and Kafka adapters."""
