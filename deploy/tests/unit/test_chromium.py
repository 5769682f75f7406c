"""The browser tests' preflight names the Debian packages it needs when it may not install them."""

import pytest

from deploy import chromium
from deploy.errors import DeployError

pytestmark = pytest.mark.unit


def test_missing_chromium_and_driver_are_named_with_their_debian_packages(monkeypatch, tmp_path):
    monkeypatch.setenv("BACKBONE_AUTO_INSTALL", "0")
    monkeypatch.setattr(chromium, "PACKAGES", {"chromium": tmp_path / "chromium",
                                               "chromium-driver": tmp_path / "chromedriver",
                                               "fonts-dejavu-core": chromium.FONTS})

    with pytest.raises(DeployError, match="Debian packages chromium, chromium-driver \\(apt-get install"):
        chromium.ensure_chromium()


def test_nothing_is_installed_when_everything_is_there(monkeypatch, tmp_path, capsys):
    for name in ("chromium", "chromedriver"):
        (tmp_path / name).touch()
    monkeypatch.setattr(chromium, "PACKAGES", {"chromium": tmp_path / "chromium",
                                               "chromium-driver": tmp_path / "chromedriver"})
    monkeypatch.setattr(chromium, "apt_install", lambda packages: pytest.fail(f"installed {packages}"))

    chromium.ensure_chromium()

    assert "chromium:" in capsys.readouterr().out
