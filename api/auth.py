"""API keys with read and write scopes. Keys are held as digests and compared in constant time.

The check runs in the request guard, before a body is read, so a client without a valid key
cannot make the server parse anything.
"""

import hashlib
import hmac
from enum import IntEnum

from pydantic import SecretStr
from starlette.datastructures import Headers

from qa.errors import CodedError

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
WRITE_PATHS = ("/v1/articles",)


class Scope(IntEnum):
    READ = 1
    WRITE = 2


class Unauthorized(CodedError):
    code = "unauthorized"


class Forbidden(CodedError):
    code = "forbidden"


class KeyRing:
    def __init__(self, read_keys: list[SecretStr], write_keys: list[SecretStr]) -> None:
        self._keys = [(_digest(k.get_secret_value()), Scope.READ) for k in read_keys]
        self._keys += [(_digest(k.get_secret_value()), Scope.WRITE) for k in write_keys]

    @property
    def enabled(self) -> bool:
        return bool(self._keys)

    def scope_of(self, presented: str) -> Scope | None:
        """The widest scope of a matching key; every key is compared, so timing reveals nothing."""
        digest = _digest(presented)
        granted = None
        for known, scope in self._keys:
            if hmac.compare_digest(known, digest) and (granted is None or scope > granted):
                granted = scope
        return granted

    def check(self, method: str, path: str, headers: Headers) -> None:
        """Raises Unauthorized or Forbidden unless the request's key may do this."""
        if not self.enabled:
            return
        presented = _presented_key(headers)
        if presented is None:
            raise Unauthorized("an API key is required: send `Authorization: Bearer KEY` or `X-API-Key: KEY`")
        granted = self.scope_of(presented)
        if granted is None:
            raise Unauthorized("the API key is not valid")
        if granted < required_scope(method, path):
            raise Forbidden("this API key may only read; writing needs a key with write scope")


def required_scope(method: str, path: str) -> Scope:
    return Scope.WRITE if method in WRITE_METHODS and path.startswith(WRITE_PATHS) else Scope.READ


def _presented_key(headers: Headers) -> str | None:
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return headers.get("x-api-key") or None


def _digest(key: str) -> bytes:
    # Equal-length digests, so compare_digest does not leak a key's length either.
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).digest()
