"""SQL of the runtime's optional parts: a service that uses one passes its folder to
`create_service_app(..., parts=...)`, so only the services that use a part get its tables."""

from pathlib import Path

CLIENT_KEYS = Path(__file__).with_name("clientkeys")
CLIENT_VIEW = Path(__file__).with_name("clientview")
