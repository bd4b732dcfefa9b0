"""API keys with read and write scopes. Keys are held as digests and compared in constant time."""

import hashlib
import hmac
from enum import IntEnum
from typing import Annotated

from fastapi import Depends, Request
from pydantic import SecretStr

from qa.errors import QAError


class Scope(IntEnum):
    READ = 1
    WRITE = 2


class Unauthorized(QAError):
    code = "unauthorized"
    status = 401


class Forbidden(QAError):
    code = "forbidden"
    status = 403


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


def require(scope: Scope):
    def check(request: Request) -> None:
        keys: KeyRing = request.app.state.keys
        if not keys.enabled:
            return
        presented = _presented_key(request)
        if presented is None:
            raise Unauthorized("an API key is required: send `Authorization: Bearer KEY` or `X-API-Key: KEY`")
        granted = keys.scope_of(presented)
        if granted is None:
            raise Unauthorized("the API key is not valid")
        if granted < scope:
            raise Forbidden("this API key may only read; writing needs a key with write scope")

    return check


ReadAccess = Annotated[None, Depends(require(Scope.READ))]
WriteAccess = Annotated[None, Depends(require(Scope.WRITE))]


def _presented_key(request: Request) -> str | None:
    authorization = request.headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.headers.get("x-api-key") or None


def _digest(key: str) -> bytes:
    # Equal-length digests, so compare_digest does not leak a key's length either.
    return hashlib.sha256(key.encode("utf-8")).digest()
