"""The one error of the デジタル認証アプリ client, carrying the sentence shown to the resident.

`code` is for logs and tests. `message_ja` is plain Japanese the resident can act on; it never
names the cause in technical terms. `detail` says exactly what failed (the provider's error code,
which claim was wrong) and belongs in logs only: it can name internal URLs.
"""

_AGAIN = "もう一度お試しください。"
_LATER = "しばらくしてからもう一度お試しください。"
_RESTART = "お手数ですが、最初からもう一度お試しください。"

MESSAGES = {
    "login_cancelled": f"デジタル認証アプリでのログインが取り消されました。ログインするには、{_AGAIN}",
    "state_mismatch": f"ログインの手続きが途中で切れました。{_AGAIN}",
    "provider_unreachable": f"デジタル認証アプリのサービスにつながりませんでした。{_LATER}",
    "provider_error": f"デジタル認証アプリのサービスで問題が起きています。{_LATER}",
    "token_rejected": f"ログインを確認できませんでした。{_RESTART}",
    "id_token_invalid": f"ログインを確認できませんでした。{_RESTART}",
    "userinfo_failed": f"本人確認の情報を受け取れませんでした。{_RESTART}",
    "signing_failed": f"電子署名を受け取れませんでした。{_RESTART}",
    "signature_invalid": f"電子署名を確認できませんでした。{_RESTART}",
}


class OidcError(Exception):
    """A login or signing step failed; show `message_ja`, log `code` and `detail`."""

    def __init__(self, code: str, detail: str = ""):
        self.code = code
        self.message_ja = MESSAGES[code]
        self.detail = detail
        super().__init__(f"{code}: {detail}" if detail else code)
