"""Preflight: the machine's Java, Maven and PostgreSQL, installed from Debian's packages if missing."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

from deploy.errors import DeployError

DEBIAN_PACKAGES = {"java": "openjdk-17-jre-headless", "mvn": "maven", "initdb": "postgresql"}


def _can_install() -> bool:
    return os.geteuid() == 0 and shutil.which("apt-get") is not None and os.environ.get("BACKBONE_AUTO_INSTALL", "1") != "0"


def apt_install(packages: list[str]) -> None:
    print(f"installing Debian packages: {' '.join(packages)}", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages], check=True, env=env,
                   stdout=subprocess.DEVNULL)


def pg_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


NOTO_ARABIC = Path("/usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf")
DEBIAN_PACKAGES["noto-fonts"] = "fonts-noto-core"  # notifications' letters: Latin, Cyrillic, Arabic, Thai


def missing_tools() -> list[str]:
    missing = [t for t in ("java", "mvn") if shutil.which(t) is None]
    if pg_bindir() is None:
        missing.append("initdb")
    if not NOTO_ARABIC.exists():
        missing.append("noto-fonts")
    return missing


def ensure_tools() -> None:
    """Install what is missing when we may (root with apt), else say exactly which package is needed."""
    missing = missing_tools()
    if missing and _can_install():
        apt_install([DEBIAN_PACKAGES[t] for t in missing])
        missing = missing_tools()
    if missing:
        raise DeployError("missing tools: " + "; ".join(
            f"{t} not found (install the Debian package {DEBIAN_PACKAGES[t]})" for t in missing))
    version = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr
    major = _java_major(version)
    if major is not None and major < 17:
        raise DeployError(f"Kafka 4 needs Java 17 or newer, found {major} (install the Debian package "
                          f"{DEBIAN_PACKAGES['java']})")


def _java_major(version_text: str) -> int | None:
    for token in version_text.split('"')[1:2]:
        head = token.split(".")[0]
        if head == "1":
            head = token.split(".")[1]
        return int(head) if head.isdigit() else None
    return None
