"""Preflight for the browser tests: Debian's chromium and chromium-driver (the same version), and the
fonts the pages and the PDF flyer use, installed from Debian's packages if missing (like PostgreSQL)."""

from __future__ import annotations

import shutil
from pathlib import Path

from deploy.errors import DeployError
from deploy.tools import _can_install, apt_install

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FONTS = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
PACKAGES = {"chromium": CHROMIUM, "chromium-driver": CHROMEDRIVER, "fonts-dejavu-core": FONTS}


def missing() -> list[str]:
    return [package for package, path in PACKAGES.items() if not path.exists()]


def ensure_chromium() -> None:
    """Install what is missing when we may (root with apt), else say which Debian packages are needed."""
    lacking = missing()
    if lacking and _can_install():
        apt_install(lacking)
        lacking = missing()
    if lacking:
        raise DeployError("the browser tests need the Debian packages " + ", ".join(lacking)
                          + " (apt-get install -y " + " ".join(lacking) + ")")
    print(f"chromium: {CHROMIUM} with {CHROMEDRIVER}" + ("" if shutil.which("chromium") else " (not on PATH)"),
          flush=True)
