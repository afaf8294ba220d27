"""One account per mailbox: addresses are stored lower-cased (core.email_address) and the
database refuses two accounts of a city that differ only by case.

Existing accounts are lower-cased in place. Two accounts that become the same address are not
merged: each may own submissions, messages and card links, and which one the resident means
is theirs and the city's to decide. The migration then stops with the account ids (never the
addresses) and docs/identity.md says how to resolve it; nothing has changed when it stops.
"""

import unicodedata

from django.db import migrations, models
from django.db.models.functions import Lower


def _normalized(address: str) -> str:
    # A frozen copy of core.email_address.normalize_email's normalising (migrations must not
    # change when the code does); no validation: stored rows are kept whatever they hold.
    return unicodedata.normalize("NFKC", address).strip().lower()


def lower_case_addresses(apps, schema_editor):
    account_model = apps.get_model("identity", "ResidentAccount")
    seen: dict[tuple[int, str], int] = {}
    clashes: list[tuple[int, int]] = []
    accounts = list(account_model.objects.order_by("pk").values_list("pk", "municipality_id", "email"))
    for pk, city, email in accounts:
        key = (city, _normalized(email))
        if key in seen:
            clashes.append((seen[key], pk))
        else:
            seen[key] = pk
    if clashes:
        pairs = ", ".join(f"{first} & {other}" for first, other in clashes)
        raise RuntimeError(
            "Resident accounts differ only by the case of their e-mail address and are not merged "
            f"automatically (account ids: {pairs}). Resolve them as docs/identity.md "
            "(\u201cOne address, one account\u201d) describes, then migrate again.")
    for pk, _city, email in accounts:
        if _normalized(email) != email:
            account_model.objects.filter(pk=pk).update(email=_normalized(email))
    code_model = apps.get_model("identity", "LoginCode")
    for pk, email in code_model.objects.values_list("pk", "email"):
        if _normalized(email) != email:
            code_model.objects.filter(pk=pk).update(email=_normalized(email))


class Migration(migrations.Migration):

    dependencies = [
        ("identity", "0003_digital_auth_link"),
    ]

    operations = [
        migrations.RunPython(lower_case_addresses, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="residentaccount", name="one_account_per_email"),
        migrations.AddConstraint(
            model_name="residentaccount",
            constraint=models.UniqueConstraint("municipality", Lower("email"),
                                               name="one_account_per_email_any_case"),
        ),
    ]
