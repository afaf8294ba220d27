"""The デジタル認証アプリ settings a city may set for itself (`Municipality.identity_config`), each
replacing one MADOGUCHI_DIGITAL_AUTH_* setting. Read by the validator (core/cityconfig.py) and the
client (identity/oidc/config.py); plain data with no import, because the local provider
(`python -m madoguchi.identity.oidc.testing_provider`) loads the client without Django."""

IDENTITY_KEYS = {
    "enabled": "",  # false: this city does not offer デジタル認証アプリ at all
    "client_id": "CLIENT_ID",
    "redirect_uri": "REDIRECT_URI",
    "client_auth_method": "CLIENT_AUTH_METHOD",
    "private_key_file": "PRIVATE_KEY_FILE",
    "key_id": "KEY_ID",
    "encryption_key_file": "ENCRYPTION_KEY_FILE",
    "encryption_key_id": "ENCRYPTION_KEY_ID",
    "client_secret_file": "CLIENT_SECRET",  # the secret is read from the file, never stored
}
