"""API credentials: every HTTP caller is a principal acting in a role, proven by a bearer token.

A principal is an organisation (`contracts.topics.ORGANISATIONS`), a backbone service (for calls
from service to service) or `operator`. A token reads `bb_<key_id>_<secret>`; only the SHA-256 of
the secret is stored, so a token is shown once, when issued. Routes depend on
`authenticated(*roles)`; a service's `credentials` command is `main` (issue, list, revoke,
rotate). See docs/credentials.md.
"""

from backbone.auth.authenticator import Authenticator
from backbone.auth.cli import main
from backbone.auth.http import authenticated
from backbone.auth.models import Caller, CredentialInfo, IssuedCredential, UnknownCredential
from backbone.auth.roles import ROLES, check_label, check_principal_and_role, roles_for
from backbone.auth.store import get_credential, issue, list_credentials, revoke, rotate
from backbone.auth.tokens import format_token, hash_secret, new_key_id, new_secret, parse_token, secret_matches

__all__ = [
    "ROLES", "Authenticator", "Caller", "CredentialInfo", "IssuedCredential", "UnknownCredential",
    "authenticated", "check_label", "check_principal_and_role", "format_token", "get_credential", "hash_secret",
    "issue", "list_credentials", "main", "new_key_id", "new_secret", "parse_token", "revoke", "rotate", "roles_for",
    "secret_matches",
]
