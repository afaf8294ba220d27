"""Rejections carry a stable reason code for code and logs, and plain Japanese for the resident.

`message_ja` is safe to show as is; `detail` is English for logs and may name certificate fields,
so it is never shown to the resident.
"""

from django.utils.translation import gettext_lazy

UNTRUSTED = "untrusted"
TAMPERED = "tampered"
EXPIRED = "expired"
NOT_YET_VALID = "not_yet_valid"
REVOKED = "revoked"
WRONG_KIND = "wrong_kind"
CRL_UNAVAILABLE = "crl_unavailable"
UNSUPPORTED = "unsupported"
BAD_SIGNATURE = "bad_signature"

MESSAGES_JA = {
    UNTRUSTED: gettext_lazy("この電子証明書は、公的個人認証サービス（J-LIS）が発行したものと確認できませんでした。"
    "マイナンバーカードの電子証明書を読み取ってください。"),
    TAMPERED: gettext_lazy("この電子証明書は内容が書き換えられているおそれがあるため、使えません。"
    "マイナンバーカードをもう一度読み取ってください。"),
    EXPIRED: gettext_lazy("この電子証明書は有効期限が切れています。市区町村の窓口で電子証明書を更新してください。"),
    NOT_YET_VALID: gettext_lazy("この電子証明書は、まだ使える期間になっていません。しばらくしてからもう一度お試しください。"),
    REVOKED: gettext_lazy("この電子証明書は失効しています。住所や氏名の変更で署名用電子証明書は失効します。"
    "市区町村の窓口で更新してください。"),
    WRONG_KIND: gettext_lazy("この手続きでは使えない種類の電子証明書です。"),
    CRL_UNAVAILABLE: gettext_lazy("いま、電子証明書が失効していないかを確認できません。"
    "時間をおいてもう一度お試しください。"),
    UNSUPPORTED: gettext_lazy("この電子証明書の形式には対応していません。マイナンバーカードの電子証明書を使ってください。"),
    BAD_SIGNATURE: gettext_lazy("電子署名を確認できませんでした。もう一度マイナンバーカードで署名してください。"),
}

WRONG_KIND_JA = {
    "signing": gettext_lazy("この手続きには署名用電子証明書（英数字6〜16文字の暗証番号）が必要ですが、"
    "利用者証明用電子証明書が読み取られました。署名用電子証明書でやり直してください。"),
    "authentication": gettext_lazy("ログインには利用者証明用電子証明書（数字4桁の暗証番号）が必要ですが、"
    "署名用電子証明書が読み取られました。利用者証明用電子証明書でやり直してください。"),
}


REVOKED_JA = {
    "signing": MESSAGES_JA[REVOKED],
    "authentication": gettext_lazy("この利用者証明用電子証明書は失効しています。カードの再発行や電子証明書の更新をした場合は、"
    "新しいカードでもう一度お試しください。わからないときは市区町村の窓口にお問い合わせください。"),
}


class JpkiRejected(Exception):
    """Base of the rejections: `reason_code`, `message_ja` (for the resident), `detail` (logs)."""

    def __init__(self, reason_code: str, message_ja: str | None = None, *, detail: str = ""):
        self.reason_code = reason_code
        self.message_ja = message_ja or MESSAGES_JA[reason_code]
        self.detail = detail
        super().__init__(f"{reason_code}: {detail}" if detail else reason_code)


class CertificateRejected(JpkiRejected):
    """The certificate must not be accepted (chain, validity, revocation or kind)."""


class SignatureRejected(JpkiRejected):
    """The signature does not verify under the certificate's key."""


class ProfileError(ValueError):
    """The certificate does not follow the JPKI profile where this code reads it."""
