"""Who a resident is: an account, and the ways to prove it (e-mail code, API token; the
My Number card and デジタル認証アプリ link here too)."""

from django.db import models

from madoguchi.core.models import Municipality


class ResidentAccount(models.Model):
    """A resident known by a confirmed e-mail address (the card login links here later)."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    email = models.EmailField()
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["municipality", "email"], name="one_account_per_email")
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
