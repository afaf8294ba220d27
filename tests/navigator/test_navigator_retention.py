"""Plans are disposed of a month after their last change; fresh plans stay."""

from datetime import timedelta

from django.utils import timezone

from madoguchi.navigator.models import NavigatorPlan
from madoguchi.navigator.retention import dispose_plans
from madoguchi.navigator.services import start_plan


def test_stale_plans_are_disposed_of_and_fresh_ones_kept(city):
    old, fresh = start_plan(city, "birth"), start_plan(city, "death")
    NavigatorPlan.objects.filter(pk=old.pk).update(
        updated_at=timezone.now() - timedelta(days=31))
    assert dispose_plans() == 1
    assert list(NavigatorPlan.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert dispose_plans(older_than_days=0, now=timezone.now() + timedelta(seconds=1)) == 1
    assert not NavigatorPlan.objects.exists()


def test_the_daily_dispose_command_also_disposes_of_plans(city, capsys):
    from django.core.management import call_command

    old = start_plan(city, "birth")
    NavigatorPlan.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=31))
    call_command("dispose")
    assert "dispose_plans: 1" in capsys.readouterr().out
    assert not NavigatorPlan.objects.exists()
