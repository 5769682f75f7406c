"""Event payloads, one module per part of the process; `contracts.registry` lists them all."""
