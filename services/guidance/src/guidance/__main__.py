"""`python -m guidance` serves guidance.

`python -m guidance credentials ...` manages API credentials, providers' included
(`--principal provider:<code> --role provider`); `python -m guidance keys-rewrap` re-wraps every client
key under the current master key after a rotation; `python -m guidance rebuild --into SCHEMA` rebuilds its read
models from the events into a new schema (`service_layer.projection`).
"""

import asyncio
import sys

import asyncpg

from backbone import auth
from backbone.clientkeys import ClientKeys
from backbone.serve import serve
from guidance.bootstrap import build
from guidance.config import GuidanceSettings


async def _rewrap(settings: GuidanceSettings) -> int:
    keys = ClientKeys.from_setting(settings.vault_master_keys.get_secret_value())
    conn = await asyncpg.connect(settings.database_url.get_secret_value())
    try:
        async with conn.transaction():
            count = await keys.rewrap(conn)
    finally:
        await conn.close()
    print(f"{count} client keys re-wrapped")
    return 0


command = sys.argv[1] if len(sys.argv) > 1 else None
if command == "credentials":
    settings = GuidanceSettings()
    sys.exit(auth.main(sys.argv[2:], settings.database_url.get_secret_value(), prog="python -m guidance credentials"))
if command == "keys-rewrap":
    sys.exit(asyncio.run(_rewrap(GuidanceSettings())))
if command == "rebuild":
    from guidance.service_layer import projection

    sys.exit(projection.command(sys.argv[2:], GuidanceSettings()))
serve(build, GuidanceSettings())
