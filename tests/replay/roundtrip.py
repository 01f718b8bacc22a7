"""What "the read equals what was written" means for a replayed body.

PingFederate's own tools (the Terraform provider, pingcli) build their state from the POST/PUT
answer and compare it with the next GET, so:

- every member that was sent comes back with the same JSON value and type (``[]`` stays ``[]``,
  ``false`` stays ``false``, ``""`` stays ``""``);
- lists compare as multisets (the provider models most of them as sets);
- a plugin configuration's ``fields`` list is compared by name: the answer may hold more fields
  (every descriptor field with its default, as PingFederate answers), never a different value;
- members the server adds (``location``, computed read-only values, defaults) are allowed, but a
  fixture can name paths that must stay absent (optional members that were not sent);
- secrets are sent in clear and come back only encrypted: a fixture names the members to skip.
"""

from __future__ import annotations

from typing import Any


def _same_scalar(sent: Any, got: Any) -> bool:
    return type(sent) is type(got) and sent == got


def differences(sent: Any, got: Any, path: str = "", skip: frozenset[str] = frozenset(),
                secret_fields: frozenset[str] = frozenset()) -> list[str]:
    """Every place where ``got`` does not hold what ``sent`` holds (empty when it round-trips)."""
    if path in skip:
        return []
    if isinstance(sent, dict):
        if not isinstance(got, dict):
            return [f"{path or '<root>'}: sent an object, got {got!r}"]
        out: list[str] = []
        for key, value in sent.items():
            sub = f"{path}.{key}" if path else key
            if sub in skip:
                continue
            if key not in got:
                out.append(f"{sub}: sent {value!r}, missing from the answer")
                continue
            out += differences(value, got[key], sub, skip, secret_fields)
        return out
    if isinstance(sent, list):
        if not isinstance(got, list):
            return [f"{path}: sent a list, got {got!r}"]
        if path.endswith("fields") and all(isinstance(f, dict) and "name" in f for f in sent):
            return _fields(sent, got, path, secret_fields)
        if len(sent) != len(got):
            return [f"{path}: sent {len(sent)} items, got {len(got)}: {got!r}"]
        unmatched = list(got)
        out = []
        for i, item in enumerate(sent):
            match = next((g for g in unmatched
                          if not differences(item, g, f"{path}[{i}]", skip, secret_fields)), None)
            if match is None:
                out.append(f"{path}[{i}]: sent {item!r}, no such item in {got!r}")
            else:
                unmatched.remove(match)
        return out
    if not _same_scalar(sent, got):
        return [f"{path}: sent {sent!r}, got {got!r}"]
    return []


def _fields(sent: list[Any], got: list[Any], path: str, secret_fields: frozenset[str]) -> list[str]:
    by_name = {f.get("name"): f for f in got if isinstance(f, dict)}
    out = []
    for field in sent:
        name = field["name"]
        answer = by_name.get(name)
        if answer is None:
            out.append(f"{path}[{name}]: sent, missing from the answer")
        elif name in secret_fields:
            if "encryptedValue" not in answer or "value" in answer:
                out.append(f"{path}[{name}]: a secret must come back as encryptedValue only: {answer!r}")
        elif "value" in field and not _same_scalar(field["value"], answer.get("value")):
            out.append(f"{path}[{name}]: sent {field['value']!r}, got {answer.get('value')!r}")
    return out


def present(doc: Any, path: str) -> bool:
    """Whether the dotted ``path`` (``[n]`` for list items) exists in ``doc``."""
    current = doc
    for part in path.replace("[", ".[").split("."):
        if not part:
            continue
        if part.startswith("["):
            index = int(part[1:-1])
            if not isinstance(current, list) or index >= len(current):
                return False
            current = current[index]
        else:
            if not isinstance(current, dict) or part not in current:
                return False
            current = current[part]
    return True
