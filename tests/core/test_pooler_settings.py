"""Settings for PostgreSQL behind pgbouncer in transaction mode (docs/operations.md §12)."""

import json
import os
import subprocess
import sys

from madoguchi.queueing import events

READ = ("import django, json; from django.conf import settings; django.setup(); "
        "d = settings.DATABASES['default']; "
        "print(json.dumps([d['CONN_MAX_AGE'], d.get('DISABLE_SERVER_SIDE_CURSORS', False)]))")


def _database_settings(**env) -> list:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "madoguchi.settings",
                   "DATABASE_URL": "postgres://app@pool.example:6432/madoguchi", **env}
    out = subprocess.run([sys.executable, "-c", READ], env=environment, capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_connections_are_kept_and_cursors_server_side_by_default():
    assert _database_settings() == [60, False]


def test_a_transaction_mode_pool_keeps_no_connection_and_no_server_side_cursor():
    assert _database_settings(MADOGUCHI_DB_POOLER="transaction") == [0, True]


def test_the_queue_listener_can_bypass_the_pool(settings):
    settings.MADOGUCHI_LISTEN_DATABASE = {
        "ENGINE": "django.db.backends.postgresql", "NAME": "madoguchi", "USER": "listener",
        "PASSWORD": "", "HOST": "db.example", "PORT": "5432"}
    assert events._listen_params() == {"dbname": "madoguchi", "user": "listener",
                                       "host": "db.example", "port": "5432"}
