"""Local infrastructure for machines without a Docker engine: Kafka (KRaft) and PostgreSQL."""
