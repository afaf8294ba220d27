"""ASGI entry point (uvicorn): serves the queue's live streams — the waiting-room display's and the
phone ticket page's server-sent events — without a thread or a database connection per open
screen (queueing.events). Pages may be served from here too, but gunicorn (WSGI) serves them in
the production shape; `--lifespan off`, as Django has no lifespan protocol."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "madoguchi.settings")
application = get_asgi_application()

from madoguchi.catalog.search import warm_up  # noqa: E402 - needs the apps loaded

warm_up()
