"""PingFederate's Username Token Processor: a WS-Security UsernameToken (PasswordText) checked
against password credential validators.

Validators run off the event loop (password hashes are slow on purpose); a pair just accepted is
answered from :mod:`tokensmith.pcv.verified`. Guessing is throttled through the node's shared
throttle (:mod:`tokensmith.state.throttle`), asked before the cache or any hash is looked at; the
processor's "Authentication Attempts" is its per-username (and address) limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from tokensmith.config.model import PCV, ConfigModel
from tokensmith.pcv.base import CredentialValidator, build_validator
from tokensmith.pcv.verified import VERIFIED_PASSWORDS
from tokensmith.plugins.configuration import NormalizedConfig
from tokensmith.plugins.descriptors import (
    FieldDescriptor,
    FieldType,
    PluginDescriptor,
    TableDescriptor,
    integer,
    unique_column,
)
from tokensmith.state.throttle import UNTHROTTLED
from tokensmith.sts.processors.base import CompileInput, Incoming, ManagerCheck, PasswordGuard, ProcessorType
from tokensmith.sts.tokens import Identity, TokenRefused

USERNAME_ID = "com.pingidentity.pf.tokenprocessors.username.UsernameTokenProcessor"
CREDENTIAL_VALIDATORS, PCV_COLUMN = "Credential Validators", "Password Credential Validator Instance"
F_ATTEMPTS = "Authentication Attempts"

DESCRIPTOR = PluginDescriptor(
    id=USERNAME_ID, name="Username Token Processor",
    description="Validates WS-Security UsernameTokens (PasswordText) against password credential validators.",
    fields=(FieldDescriptor(F_ATTEMPTS, FieldType.TEXT, "Failed attempts allowed for one username from one "
                            "address before it is locked out for a while (0: only the per-address limit).", "3",
                            required=True,
                            rules=(integer(0, 100),)),),
    tables=(TableDescriptor(CREDENTIAL_VALIDATORS, (
        FieldDescriptor(PCV_COLUMN, FieldType.SELECT, "A password credential validator id.", required=True),),
        description="Validators tried in order; the first that accepts the credentials wins.",
        rules=(unique_column(PCV_COLUMN),)),),
    core_attributes=("username",), supports_extended_contract=False, supports_parent=True,
)


@dataclass(frozen=True)
class UsernameProcessor:
    id: str
    validators: tuple[CredentialValidator, ...]
    attempts: int
    kinds: tuple[str, ...] = ("username",)

    async def process(self, token: Incoming, now: float, manager: ManagerCheck | None = None,
                      guard: PasswordGuard | None = None) -> Identity:
        if token.kind != "username":
            raise TokenRefused("This token processor accepts only UsernameTokens")
        attempt = await guard(token.username, self.attempts) if guard is not None else UNTHROTTLED
        for validator in self.validators:
            attrs = await VERIFIED_PASSWORDS.validate(validator, token.username, token.password, now)
            if attrs is not None:
                await attempt.succeeded()
                return Identity(subject=token.username, attributes={"username": token.username}, authn="password")
        await attempt.failed()
        raise TokenRefused("The username or password is not correct", "FailedAuthentication")


def _check(model: ConfigModel, config: NormalizedConfig) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    rows = config.table_rows(CREDENTIAL_VALIDATORS)
    if not rows:
        problems.append((f"configuration.tables[{CREDENTIAL_VALIDATORS}]",
                         "At least one password credential validator is required"))
    for i, row in enumerate(rows):
        pcv = row.get(PCV_COLUMN, "")
        if pcv and model.get(PCV, pcv) is None:
            problems.append((f"configuration.tables[{CREDENTIAL_VALIDATORS}].rows[{i}].fields[{PCV_COLUMN}]",
                             f"Password credential validator '{pcv}' does not exist"))
    return problems


def _compile(source: CompileInput) -> UsernameProcessor:
    validators = []
    for row in source.tables.get(CREDENTIAL_VALIDATORS, []):
        pcv = source.model.get(PCV, row.get(PCV_COLUMN, ""))
        validator = build_validator(pcv) if pcv is not None else None
        if validator is not None:
            validators.append(validator)
    return UsernameProcessor(source.instance_id, tuple(validators), int(source.values.get(F_ATTEMPTS) or 0))


PROCESSOR = ProcessorType(DESCRIPTOR, _compile, _check, exchange_types=())
