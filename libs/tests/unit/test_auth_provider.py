"""Course providers as principals: `provider:<code>` in the `provider` role, and nothing else."""

from __future__ import annotations

import pytest

from backbone.auth import Caller, check_principal_and_role, roles_for

pytestmark = pytest.mark.unit


def test_a_provider_principal_holds_the_provider_role_only():
    assert roles_for("provider:mbi-raseborg") == ("provider",)
    check_principal_and_role("provider:mbi-raseborg", "provider")
    with pytest.raises(ValueError, match="role"):
        check_principal_and_role("provider:mbi-raseborg", "officer")


def test_an_organisation_cannot_hold_the_provider_role():
    with pytest.raises(ValueError, match="role"):
        check_principal_and_role("raseborg", "provider")


@pytest.mark.parametrize("principal", ["provider:", "provider:MBI", "provider:a", "provider:mbi raseborg",
                                       "provider:x_y", "providers:mbi", "mbi-raseborg"])
def test_a_provider_principal_needs_a_provider_code(principal):
    with pytest.raises(ValueError, match="principal"):
        check_principal_and_role(principal, "provider")


def test_the_caller_names_its_provider_code_only_in_the_provider_role():
    assert Caller("provider:larkkulla", "provider", "k" * 12).provider_code == "larkkulla"
    assert Caller("raseborg", "officer", "k" * 12).provider_code is None
