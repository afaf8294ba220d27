"""`madoguchi-card`: the resident's card client — log in or sign with the card, over HTTP.

    madoguchi-card login <challenge URL>      利用者証明用: signs the server's challenge
    madoguchi-card sign <signing request URL> 署名用: signs the canonical JSON of the answers
    madoguchi-card status                     which applications the card shows, tries left

It GETs the request, says which PIN it needs and how many tries are left, reads the PIN
(getpass, or --pin-file for tests), signs on the card and POSTs
{"certificate": PEM, "signature": base64} to the request's response_url.
The module: --module, else MADOGUCHI_PKCS11_MODULE, else SoftHSM2 (software cards).
"""

import argparse
import base64
import getpass
import hashlib
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding
from django.utils.translation import gettext as _

from madoguchi.identity.card import applications, messages
from madoguchi.identity.card.pkcs11 import CardError, CardReader, PinError
from madoguchi.identity.card.softcard import SoftHSMMissing, SoftwareCard, softhsm2_module

TIMEOUT = 30


class ClientError(Exception):
    pass


def _b64decode(text: str) -> bytes:
    """Standard or URL-safe base64, padded or not (the protocol uses both)."""
    text = text.strip().replace("-", "+").replace("_", "/")
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _error_text(text: str) -> str:
    """The server's own message from a JSON error body (a refusal's reason, in Japanese)."""
    try:
        body = json.loads(text)
    except ValueError:
        return text
    if isinstance(body, dict) and isinstance(body.get("message") or body.get("detail"), str):
        return body.get("message") or body["detail"]
    return text


def _http(url: str, body: dict | None = None) -> dict | str:
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise ClientError(_("http(s) の URL を指定してください: %(url)s") % {"url": url})
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if body is not None else "GET",  # noqa: S310
                                     headers={"Accept": "application/json",
                                              "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            text = response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        raise ClientError(_("サーバーがエラーを返しました（HTTP %(code)s）: %(text)s") % {
            "code": exc.code, "text": _error_text(exc.read().decode("utf-8", "replace"))}) from None
    except urllib.error.URLError as exc:
        raise ClientError(_("サーバーに接続できません: %(reason)s") % {"reason": exc.reason}) from None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _reader(args) -> CardReader:
    card_dir = args.card_dir
    conf = os.environ.get("SOFTHSM2_CONF")
    if not card_dir and conf and (Path(conf).parent / "card.json").exists():
        card_dir = Path(conf).parent  # SOFTHSM2_CONF=… as `madoguchi card issue` prints
    module = args.module or os.environ.get("MADOGUCHI_PKCS11_MODULE")
    if card_dir:
        return SoftwareCard(card_dir).reader(module)
    return CardReader(module or softhsm2_module())


def _read_pin(args, app, tries, out) -> str:
    print(messages.prompt(app.key), file=out)
    print(tries.message(app), file=out)
    if args.pin_file:
        return Path(args.pin_file).read_text(encoding="utf-8").splitlines()[0].strip()
    return getpass.getpass(f"{app.pin_name}: ")


def _login(card, args, out) -> None:
    """Ask until the PIN is right; --pin-file gives one attempt. Locked: say where to go."""
    while True:
        pin = _read_pin(args, card.application, card.remaining_tries(), out)
        try:
            card.login(pin)
            return
        except PinError as exc:
            if args.pin_file:
                raise
            print(exc.message, file=out)


def _respond(card, args, data: bytes, response_url: str, out):
    _login(card, args, out)
    certificate = card.certificate().public_bytes(Encoding.PEM).decode()
    signature = base64.b64encode(card.sign(data)).decode()
    return _http(urllib.parse.urljoin(args.url, response_url),
                 {"certificate": certificate, "signature": signature})


def login(args, out) -> object:
    request = _http(args.url)
    challenge = _b64decode(request["challenge"])
    print(_("ログイン（%(id)s、有効期限 %(expires)s）") % {
        "id": request.get("id", ""), "expires": request.get("expires_at", "-")}, file=out)
    with _reader(args).open("authentication") as card:
        return _respond(card, args, challenge, request["response_url"], out)


def sign(args, out) -> object:
    request = _http(args.url)
    payload = _b64decode(request["payload"])
    if hashlib.sha256(payload).hexdigest() != request.get("digest", "").lower():
        raise ClientError(_("署名する内容のハッシュ値が一致しません。署名を中止しました。"))
    print(_("次の内容に電子署名します:"), file=out)
    print(payload.decode("utf-8", "replace"), file=out)
    print(f"SHA-256: {request['digest']}", file=out)
    with _reader(args).open("signing") as card:
        return _respond(card, args, payload, request["response_url"], out)


def status(args, out) -> None:
    reader = _reader(args)
    tokens = reader.tokens()
    if not tokens:
        raise CardError(_("カードが見つかりません。カードリーダーにマイナンバーカードを置いてください。"))
    for token in tokens:
        line = f"{token.label}  [{token.manufacturer} {token.model}]"
        if token.application:
            with reader.open(token.application) as card:
                app = applications.get(token.application)
                line += f"  {app.name}: {card.remaining_tries().message(app)}"
        print(line, file=out)


def _use_translations() -> None:
    """Outside the server (a resident's own computer) Django is not set up: configure just
    enough for gettext, in the language of the terminal ($LANGUAGE, $LC_ALL, $LANG)."""
    import django
    from django.conf import settings
    from django.utils import translation

    if settings.configured:
        return
    settings.configure(USE_I18N=True, LANGUAGE_CODE="ja",
                       LOCALE_PATHS=[str(Path(__file__).resolve().parents[2] / "locale")])
    django.setup()  # no apps: only the translation machinery
    wanted = next((os.environ[name] for name in ("LANGUAGE", "LC_ALL", "LANG") if os.environ.get(name)), "ja")
    code = wanted.split(":")[0].split(".")[0].replace("_", "-").lower()
    translation.activate(code if code not in ("c", "posix") else "ja")


def main(argv=None, out=None) -> int:
    out = out or sys.stdout
    _use_translations()
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--module", help="PKCS#11 module (default: $MADOGUCHI_PKCS11_MODULE or SoftHSM2)")
    common.add_argument("--card-dir", help="a software card's directory (sets SOFTHSM2_CONF)")
    common.add_argument("--pin-file", help="read the PIN from this file (tests; one attempt)")
    parser = argparse.ArgumentParser(prog="madoguchi-card", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("login", "sign"):
        sub.add_parser(name, parents=[common]).add_argument("url")
    sub.add_parser("status", parents=[common])
    args = parser.parse_args(argv)
    try:
        if args.command == "status":
            status(args, out)
            return 0
        answer = login(args, out) if args.command == "login" else sign(args, out)
    except (CardError, ClientError) as exc:
        print(getattr(exc, "message", None) or str(exc), file=sys.stderr)
        return 1
    except (SoftHSMMissing, FileNotFoundError, KeyError, ValueError) as exc:
        print(f"madoguchi-card: {exc!r}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    print(json.dumps(answer, ensure_ascii=False, indent=1) if isinstance(answer, dict) else answer,
          file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
