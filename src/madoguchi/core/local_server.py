"""A local HTTP server in a thread, for the servers that stand in for outside services Madoguchi
cannot reach from its tests and its demo (the デジタル認証アプリ's OpenID provider, PayPay).

The standard library's `http.server` serves forever in the calling thread and has no start/stop
pair; each stand-in needs the same dozen lines to serve in a daemon thread and to stop quickly,
so they live here once."""

import abc
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LocalHandler(BaseHTTPRequestHandler):
    """Quiet (no line per request in the tests' output); GET and POST go to the subclass's
    `_serve(method)`, where each stand-in answers its own protocol."""

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")

class LocalServer(abc.ABC):
    """`start()` serves on `self._host` (a free port unless `self._port` is set); `stop()` ends
    it; `with server:` does both. Subclasses say which handler serves them."""

    _host = "127.0.0.1"
    _port = 0
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @abc.abstractmethod
    def handler(self) -> type[BaseHTTPRequestHandler]:
        """The request handler class, bound to this server's state."""

    def start(self):
        self._server = ThreadingHTTPServer((self._host, self._port), self.handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)  # a short poll makes stop() quick
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def bound_port(self) -> int:
        return self._server.server_address[1]
