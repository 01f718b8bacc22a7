"""The mutable configuration model that admin writes work on.

Documents are plain JSON objects keyed by kind and id, kept in creation order. Kinds used:

* ``atm`` access token managers, ``client`` OAuth clients, ``mapping`` access token mappings,
  ``pcv`` password credential validators, ``keypair`` signing key pairs;
* ``settings`` singletons: ``atm`` (default manager), ``authServer`` (scopes and grants);
* WS-Trust STS: ``tokenGenerator``, ``tokenProcessor``, ``t2tMapping`` (processor-to-generator
  mappings), ``idpConnection`` (SP-side STS partners), ``spConnection`` (IdP-side STS partners, chosen
  by AppliesTo), ``trustedCa`` (trusted CA certificates), and the settings singletons
  ``generalSettings``, ``wsTrustSts`` and ``serverSettings``;
* OAuth token exchange: ``txProcessorPolicy`` (processor policies), ``txGeneratorGroup`` (generator
  groups), ``txGeneratorMapping`` (processor-policy-to-generator mappings) and the settings singletons
  ``txProcessorSettings`` and ``txGeneratorSettings``.
"""

from __future__ import annotations

import copy
from typing import Any

Doc = dict[str, Any]

ATM = "atm"
CLIENT = "client"
MAPPING = "mapping"
PCV = "pcv"
KEYPAIR = "keypair"
SETTINGS = "settings"
TOKEN_GENERATOR = "tokenGenerator"
TOKEN_PROCESSOR = "tokenProcessor"
T2T_MAPPING = "t2tMapping"
IDP_CONNECTION = "idpConnection"
SP_CONNECTION = "spConnection"
TRUSTED_CA = "trustedCa"
TX_POLICY = "txProcessorPolicy"
TX_GROUP = "txGeneratorGroup"
TX_MAPPING = "txGeneratorMapping"


class ConfigModel:
    def __init__(self) -> None:
        self._docs: dict[str, dict[str, Doc]] = {}
        self.changed: list[tuple[str, str]] = []
        self.deleted: set[tuple[str, str]] = set()
        self.version = 0

    def load(self, kind: str, doc_id: str, body: Doc) -> None:
        self._docs.setdefault(kind, {})[doc_id] = body

    def mark_clean(self) -> None:
        self.changed = []
        self.deleted = set()

    @property
    def dirty(self) -> bool:
        return bool(self.changed or self.deleted)

    def get(self, kind: str, doc_id: str) -> Doc | None:
        return self._docs.get(kind, {}).get(doc_id)

    def all(self, kind: str) -> list[Doc]:
        return list(self._docs.get(kind, {}).values())

    def ids(self, kind: str) -> list[str]:
        return list(self._docs.get(kind, {}))

    def put(self, kind: str, doc_id: str, body: Doc) -> None:
        self._docs.setdefault(kind, {})[doc_id] = body
        self.deleted.discard((kind, doc_id))
        if (kind, doc_id) not in self.changed:
            self.changed.append((kind, doc_id))

    def delete(self, kind: str, doc_id: str) -> None:
        self._docs.get(kind, {}).pop(doc_id, None)
        if (kind, doc_id) in self.changed:
            self.changed.remove((kind, doc_id))
        self.deleted.add((kind, doc_id))

    def setting(self, name: str) -> Doc | None:
        return self.get(SETTINGS, name)

    def copy(self) -> ConfigModel:
        other = ConfigModel()
        other._docs = copy.deepcopy(self._docs)
        other.version = self.version
        return other
