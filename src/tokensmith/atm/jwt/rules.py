"""JWT manager rules that depend on the rest of the configuration: key pairs, symmetric key sizes,
recipient keys, and Key IDs and JWKS paths shared with other managers. Each problem names the field
or table cell at fault."""

from __future__ import annotations

from typing import Any

from tokensmith.atm.jwt import descriptor as d
from tokensmith.atm.jwt.keymaterial import KeyMaterialProblem, decode_symmetric, recipient_from_text
from tokensmith.config.inheritance import effective_configuration
from tokensmith.config.model import ATM, KEYPAIR, ConfigModel
from tokensmith.crypto.secretbox import SecretBoxError
from tokensmith.errors import FieldError
from tokensmith.keys import stored
from tokensmith.keys.material import JOSE_CURVES, key_facts
from tokensmith.plugins.configuration import NormalizedConfig
from tokensmith.plugins.descriptors import InstanceCheck


def _field(name: str) -> str:
    return f"configuration.fields[{name}]"


def _cell(table: str, row: int, column: str) -> str:
    return f"configuration.tables[{table}].rows[{row}].fields[{column}]"


def _own_key_ids(config: dict[str, Any]) -> list[tuple[str, int, str]]:
    """(table, row, Key ID) of the rows this manager defines itself (inherited tables excluded)."""
    found = []
    for table in config["tables"]:
        if table.get("inherited"):
            continue
        for i, row in enumerate(table["rows"]):
            for f in row["fields"]:
                if f["name"] == d.KEY_ID and f.get("value"):
                    found.append((table["name"], i, f["value"]))
    return found


def _jwt_managers(model: ConfigModel, exclude: str) -> list[dict[str, Any]]:
    return [doc for doc in model.all(ATM)
            if doc["pluginDescriptorRef"]["id"] == d.PLUGIN_ID and doc["id"] != exclude]


def _unique_across_managers(check: InstanceCheck, errors: list[FieldError]) -> None:
    mine = _own_key_ids(check.config.doc)
    taken: dict[str, str] = {}
    paths: dict[str, str] = {}
    for doc in _jwt_managers(check.model, check.instance_id):
        config = effective_configuration(check.model, doc)
        for _, _, kid in _own_key_ids(config):
            taken.setdefault(kid, doc["id"])
        path = NormalizedConfig(config).values().get(d.JWKS_PATH, "")
        if path:
            paths[path] = doc["id"]
    seen: dict[str, str] = {}
    for table, row, kid in mine:
        if kid in taken:
            errors.append(FieldError(_cell(table, row, d.KEY_ID), f"Key ID '{kid}' is already used by access token "
                                     f"manager '{taken[kid]}'; Key IDs must be unique across all JWT managers"))
        elif kid in seen and seen[kid] != table:
            errors.append(FieldError(_cell(table, row, d.KEY_ID), f"Key ID '{kid}' is also used in the "
                                     f"{seen[kid]} table"))
        seen.setdefault(kid, table)
    path = check.config.values().get(d.JWKS_PATH, "")
    if path and path in paths:
        errors.append(FieldError(_field(d.JWKS_PATH), f"JWKS Endpoint Path '{path}' is already used by access "
                                 f"token manager '{paths[path]}'"))


def _certificates(check: InstanceCheck, errors: list[FieldError]) -> dict[str, tuple[str, int, str | None]]:
    """Key ID -> (key type, size, EC curve) for each row whose key pair exists."""
    facts: dict[str, tuple[str, int, str | None]] = {}
    for i, row in enumerate(check.config.table_rows(d.CERTIFICATES)):
        kid, pair_id = row.get(d.KEY_ID, ""), row.get(d.CERTIFICATE, "")
        doc = check.model.get(KEYPAIR, pair_id)
        if doc is None:
            errors.append(FieldError(_cell(d.CERTIFICATES, i, d.CERTIFICATE),
                                     f"Signing key pair '{pair_id}' does not exist"))
            continue
        public = stored.certificate(doc).public_key()
        kty, size = key_facts(public)  # type: ignore[arg-type]
        if kty == "RSA" and size < 2048:
            errors.append(FieldError(_cell(d.CERTIFICATES, i, d.CERTIFICATE),
                                     f"Key pair '{pair_id}' is a {size}-bit RSA key; JWT signing needs at least "
                                     "2048 bits"))
            continue
        facts[kid] = (kty, size, JOSE_CURVES.get(getattr(getattr(public, "curve", None), "name", "")))
    return facts


def _symmetric(check: InstanceCheck, errors: list[FieldError]) -> dict[str, bytes]:
    keys: dict[str, bytes] = {}
    for i, row in enumerate(check.config.table_rows(d.SYMMETRIC_KEYS)):
        try:
            secret = check.box.decrypt(row.get(d.KEY, ""))
            keys[row.get(d.KEY_ID, "")] = decode_symmetric(secret, row.get(d.ENCODING, "b64u"))
        except SecretBoxError:
            errors.append(FieldError(_cell(d.SYMMETRIC_KEYS, i, d.KEY), "The key cannot be decrypted"))
        except KeyMaterialProblem as exc:
            errors.append(FieldError(_cell(d.SYMMETRIC_KEYS, i, d.KEY), f"Key: {exc}"))
    return keys


def _signing(v: dict[str, str], certs: dict[str, tuple[str, int, str | None]], symmetric: dict[str, bytes],
             errors: list[FieldError]) -> None:
    alg = v.get(d.JWS_ALG, "")
    if v.get(d.USE_CENTRAL) == "true" or not alg:
        return
    if alg in d.HMAC_ALGS:
        kid = v.get(d.ACTIVE_SYMMETRIC, "")
        if kid not in symmetric:
            errors.append(FieldError(_field(d.ACTIVE_SYMMETRIC), f"'{kid}' is not a Key ID of the Symmetric Keys "
                                     "table"))
        elif len(symmetric[kid]) < d.HMAC_MIN_BYTES[alg]:
            errors.append(FieldError(_field(d.ACTIVE_SYMMETRIC), f"{alg} needs a key of at least "
                                     f"{d.HMAC_MIN_BYTES[alg] * 8} bits; key '{kid}' has {len(symmetric[kid]) * 8}"))
        return
    kid = v.get(d.ACTIVE_CERTIFICATE, "")
    if kid not in certs:
        errors.append(FieldError(_field(d.ACTIVE_CERTIFICATE), f"'{kid}' is not a usable Key ID of the Certificates "
                                 "table"))
        return
    kty, _, curve = certs[kid]
    if alg in d.RSA_ALGS and kty != "RSA":
        errors.append(FieldError(_field(d.ACTIVE_CERTIFICATE), f"{alg} needs an RSA key; '{kid}' is {kty}"))
    elif alg in d.EC_ALGS and curve != d.EC_CURVE_FOR[alg]:
        errors.append(FieldError(_field(d.ACTIVE_CERTIFICATE), f"{alg} needs an EC key on {d.EC_CURVE_FOR[alg]}; "
                                 f"'{kid}' is {curve or kty}"))


def _encryption(check: InstanceCheck, v: dict[str, str], symmetric: dict[str, bytes],
                errors: list[FieldError]) -> None:
    alg, enc = v.get(d.JWE_ALG, ""), v.get(d.JWE_ENC, "")
    if alg in d.SYMMETRIC_JWE_ALGS:
        kid = v.get(d.ACTIVE_ENCRYPTION, "")
        want = d.CEK_BYTES.get(enc) if alg == d.DIRECT else d.WRAP_KEY_BYTES[alg]
        if kid not in symmetric:
            errors.append(FieldError(_field(d.ACTIVE_ENCRYPTION), f"'{kid}' is not a Key ID of the Symmetric Keys "
                                     "table"))
        elif want is not None and len(symmetric[kid]) != want:
            errors.append(FieldError(_field(d.ACTIVE_ENCRYPTION), f"{alg} with {enc} needs a {want * 8}-bit key; "
                                     f"key '{kid}' has {len(symmetric[kid]) * 8} bits"))
    text = v.get(d.ENCRYPTION_KEY, "")
    if text:
        try:
            recipient_from_text(text, alg if alg in d.ASYMMETRIC_JWE_ALGS else "")
        except KeyMaterialProblem as exc:
            errors.append(FieldError(_field(d.ENCRYPTION_KEY), f"{d.ENCRYPTION_KEY}: {exc}"))


def check(instance: InstanceCheck) -> list[FieldError]:
    errors: list[FieldError] = []
    values = instance.config.values()
    _unique_across_managers(instance, errors)
    certs = _certificates(instance, errors)
    symmetric = _symmetric(instance, errors)
    _signing(values, certs, symmetric, errors)
    _encryption(instance, values, symmetric, errors)
    return errors


def key_pair_users(model: ConfigModel, key_pair_id: str) -> list[FieldError]:
    """JWT managers whose own Certificates table names the key pair (for /keyPairs/signing deletes)."""
    found = []
    for doc in model.all(ATM):
        if doc["pluginDescriptorRef"]["id"] != d.PLUGIN_ID:
            continue
        for table in doc["configuration"]["tables"]:
            if table["name"] != d.CERTIFICATES or table.get("inherited"):
                continue
            for row in table["rows"]:
                cells = {f["name"]: f.get("value") for f in row["fields"]}
                if cells.get(d.CERTIFICATE) == key_pair_id:
                    found.append(FieldError("", f"Access token manager '{doc['id']}' uses it as signing "
                                                f"certificate '{cells.get(d.KEY_ID)}'", "resource_in_use"))
    return found



def replace_key_pair(model: ConfigModel, old_id: str, new_id: str) -> list[str]:
    """Point every JWT manager's own Certificates table rows naming ``old_id`` at ``new_id`` (key
    rotation); the row keeps its Key ID, so the active signing certificate setting still applies."""
    switched = []
    for doc in model.all(ATM):
        if doc["pluginDescriptorRef"]["id"] != d.PLUGIN_ID:
            continue
        changed = False
        tables = []
        for table in doc["configuration"]["tables"]:
            if table["name"] == d.CERTIFICATES and not table.get("inherited"):
                rows = []
                for row in table["rows"]:
                    fields = [{**f, "value": new_id} if f["name"] == d.CERTIFICATE and f.get("value") == old_id
                              else f for f in row["fields"]]
                    changed |= fields != row["fields"]
                    rows.append({**row, "fields": fields})
                table = {**table, "rows": rows}
            tables.append(table)
        if changed:
            model.put(ATM, doc["id"], {**doc, "configuration": {**doc["configuration"], "tables": tables}})
            switched.append(f"access token manager '{doc['id']}'")
    return switched
