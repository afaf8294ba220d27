"""The municipality's own keys: generate them, and print the public JWKS to register.

Two keys, never one for both jobs: the signing key authenticates Madoguchi at the token endpoint
(private_key_jwt), the encryption key is the one the signing result (a JWE) is encrypted to.
The Digital Agency registers the public JWKS (both keys, `use` sig and enc) with the client ID;
the private keys stay on the Madoguchi servers, readable only by the app
(MADOGUCHI_DIGITAL_AUTH_PRIVATE_KEY_FILE, MADOGUCHI_DIGITAL_AUTH_ENCRYPTION_KEY_FILE).
P-256 by default (ES256 and ECDH-ES+A256KW); --rsa for RSA 3072 (RS256 and RSA-OAEP-256).

    python -m madoguchi.identity.oidc.keys new /etc/madoguchi/da-sig.pem
    python -m madoguchi.identity.oidc.keys new /etc/madoguchi/da-enc.pem
    python -m madoguchi.identity.oidc.keys jwks /etc/madoguchi/da-sig.pem --kid madoguchi-2026 \\
        --enc /etc/madoguchi/da-enc.pem --enc-kid madoguchi-enc-2026
"""

import argparse
import json
import os
from pathlib import Path

from joserfc.jwk import ECKey, RSAKey

from madoguchi.identity.oidc.config import (
    JWE_ALGORITHMS,
    ProviderConfig,
    algorithm_for,
    private_key,
)


def generate_private_key_pem(*, use_rsa: bool = False) -> str:
    key = RSAKey.generate_key(3072, private=True) if use_rsa else ECKey.generate_key("P-256", private=True)
    return key.as_pem(private=True).decode("ascii")


def public_jwk(key, kid: str, use: str) -> dict:
    """The public half as published: `kid`, `use` and `alg` set."""
    alg = algorithm_for(key) if use == "sig" else JWE_ALGORITHMS[key.key_type]
    return {**key.as_dict(private=False), "kid": kid, "use": use, "alg": alg}


def public_jwks(private_key_pem: str, kid: str, *, encryption_key_pem: str = "",
                encryption_kid: str = "") -> dict:
    keys = [public_jwk(private_key(private_key_pem), kid, "sig")] if private_key_pem else []
    if encryption_key_pem:
        keys.append(public_jwk(private_key(encryption_key_pem, what="encryption key"),
                               encryption_kid or f"{kid}-enc", "enc"))
    return {"keys": keys}


def jwks_of(config: ProviderConfig) -> dict:
    """The relying party's public JWKS for a configuration (what the Agency registers)."""
    return public_jwks(config.private_key_pem if config.auth_method == "private_key_jwt" else "",
                       config.key_id or "sig", encryption_key_pem=config.encryption_key_pem,
                       encryption_kid=config.encryption_key_id or "enc")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(  # ja-only: the app's name
        description="Keys for デジタル認証アプリ (private_key_jwt and the signing result's JWE).")  # ja-only: the app's name
    parser.add_argument("command", choices=["new", "jwks"])
    parser.add_argument("path", type=Path, help="the private key PEM file (new: created)")
    parser.add_argument("--kid", default="madoguchi", help="key ID of the signing key")
    parser.add_argument("--enc", type=Path, help="jwks: the encryption key PEM file, published as use=enc")
    parser.add_argument("--enc-kid", default="", help="key ID of the encryption key")
    parser.add_argument("--rsa", action="store_true", help="new: RSA 3072 instead of P-256")
    args = parser.parse_args(argv)
    if args.command == "new":
        # Created with mode 0600 and never overwritten: losing the old key breaks the login.
        fd = os.open(args.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(generate_private_key_pem(use_rsa=args.rsa))
        print(f"wrote {args.path}")
        return
    enc = args.enc.read_text(encoding="ascii") if args.enc else ""
    print(json.dumps(public_jwks(args.path.read_text(encoding="ascii"), args.kid,
                                 encryption_key_pem=enc, encryption_kid=args.enc_kid), indent=2))


if __name__ == "__main__":
    main()
