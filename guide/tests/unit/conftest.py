"""The guide in process, mounted at /guide like guidance mounts it, with a fake intake where a test needs one."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from guide.catalogue import ProgrammeCatalogue
from guide.config import GuideSettings
from guide.web import create_router


def mounted(source=None, settings: GuideSettings | None = None,
            intake: Callable[[httpx.Request], httpx.Response] | None = None) -> httpx.AsyncClient:
    intake_client = None if intake is None else httpx.AsyncClient(transport=httpx.MockTransport(intake))
    app = FastAPI()
    app.mount("/guide", create_router(source or ProgrammeCatalogue(),
                                      settings or GuideSettings(intake_url="http://intake.test"), intake_client))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("203.0.113.7", 5555)),
                             base_url="http://guide.test")


@pytest.fixture
async def guide():
    async with mounted() as client:
        yield client
