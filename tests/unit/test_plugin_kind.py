"""PluginKind: every type of a kind comes from its entry-point group, bundled types exactly like
add-ons, and a broken add-on is left out instead of stopping the server."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from tokensmith.atm import reference
from tokensmith.atm.jwt import plugin as jwt_manager
from tokensmith.atm.types import atm_types
from tokensmith.pcv import simple
from tokensmith.pcv.base import pcv_types
from tokensmith.plugins import kind as kind_module
from tokensmith.plugins.kind import PluginKind
from tokensmith.sts.generators.base import generator_types
from tokensmith.sts.processors import saml, username
from tokensmith.sts.processors.base import ProcessorType, processor_types


def test_bundled_processor_and_generator_types_come_from_their_entry_point_groups() -> None:
    assert list(processor_types())[:4] == [
        "com.pingidentity.pf.tokenprocessors.username.UsernameTokenProcessor",
        "org.tokensmith.wstrust.processor.jwt.JwtTokenProcessor",
        "org.sourceid.wstrust.processor.saml.Saml20TokenProcessor",
        "org.sourceid.wstrust.processor.saml.Saml11TokenProcessor",
    ]
    assert "org.tokensmith.addons.generator.jwt.JwtTokenGenerator" in generator_types()


def test_bundled_manager_and_validator_types_come_from_their_entry_point_groups() -> None:
    # the admin API lists manager types in this order (reference first, as PingFederate does)
    assert list(atm_types())[:2] == [reference.PLUGIN_ID, jwt_manager.PLUGIN_ID]
    assert atm_types()[jwt_manager.PLUGIN_ID] is jwt_manager.TYPE
    assert pcv_types()[simple.PLUGIN_ID] is simple.TYPE


def test_broken_add_ons_are_left_out(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    entries = [
        EntryPoint("ok", "tokensmith.sts.processors.username:PROCESSOR", "test.kind"),
        EntryPoint("missing", "no_such_module_anywhere:PROCESSOR", "test.kind"),
        EntryPoint("wrong-type", "tokensmith.sts.processors.saml:SAML20_ID", "test.kind"),
        EntryPoint("duplicate", "tokensmith.sts.processors.username:PROCESSOR", "test.kind"),
        EntryPoint("saml", "tokensmith.sts.processors.saml:SAML11_PROCESSOR", "test.kind"),
    ]
    monkeypatch.setattr(kind_module, "entry_points", lambda group: [e for e in entries if e.group == group])
    kind: PluginKind[ProcessorType] = PluginKind("token processor", "test.kind", ProcessorType,
                                                 lambda t: t.descriptor)
    assert kind.types() == {username.USERNAME_ID: username.PROCESSOR, saml.SAML11_ID: saml.SAML11_PROCESSOR}
    assert kind.descriptors()[saml.SAML11_ID] is saml.SAML11_PROCESSOR.descriptor
    assert kind.get("nope") is None
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "'missing' cannot be loaded" in messages
    assert "'wrong-type' is not a ProcessorType" in messages
    assert "reuses descriptor id " + username.USERNAME_ID in messages
