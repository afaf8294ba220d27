"""The texts a resident sees about the card, shared by the CLI and the web pages (through gettext).

Keyed by application ("signing", "authentication", "card_face"). A locked PIN can only be
reset at the municipal counter, so every lock message says where to go.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

APPLICATION_NAMES = {
    "signing": gettext_lazy("署名用電子証明書"),
    "authentication": gettext_lazy("利用者証明用電子証明書"),
    "card_face": gettext_lazy("券面事項入力補助"),
}

PIN_NAMES = {
    "signing": gettext_lazy("署名用電子証明書のパスワード"),
    "authentication": gettext_lazy("利用者証明用電子証明書の暗証番号"),
    "card_face": gettext_lazy("券面事項入力補助用の暗証番号"),
}

PIN_RULES = {
    "signing": gettext_lazy("英大文字（A〜Z）と数字をそれぞれ1文字以上含む6〜16文字"),
    "authentication": gettext_lazy("数字4桁"),
    "card_face": gettext_lazy("数字4桁"),
}

COUNTER_RESET = gettext_lazy(
    "ロックの解除（暗証番号の初期化）は、マイナンバーカードと本人確認書類をお持ちのうえ、"
    "お住まいの市区町村の窓口で手続きしてください。"
)


def prompt(app: str) -> str:
    # Translators: %(pin)s is the name of a PIN, %(rule)s what it is made of (e.g. 4 digits).
    return _("%(pin)s（%(rule)s）を入力してください。") % {"pin": PIN_NAMES[app], "rule": PIN_RULES[app]}


def _left(app: str, remaining: int | None, maximum: int) -> str:
    pin = PIN_NAMES[app]
    if remaining == 1:
        return _("%(pin)sは、次に間違えるとロックされます（残り1回）。") % {"pin": pin}
    if remaining is None:
        return _("%(pin)sは、入力できる回数が少なくなっています（残り%(n)s回以下）。") % {
            "pin": pin, "n": maximum - 1}
    return _("%(pin)sは、あと%(n)s回間違えるとロックされます。") % {"pin": pin, "n": remaining}


def tries_left(app: str, remaining: int | None, maximum: int) -> str:
    """Said before each attempt. `remaining` is None when the card only says "fewer than max"."""
    if remaining == 0:
        return locked(app)
    return _left(app, remaining, maximum)


def wrong_pin(app: str, remaining: int | None, maximum: int) -> str:
    pin = PIN_NAMES[app]
    if remaining == 0:
        return _("%(pin)sが違います。%(reset)s") % {"pin": pin, "reset": COUNTER_RESET}
    if remaining == 1:
        return _("%(pin)sが違います。次に間違えるとロックされます（残り1回）。") % {"pin": pin}
    if remaining is None:
        return _("%(pin)sが違います。入力できる回数が少なくなっています（残り%(n)s回以下）。") % {
            "pin": pin, "n": maximum - 1}
    return _("%(pin)sが違います。あと%(n)s回間違えるとロックされます。") % {"pin": pin, "n": remaining}


def locked(app: str) -> str:
    return _("%(pin)sはロックされています。%(reset)s") % {"pin": PIN_NAMES[app], "reset": COUNTER_RESET}


def pin_rule_error(app: str) -> str:
    return _("%(pin)sは%(rule)sで設定してください。") % {"pin": PIN_NAMES[app], "rule": PIN_RULES[app]}
