"""Who a resident is: an account, and the ways to prove it (e-mail code, API token; the
My Number card and デジタル認証アプリ link here too)."""

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from madoguchi.core.models import Municipality


class ResidentAccount(models.Model):
    """A resident known by a confirmed e-mail address (the card login links here later).

    The address is stored as `core.email_address.normalize_email` makes it (lower case); the
    constraint also refuses a second account differing only by case, whatever wrote it."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    email = models.EmailField()
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)
    # Display preferences, kept like the session's (core.i18n.preferences); "" = not chosen.
    language = models.CharField(max_length=16, blank=True, default="")
    text_size = models.CharField(max_length=8, blank=True, default="")
    contrast = models.CharField(max_length=8, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint("municipality", Lower("email"), name="one_account_per_email_any_case")
        ]

    @property
    def ref(self) -> str:
        return f"resident:{self.pk}"


class LoginCode(models.Model):
    """A one-time code sent by e-mail; only its hash is kept."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField()
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)


class ApiToken(models.Model):
    """A bearer token for the API (residents after the e-mail code; staff from the admin)."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    account = models.ForeignKey(ResidentAccount, null=True, blank=True, on_delete=models.CASCADE)
    staff_user = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.CASCADE)
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)


class CardCredential(models.Model):
    """A card certificate linked to an account. The link is the certificate, never the
    マイナンバー; a renewed or re-issued card adds a credential after re-verification and the
    old one is marked replaced."""

    class Kind(models.TextChoices):
        AUTHENTICATION = "authentication", _("利用者証明用電子証明書")
        SIGNING = "signing", _("署名用電子証明書")

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(ResidentAccount, on_delete=models.CASCADE, related_name="cards")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the certificate")
    issuer = models.CharField(max_length=255)
    serial = models.CharField(max_length=64)
    not_after = models.DateTimeField()
    linked_at = models.DateTimeField(auto_now_add=True)
    linked_by = models.CharField(max_length=32, help_text="how the link was proven (email, card)")
    replaced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["municipality", "fingerprint"], name="one_link_per_certificate")
        ]


class CardChallenge(models.Model):
    """A one-time value the card signs: to log in (authentication key) or to sign answers
    (signing key). The browser that asked polls it; the card client answers it."""

    class Purpose(models.TextChoices):
        LOGIN = "login", _("ログイン")
        SIGN = "sign", _("署名")

    class State(models.TextChoices):
        PENDING = "pending", _("待機中")
        VERIFIED = "verified", _("確認済")
        REJECTED = "rejected", _("拒否")
        USED = "used", _("使用済")

    public_id = models.UUIDField(unique=True)
    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(max_length=8, choices=Purpose.choices)
    payload = models.BinaryField(help_text="encrypted: the exact bytes to sign (answers, or a nonce)")
    digest = models.CharField(max_length=64)
    session_key_hash = models.CharField(max_length=64, help_text="the browser session that asked")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    reason = models.CharField(max_length=32, blank=True)
    message = models.CharField(max_length=300, blank=True, help_text="shown to the resident")
    certificate = models.BinaryField(blank=True, help_text="encrypted DER of the answering certificate")
    signature = models.TextField(blank=True, help_text="base64; a signature is not secret")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    @property
    def message_shown(self) -> str:
        """`message` (stored as its Japanese msgid) in the active language."""
        return gettext(self.message) if self.message else ""


class DigitalAuthLink(models.Model):
    """A デジタル認証アプリ login linked to an account: the provider's pairwise `sub`, never the
    基本4情報. The first link is proven through a confirmed e-mail address."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(ResidentAccount, on_delete=models.CASCADE, related_name="digital_auth_links")
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255, help_text="the provider's `sub` (pairwise)")
    linked_at = models.DateTimeField(auto_now_add=True)
    linked_by = models.CharField(max_length=32, help_text="how the link was proven (email)")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["municipality", "issuer", "subject"],
                                    name="one_link_per_digital_auth_subject")
        ]
