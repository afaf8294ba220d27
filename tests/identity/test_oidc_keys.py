"""The key tool an operator runs: two key files, created once, and the JWKS to register."""

import json
import stat

import pytest

from madoguchi.identity.oidc.keys import main


def test_new_keys_and_the_jwks_to_register(tmp_path, capsys):
    sig, enc = tmp_path / "sig.pem", tmp_path / "enc.pem"
    main(["new", str(sig)])
    main(["new", str(enc), "--rsa"])
    assert stat.S_IMODE(sig.stat().st_mode) == 0o600
    capsys.readouterr()
    main(["jwks", str(sig), "--kid", "madoguchi-2026", "--enc", str(enc), "--enc-kid", "madoguchi-enc-2026"])
    keys = json.loads(capsys.readouterr().out)["keys"]
    assert [(k["kid"], k["use"], k["alg"], k["kty"]) for k in keys] == [
        ("madoguchi-2026", "sig", "ES256", "EC"), ("madoguchi-enc-2026", "enc", "RSA-OAEP-256", "RSA")]
    assert not any("d" in key for key in keys)


def test_an_existing_key_is_never_overwritten(tmp_path):
    path = tmp_path / "sig.pem"
    main(["new", str(path)])
    before = path.read_text()
    with pytest.raises(FileExistsError):
        main(["new", str(path)])
    assert path.read_text() == before
