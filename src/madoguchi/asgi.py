"""ASGI entry point (uvicorn, daphne); later used by the calling display's server-sent events."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "madoguchi.settings")
application = get_asgi_application()

from madoguchi.catalog.search import warm_up  # noqa: E402 - needs the apps loaded

warm_up()
