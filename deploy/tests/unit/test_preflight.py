import pytest

from deploy import tools
from deploy.errors import DeployError

pytestmark = pytest.mark.unit


@pytest.fixture
def no_auto_install(monkeypatch):
    monkeypatch.setenv("BACKBONE_AUTO_INSTALL", "0")


def test_a_missing_java_is_reported_with_the_debian_package_to_install(monkeypatch, no_auto_install):
    real = tools.shutil.which
    monkeypatch.setattr(tools.shutil, "which", lambda name: None if name == "java" else real(name))

    with pytest.raises(DeployError, match="java not found \\(install the Debian package openjdk-17-jre-headless\\)"):
        tools.ensure_tools()


def test_a_missing_maven_and_postgresql_are_both_named(monkeypatch, no_auto_install):
    real = tools.shutil.which
    monkeypatch.setattr(tools.shutil, "which", lambda name: None if name in ("mvn", "initdb") else real(name))
    monkeypatch.setattr(tools.glob, "glob", lambda pattern: [])

    with pytest.raises(DeployError) as refused:
        tools.ensure_tools()

    assert "Debian package maven" in str(refused.value) and "Debian package postgresql" in str(refused.value)


@pytest.mark.parametrize(("text", "major"), [('openjdk version "17.0.15" 2025-04-15', 17),
                                             ('java version "1.8.0_402"', 8), ("garbage", None)])
def test_the_java_major_version_is_read_from_java_version_output(text, major):
    assert tools._java_major(text) == major
