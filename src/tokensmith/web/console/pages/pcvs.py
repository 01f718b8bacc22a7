"""Authentication > Password Credential Validators (any registered type)."""

from __future__ import annotations

from tokensmith.admin import pcvs
from tokensmith.config.model import PCV
from tokensmith.web.console.parts import contract_part
from tokensmith.web.console.plugin_pages import PluginResource
from tokensmith.web.console.web import AUTHENTICATION, Console

RESOURCE = PluginResource(
    path="/authentication/password-credential-validators", section=AUTHENTICATION,
    title="Password Credential Validators", singular="password credential validator", kind=PCV,
    types=lambda deps: deps.pcv_types, create=pcvs.create, update=pcvs.update,
    delete=lambda _deps, model, pcv_id: pcvs.delete(model, pcv_id),
    parts=(contract_part(multi_valued=False, subject=False),),
    intro="Validators check usernames and passwords for the resource owner password grant and for "
          "mappings in a validator's context.",
)


def register(console: Console) -> None:
    RESOURCE.register(console)
