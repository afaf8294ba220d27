"""The municipality's own key for private_key_jwt: generate it, and print the public JWKS.

The Digital Agency registers the public key (as a JWK / JWKS) with the client ID; the private
key stays on the Madoguchi servers, readable only by the app (MADOGUCHI_DIGITAL_AUTH_PRIVATE_KEY_FILE).
P-256 (ES256) by default: small keys, and the algorithm the provider's own samples use.

    python -m madoguchi.identity.oidc.keys new /etc/madoguchi/digital-auth.pem --kid madoguchi-2026
    python -m madoguchi.identity.oidc.keys jwks /etc/madoguchi/digital-auth.pem --kid madoguchi-2026
"""

import argparse
import json
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from madoguchi.identity.oidc import jwt
from madoguchi.identity.oidc.config import private_key


def generate_private_key_pem(*, use_rsa: bool = False) -> str:
    key = (rsa.generate_private_key(public_exponent=65537, key_size=3072) if use_rsa
           else ec.generate_private_key(ec.SECP256R1()))
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode("ascii")


def public_jwks(private_key_pem: str, kid: str) -> dict:
    return {"keys": [jwt.jwk_from_public_key(private_key(private_key_pem).public_key(), kid)]}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Key for デジタル認証アプリ private_key_jwt.")
    parser.add_argument("command", choices=["new", "jwks"])
    parser.add_argument("path", type=Path, help="the private key PEM file")
    parser.add_argument("--kid", required=True, help="key ID, registered with the public key")
    parser.add_argument("--rsa", action="store_true", help="RSA 3072 (RS256) instead of P-256")
    args = parser.parse_args(argv)
    if args.command == "new":
        # Created with mode 0600 and never overwritten: losing the old key breaks the login.
        fd = os.open(args.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(generate_private_key_pem(use_rsa=args.rsa))
    print(json.dumps(public_jwks(args.path.read_text(encoding="ascii"), args.kid), indent=2))


if __name__ == "__main__":
    main()
