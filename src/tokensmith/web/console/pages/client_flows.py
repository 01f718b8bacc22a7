"""The OAuth client form's flow sections: authorization code and PKCE, refresh tokens and persistent
grants, device authorization.

The console saves through :mod:`tokensmith.admin.clients` directly, without the admin API's request
schema in front of it, so the checks that schema makes (a value from its list, a whole number) are made
here, on the text a form carries. Everything else (ranges, the override rules, URLs, response types) is
left to the resource service, whose messages land on these inputs through :data:`FIELDS`: the console
refuses what the API refuses, with the same words.

Override values (a grant lifetime, the device settings) are read only while their setting says
``OVERRIDE_SERVER_DEFAULT``; otherwise they stay as stored, so a client written by the admin API or
PingFederate's Terraform provider comes back from a console save member for member.
"""

from __future__ import annotations

from typing import Any, Literal, get_args, get_origin
from urllib.parse import urlsplit

from tokensmith.admin import clients
from tokensmith.admin.models import Client
from tokensmith.errors import ErrorCollector
from tokensmith.web.console.forms import checked, to_int
from tokensmith.web.console.web import FormInput

OVERRIDE = "OVERRIDE_SERVER_DEFAULT"
SERVER_DEFAULT = "SERVER_DEFAULT"
DEFAULT_UNIT = "DAYS"  # what the server assumes for an override without a unit
DEVICE_NUMBERS = (("pendingAuthorizationTimeoutOverride", "The pending authorization timeout"),
                  ("devicePollingIntervalOverride", "The polling interval"))
BYPASS = "bypassActivationCodeConfirmationOverride"
OFFLINE = ("requireOfflineAccessScopeToIssueRefreshTokens", "offlineAccessRequireConsentPrompt")
BYPASS_VALUES: dict[str, bool | None] = {"": None, "true": True, "false": False}
URL_PROBLEM = "must be an absolute http or https URL without a fragment"  # admin.authserver's words

FIELDS = ["requireProofKeyForCodeExchange", "bypassApprovalPage", "restrictedResponseTypes",
          "requirePushedAuthorizationRequests", "persistentGrantExpirationType", "persistentGrantExpirationTime",
          "persistentGrantExpirationTimeUnit", *OFFLINE, "deviceFlowSettingType", "userAuthorizationUrlOverride",
          *(key for key, _ in DEVICE_NUMBERS), BYPASS]

# Labels in the order the lists show them; a value the schema allows but that has no label here is
# still offered (after these), under its own name.
LABELS = {
    "persistentGrantExpirationType": {SERVER_DEFAULT: "Server default", "INDEFINITE_EXPIRY": "Never expire",
                                      OVERRIDE: "Override"},
    "persistentGrantExpirationTimeUnit": {"MINUTES": "Minutes", "HOURS": "Hours", "DAYS": "Days",
                                          "SECONDS": "Seconds"},
    "requireOfflineAccessScopeToIssueRefreshTokens": {SERVER_DEFAULT: "Server default", "YES": "Yes", "NO": "No"},
    "offlineAccessRequireConsentPrompt": {SERVER_DEFAULT: "Server default", "YES": "Yes", "NO": "No"},
    "deviceFlowSettingType": {SERVER_DEFAULT: "Server default", OVERRIDE: "Override"},
}
PROBLEMS = {
    "persistentGrantExpirationType": "Choose the server default, never expire or an override",
    "persistentGrantExpirationTimeUnit": "Choose a time unit: minutes, hours, days or seconds",
    "requireOfflineAccessScopeToIssueRefreshTokens": "Choose the server default, yes or no",
    "offlineAccessRequireConsentPrompt": "Choose the server default, yes or no",
    "deviceFlowSettingType": "Choose the server default or an override",
}


def choices(member: str) -> tuple[str, ...]:
    """The values the admin API's request schema allows for a client member (its ``Literal``), so the
    console offers and accepts the same list without keeping a copy of it."""
    for arg in get_args(Client.model_fields[member].annotation):
        if get_origin(arg) is Literal:
            return tuple(str(v) for v in get_args(arg))
    raise LookupError(f"{member} is not a choice of fixed values")


def _listed(member: str) -> list[tuple[str, str]]:
    allowed = choices(member)
    labels = LABELS[member]
    return ([(v, text) for v, text in labels.items() if v in allowed]
            + [(v, v) for v in allowed if v not in labels])


def options() -> dict[str, Any]:
    """The lists the template's selects and checklists offer."""
    return {"response_types": [(v, v) for v in clients.RESPONSE_TYPES],
            "bypass": [("", "Server setting"), ("true", "Yes: a code in the link needs no confirming"),
                       ("false", "No: the user confirms the code")],
            **{member: _listed(member) for member in LABELS}}


def parse(form: FormInput, body: dict[str, Any], errors: ErrorCollector) -> None:
    """Read the flow sections of a client form into ``body`` (the stored client, or the new one)."""
    for key in ("requireProofKeyForCodeExchange", "bypassApprovalPage", "requirePushedAuthorizationRequests"):
        body[key] = checked(form, key)
    picked = list(dict.fromkeys(form.getlist("restrictedResponseTypes")))
    if set(picked) != set(body.get("restrictedResponseTypes") or []):  # the same ticks keep the stored order
        body["restrictedResponseTypes"] = picked
    if _choice(form, body, "persistentGrantExpirationType", SERVER_DEFAULT, errors) == OVERRIDE:
        _number(form, body, "persistentGrantExpirationTime", "The grant lifetime", errors, required=True)
        _choice(form, body, "persistentGrantExpirationTimeUnit", DEFAULT_UNIT, errors)
    for key in OFFLINE:
        _choice(form, body, key, SERVER_DEFAULT, errors)
    if _choice(form, body, "deviceFlowSettingType", SERVER_DEFAULT, errors) == OVERRIDE:
        url = form.get("userAuthorizationUrlOverride").strip()
        _set(body, "userAuthorizationUrlOverride", url or None)
        if url and _unreadable(url):
            errors.add("userAuthorizationUrlOverride", f"userAuthorizationUrlOverride {URL_PROBLEM}")
        for key, label in DEVICE_NUMBERS:
            _number(form, body, key, label, errors, required=False)
        bypass = form.get(BYPASS)
        if bypass in BYPASS_VALUES:
            _set(body, BYPASS, BYPASS_VALUES[bypass])
        else:
            errors.add(BYPASS, "Choose the server setting, yes or no")


def _unreadable(url: str) -> bool:
    """Whether the URL parser gives up on the text (an unclosed ``[`` host): the resource service's own
    URL check would then fail instead of answering, so the console answers first, in its words."""
    try:
        urlsplit(url)
    except ValueError:
        return True
    return False


def _set(body: dict[str, Any], key: str, value: Any) -> None:
    """None leaves the member out (the admin API stores no nulls: left out means the server's value)."""
    if value is None:
        body.pop(key, None)
    else:
        body[key] = value


def _choice(form: FormInput, body: dict[str, Any], key: str, default: str, errors: ErrorCollector) -> str | None:
    """A select's value, or None after an error. The default chosen for a member the client does not
    hold leaves it out, as the admin API would have stored it."""
    value = form.get(key) or default
    if value not in choices(key):
        errors.add(key, PROBLEMS[key])
        return None
    if value != default or key in body:
        body[key] = value
    return value


def _number(form: FormInput, body: dict[str, Any], key: str, label: str, errors: ErrorCollector,
            required: bool) -> None:
    """A whole number; an optional one left blank is left out. Text that is no number stays in the
    redrawn form beside its error (nothing is saved while an error remains)."""
    text = form.get(key).strip()
    if not text and not required:
        body.pop(key, None)
        return
    number = to_int(text, key, errors, label)
    body[key] = text if number is None else number
