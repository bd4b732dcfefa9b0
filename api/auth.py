"""API keys with read and write scopes. Keys are held as digests and compared in constant time.

A key resolves to a grant: its scope, what it may read (an Access), and how often it may ask. Keys
set in QA_READ_KEYS and QA_WRITE_KEYS may read everything without a rate limit; keys from the keys
file (api.keys_file) may be limited in both.

The check runs in the request guard, before a body is read, so a client without a valid key
cannot make the server parse anything.
"""

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import IntEnum

from pydantic import SecretStr
from starlette.datastructures import Headers

from api.rate_limit import RateLimit
from qa.access import EVERYTHING, Access
from qa.errors import CodedError

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
WRITE_PATHS = ("/v1/articles", "/v1/sources")


class Scope(IntEnum):
    READ = 1
    WRITE = 2


class Unauthorized(CodedError):
    code = "unauthorized"


class Forbidden(CodedError):
    code = "forbidden"


@dataclass(frozen=True)
class Grant:
    """What the holder of one key may do. `name` says which key in logs and errors; it is never the key."""

    name: str
    scope: Scope
    access: Access = EVERYTHING
    rate_limit: RateLimit | None = None

    @property
    def view(self) -> Access:
        """What the holder reads: its access; a key that may write (a CMS) also reads back the records of
        the articles it sent under embargo, which no answer, search or quote ever holds before its time."""
        return replace(self.access, sees_embargoed=True) if self.scope >= Scope.WRITE else self.access


# Anyone's grant when no key is configured: the API is open.
ANYONE = Grant("anyone", Scope.WRITE)


@dataclass(frozen=True)
class HashedKey:
    digest: bytes  # sha256 of the key
    grant: Grant


class KeyRing:
    def __init__(self, read_keys: list[SecretStr], write_keys: list[SecretStr],
                 file_keys: Sequence[HashedKey] = ()) -> None:
        self._keys = settings_keys(read_keys, write_keys) + list(file_keys)

    @property
    def enabled(self) -> bool:
        return bool(self._keys)

    @property
    def grants(self) -> list[Grant]:
        return [key.grant for key in self._keys]

    def grant_of(self, presented: str) -> Grant | None:
        """The grant of the matching key with the widest scope (the first of equals); every key is
        compared, so timing reveals nothing."""
        digest = digest_of(presented)
        granted = None
        for known in self._keys:
            if hmac.compare_digest(known.digest, digest) and (granted is None or known.grant.scope > granted.scope):
                granted = known.grant
        return granted

    def scope_of(self, presented: str) -> Scope | None:
        granted = self.grant_of(presented)
        return None if granted is None else granted.scope

    def check(self, method: str, path: str, headers: Headers) -> Grant:
        """The grant of the request's key; raises Unauthorized or Forbidden unless that key may do this."""
        if not self.enabled:
            return ANYONE
        presented = _presented_key(headers)
        if presented is None:
            raise Unauthorized("an API key is required: send `Authorization: Bearer KEY` or `X-API-Key: KEY`")
        granted = self.grant_of(presented)
        if granted is None:
            raise Unauthorized("the API key is not valid")
        if granted.scope < required_scope(method, path):
            raise Forbidden("this API key may only read; writing needs a key with write scope")
        return granted


def settings_keys(read_keys: list[SecretStr], write_keys: list[SecretStr]) -> list[HashedKey]:
    """The keys of QA_READ_KEYS and QA_WRITE_KEYS, named by their place there: read-key-1, write-key-1, ..."""
    return [
        HashedKey(digest_of(key.get_secret_value()), Grant(f"{scope.name.lower()}-key-{number}", scope))
        for keys, scope in ((read_keys, Scope.READ), (write_keys, Scope.WRITE))
        for number, key in enumerate(keys, 1)
    ]


def required_scope(method: str, path: str) -> Scope:
    return Scope.WRITE if method in WRITE_METHODS and path.startswith(WRITE_PATHS) else Scope.READ


def digest_of(key: str) -> bytes:
    # Equal-length digests, so compare_digest does not leak a key's length either.
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).digest()


def _presented_key(headers: Headers) -> str | None:
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return headers.get("x-api-key") or None
