"""`python -m intake` serves intake.

`python -m intake credentials ...` manages API credentials (docs/credentials.md);
`python -m intake vault-rewrap` re-wraps every data key under the current master key after a rotation.
"""

import asyncio
import sys

import asyncpg

from backbone import auth
from backbone.serve import serve
from backbone import crypto
from intake.adapters.vault import rewrap_all
from intake.bootstrap import build
from intake.config import IntakeSettings


async def _rewrap(settings: IntakeSettings) -> int:
    keyring = crypto.MasterKeyring.from_setting(settings.vault_master_keys.get_secret_value())
    conn = await asyncpg.connect(settings.database_url.get_secret_value())
    try:
        count = await rewrap_all(conn, keyring)
    finally:
        await conn.close()
    print(f"{count} data keys re-wrapped under master key {keyring.current_id}")
    return 0


command = sys.argv[1] if len(sys.argv) > 1 else None
if command == "credentials":
    settings = IntakeSettings()
    sys.exit(auth.main(sys.argv[2:], settings.database_url.get_secret_value(), prog="python -m intake credentials"))
if command == "vault-rewrap":
    sys.exit(asyncio.run(_rewrap(IntakeSettings())))
serve(build, IntakeSettings())
