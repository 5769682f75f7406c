"""The integration tests' fixtures, for guidance's end-to-end tests."""

from services.guidance.tests.integration.conftest import bus, client_of, guidance, http, plan_of  # noqa: F401
