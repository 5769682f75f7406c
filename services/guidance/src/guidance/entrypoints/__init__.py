"""HTTP routes and Kafka subscribers: they only translate into commands."""
