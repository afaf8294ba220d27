"""Staff roles get a period (core.models.StaffMembership): from `valid_from` to `valid_until`.
Every role that exists when this runs stays in force to the end of the current fiscal year (the
next 31 March, or today when today is 31 March), from today: a city renews them in March like
any other (docs/operations.md)."""

from django.db import migrations, models

import madoguchi.core.models


def until_the_fiscal_years_end(apps, schema_editor):
    StaffMembership = apps.get_model("core", "StaffMembership")
    today = madoguchi.core.models.today_in_japan()
    StaffMembership.objects.filter(valid_until__isnull=True).update(
        valid_from=today, valid_until=madoguchi.core.models.fiscal_year_end(today))


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0009_alter_staffmembership_role"),
    ]

    operations = [
        migrations.AddField(
            model_name="staffmembership",
            name="valid_from",
            field=models.DateField(default=madoguchi.core.models.today_in_japan,
                                   help_text="first day the role holds"),
        ),
        migrations.AddField(
            model_name="staffmembership",
            name="valid_until",
            field=models.DateField(null=True, blank=True),
        ),
        migrations.AddField(
            model_name="staffmembership",
            name="note",
            field=models.CharField(blank=True, default="", max_length=200,
                                   help_text="why, for a temporary exception; blank for a regular role"),
            preserve_default=False,
        ),
        migrations.RunPython(until_the_fiscal_years_end, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="staffmembership",
            name="valid_until",
            field=models.DateField(blank=True, db_index=True,
                                   help_text="last day the role holds (blank: the fiscal year's end)"),
        ),
    ]
