from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("counter", "0005_visit_known_from_register"),
    ]

    operations = [
        migrations.AddField(
            model_name="countervisit",
            name="language",
            field=models.CharField(
                choices=settings.LANGUAGES,
                default="ja",
                help_text="the visitor's language: the tablet and the take-away sheet are shown in it",
                max_length=10,
            ),
        ),
    ]
