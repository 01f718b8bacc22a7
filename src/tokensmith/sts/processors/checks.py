"""Token processor rules that read the rest of the configuration (validators, managers, JWKS)."""

from __future__ import annotations

import json

from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from tokensmith.config.model import ATM, PCV, ConfigModel
from tokensmith.plugins.configuration import NormalizedConfig
from tokensmith.sts.processors import descriptors as d


def check_processor(model: ConfigModel, descriptor_id: str, config: NormalizedConfig) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    values = config.values()
    if descriptor_id == d.USERNAME_ID:
        rows = config.table_rows(d.CREDENTIAL_VALIDATORS)
        if not rows:
            problems.append((f"configuration.tables[{d.CREDENTIAL_VALIDATORS}]",
                             "At least one password credential validator is required"))
        for i, row in enumerate(rows):
            pcv = row.get(d.PCV_COLUMN, "")
            if pcv and model.get(PCV, pcv) is None:
                problems.append((f"configuration.tables[{d.CREDENTIAL_VALIDATORS}].rows[{i}].fields[{d.PCV_COLUMN}]",
                                 f"Password credential validator '{pcv}' does not exist"))
    elif descriptor_id == d.JWT_ID:
        sources = [name for name in (d.F_JWKS_URL, d.F_JWKS, d.F_ATM) if values.get(name, "").strip()]
        if len(sources) != 1:
            problems.append((f"configuration.fields[{d.F_JWKS_URL}]",
                             "Give exactly one of JWKS Endpoint URI, JWKS or Access Token Manager"))
        url = values.get(d.F_JWKS_URL, "").strip()
        if url and not url.startswith(("https://", "http://")):
            problems.append((f"configuration.fields[{d.F_JWKS_URL}]", "The JWKS Endpoint URI must be an http(s) URL"))
        jwks = values.get(d.F_JWKS, "").strip()
        if jwks:
            try:
                parsed = json.loads(jwks)
                if not isinstance(parsed, dict) or not isinstance(parsed.get("keys"), list):
                    raise ValueError("no 'keys' list")
                KeySet.import_key_set(parsed)  # type: ignore[arg-type]
            except (ValueError, TypeError, KeyError, AttributeError, JoseError) as exc:
                problems.append((f"configuration.fields[{d.F_JWKS}]", f"Not a JSON Web Key Set: {exc}"))
        atm = values.get(d.F_ATM, "").strip()
        if atm and model.get(ATM, atm) is None:
            problems.append((f"configuration.fields[{d.F_ATM}]", f"Access token manager '{atm}' does not exist"))
        if values.get(d.F_REQUIRE_AUD) == "true" and not values.get(d.F_AUDIENCE, "").strip():
            problems.append((f"configuration.fields[{d.F_AUDIENCE}]", "Require Audience needs an Audience"))
        if not [a for a in values.get(d.F_ALGORITHMS, "").split(",") if a.strip()]:
            problems.append((f"configuration.fields[{d.F_ALGORITHMS}]", "At least one algorithm is required"))
    return problems
