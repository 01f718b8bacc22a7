"""One error root for the whole service.

Hierarchy::

    TokensmithError
    ├── OAuthError            RFC 6749 error JSON (error, error_description), status 400/401
    │   └── TemporarilyUnavailable  503: token state unreachable or replication not acknowledged
    ├── AdminApiError         PingFederate ApiResult JSON (resultId, message, validationErrors)
    │   ├── BadRequest        400, malformed JSON
    │   ├── Unauthorized      401
    │   ├── Forbidden         403
    │   ├── NotFound          404
    │   ├── TooManyRequests   429, sign-ins throttled after repeated failures
    │   └── ValidationFailed  422, one or more FieldErrors naming a fieldPath
    ├── StsFault              WS-Trust SOAP fault (SOAP 1.1 or 1.2, wst: fault code)
    └── ConfigurationError    bad process settings (CLI), printed and exit 2

Each error renders itself for its protocol, so the HTTP glue never builds error bodies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson


class TokensmithError(Exception):
    """Root of every error raised on purpose by Tokensmith."""


class ConfigurationError(TokensmithError):
    """Invalid process settings (command line, environment, data directory)."""


# --------------------------------------------------------------------------- OAuth


class OAuthError(TokensmithError):
    """An RFC 6749 §5.2 error response."""

    status_code = 400

    malformed = ""  # which strict-parsing rule refused the input ("" for other errors); counted in metrics

    def __init__(self, error: str, description: str = "", status_code: int | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        if status_code is not None:
            self.status_code = status_code
        self.headers = headers or {}

    def body(self) -> bytes:
        payload: dict[str, str] = {"error": self.error}
        if self.description:
            payload["error_description"] = self.description
        return orjson.dumps(payload)


class TemporarilyUnavailable(OAuthError):
    """503 ``temporarily_unavailable``: the shared token state could not do its part in time (RFC 6749
    §4.1.2.1's code); the client may retry after ``Retry-After`` seconds."""

    def __init__(self, description: str, retry_after: int = 1) -> None:
        super().__init__("temporarily_unavailable", description, 503, {"retry-after": str(retry_after)})


def invalid_request(description: str) -> OAuthError:
    return OAuthError("invalid_request", description)


def invalid_client(description: str, basic: bool = False) -> OAuthError:
    headers = {"www-authenticate": 'Basic realm="tokensmith"'} if basic else {}
    return OAuthError("invalid_client", description, 401, headers)


# --------------------------------------------------------------------------- WS-Trust


class StsFault(TokensmithError):
    """A WS-Trust fault (WS-Trust 1.3 §11 codes such as ``InvalidRequest``, ``FailedAuthentication``,
    ``InvalidSecurityToken``, ``RequestFailed``), rendered as a SOAP 1.1 or 1.2 fault in the request's
    SOAP and WS-Trust versions by :func:`tokensmith.sts.soap.fault_response`."""

    def __init__(self, code: str, reason: str, status_code: int = 500, sender: bool = True,
                 headers: dict[str, str] | None = None, malformed: str = "") -> None:
        super().__init__(f"{code}: {reason}")
        self.malformed = malformed  # which strict-parsing rule refused the request ("" for other faults)
        self.code = code
        self.reason = reason
        self.status_code = status_code
        self.sender = sender
        self.headers = headers or {}


# --------------------------------------------------------------------------- admin API


@dataclass(frozen=True)
class FieldError:
    """One entry of ``ApiResult.validationErrors``."""

    field_path: str
    message: str
    error_id: str = "validation_error"

    def to_json(self) -> dict[str, str]:
        out = {"errorId": self.error_id, "message": self.message}
        if self.field_path:
            out["fieldPath"] = self.field_path
        return out


class AdminApiError(TokensmithError):
    status_code = 500
    result_id = "server_error"

    def __init__(self, message: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = list(errors or [])

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"resultId": self.result_id, "message": self.message}
        if self.errors:
            out["validationErrors"] = [e.to_json() for e in self.errors]
        return out

    def body(self) -> bytes:
        return orjson.dumps(self.to_json())


class BadRequest(AdminApiError):
    status_code = 400
    result_id = "invalid_json"


class Unauthorized(AdminApiError):
    status_code = 401
    result_id = "unauthorized"


class Forbidden(AdminApiError):
    status_code = 403
    result_id = "forbidden"


class NotFound(AdminApiError):
    status_code = 404
    result_id = "resource_not_found"

    def __init__(self, message: str = "Resource not found.") -> None:
        super().__init__(message)


class TooManyRequests(AdminApiError):
    status_code = 429
    result_id = "too_many_requests"


class ValidationFailed(AdminApiError):
    status_code = 422
    result_id = "validation_error"

    def __init__(self, errors: list[FieldError], message: str | None = None) -> None:
        super().__init__(message or "Validation error(s) occurred. See validationErrors for details.",
                         errors)


@dataclass
class ErrorCollector:
    """Gathers field errors so a request reports every problem at once, not just the first."""

    errors: list[FieldError] = field(default_factory=list)

    def add(self, path: str, message: str, error_id: str = "validation_error") -> None:
        self.errors.append(FieldError(path, message, error_id))

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)

    def __bool__(self) -> bool:
        return bool(self.errors)
