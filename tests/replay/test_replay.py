"""Replays the bodies PingFederate's own automation sends (tests/data/replay/*.json, each naming
where in the Terraform provider its shape comes from) through create, read, update, read, a
read-modify-write PUT of the read (as pingcli and export/import round-trips do) and delete, and
asserts that every read holds exactly what was written (see :mod:`tests.replay.roundtrip`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Admin
from tests.replay.roundtrip import differences, present

FIXTURES = sorted((Path(__file__).parent.parent / "data" / "replay").glob("*.json"))


def _load(path: Path) -> dict[str, Any]:
    fixture: dict[str, Any] = json.loads(path.read_text())
    return fixture


def _check(fixture: dict[str, Any], sent: dict[str, Any], answer: dict[str, Any], absent: list[str]) -> None:
    skip = frozenset(fixture.get("skip", []))
    secrets = frozenset(fixture.get("secretFields", []))
    problems = differences(sent, answer, skip=skip, secret_fields=secrets)
    problems += [f"{p}: was not sent, must stay absent" for p in absent if present(answer, p)]
    assert not problems, "\n".join(problems)


async def _expect(admin: Admin, method: str, path: str, body: Any, status: int) -> Any:
    response = await admin.request(method, path, body)
    assert response.status_code == status, f"{method} {path}: {response.status_code} {response.text}"
    return response.json() if response.content else None


@pytest.mark.parametrize("fixture_path", FIXTURES, ids=[p.stem for p in FIXTURES])
async def test_replay_round_trips(admin: Admin, fixture_path: Path) -> None:
    fixture = _load(fixture_path)
    saved: dict[str, str] = {}
    for step in fixture.get("setup", []):
        response = await admin.request(step["method"], step["path"], step.get("body"))
        assert response.status_code < 300, f"setup {step['path']}: {response.text}"
        if "save" in step:  # e.g. a certificate (PEM) that a later body carries as ${NAME}
            saved[step["save"]] = response.text
    text = json.dumps({k: v for k, v in fixture.items() if k != "setup"})
    for name, value in saved.items():
        text = text.replace("${" + name + "}", json.dumps(value)[1:-1])
    fixture = {**fixture, **json.loads(text)}
    create = fixture["create"]
    created_status = 201 if create["method"] == "POST" else 200
    created = await _expect(admin, create["method"], create["path"], create["body"], created_status)
    _check(fixture, create.get("expect", create["body"]), created, fixture.get("absent", []))
    item = fixture["item"].format(**created) if "{" in fixture["item"] else fixture["item"]
    read = await _expect(admin, "GET", item, None, 200)
    assert read == created, "the read differs from the create answer"

    state = read
    if "update" in fixture:
        body = fixture["update"]["body"]
        updated = await _expect(admin, "PUT", item, body, 200)
        _check(fixture, body, updated, fixture.get("absentAfterUpdate", fixture.get("absent", [])))
        state = await _expect(admin, "GET", item, None, 200)
        assert state == updated, "the read differs from the update answer"

    if fixture.get("rewrite", True) and "update" in fixture:
        again = await _expect(admin, "PUT", item, state, 200)  # GET, then PUT the read back unchanged
        assert again == state, "PUT of the read changed it: " + "\n".join(differences(state, again))

    if "reset" in fixture:
        reset = await _expect(admin, "PUT", item, fixture["reset"]["body"], 200)
        assert reset == fixture["reset"]["expect"]
        assert await _expect(admin, "GET", item, None, 200) == fixture["reset"]["expect"]
    elif fixture.get("delete", True):
        await _expect(admin, "DELETE", item, None, 204)
        assert (await admin.get(item)).status_code == 404
