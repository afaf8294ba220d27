"""The Japanese texts a resident sees about the card, shared by the CLI and the web pages.

Keyed by application ("signing", "authentication", "card_face"). A locked PIN can only be
reset at the municipal counter, so every lock message says where to go.
"""

APPLICATION_NAMES = {
    "signing": "署名用電子証明書",
    "authentication": "利用者証明用電子証明書",
    "card_face": "券面事項入力補助",
}

PIN_NAMES = {
    "signing": "署名用電子証明書のパスワード",
    "authentication": "利用者証明用電子証明書の暗証番号",
    "card_face": "券面事項入力補助用の暗証番号",
}

PIN_RULES = {
    "signing": "英大文字（A〜Z）と数字をそれぞれ1文字以上含む6〜16文字",
    "authentication": "数字4桁",
    "card_face": "数字4桁",
}

COUNTER_RESET = (
    "ロックの解除（暗証番号の初期化）は、マイナンバーカードと本人確認書類をお持ちのうえ、"
    "お住まいの市区町村の窓口で手続きしてください。"
)


def prompt(app: str) -> str:
    return f"{PIN_NAMES[app]}（{PIN_RULES[app]}）を入力してください。"


def _left(remaining: int | None, maximum: int) -> str:
    if remaining == 1:
        return "次に間違えるとロックされます（残り1回）。"
    if remaining is None:
        return f"入力できる回数が少なくなっています（残り{maximum - 1}回以下）。"
    return f"あと{remaining}回間違えるとロックされます。"


def tries_left(app: str, remaining: int | None, maximum: int) -> str:
    """Said before each attempt. `remaining` is None when the card only says "fewer than max"."""
    if remaining == 0:
        return locked(app)
    return f"{PIN_NAMES[app]}は、" + _left(remaining, maximum)


def wrong_pin(app: str, remaining: int | None, maximum: int) -> str:
    return f"{PIN_NAMES[app]}が違います。" + (COUNTER_RESET if remaining == 0 else _left(remaining, maximum))


def locked(app: str) -> str:
    return f"{PIN_NAMES[app]}はロックされています。" + COUNTER_RESET


def pin_rule_error(app: str) -> str:
    return f"{PIN_NAMES[app]}は{PIN_RULES[app]}で設定してください。"
