"""deploy/ is what a city's IT runs: its files must agree with each other and with the app.

The nginx templates are rendered the way bench/shape.py (and `envsubst` in production) does,
checked by `nginx -t`, and then run for real in front of two stand-in upstreams, so the rules
that matter are observed on the wire: pages compressed and event streams not, X-Forwarded-Proto
overwritten, the upload cap, streams routed to the stream servers unbuffered, static files with
their cache headers. The systemd units must start commands that exist.
"""

import gzip
import http.client
import importlib.util
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import get_commands
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
needs_nginx = pytest.mark.skipif(not Path(NGINX).exists(),
                                 reason="Debian's nginx is missing: `make bench-deps` installs it")


def _shape_module():
    spec = importlib.util.spec_from_file_location("bench_shape", ROOT / "bench" / "shape.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _env_example() -> dict:
    values = {}
    for line in (DEPLOY / "madoguchi.env.example").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            values[name] = value
    return values


def _nginx_size(value: str) -> int:
    units = {"k": 1024, "m": 1024**2, "g": 1024**3}
    return int(value[:-1]) * units[value[-1].lower()] if value[-1].isalpha() else int(value)


def _units() -> list[Path]:
    return sorted((DEPLOY / "systemd").iterdir())


# --- the files agree ---------------------------------------------------------------------------


def test_every_template_placeholder_has_a_value_in_the_env_file():
    example = _env_example()
    used = set()
    for template in (DEPLOY / "nginx").glob("*.conf"):
        used |= set(re.findall(r"\$\{(MADOGUCHI_[A-Z_]+)\}", template.read_text()))
    for unit in _units():
        used |= set(re.findall(r"\$\{([A-Z_]+)\}", unit.read_text()))
    assert used, "the templates name their variables"
    assert used - set(example) == set()


def test_the_proxy_upload_cap_equals_the_apps():
    example = _env_example()
    assert _nginx_size(example["MADOGUCHI_NGINX_BODY_MAX"]) == settings.MADOGUCHI_UPLOAD_MAX_REQUEST_BYTES
    assert int(example["MADOGUCHI_UPLOAD_MAX_REQUEST_BYTES"]) == settings.MADOGUCHI_UPLOAD_MAX_REQUEST_BYTES
    assert int(example["MADOGUCHI_ATTACHMENT_MAX_BYTES"]) == settings.MADOGUCHI_ATTACHMENT_MAX_BYTES
    site = (DEPLOY / "nginx" / "madoguchi.conf").read_text()
    assert "client_max_body_size ${MADOGUCHI_NGINX_BODY_MAX};" in site


def test_event_streams_are_never_compressed_nor_buffered():
    site = (DEPLOY / "nginx" / "madoguchi.conf").read_text()
    gzip_types = re.search(r"gzip_types([^;]*);", site).group(1).split()
    assert "text/event-stream" not in gzip_types
    assert {"text/css", "application/javascript", "application/json", "image/svg+xml"} <= set(gzip_types)
    stream_location = re.search(r"location ~ (\^/queue/\S+) \{(.*?)\n    \}", site, re.S)
    body = stream_location.group(2)
    assert "proxy_pass http://madoguchi_streams;" in body
    assert "proxy_buffering off;" in body
    assert "gzip off;" in body
    assert re.search(r"proxy_read_timeout (\d+)h;", body)


def test_the_stream_location_covers_both_streams_and_nothing_else():
    site = (DEPLOY / "nginx" / "madoguchi.conf").read_text()
    pattern = re.compile(re.search(r"location ~ (\^/queue/\S+) \{", site).group(1))
    assert pattern.match(reverse("queueing:events"))
    assert pattern.match(reverse("queueing:ticket_events", args=["a1B2c3"]))
    for page in (reverse("queueing:display"), reverse("queueing:status", args=["a1B2c3"]),
                 reverse("queueing:status_json", args=["a1B2c3"]), reverse("queueing:board"), "/"):
        assert not pattern.match(page), page


def test_the_units_start_commands_that_exist():
    commands = get_commands()
    env = _env_example()
    started = []
    for unit in _units():
        text = unit.read_text()
        for line in text.splitlines():
            if line.startswith("ExecStart="):
                words = shlex.split(re.sub(r"\$\{([A-Z_]+)\}", lambda m: env[m.group(1)],
                                           line.removeprefix("ExecStart=")))
                program = Path(words[0]).name
                started.append(program)
                assert words[0].startswith("/srv/madoguchi/venv/bin/"), unit.name
                assert (Path(sys.executable).parent / program).exists(), program
                if program == "madoguchi":
                    assert words[1] in commands, f"{unit.name}: madoguchi {words[1]}"
                if program == "uvicorn":
                    assert importlib.util.find_spec(words[1].split(":")[0]), words[1]
                if program == "gunicorn":
                    assert (DEPLOY / Path(words[words.index("-c") + 1]).name).exists()
        for name in re.findall(r"^Unit=(\S+)$", text, re.M):
            assert (DEPLOY / "systemd" / name).exists(), f"{unit.name} starts {name}"
        for name in re.findall(r"^Wants=(.*)$", text, re.M):
            for wanted in (w for w in name.split() if w.startswith("madoguchi")):
                template = re.sub(r"@[^.]+\.", "@.", wanted)
                assert (DEPLOY / "systemd" / template).exists(), f"{unit.name} wants {wanted}"
    assert {"gunicorn", "uvicorn", "madoguchi"} <= set(started)
    scheduled = {re.search(r"madoguchi (\w+)", (DEPLOY / "systemd" / t.name.replace(".timer", ".service"))
                           .read_text()).group(1) for t in _units() if t.suffix == ".timer"}
    assert scheduled == {"audit_seal", "build_insights", "dispose", "queue_reminders", "reconcile_payments",
                         "send_deadline_reminders"}


def test_gunicorn_takes_workers_from_the_cores_and_serves_the_wsgi_app(monkeypatch):
    monkeypatch.delenv("MADOGUCHI_WEB_WORKERS", raising=False)
    config = {}
    exec((DEPLOY / "gunicorn.conf.py").read_text(), config)  # noqa: S102 - our own config file
    assert config["workers"] == 2 * os.cpu_count() + 1
    assert config["threads"] >= 1
    module, _, name = config["wsgi_app"].partition(":")
    assert importlib.util.find_spec(module) and name == "application"
    assert config["forwarded_allow_ips"] == "127.0.0.1"


# --- nginx runs it -------------------------------------------------------------------------------


class _Upstream(BaseHTTPRequestHandler):
    """Stands in for gunicorn and uvicorn: answers with what nginx passed on."""

    protocol_version = "HTTP/1.1"
    server_label = "web"

    def do_GET(self):  # noqa: N802 - http.server's name
        if self.path.startswith("/queue/") and "/events/" in self.path:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"retry: 2000\n\n" + b": padding so gzip would apply\n" * 200)
            self.wfile.write(b"id: 7\nevent: board\ndata: {}\n\n")
            self.wfile.flush()
            time.sleep(0.2)
            return
        body = (f"<!doctype html><p>{self.server_label} proto={self.headers.get('X-Forwarded-Proto')} "
                f"for={self.headers.get('X-Forwarded-For')}</p>" + "<p>行</p>" * 300).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length", 0))
        self.rfile.read(length)
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def _serve(label: str):
    handler = type(f"Upstream_{label}", (_Upstream,), {"server_label": label})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def front(tmp_path):
    """The rendered nginx in front of two stand-in upstreams; its port."""
    web, streams = _serve("web"), _serve("streams")
    shape = _shape_module().ProductionShape("postgres://unused/unused", tmp_path,
                                            extra_env={"MADOGUCHI_UPLOAD_MAX_REQUEST_BYTES": "1048576"})
    shape.web_port, shape.streams_port = web.server_address[1], streams.server_address[1]
    static = tmp_path / "static" / "madoguchi"
    static.mkdir(parents=True)
    (static / "site.css").write_text("body { color: black; }\n" * 100)
    (static / "site.0123456789ab.css").write_text("body { color: black; }\n" * 100)
    (static / "favicon.ico").write_bytes(b"\0\0\1\0")
    conf = shape.render_nginx()
    checked = subprocess.run([NGINX, "-t", "-p", str(tmp_path / "nginx"), "-c", str(conf)],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen([NGINX, "-p", str(tmp_path / "nginx"), "-c", str(conf), "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", shape.port)) == 0:
                    break
            time.sleep(0.05)
        yield shape.port
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
        web.shutdown()
        streams.shutdown()


def _get(port: int, path: str, **headers):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={"Accept-Encoding": "gzip", **headers})
    response = connection.getresponse()
    return response, response.read()


@needs_nginx
def test_pages_are_compressed_and_told_the_scheme_the_proxy_saw(front):
    response, body = _get(front, "/procedures/", **{"X-Forwarded-Proto": "https",
                                                    "X-Forwarded-For": "203.0.113.9"})
    assert response.status == 200
    assert response.getheader("Content-Encoding") == "gzip"
    text = gzip.decompress(body).decode()
    assert "web proto=http " in text  # the client's claim of https was overwritten
    assert "for=127.0.0.1<" in text  # and its X-Forwarded-For replaced by the real peer


@needs_nginx
def test_streams_go_to_the_stream_servers_uncompressed(front):
    for path in ("/queue/display/events/", "/queue/t/a1B2c3/events/?lang=ja"):
        response, body = _get(front, path)
        assert response.status == 200
        assert response.getheader("Content-Encoding") is None
        assert response.getheader("Content-Type").startswith("text/event-stream")
        assert b"id: 7\nevent: board" in body
    response, body = _get(front, "/queue/display/")
    assert b"<p>web " in gzip.decompress(body)


@needs_nginx
def test_a_body_over_the_cap_is_refused_by_the_proxy(front):
    connection = http.client.HTTPConnection("127.0.0.1", front, timeout=10)
    connection.request("POST", "/applications/x/", body=b"a" * (1024 * 1024 + 1),
                       headers={"Content-Type": "application/octet-stream"})
    assert connection.getresponse().status == 413
    connection = http.client.HTTPConnection("127.0.0.1", front, timeout=10)
    connection.request("POST", "/applications/x/", body=b"a" * 1024,
                       headers={"Content-Type": "application/octet-stream"})
    assert connection.getresponse().status == 204


@needs_nginx
def test_static_files_are_served_by_nginx_with_cache_headers(front):
    response, body = _get(front, "/static/madoguchi/site.css")
    assert response.status == 200
    assert response.getheader("Content-Encoding") == "gzip"
    assert "max-age=60" in response.getheader("Cache-Control")
    response, _ = _get(front, "/static/madoguchi/site.0123456789ab.css")
    assert "immutable" in response.getheader("Cache-Control")
    response, body = _get(front, "/favicon.ico")
    assert response.status == 200 and body == b"\0\0\1\0"
    response, _ = _get(front, "/static/madoguchi/missing.css")
    assert response.status == 404
