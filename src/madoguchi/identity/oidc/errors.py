"""The one error of the デジタル認証アプリ client, carrying the sentence shown to the resident.

`code` is for logs and tests. `message_ja` (lazy: shown in the page's language) is plain text the resident can act on; it never
names the cause in technical terms. `detail` says exactly what failed (the provider's error code,
which claim was wrong) and belongs in logs only: it can name internal URLs.
"""

from django.utils.translation import gettext_lazy

# Whole sentences per message (one msgid each), so every language can word them its own way.
MESSAGES = {
    "login_cancelled": gettext_lazy(
        "デジタル認証アプリでのログインが取り消されました。ログインするには、もう一度お試しください。"),
    "state_mismatch": gettext_lazy("ログインの手続きが途中で切れました。もう一度お試しください。"),
    "provider_unreachable": gettext_lazy(
        "デジタル認証アプリのサービスにつながりませんでした。しばらくしてからもう一度お試しください。"),
    "provider_error": gettext_lazy(
        "デジタル認証アプリのサービスで問題が起きています。しばらくしてからもう一度お試しください。"),
    "token_rejected": gettext_lazy("ログインを確認できませんでした。お手数ですが、最初からもう一度お試しください。"),
    "id_token_invalid": gettext_lazy("ログインを確認できませんでした。お手数ですが、最初からもう一度お試しください。"),
    "userinfo_failed": gettext_lazy(
        "本人確認の情報を受け取れませんでした。お手数ですが、最初からもう一度お試しください。"),
    "signing_failed": gettext_lazy("電子署名を受け取れませんでした。お手数ですが、最初からもう一度お試しください。"),
    "signature_invalid": gettext_lazy("電子署名を確認できませんでした。お手数ですが、最初からもう一度お試しください。"),
}


class OidcError(Exception):
    """A login or signing step failed; show `message_ja`, log `code` and `detail`."""

    def __init__(self, code: str, detail: str = ""):
        self.code = code
        self.message_ja = MESSAGES[code]
        self.detail = detail
        super().__init__(f"{code}: {detail}" if detail else code)
