"""Every API route refuses a missing or bad token (401) and a role below its own (403); the
routes and their roles come from the OpenAPI document, so a new endpoint cannot be forgotten."""

from __future__ import annotations

import re
from typing import Any

import pytest

from agent.desk.app import create_app
from agent.settings import Settings
from agent.store.users import ROLES, hash_token
from tests.unit.desk.helpers import Harness


def _routes() -> list[tuple[str, str, str]]:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as scratch:
        app = create_app(Settings(data_dir=Path(scratch), cache=False))
        schema: dict[str, Any] = app.openapi()
        app.state.desk.engine.dispose()
    routes = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            routes.append((method.upper(), path, operation.get("x-role", "")))
    return routes


ROUTES = _routes()


def test_every_api_route_declares_a_role() -> None:
    assert ROUTES, "the OpenAPI document lists no routes"
    for method, path, role in ROUTES:
        assert path.startswith("/api/"), f"{method} {path} is outside /api"
        assert role in ROLES, f"{method} {path} declares no x-role"
    writes = [r for r in ROUTES if r[0] != "GET"]
    assert writes and all(role in ("editor", "admin") for _, _, role in writes)


@pytest.mark.parametrize(("method", "path", "role"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_route_refuses_missing_token_and_lower_role(
    harness: Harness, method: str, path: str, role: str
) -> None:
    url = re.sub(r"\{[^}]+\}", "x", path)
    body = {} if method in ("POST", "PUT", "PATCH") else None
    call = harness.client.request
    missing = call(method, url, json=body)
    assert missing.status_code == 401, missing.text
    assert "Bearer" in missing.json()["error"]
    forged = call(method, url, json=body, headers={"Authorization": "Bearer sd_not-a-token"})
    assert forged.status_code == 401
    for lower in ROLES[: ROLES.index(role)]:
        refused = call(method, url, json=body, headers=harness.headers(lower))
        assert refused.status_code == 403, (lower, refused.text)
        assert role in refused.json()["error"]
    allowed = call(method, url, json=body, headers=harness.headers(role))
    assert allowed.status_code not in (401, 403), allowed.text


def test_tokens_are_stored_hashed_and_revocable(harness: Harness) -> None:
    from sqlalchemy import text

    token = harness.tokens["editor"]
    with harness.desk.engine.connect() as connection:
        stored = connection.execute(text("SELECT token_hash FROM users")).scalars().all()
    assert token not in stored and hash_token(token) in stored
    assert harness.client.get("/api/jobs", headers=harness.headers()).status_code == 200
    harness.desk.users.revoke("editor user")
    assert harness.client.get("/api/jobs", headers=harness.headers()).status_code == 401


def test_users_add_prints_the_token_on_its_last_line(
    tmp_path: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from agent.cli import main

    monkeypatch.setenv("STORYDESK_DATA_DIR", str(tmp_path))
    assert main(["users", "add", "Rachel Morgan", "--role", "editor"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert token.startswith("sd_") and len(token) > 30
    assert main(["users", "list"]) == 0
    assert "Rachel Morgan\teditor\tactive" in capsys.readouterr().out
    assert main(["users", "revoke", "Rachel Morgan"]) == 0
    assert main(["users", "add", "Rachel Morgan", "--role", "editor"]) == 2  # name taken
