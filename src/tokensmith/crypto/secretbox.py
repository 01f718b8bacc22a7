"""Encrypted values in the admin API's ``OBF:JWE:`` form, and digests of client secrets.

* ``encrypt``/``decrypt``: a compact JWE (``alg=dir``, ``enc=A256GCM``) under a key derived from
  the master key, prefixed ``OBF:JWE:`` like PingFederate's ``encryptedValue``/``encryptedSecret``.
  Passing such a value back on PUT keeps the stored secret.
* ``digest``/``verify``: HMAC-SHA256 of a client secret under a second derived key. Generated client
  secrets are high-entropy, so a keyed fast hash is enough and keeps the token path cheap; human
  passwords use :mod:`tokensmith.crypto.passwords` instead.
"""

from __future__ import annotations

import hmac

from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from tokensmith.crypto.masterkey import MasterKey

PREFIX = "OBF:JWE:"


class SecretBoxError(ValueError):
    """The value was not produced by this node's master key, or has been altered."""


class SecretBox:
    def __init__(self, master: MasterKey) -> None:
        self._key = OctKey.import_key(master.encryption_key)
        self._hash_key = master.hashing_key
        self._kid = master.key_id

    def encrypt(self, plaintext: str) -> str:
        header = {"alg": "dir", "enc": "A256GCM", "kid": self._kid}
        return PREFIX + jwe.encrypt_compact(header, plaintext.encode("utf-8"), self._key)

    def decrypt(self, value: str) -> str:
        if not value.startswith(PREFIX):
            raise SecretBoxError("not an encrypted value")
        try:
            obj = jwe.decrypt_compact(value[len(PREFIX):], self._key)
        except (JoseError, ValueError) as exc:
            raise SecretBoxError("cannot decrypt value with this server's key") from exc
        if obj.plaintext is None:
            raise SecretBoxError("empty encrypted value")
        return obj.plaintext.decode("utf-8")

    def digest(self, secret: str) -> bytes:
        return hmac.digest(self._hash_key, secret.encode("utf-8"), "sha256")

    def verify(self, secret: str, expected_digest: bytes) -> bool:
        return hmac.compare_digest(self.digest(secret), expected_digest)
