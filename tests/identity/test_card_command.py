"""`madoguchi card issue|show`: an operator makes a usable software card in var/."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from madoguchi.identity.card.pkcs11 import PinError
from madoguchi.identity.card.softcard import SoftwareCard

from support import require_softhsm

ISSUE = ["card", "issue", "--name", "髙橋花子", "--address", "東京都千代田区千代田1-1",
         "--birth-date", "1980-04-01", "--gender", "2", "--signing-pin", "ABC123",
         "--auth-pin", "1234", "--face-pin", "5678"]


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    require_softhsm()
    settings.VAR_DIR = tmp_path
    return tmp_path


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_issue_creates_the_ca_and_a_usable_card_then_show_tells_its_state(var_dir):
    printed = run(*ISSUE, "--my-number", "123456789018")
    assert "Created the test CA" in printed and (var_dir / "jpki-ca" / "state.json").exists()
    [directory] = (var_dir / "cards").iterdir()
    assert f"SOFTHSM2_CONF={directory / 'softhsm2.conf'}" in printed
    assert "123456789018" not in printed and "ABC123" not in printed

    card = SoftwareCard(directory)
    with card.reader().open("card_face") as face:
        face.login("5678")
        assert face.card_face().my_number == "123456789018"
    with card.reader().open("authentication") as auth:
        auth.login("1234")
        assert len(auth.sign(b"challenge")) == 256

    with card.reader().open("signing") as signing, pytest.raises(PinError):
        signing.login("WRONG9")  # one wrong try, for `show` to report
    shown = run("card", "show", "--dir", str(directory))
    assert "4/5 tries left" in shown and "3/3 tries left" in shown
    assert f"serial {card.meta['certificates']['signing']['serial']}" in shown
    assert "髙橋花子" not in shown and "東京都" not in shown

    again = run(*ISSUE, "--dir", str(var_dir / "second"))  # the CA is reused, not re-made
    assert "Created the test CA" not in again and (Path(var_dir) / "second" / "card.json").exists()


@pytest.mark.parametrize(("extra", "message"), [
    (["--my-number", "123456789012"], "検査用数字"),
    (["--my-number", "12345678901"], "個人番号"),
])
def test_issue_checks_the_my_number(var_dir, extra, message):
    with pytest.raises(CommandError, match=message):
        run(*ISSUE, *extra)
    assert not (var_dir / "cards").exists()


def test_issue_refuses_a_bad_pin_before_making_anything(var_dir):
    args = [a if a != "ABC123" else "abcdef" for a in ISSUE]
    with pytest.raises(CommandError, match="署名用電子証明書のパスワード"):
        run(*args)
    assert not (var_dir / "jpki-ca").exists()
