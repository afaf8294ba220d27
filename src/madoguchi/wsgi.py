"""WSGI entry point for app servers (gunicorn, uwsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "madoguchi.settings")
application = get_wsgi_application()

from madoguchi.catalog.search import warm_up  # noqa: E402 - needs the apps loaded

warm_up()
