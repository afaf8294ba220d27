"""The attempt state table, the provider registry, each city's configuration checks, the admin
that keeps secrets write-only, and the reconciliation command."""
# ruff: noqa: F811 - the shared fixtures are imported by name

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from payment_support import awaiting_submission, stripe_city, stripe_server  # noqa: F401

from madoguchi.core.crypto import decrypt_bytes
from madoguchi.payments import states
from madoguchi.payments.models import AttemptState, ProviderSetting
from madoguchi.payments.providers import PaymentProvider, provider_for, register, registry
from madoguchi.payments.providers.stripe import StripeProvider

S = AttemptState


def test_the_state_table():
    assert states.action_for(S.CREATED, S.PENDING) == "start"
    assert states.action_for(S.EXPIRED, S.SUCCEEDED) == "late_success"  # money wins
    for final in (S.SUCCEEDED, S.DUPLICATE):
        for target in S.values:
            assert not states.can_move(final, target), (final, target)
    with pytest.raises(states.AttemptTransitionError):
        states.action_for(S.SUCCEEDED, S.FAILED)
    assert set(S.values) == states.LIVE | states.FINAL and not states.LIVE & states.FINAL


def test_move_stamps_the_end_and_stops_the_polling():
    class A:
        state, finished_at, next_check_at = S.PENDING, None, "soon"

    attempt = A()
    assert states.move(attempt, S.EXPIRED) == "expire"
    assert attempt.finished_at is not None and attempt.next_check_at is None


def test_the_registry_is_typed_and_holds_each_code_once():
    assert {"counter", "stripe"} <= set(registry)
    with pytest.raises(TypeError):
        register(object)

    class Imposter(StripeProvider):
        code = "stripe"

    with pytest.raises(ValueError):
        register(Imposter)
    assert registry["stripe"] is StripeProvider
    assert all(issubclass(cls, PaymentProvider) for cls in registry.values())


@pytest.mark.django_db
def test_check_config_names_each_problem(city):
    setting = ProviderSetting(municipality=city, provider="stripe", enabled=True, methods=["card", "paypay"],
                              config={"api_base": "http://api.example.jp", "session_minutes": 10})
    setting.set_secrets({"secret_key": "pk_live_x"})
    problems = provider_for(setting).check_config()
    assert len(problems) == 5, problems  # key, webhook secret, http base, method, lifetime
    setting.config = {}
    setting.methods = ["card", "konbini"]
    setting.set_secrets({"secret_key": "sk_live_x", "webhook_secret": "whsec_x"})
    assert provider_for(setting).check_config() == []
    setting.set_secrets({"secret_key": "sk_test_x", "webhook_secret": "whsec_x"})
    assert len(provider_for(setting).check_config()) == 1  # a test key against the real API


@pytest.mark.django_db
def test_secrets_are_encrypted_at_rest(stripe_city):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT secrets FROM payments_providersetting WHERE provider = 'stripe'")
        raw = bytes(cursor.fetchone()[0])
    assert b"sk_test" not in raw and b"sk_test" in decrypt_bytes(raw)


@pytest.mark.django_db
def test_check_payments_fails_on_a_provider_turned_on_with_problems(stripe_city, capsys):
    call_command("check_payments")
    assert "OK demo stripe (on)" in capsys.readouterr().out
    setting = ProviderSetting.objects.get(provider="stripe")
    setting.set_secrets({})
    setting.save()
    with pytest.raises(CommandError):
        call_command("check_payments")


@pytest.fixture
def operator_client(django_user_model, client):
    client.force_login(django_user_model.objects.create_superuser("operator", password="x-pass-2026"))
    return client


@pytest.mark.django_db
def test_the_admin_never_shows_a_secret_and_keeps_it_when_left_empty(operator_client, stripe_city):
    admin_client = operator_client
    setting = ProviderSetting.objects.get(provider="stripe")
    url = reverse("admin:payments_providersetting_change", args=[setting.pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "secret_key" in page and "sk_test_madoguchi_local" not in page
    data = {"municipality": setting.municipality_id, "provider": "stripe", "enabled": "on",
            "methods": '["card"]', "issues_receipt": '["card"]', "config": '{"api_base": "https://api.stripe.com"}',
            "new_secrets": ""}
    assert admin_client.post(url, data).status_code == 302
    setting.refresh_from_db()
    assert setting.methods == ["card"] and setting.secret_values["secret_key"] == "sk_test_madoguchi_local"
    data["new_secrets"] = "not json"
    assert admin_client.post(url, data).status_code == 200  # shown again with the message
    data["new_secrets"] = '{"secret_key": "sk_live_new", "webhook_secret": "whsec_new"}'
    admin_client.post(url, data)
    setting.refresh_from_db()
    assert setting.secret_values == {"secret_key": "sk_live_new", "webhook_secret": "whsec_new"}


@pytest.mark.django_db
def test_reconcile_payments_command(stripe_city, resident, capsys):
    call_command("reconcile_payments")
    assert "nothing due" in capsys.readouterr().out


@pytest.mark.django_db
def test_load_payments_demo_is_repeatable(city):
    call_command("load_payments_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("load_payments_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    stripe = ProviderSetting.objects.get(municipality=city, provider="stripe")
    assert stripe.enabled and stripe.methods == ["card", "konbini"]
    assert provider_for(stripe).check_config() == []
    assert ProviderSetting.objects.filter(municipality=city).count() == 2  # PayPay off without its URL
    call_command("load_payments_demo", "--paypay-url", "http://127.0.0.1:8011", stdout=open("/dev/null", "w"))  # noqa: SIM115
    paypay = ProviderSetting.objects.get(municipality=city, provider="paypay")
    assert paypay.enabled and paypay.secret_values["api_key"] == "local-api-key"
