"""structlog as JSON lines on stdout; ids are bound, personal data never is."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog


def configure_logging(service: str, level: str = "INFO", stream: TextIO | None = None) -> structlog.stdlib.BoundLogger:
    stream = stream or sys.stdout
    logging.basicConfig(stream=stream, level=level, format="%(message)s", force=True)
    for noisy in ("aiokafka", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=True,
    )
    return structlog.get_logger().bind(service=service)
