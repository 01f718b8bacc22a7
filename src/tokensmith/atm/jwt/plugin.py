"""The JWT access token manager type: its descriptor (fields, tables, rules) and runtime."""

from __future__ import annotations

from dataclasses import replace

from tokensmith.atm.jwt import rules
from tokensmith.atm.jwt.descriptor import BASE_DESCRIPTOR, PLUGIN_ID
from tokensmith.atm.jwt.manager import JwtType

DESCRIPTOR = replace(BASE_DESCRIPTOR, instance_rules=(rules.check,))
TYPE = JwtType(DESCRIPTOR)

__all__ = ["DESCRIPTOR", "PLUGIN_ID", "TYPE"]
