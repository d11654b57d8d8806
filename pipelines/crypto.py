"""Sealing recipes for paxshare: HPKE (RFC 9180) encryption to a recipient key, Ed25519 signatures.

A small layer over ``cryptography`` (>= 46; HPKE from its ``hazmat.primitives.hpke``) with safe
defaults: callers never choose primitives, nonces or encodings, only a *suite name*, and every key
carries a *key id* so that files say which key opens them and rotation keeps old files readable.
This module never imports Beam and never logs; private keys refuse ``repr``-leaks and pickling.

API
---
Suites: ``"x25519"`` (default; DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305) and
``"mlkem768-x25519"`` (hybrid post-quantum KEM ML-KEM-768 + X25519, HKDF-SHA256,
ChaCha20-Poly1305). Signatures: Ed25519.

Keys::

    generate_recipient_key(key_id: str, suite: str = "x25519", *, name: str | None = None,
                           generation: int = 1) -> RecipientPrivateKey
    generate_signing_key(key_id: str, *, name=None, generation=1) -> SigningKey
    key.public_key() -> RecipientPublicKey | VerifyKey        # .key_id .suite .name .generation
    key.fingerprint -> str                                   # "sha256:<hex>" of the public key

Key files (see "File format" below)::

    save_private_key(key, path)        # mode 0600; refuses to overwrite (FileExistsError)
    save_public_key(key, path)         # mode 0644; refuses to overwrite; key may be private or public
    load_public_key(path) -> RecipientPublicKey
    load_private_keys(paths_or_dir) -> Keyring   # every recipient private key (*.key.json) by key id
    load_signing_key(path) -> SigningKey
    load_verify_key(path) -> VerifyKey
    load_verify_keys(dir) -> dict[str, VerifyKey] # every signing public key in a folder, for trusted_signers
    parse_public_key(data: bytes, source="") / parse_private_key(data, source="")  # from bytes (e.g. Beam FileSystems)
    load_key_file(path) -> any key; iter_key_files(dir) -> (path, public facts) per key file, secrets unparsed
    Keyring(keys=()) -> Mapping[key_id, RecipientPrivateKey]; .add(key)
    current_public_key_path(keys_dir, name) -> Path   # newest generation of a key name (after rotation)
    current_signing_key_path(keys_dir, name) -> Path
    current_public_keys(keys_dir) -> {(kind, name): newest public key}  # any filesystem (pipelines.storage)
    read_private_key(path) -> private key from any filesystem
    private_key_file_name(key_id) -> "<key_id>.key.json"; public_key_file_name(key_id) -> "<key_id>.pub.json"

Sealing::

    seal(plaintext: bytes, recipient: RecipientPublicKey, aad: bytes,
         signer: SigningKey | None = None) -> bytes
    open_sealed(blob: bytes, keyring: Keyring, aad: bytes,
                trusted_signers: dict[str, VerifyKey] | None = None, source: str = "") -> bytes
    envelope_info(blob, source="") -> EnvelopeInfo      # suite, recipient/signer key ids; no decryption

``open_sealed`` raises ``SealError`` (a ``ValueError``); its message starts with ``source`` (e.g.
the file name) and says which check failed: malformed envelope, recipient key id not in the keyring
(misaddressed), unsigned / untrusted signer / bad signature (tampered after signing), associated
data mismatch (wrong recipient, file or schema version), or failed decryption (tampered
ciphertext). Messages carry key ids and fingerprints only, never key or plaintext bytes.
``trusted_signers=None`` skips the sender check (the AEAD still authenticates the content against
the recipient's key); pass the pipeline's verify keys wherever the sender matters.

Envelope (all integers big-endian)::

    b"PXSEAL" | u8 format version (1) | u8 suite (1 x25519, 2 mlkem768-x25519)
    | u16 len + recipient key id (UTF-8) | u16 len + signer key id (empty when unsigned)
    | 32-byte SHA-256 of the aad                                  -- end of "header"
    | u32 len + HPKE output (encapsulated key || ciphertext)
    | u16 len + Ed25519 signature (empty when unsigned)

The header is the HPKE ``info``, so recipient id, signer id, suite and aad are bound into the key
schedule: changing any of them makes decryption fail. The signature covers
``b"paxshare-seal-signature-v1\\0" + header + u32 len + HPKE output``.

File format
-----------
One JSON document per key file, UTF-8::

    {"format": "paxshare-key", "version": 1, "kind": "recipient" | "signing",
     "part": "private" | "public", "key_id": "jpau-yvr.2", "name": "jpau-yvr", "generation": 2,
     "suite": "x25519" | "mlkem768-x25519" | "ed25519", "created_utc": "2026-...Z",
     "fingerprint": "sha256:...", "components": {"x25519": "<PEM>", "mlkem768": "<PEM>"}}

Components are PEM: SubjectPublicKeyInfo for public parts, PKCS#8 for private parts, encrypted
with ``BestAvailableEncryption`` when a passphrase is set (``PAXSHARE_KEY_PASSPHRASE``, or a
provider installed with ``set_passphrase_provider``, e.g. a KMS hook); file mode 0600 is required
either way (``load_*`` refuses private files readable by group or others).
Hybrid keys store their ML-KEM-768 and X25519 halves separately; Ed25519 keys use ``"ed25519"``.
Rotation: keys with the same ``name`` form a lineage; the highest ``generation`` is current.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import json
import os
import re
import stat
import struct
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hpke, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, mlkem, x25519

from pipelines import storage

__all__ = [
    "SUITES",
    "DEFAULT_SUITE",
    "CryptoError",
    "KeyFileError",
    "SealError",
    "RecipientPrivateKey",
    "RecipientPublicKey",
    "SigningKey",
    "VerifyKey",
    "Keyring",
    "EnvelopeInfo",
    "generate_recipient_key",
    "generate_signing_key",
    "save_private_key",
    "save_public_key",
    "load_public_key",
    "load_private_keys",
    "load_signing_key",
    "load_verify_key",
    "load_verify_keys",
    "parse_public_key",
    "parse_private_key",
    "load_key_file",
    "iter_key_files",
    "is_key_folder",
    "current_public_key_path",
    "current_signing_key_path",
    "private_key_file_name",
    "public_key_file_name",
    "seal",
    "open_sealed",
    "envelope_info",
]

X25519 = "x25519"
HYBRID = "mlkem768-x25519"
ED25519 = "ed25519"
DEFAULT_SUITE = X25519

#: suite name -> (envelope code, HPKE suite parameters)
_SUITE_TABLE: dict[str, tuple[int, Any, Any, Any]] = {
    X25519: (1, hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305),
    HYBRID: (2, hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305),
}
SUITES: tuple[str, ...] = tuple(_SUITE_TABLE)
_SUITE_BY_CODE = {code: name for name, (code, *_rest) in _SUITE_TABLE.items()}

KEY_FILE_FORMAT = "paxshare-key"
KEY_FILE_VERSION = 1
PRIVATE_SUFFIX = ".key.json"
PUBLIC_SUFFIX = ".pub.json"

_MAGIC = b"PXSEAL"
_ENVELOPE_VERSION = 1
_SIGNATURE_CONTEXT = b"paxshare-seal-signature-v1\x00"
_KEY_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class CryptoError(Exception):
    """Base class for paxshare crypto errors."""


class KeyFileError(CryptoError, ValueError):
    """A key file is missing, malformed, of the wrong kind, or has unsafe permissions."""


class SealError(CryptoError, ValueError):
    """A sealed envelope could not be opened; the message names the source and the failed check."""


def _suite(name: str) -> hpke.Suite:
    _code, kem, kdf, aead = _SUITE_TABLE[name]
    return hpke.Suite(kem, kdf, aead)


def _check_key_id(key_id: str) -> str:
    if not isinstance(key_id, str) or not _KEY_ID_RE.match(key_id):
        raise ValueError(
            f"invalid key id {key_id!r}: use 1-64 characters A-Z a-z 0-9 . _ -, starting with a letter or digit"
        )
    return key_id


def _check_suite(suite: str) -> str:
    if suite not in _SUITE_TABLE:
        raise ValueError(f"unknown suite {suite!r}; choose one of {', '.join(SUITES)}")
    return suite


def _now_utc() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _spki_pem(key: Any) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


#: Environment variable holding the passphrase that encrypts private key files (PKCS#8 with
#: ``BestAvailableEncryption``); a KMS or secret manager can supply it instead through
#: ``set_passphrase_provider``.
PASSPHRASE_ENV = "PAXSHARE_KEY_PASSPHRASE"


def _env_passphrase() -> bytes | None:
    value = os.environ.get(PASSPHRASE_ENV)
    return value.encode("utf-8") if value else None


_passphrase_provider = _env_passphrase


def set_passphrase_provider(provider) -> None:
    """Where private-key passphrases come from: a callable returning bytes or None (default: the
    ``PAXSHARE_KEY_PASSPHRASE`` environment variable). A KMS hook decrypts a data key here."""
    global _passphrase_provider
    _passphrase_provider = provider or _env_passphrase


def _pkcs8_pem(key: Any, passphrase: bytes | None = None) -> str:
    encryption = (serialization.BestAvailableEncryption(passphrase) if passphrase
                  else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption).decode("ascii")


def _raw_public(key: Any) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _fingerprint(suite: str, components: Mapping[str, Any]) -> str:
    """SHA-256 over the suite name and the raw public components, in a fixed order."""
    digest = hashlib.sha256(b"paxshare-key-fingerprint-v1\x00" + suite.encode() + b"\x00")
    for label in sorted(components):
        raw = _raw_public(components[label])
        digest.update(label.encode() + b"\x00" + struct.pack(">I", len(raw)) + raw)
    return "sha256:" + digest.hexdigest()


# --------------------------------------------------------------------------------------- keys


@dataclasses.dataclass(frozen=True, repr=False)
class _KeyMeta:
    key_id: str
    suite: str
    name: str
    generation: int
    created_utc: str


class _KeyBase:
    """Shared metadata and a repr that shows ids and fingerprints only."""

    kind: str = ""
    part: str = ""

    def __init__(self, meta: _KeyMeta, components: dict[str, Any]):
        self._meta = meta
        self._components = components

    key_id = property(lambda self: self._meta.key_id)
    suite = property(lambda self: self._meta.suite)
    name = property(lambda self: self._meta.name)
    generation = property(lambda self: self._meta.generation)
    created_utc = property(lambda self: self._meta.created_utc)

    @property
    def fingerprint(self) -> str:
        return _fingerprint(self.suite, self._public_components())

    def _public_components(self) -> dict[str, Any]:
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """Public facts about the key (never secret material), e.g. for ``paxshare keys list``."""
        return {
            "key_id": self.key_id,
            "name": self.name,
            "generation": self.generation,
            "kind": self.kind,
            "part": self.part,
            "suite": self.suite,
            "created_utc": self.created_utc,
            "fingerprint": self.fingerprint,
        }

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.key_id} {self.suite} {self.fingerprint[:23]}>"

    __str__ = __repr__


class _PrivateMixin:
    """Private keys refuse pickling so they never travel inside a Beam graph or a cache."""

    def __reduce__(self):  # noqa: D401
        raise TypeError(
            f"{type(self).__name__} {self.key_id!r} cannot be pickled; load it where it is used "
            "(e.g. in a DoFn's setup()) instead"
        )

    def __copy__(self):
        raise TypeError(f"{type(self).__name__} cannot be copied")

    def __deepcopy__(self, memo):
        raise TypeError(f"{type(self).__name__} cannot be copied")


class RecipientPublicKey(_KeyBase):
    """Public half of a recipient key: what senders seal to."""

    kind, part = "recipient", "public"

    def _public_components(self) -> dict[str, Any]:
        return self._components

    def _hpke_key(self) -> Any:
        if self.suite == HYBRID:
            return hpke.MLKEM768X25519PublicKey(self._components["mlkem768"], self._components["x25519"])
        return self._components["x25519"]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RecipientPublicKey) and (self.key_id, self.fingerprint) == (other.key_id, other.fingerprint)

    def __hash__(self) -> int:
        return hash((self.key_id, self.fingerprint))

    def __reduce__(self):
        return (parse_public_key, (_key_document(self, private=False).encode("utf-8"),))


class RecipientPrivateKey(_PrivateMixin, _KeyBase):
    """Private half of a recipient key: opens envelopes addressed to ``key_id``."""

    kind, part = "recipient", "private"

    def _public_components(self) -> dict[str, Any]:
        return {label: key.public_key() for label, key in self._components.items()}

    def public_key(self) -> RecipientPublicKey:
        return RecipientPublicKey(self._meta, self._public_components())

    def _hpke_key(self) -> Any:
        if self.suite == HYBRID:
            return hpke.MLKEM768X25519PrivateKey(self._components["mlkem768"], self._components["x25519"])
        return self._components["x25519"]


class VerifyKey(_KeyBase):
    """Ed25519 public key that checks the pipeline's signatures."""

    kind, part = "signing", "public"

    def _public_components(self) -> dict[str, Any]:
        return self._components

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            self._components[ED25519].verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VerifyKey) and (self.key_id, self.fingerprint) == (other.key_id, other.fingerprint)

    def __hash__(self) -> int:
        return hash((self.key_id, self.fingerprint))

    def __reduce__(self):
        return (parse_public_key, (_key_document(self, private=False).encode("utf-8"),))


class SigningKey(_PrivateMixin, _KeyBase):
    """Ed25519 private key the pipeline signs envelopes with."""

    kind, part = "signing", "private"

    def _public_components(self) -> dict[str, Any]:
        return {ED25519: self._components[ED25519].public_key()}

    def public_key(self) -> VerifyKey:
        return VerifyKey(self._meta, self._public_components())

    def sign(self, message: bytes) -> bytes:
        return self._components[ED25519].sign(message)


class Keyring(Mapping[str, RecipientPrivateKey]):
    """Recipient private keys by key id; old generations stay here so old files still open."""

    def __init__(self, keys: Iterable[RecipientPrivateKey] = ()):
        self._keys: dict[str, RecipientPrivateKey] = {}
        for key in keys:
            self.add(key)

    def add(self, key: RecipientPrivateKey) -> None:
        if not isinstance(key, RecipientPrivateKey):
            raise TypeError(f"a Keyring holds RecipientPrivateKey objects, not {type(key).__name__}")
        existing = self._keys.get(key.key_id)
        if existing is not None and existing.fingerprint != key.fingerprint:
            raise KeyFileError(f"two different keys share the key id {key.key_id!r}")
        self._keys[key.key_id] = key

    def __getitem__(self, key_id: str) -> RecipientPrivateKey:
        return self._keys[key_id]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._keys))

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"<Keyring {', '.join(self) or 'empty'}>"

    def __reduce__(self):
        raise TypeError("a Keyring holds private keys and cannot be pickled")


def _meta(key_id: str, suite: str, name: str | None, generation: int) -> _KeyMeta:
    _check_key_id(key_id)
    if name is not None:
        _check_key_id(name)
    if not isinstance(generation, int) or generation < 1:
        raise ValueError(f"generation must be a positive integer, not {generation!r}")
    return _KeyMeta(key_id, suite, name or key_id, generation, _now_utc())


def generate_recipient_key(
    key_id: str, suite: str = DEFAULT_SUITE, *, name: str | None = None, generation: int = 1
) -> RecipientPrivateKey:
    """A fresh recipient key pair for ``suite`` ("x25519" or "mlkem768-x25519")."""
    _check_suite(suite)
    components: dict[str, Any] = {X25519: x25519.X25519PrivateKey.generate()}
    if suite == HYBRID:
        components["mlkem768"] = mlkem.MLKEM768PrivateKey.generate()
    return RecipientPrivateKey(_meta(key_id, suite, name, generation), components)


def generate_signing_key(key_id: str, *, name: str | None = None, generation: int = 1) -> SigningKey:
    """A fresh Ed25519 signing key."""
    return SigningKey(_meta(key_id, ED25519, name, generation), {ED25519: ed25519.Ed25519PrivateKey.generate()})


# ---------------------------------------------------------------------------------- key files


def private_key_file_name(key_id: str) -> str:
    return _check_key_id(key_id) + PRIVATE_SUFFIX


def public_key_file_name(key_id: str) -> str:
    return _check_key_id(key_id) + PUBLIC_SUFFIX


def _key_document(key: _KeyBase, *, private: bool, passphrase: bytes | None = None) -> str:
    if private:
        components = {label: _pkcs8_pem(part, passphrase) for label, part in key._components.items()}
    else:
        components = {label: _spki_pem(part) for label, part in key._public_components().items()}
    document = {
        "format": KEY_FILE_FORMAT,
        "version": KEY_FILE_VERSION,
        "kind": key.kind,
        "part": "private" if private else "public",
        "key_id": key.key_id,
        "name": key.name,
        "generation": key.generation,
        "suite": key.suite,
        "created_utc": key.created_utc,
        "fingerprint": key.fingerprint,
        "components": components,
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def _write_exclusive(path: Path, text: str, mode: int) -> None:
    """Create ``path`` with ``mode``; never overwrite an existing file."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise FileExistsError(f"{path}: key file already exists; refusing to overwrite it") from None
    try:
        os.fchmod(fd, mode)  # exact mode, whatever the umask
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            fd = -1
            handle.write(text)
    except BaseException:
        if fd != -1:
            os.close(fd)
        path.unlink(missing_ok=True)
        raise


def save_private_key(key: RecipientPrivateKey | SigningKey, path: str | os.PathLike,
                     passphrase: bytes | None = None) -> Path:
    """Write a private key file readable by its owner only (0600); refuses to overwrite. Its PEM
    parts are encrypted (PKCS#8, ``BestAvailableEncryption``) with ``passphrase``, or with the
    passphrase provider's (``PAXSHARE_KEY_PASSPHRASE``) when none is given and one is set."""
    if not isinstance(key, (RecipientPrivateKey, SigningKey)):
        raise TypeError(f"save_private_key needs a private key, not {type(key).__name__}")
    path = Path(path)
    passphrase = passphrase if passphrase is not None else _passphrase_provider()
    _write_exclusive(path, _key_document(key, private=True, passphrase=passphrase), 0o600)
    return path


def save_public_key(key: _KeyBase, path: str | os.PathLike) -> Path:
    """Write the public half of ``key`` (0644); refuses to overwrite."""
    if not isinstance(key, _KeyBase):
        raise TypeError(f"save_public_key needs a paxshare key, not {type(key).__name__}")
    path = Path(path)
    _write_exclusive(path, _key_document(key, private=False), 0o644)
    return path


def _parse_document(data: bytes, source: str) -> dict[str, Any]:
    label = source or "key file"
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise KeyFileError(f"{label}: not a paxshare key file (not UTF-8 JSON)") from None
    if not isinstance(document, dict) or document.get("format") != KEY_FILE_FORMAT:
        raise KeyFileError(f"{label}: not a paxshare key file (format is not {KEY_FILE_FORMAT!r})")
    if document.get("version") != KEY_FILE_VERSION:
        raise KeyFileError(f"{label}: unsupported key file version {document.get('version')!r}")
    for field in ("kind", "part", "key_id", "suite", "components"):
        if field not in document:
            raise KeyFileError(f"{label}: key file lacks {field!r}")
    try:
        _check_key_id(document["key_id"])
    except ValueError as error:
        raise KeyFileError(f"{label}: {error}") from None
    return document


def _expected_components(kind: str, suite: str) -> set[str]:
    if kind == "signing" and suite == ED25519:
        return {ED25519}
    if kind == "recipient" and suite == X25519:
        return {X25519}
    if kind == "recipient" and suite == HYBRID:
        return {X25519, "mlkem768"}
    return set()


_COMPONENT_TYPES = {
    ("public", X25519): x25519.X25519PublicKey,
    ("public", "mlkem768"): mlkem.MLKEM768PublicKey,
    ("public", ED25519): ed25519.Ed25519PublicKey,
    ("private", X25519): x25519.X25519PrivateKey,
    ("private", "mlkem768"): mlkem.MLKEM768PrivateKey,
    ("private", ED25519): ed25519.Ed25519PrivateKey,
}


def _build_key(document: dict[str, Any], source: str) -> _KeyBase:
    label = source or "key file"
    kind, part, suite = document["kind"], document["part"], document["suite"]
    expected = _expected_components(kind, suite)
    components_text = document["components"]
    if not expected or part not in ("public", "private"):
        raise KeyFileError(f"{label}: unsupported key kind/part/suite {kind}/{part}/{suite}")
    if not isinstance(components_text, dict) or set(components_text) != expected:
        raise KeyFileError(f"{label}: components must be exactly {sorted(expected)}")
    components: dict[str, Any] = {}
    for component, pem in components_text.items():
        try:
            data = str(pem).encode("ascii")
            if part == "public":
                value = serialization.load_pem_public_key(data)
            elif b"ENCRYPTED" in data.split(b"\n", 1)[0]:
                passphrase = _passphrase_provider()
                if not passphrase:
                    raise KeyFileError(f"{label}: the private key is encrypted; give its passphrase "
                                       f"({PASSPHRASE_ENV} or a passphrase provider)")
                try:
                    value = serialization.load_pem_private_key(data, password=passphrase)
                except ValueError:
                    raise KeyFileError(f"{label}: wrong passphrase for the encrypted private key") from None
            else:
                value = serialization.load_pem_private_key(data, password=None)
        except KeyFileError:
            raise
        except (ValueError, TypeError, UnicodeEncodeError):
            raise KeyFileError(f"{label}: component {component!r} is not a valid PEM key") from None
        if not isinstance(value, _COMPONENT_TYPES[(part, component)]):
            raise KeyFileError(f"{label}: component {component!r} holds a {type(value).__name__}")
        components[component] = value
    meta = _KeyMeta(
        document["key_id"],
        suite,
        str(document.get("name") or document["key_id"]),
        int(document.get("generation") or 1),
        str(document.get("created_utc") or ""),
    )
    cls = {
        ("recipient", "public"): RecipientPublicKey,
        ("recipient", "private"): RecipientPrivateKey,
        ("signing", "public"): VerifyKey,
        ("signing", "private"): SigningKey,
    }[(kind, part)]
    key = cls(meta, components)
    recorded = document.get("fingerprint")
    if recorded is not None and recorded != key.fingerprint:
        raise KeyFileError(f"{label}: fingerprint does not match the key material (file altered?)")
    return key


def parse_public_key(data: bytes, source: str = "") -> RecipientPublicKey | VerifyKey:
    """A public key (recipient or verify) from key file bytes, e.g. read through Beam FileSystems."""
    document = _parse_document(data, source)
    if document["part"] != "public":
        raise KeyFileError(f"{source or 'key file'}: expected a public key file, found a {document['part']} key")
    return _build_key(document, source)  # type: ignore[return-value]


def parse_private_key(data: bytes, source: str = "") -> RecipientPrivateKey | SigningKey:
    """A private key (recipient or signing) from key file bytes."""
    document = _parse_document(data, source)
    if document["part"] != "private":
        raise KeyFileError(f"{source or 'key file'}: expected a private key file, found a {document['part']} key")
    return _build_key(document, source)  # type: ignore[return-value]


def _read(path: str | os.PathLike) -> bytes:
    try:
        return storage.read_bytes(path)
    except FileNotFoundError:
        raise KeyFileError(f"{path}: key file not found") from None
    except IsADirectoryError:
        raise KeyFileError(f"{path}: is a folder, not a key file") from None


def is_key_folder(path: str | os.PathLike) -> bool:
    """Does ``path`` name a folder of key files (a local folder, or a path with a scheme ending in
    ``/``) rather than one key file?"""
    return str(path).endswith("/") if storage.has_scheme(path) else Path(path).is_dir()


def _check_private_permissions(path: str | os.PathLike) -> None:
    """Local private key files must be owner-only (other filesystems control access themselves)."""
    if os.name != "posix" or storage.has_scheme(path):
        return
    mode = stat.S_IMODE(Path(path).stat().st_mode)
    if mode & 0o077:
        raise KeyFileError(
            f"{path}: private key file is accessible by group or others (mode {mode:04o}); run chmod 600 on it"
        )


def load_key_file(path: str | os.PathLike) -> _KeyBase:
    """Any paxshare key file on any filesystem (local private files must be mode 0600 or stricter)."""
    path = str(path) if storage.has_scheme(path) else Path(path)
    document = _parse_document(_read(path), str(path))
    if document["part"] == "private":
        _check_private_permissions(path)
    return _build_key(document, str(path))


def _load_typed(path: str | os.PathLike, cls: type, wanted: str) -> Any:
    key = load_key_file(path)
    if not isinstance(key, cls):
        raise KeyFileError(f"{path}: expected a {wanted}, found a {key.kind} {key.part} key")
    return key


def load_public_key(path: str | os.PathLike) -> RecipientPublicKey:
    """A recipient public key file (``<key_id>.pub.json``)."""
    return _load_typed(path, RecipientPublicKey, "recipient public key")


def load_signing_key(path: str | os.PathLike) -> SigningKey:
    """The pipeline's Ed25519 signing key file (private, 0600)."""
    return _load_typed(path, SigningKey, "signing private key")


def load_verify_key(path: str | os.PathLike) -> VerifyKey:
    """An Ed25519 verify key file (public half of a signing key)."""
    return _load_typed(path, VerifyKey, "signing public (verify) key")


def iter_key_files(directory: str | os.PathLike) -> Iterator[tuple[Path | str, dict[str, Any]]]:
    """(path, public facts) for every key file in a folder on any filesystem (:mod:`pipelines.storage`),
    sorted by name; secrets never parsed. Local paths come as ``Path``, others as strings."""
    remote = storage.has_scheme(directory)
    if not remote and not Path(directory).is_dir():
        raise KeyFileError(f"{directory}: keys folder not found")
    found = [p for p in storage.match(storage.join(str(directory), "*"))
             if p.endswith((PRIVATE_SUFFIX, PUBLIC_SUFFIX))]
    if remote and not found:
        raise KeyFileError(f"{directory}: keys folder not found (or it holds no key file)")
    for name in sorted(found, key=storage.basename):
        path = name if remote else Path(name)
        document = _parse_document(_read(path), str(path))
        facts = {k: document.get(k) for k in ("key_id", "name", "generation", "kind", "part", "suite", "created_utc", "fingerprint")}
        facts["name"] = facts["name"] or facts["key_id"]
        facts["generation"] = int(facts["generation"] or 1)
        yield path, facts


def load_private_keys(paths_or_dir: str | os.PathLike | Iterable[str | os.PathLike]) -> Keyring:
    """A Keyring of recipient private keys: every ``*.key.json`` recipient key in a folder, or the given files."""
    if isinstance(paths_or_dir, (str, os.PathLike)) and is_key_folder(paths_or_dir):
        paths = [path for path, facts in iter_key_files(paths_or_dir) if facts["part"] == "private" and facts["kind"] == "recipient"]
    elif isinstance(paths_or_dir, (str, os.PathLike)):
        paths = [paths_or_dir]
    else:
        paths = list(paths_or_dir)
    keyring = Keyring()
    for path in paths:
        keyring.add(_load_typed(path, RecipientPrivateKey, "recipient private key"))
    return keyring


def load_verify_keys(directory: str | os.PathLike) -> dict[str, VerifyKey]:
    """Every signing public key in a folder by key id: the ``trusted_signers`` for ``open_sealed``."""
    return {
        facts["key_id"]: load_verify_key(path)
        for path, facts in iter_key_files(directory)
        if facts["kind"] == "signing" and facts["part"] == "public"
    }


def _current_path(keys_dir: str | os.PathLike, name: str, kind: str, part: str) -> Path:
    lineage = [
        (facts["generation"], path)
        for path, facts in iter_key_files(keys_dir)
        if facts["name"] == name and facts["kind"] == kind and facts["part"] == part
    ]
    if not lineage:
        raise KeyFileError(f"{keys_dir}: no {kind} {part} key named {name!r} (create it with 'paxshare keys new')")
    lineage.sort()
    if len(lineage) > 1 and lineage[-1][0] == lineage[-2][0]:
        raise KeyFileError(f"{keys_dir}: two {kind} {part} keys named {name!r} share generation {lineage[-1][0]}")
    return lineage[-1][1]


def current_public_key_path(keys_dir: str | os.PathLike, name: str) -> Path:
    """Path of the current (highest generation) recipient public key of ``name``."""
    return _current_path(keys_dir, name, "recipient", "public")


def current_signing_key_path(keys_dir: str | os.PathLike, name: str) -> Path:
    """Path of the current signing private key of ``name``."""
    return _current_path(keys_dir, name, "signing", "private")


def current_public_keys(keys_dir: str | os.PathLike) -> dict[tuple[str, str], RecipientPublicKey | VerifyKey]:
    """The newest generation of every public key in ``keys_dir``, by ``(kind, name)``: the one
    public-key lookup of the pipeline (flags seal to units' keys, sharing to partners'). The
    folder may be on any filesystem (:mod:`pipelines.storage`); only public key files are read."""
    current: dict[tuple[str, str], Any] = {}
    for path in storage.match(storage.join(str(keys_dir), "*" + PUBLIC_SUFFIX)):
        key = parse_public_key(storage.read_bytes(path), path)
        slot = (key.kind, key.name)
        if slot not in current or key.generation > current[slot].generation:
            current[slot] = key
    return current


def read_private_key(path: str | os.PathLike) -> RecipientPrivateKey | SigningKey:
    """A private key file on any filesystem (the pipeline's signing key read on a worker)."""
    try:
        data = storage.read_bytes(path)
    except FileNotFoundError:
        raise KeyFileError(f"{path}: key file not found") from None
    return parse_private_key(data, str(path))


# ------------------------------------------------------------------------------------ sealing


@dataclasses.dataclass(frozen=True)
class EnvelopeInfo:
    """What an envelope says about itself (readable without any key)."""

    suite: str
    recipient_key_id: str
    signer_key_id: str | None
    aad_sha256: bytes
    header: bytes
    hpke_output: bytes
    signature: bytes


def _u16_bytes(value: bytes) -> bytes:
    if len(value) > 0xFFFF:
        raise ValueError("field too long for the envelope")
    return struct.pack(">H", len(value)) + value


def _header(suite: str, recipient_key_id: str, signer_key_id: str, aad: bytes) -> bytes:
    return (
        _MAGIC
        + bytes([_ENVELOPE_VERSION, _SUITE_TABLE[suite][0]])
        + _u16_bytes(recipient_key_id.encode("utf-8"))
        + _u16_bytes(signer_key_id.encode("utf-8"))
        + hashlib.sha256(aad).digest()
    )


def _signed_message(header: bytes, hpke_output: bytes) -> bytes:
    return _SIGNATURE_CONTEXT + header + struct.pack(">I", len(hpke_output)) + hpke_output


def seal(plaintext: bytes, recipient: RecipientPublicKey, aad: bytes, signer: SigningKey | None = None) -> bytes:
    """Encrypt ``plaintext`` to ``recipient`` bound to ``aad``; sign the envelope when ``signer`` is given."""
    if not isinstance(recipient, RecipientPublicKey):
        raise TypeError(f"seal needs a RecipientPublicKey, not {type(recipient).__name__}")
    if signer is not None and not isinstance(signer, SigningKey):
        raise TypeError(f"signer must be a SigningKey, not {type(signer).__name__}")
    if not isinstance(aad, (bytes, bytearray)):
        raise TypeError("aad must be bytes")
    header = _header(recipient.suite, recipient.key_id, signer.key_id if signer else "", bytes(aad))
    hpke_output = _suite(recipient.suite).encrypt(bytes(plaintext), recipient._hpke_key(), info=header)
    signature = signer.sign(_signed_message(header, hpke_output)) if signer else b""
    return header + struct.pack(">I", len(hpke_output)) + hpke_output + _u16_bytes(signature)


class _Cursor:
    def __init__(self, blob: bytes, label: str):
        self.blob, self.at, self.label = blob, 0, label

    def take(self, size: int) -> bytes:
        if self.at + size > len(self.blob):
            raise SealError(f"{self.label}: malformed envelope (truncated)")
        part = self.blob[self.at:self.at + size]
        self.at += size
        return part

    def take_prefixed(self, width: int) -> bytes:
        (size,) = struct.unpack(">H" if width == 2 else ">I", self.take(width))
        return self.take(size)


def envelope_info(blob: bytes, source: str = "") -> EnvelopeInfo:
    """Parse an envelope's clear fields (suite, key ids); raises SealError if it is not one."""
    label = source or "sealed data"
    blob = bytes(blob)
    cursor = _Cursor(blob, label)
    if cursor.take(len(_MAGIC)) != _MAGIC:
        raise SealError(f"{label}: not a paxshare sealed envelope (bad magic)")
    version, suite_code = cursor.take(2)
    if version != _ENVELOPE_VERSION:
        raise SealError(f"{label}: unsupported envelope version {version}")
    if suite_code not in _SUITE_BY_CODE:
        raise SealError(f"{label}: unknown suite code {suite_code}")
    try:
        recipient_key_id = cursor.take_prefixed(2).decode("utf-8")
        signer_key_id = cursor.take_prefixed(2).decode("utf-8")
    except UnicodeDecodeError:
        raise SealError(f"{label}: malformed envelope (key id is not UTF-8)") from None
    aad_sha256 = cursor.take(32)
    header = blob[:cursor.at]
    hpke_output = cursor.take_prefixed(4)
    signature = cursor.take_prefixed(2)
    if cursor.at != len(blob):
        raise SealError(f"{label}: malformed envelope (trailing bytes)")
    return EnvelopeInfo(
        _SUITE_BY_CODE[suite_code], recipient_key_id, signer_key_id or None, aad_sha256, header, hpke_output, signature
    )


def open_sealed(
    blob: bytes,
    keyring: Keyring,
    aad: bytes,
    trusted_signers: Mapping[str, VerifyKey] | None = None,
    source: str = "",
) -> bytes:
    """Verify and decrypt an envelope from ``seal``; ``SealError`` names ``source`` and the failed check."""
    label = source or "sealed data"
    info = envelope_info(blob, source)
    key = keyring.get(info.recipient_key_id) if isinstance(keyring, Mapping) else None
    if key is None:
        held = ", ".join(keyring) if isinstance(keyring, Mapping) else ""
        raise SealError(
            f"{label}: addressed to key id {info.recipient_key_id!r}, which is not in this keyring "
            f"(held: {held or 'none'}); the file is misaddressed or the recipient key is missing"
        )
    if key.suite != info.suite:
        raise SealError(f"{label}: envelope suite {info.suite} does not match key {key.key_id!r} ({key.suite})")
    if trusted_signers is not None:
        if info.signer_key_id is None or not info.signature:
            raise SealError(f"{label}: envelope is not signed, but a trusted signature is required")
        verify_key = trusted_signers.get(info.signer_key_id)
        if verify_key is None:
            raise SealError(
                f"{label}: signed by key id {info.signer_key_id!r}, which is not a trusted signer "
                f"(trusted: {', '.join(sorted(trusted_signers)) or 'none'})"
            )
        if not verify_key.verify(info.signature, _signed_message(info.header, info.hpke_output)):
            raise SealError(
                f"{label}: bad signature by {info.signer_key_id!r}: the envelope was altered after signing or forged"
            )
    if hashlib.sha256(bytes(aad)).digest() != info.aad_sha256:
        raise SealError(
            f"{label}: associated data does not match: the envelope was sealed for another "
            "recipient, file or schema version (misaddressed or renamed), or its header was altered"
        )
    try:
        return _suite(info.suite).decrypt(info.hpke_output, key._hpke_key(), info=info.header)
    except InvalidTag:
        raise SealError(
            f"{label}: decryption failed for key id {key.key_id!r}: the ciphertext was tampered with "
            "or the private key does not match the one it was sealed to"
        ) from None
    except ValueError:
        raise SealError(f"{label}: decryption failed for key id {key.key_id!r}: malformed ciphertext") from None
