"""Shared pieces of the hand-off tests: a city's handoff.yaml in a temporary folder, a 児童手当
case accepted through casework, the local business system."""

from pathlib import Path

import pytest
import yaml
from target_server import TargetServer, new_secret

from madoguchi.casework import services as casework
from madoguchi.core.actors import Actor

from support import submit_via_web

CODE = "child-allowance-claim"


class Targets:
    """Writes the demo city's handoff.yaml; `out` is MADOGUCHI_HANDOFF_DIR."""

    def __init__(self, root: Path):
        self.config, self.out = root / "config", root / "out"
        self.out.mkdir(parents=True)

    def write(self, *targets: dict, slug: str = "demo") -> Path:
        folder = self.config / slug
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "handoff.yaml"
        path.write_text(yaml.safe_dump({"targets": list(targets)}, allow_unicode=True), encoding="utf-8")
        return path


def file_target(**changes) -> dict:
    return {"name": "jidou-teate", "kind": "file", "title": "児童手当システム",  # ja-only: test data
            "procedures": [CODE], "events": ["accepted", "decided"], "directory": "jidou-teate",
            **changes}


@pytest.fixture
def targets(settings, tmp_path):
    found = Targets(tmp_path)
    settings.MADOGUCHI_HANDOFF_CONFIG_DIR = str(found.config)
    settings.MADOGUCHI_HANDOFF_DIR = str(found.out)
    settings.MADOGUCHI_HANDOFF_MODE = "worker"  # the tests deliver when they choose
    return found


@pytest.fixture
def target_server():
    server = TargetServer(new_secret())
    with server:
        yield server


@pytest.fixture
def http_target(targets, target_server, tmp_path):
    secret_file = tmp_path / "target.secret"
    secret_file.write_text(target_server.secret + "\n")
    targets.write({"name": "jidou-teate-api", "kind": "http", "title": "児童手当 API",  # ja-only: test data
                   "procedures": [CODE], "events": ["accepted", "decided"],
                   "url": target_server.url, "secret_file": str(secret_file), "timeout_seconds": 5})
    return target_server


def accepted_case(client, staff, changes: dict | None = None):
    """A 児童手当 認定請求 submitted on the web and accepted by the department's clerk."""
    case = submit_via_web(client, CODE, changes)
    clerk = staff["kodomo-tanto"]
    casework.accept(case, clerk, Actor.staff(clerk))
    case.refresh_from_db()
    return case
