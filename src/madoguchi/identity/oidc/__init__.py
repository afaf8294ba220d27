"""Login and signing through the Digital Agency's デジタル認証アプリ (an OpenID Connect provider).

`client` is the relying party (login; signing is in `signing`), `config` its settings,
`testing_provider` a local provider speaking the same protocol for tests and demos, `keys` the
tool for the municipality's own private_key_jwt key. docs/identity.md says what was assumed.
"""

from madoguchi.identity.oidc.client import (
    Identity,
    LoginState,
    ProviderConfig,
    SignedDocument,
    begin_login,
    config_from_settings,
    finish_login,
    sign_document,
    start_signing,
)
from madoguchi.identity.oidc.errors import OidcError

__all__ = [
    "Identity",
    "LoginState",
    "OidcError",
    "ProviderConfig",
    "SignedDocument",
    "begin_login",
    "config_from_settings",
    "finish_login",
    "sign_document",
    "start_signing",
]
