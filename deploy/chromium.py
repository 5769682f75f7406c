"""Headless Chromium and its driver for the browser tests, from Debian's packages (like PostgreSQL)."""

from __future__ import annotations

import shutil
from pathlib import Path

from deploy.errors import DeployError
from deploy.tools import _can_install, apt_install

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PACKAGES = ("chromium", "chromium-driver")


def missing() -> bool:
    return not (CHROMIUM.exists() or shutil.which("chromium")) or not (
        CHROMEDRIVER.exists() or shutil.which("chromedriver"))


def ensure_chromium() -> None:
    """Install Debian's chromium and chromium-driver when missing (as root with apt), else name them."""
    if not missing():
        return
    if _can_install():
        print("installing headless Chromium for the browser tests", flush=True)
        apt_install(list(PACKAGES))
    if missing():
        raise DeployError("the browser tests need chromium and chromedriver (install the Debian packages "
                          f"{' and '.join(PACKAGES)})")
