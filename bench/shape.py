"""The production shape of deploy/, started on this machine for a benchmark or a browser run.

`ProductionShape(database_url, workdir)` is a context manager: it renders deploy/nginx/'s
templates into `workdir` (free loopback ports, plain http), runs `collectstatic`, and starts
exactly the command lines of deploy/systemd/'s units — gunicorn with deploy/gunicorn.conf.py,
uvicorn with several worker processes, `run_outbox` — and Debian's nginx in front of them
(`nginx -p workdir -c nginx.conf`, in the foreground, without systemd). On exit every process
it started is stopped by its own pid. It installs nothing and migrates nothing: run what the
run needs with `shape.manage(...)`.

The unit files are read rather than copied so that the benchmark cannot drift from what a
city runs: a changed ExecStart is what the next benchmark starts. Only the paths of a real
installation (/srv/madoguchi/venv/bin, /etc/madoguchi) are replaced by this checkout's.
"""

import contextlib
import os
import pwd
import re
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from string import Template

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
INSTALLED_BIN = "/srv/madoguchi/venv/bin/"
INSTALLED_CONF = "/etc/madoguchi/"
PLACEHOLDER = re.compile(r"\$\{(MADOGUCHI_[A-Z_]+)\}")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hardware import free_port, postgres_database  # noqa: E402,F401 - the shape's users take them from here


def render(template: Path, values: dict) -> str:
    """Fill deploy/'s ${MADOGUCHI_*} placeholders (what `envsubst` does in production); nginx's
    own `$name` variables are left alone. A placeholder without a value is an error."""
    text = template.read_text()
    missing = sorted(set(PLACEHOLDER.findall(text)) - set(values))
    if missing:
        raise KeyError(f"{template.name}: no value for {', '.join(missing)}")
    return Template(text).safe_substitute(values)


def unit_command(unit: str, env: dict) -> list[str]:
    """The ExecStart of deploy/systemd/`unit`, with ${VAR} from `env` as systemd expands them
    and the installation's paths replaced by this checkout's."""
    lines = [line for line in (DEPLOY / "systemd" / unit).read_text().splitlines()
             if line.startswith("ExecStart=")]
    command = lines[0].removeprefix("ExecStart=")
    command = re.sub(r"\$\{([A-Z_]+)\}", lambda m: env[m.group(1)], command)
    words = shlex.split(command)
    return [word.replace(INSTALLED_BIN, f"{BIN}/").replace(INSTALLED_CONF, f"{DEPLOY}/")
            if word.startswith((INSTALLED_BIN, INSTALLED_CONF)) else word for word in words]


def raise_file_limit() -> int:
    """Lift this process's open-file limit to its hard limit (children inherit it): thousands
    of streams are thousands of sockets. Returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class ProductionShape:
    """nginx → gunicorn (pages) + uvicorn (streams), one or more run_outbox, on loopback."""

    def __init__(self, database_url: str, workdir, *, web_workers: int | None = None,
                 web_threads: int = 2, stream_workers: int | None = None,
                 outbox_workers: int = 1, stream_limit: int = 10000, extra_env: dict | None = None):
        self.workdir = Path(workdir).resolve()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.web_port = free_port()
        self.streams_port = free_port()
        self.outbox_workers = outbox_workers
        cores = os.cpu_count() or 1
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "MADOGUCHI_VAR_DIR": str(self.workdir / "var"),
            "MADOGUCHI_STATIC_ROOT": str(self.workdir / "static"),
            "MADOGUCHI_DEBUG": "0",
            "MADOGUCHI_SECURE_COOKIES": "0",  # plain http on loopback; TLS is nginx's in production
            "MADOGUCHI_PROXY_SSL_HEADER": "X-Forwarded-Proto",
            "MADOGUCHI_TRUSTED_PROXIES": "127.0.0.1",  # nginx: its X-Real-IP names the client
            "MADOGUCHI_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "MADOGUCHI_PUBLIC_URL": self.url,
            "MADOGUCHI_OUTBOX_MODE": "worker",
            "MADOGUCHI_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "MADOGUCHI_LOG_LEVEL": "WARNING",
            "MADOGUCHI_WEB_BIND": f"127.0.0.1:{self.web_port}",
            "MADOGUCHI_WEB_WORKERS": str(web_workers or 2 * cores + 1),
            "MADOGUCHI_WEB_THREADS": str(web_threads),
            "MADOGUCHI_STREAMS_PORT": str(self.streams_port),
            "MADOGUCHI_STREAMS_WORKERS": str(stream_workers or cores),
            "MADOGUCHI_STREAMS_LIMIT_CONCURRENCY": str(stream_limit),
            **(extra_env or {}),
        }
        self.processes: dict[str, list[subprocess.Popen]] = {}
        self._logs = []

    # --- what a run needs ------------------------------------------------------------------

    def manage(self, *args: str) -> str:
        """`madoguchi <args>` with the shape's environment; its output, or an error with it."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        result = subprocess.run([str(BIN / "madoguchi"), *args], env=self.env, cwd=ROOT,
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"madoguchi {' '.join(args)} failed:\n{result.stdout[-2000:]}"
                               f"{result.stderr[-4000:]}")
        return result.stdout

    def nginx_values(self) -> dict:
        nginx_dir = self.workdir / "nginx"
        return {
            "MADOGUCHI_NGINX_USER": pwd.getpwuid(os.getuid()).pw_name,
            "MADOGUCHI_NGINX_PID": str(nginx_dir / "nginx.pid"),
            "MADOGUCHI_NGINX_LOG_DIR": str(self.workdir / "logs"),
            "MADOGUCHI_NGINX_ACCESS_LOG": "off",
            "MADOGUCHI_NGINX_TEMP_DIR": str(nginx_dir / "temp"),
            "MADOGUCHI_NGINX_MIME_TYPES": "/etc/nginx/mime.types",
            "MADOGUCHI_NGINX_SITE": str(nginx_dir / "madoguchi.conf"),
            "MADOGUCHI_NGINX_SERVER_NAME": "127.0.0.1 localhost",
            "MADOGUCHI_NGINX_LISTEN": f"127.0.0.1:{self.port}",
            "MADOGUCHI_NGINX_REDIRECT_LISTEN": f"127.0.0.1:{free_port()}",
            "MADOGUCHI_NGINX_TLS": str(nginx_dir / "tls.conf"),
            "MADOGUCHI_NGINX_WEB_UPSTREAM": f"127.0.0.1:{self.web_port}",
            "MADOGUCHI_NGINX_STREAMS_UPSTREAM": f"127.0.0.1:{self.streams_port}",
            "MADOGUCHI_NGINX_STATIC_ROOT": str(self.workdir / "static"),
            "MADOGUCHI_NGINX_BODY_MAX": str(int(self.env.get("MADOGUCHI_UPLOAD_MAX_REQUEST_BYTES")
                                                or 5 * 10 * 1024 * 1024)),
        }

    def render_nginx(self) -> Path:
        """Write nginx.conf, the site and an empty TLS include into workdir/nginx."""
        nginx_dir = self.workdir / "nginx"
        for sub in ("temp", "logs"):
            (nginx_dir / sub).mkdir(parents=True, exist_ok=True)
        (self.workdir / "logs").mkdir(exist_ok=True)
        values = self.nginx_values()
        (nginx_dir / "tls.conf").write_text("# plain http on loopback for the benchmark\n")
        (nginx_dir / "madoguchi.conf").write_text(render(DEPLOY / "nginx" / "madoguchi.conf", values))
        conf = nginx_dir / "nginx.conf"
        conf.write_text(render(DEPLOY / "nginx" / "nginx.conf", values))
        return conf

    # --- processes ---------------------------------------------------------------------------

    def _start(self, name: str, command: list[str]) -> subprocess.Popen:
        log = (self.workdir / "logs" / f"{name}.log").open("ab")
        self._logs.append(log)
        process = subprocess.Popen(command, env=self.env, cwd=ROOT, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.setdefault(name, []).append(process)
        return process

    def __enter__(self):
        if not Path(NGINX).exists():
            raise RuntimeError("nginx is not installed: `make bench-deps` installs Debian's nginx")
        raise_file_limit()
        if threading.current_thread() is threading.main_thread():
            # `timeout` or a CI runner ends a run with SIGTERM: unwind, so __exit__ stops the
            # servers (they run in sessions of their own and would outlive this process).
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "var").mkdir(exist_ok=True)
        (self.workdir / "logs").mkdir(exist_ok=True)
        self.manage("collectstatic", "--noinput", "-v0")
        conf = self.render_nginx()
        try:
            self._start("web", unit_command("madoguchi-web.service", self.env))
            self._start("streams", unit_command("madoguchi-streams.service", self.env))
            for _ in range(self.outbox_workers):
                self._start("outbox", unit_command("madoguchi-outbox@.service", self.env))
            self._start("nginx", [NGINX, "-p", str(self.workdir / "nginx"), "-c", str(conf),
                                  "-g", "daemon off;"])
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def _wait_ready(self, seconds: float = 60) -> None:
        """Until /api/health answers through nginx and straight from the stream servers."""
        targets = [f"{self.url}/api/health", f"http://127.0.0.1:{self.streams_port}/api/health",
                   f"http://127.0.0.1:{self.web_port}/api/health"]
        deadline = time.monotonic() + seconds
        for target in targets:
            while True:
                for name, processes in self.processes.items():
                    for process in processes:
                        if process.poll() is not None:
                            raise RuntimeError(f"{name} exited ({process.returncode}); see "
                                               f"{self.workdir / 'logs' / (name + '.log')}")
                try:
                    with urllib.request.urlopen(target, timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{target} did not answer within {seconds:.0f} s")
                time.sleep(0.3)

    def pids(self) -> dict[str, list[int]]:
        """The pids of each part, worker processes included (psutil), for sampling."""
        import psutil

        found = {}
        for name, processes in self.processes.items():
            pids = []
            for process in processes:
                if process.poll() is None:
                    pids.append(process.pid)
                    with contextlib.suppress(psutil.NoSuchProcess):
                        pids += [child.pid for child in psutil.Process(process.pid).children(recursive=True)]
            found[name] = pids
        return found

    def stop(self) -> None:
        """SIGTERM to each started process (nginx first, so no request reaches a stopping app
        server), then SIGKILL to any still running after 20 s."""
        order = ["nginx", "streams", "web", "outbox"]
        started = [p for name in order for p in self.processes.get(name, []) if p.poll() is None]
        for process in started:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in started:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for log in self._logs:
            log.close()
        self._logs = []
