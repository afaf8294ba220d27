"""gunicorn settings for Madoguchi's page servers (`gunicorn -c deploy/gunicorn.conf.py`).

Pages and the API only: nginx sends the long-lived display and phone streams to uvicorn
(madoguchi-streams.service), so no page worker is ever held by a screen. Each value can be
overridden from the environment (madoguchi.env) without editing this file.

Database connections: every thread keeps one (CONN_MAX_AGE), so this server holds
workers × threads of them; deploy/README.md adds them up against max_connections.
"""

import multiprocessing
import os

wsgi_app = "madoguchi.wsgi:application"
bind = os.environ.get("MADOGUCHI_WEB_BIND", "127.0.0.1:8001")
# 2 × cores + 1: the usual count for work that waits on the database part of the time.
workers = int(os.environ.get("MADOGUCHI_WEB_WORKERS", 2 * multiprocessing.cpu_count() + 1))
worker_class = "gthread"
threads = int(os.environ.get("MADOGUCHI_WEB_THREADS", "2"))
# A request longer than this is a bug or an attack; nginx's proxy_read_timeout is the same.
timeout = 60
graceful_timeout = 30
keepalive = 5
# Restart each worker now and then (jittered so they do not all restart at once).
max_requests = 5000
max_requests_jitter = 500
# Only nginx on this machine may claim https (X-Forwarded-Proto).
forwarded_allow_ips = os.environ.get("MADOGUCHI_WEB_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = None  # nginx keeps the access log
errorlog = "-"
loglevel = "warning"
