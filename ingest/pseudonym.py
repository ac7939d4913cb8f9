"""Subject pseudonyms: with a deployment salt, subject ids are replaced by keyed hashes at ingest.

A pseudonym is `p-` and the first 24 hex digits (96 bits) of HMAC-SHA256(salt, id). It is
deterministic, so rules keyed on subjects, replays and timelines work on pseudonyms as they
did on ids. By the birthday bound, n distinct subjects collide with probability about
n² / 2^97: below 1e-15 for the ten million people and cards of a whole city, so 24 digits
keep ids short in the log, its index and InfluxDB tags at no practical cost. Being keyed,
the hash cannot be reversed by enumerating a small id space (r-00001 … r-99999, card
numbers) without the salt, which a plain hash could not prevent.

The salt comes from `ZHIAN_SUBJECT_SALT` or from the file named by
`ZHIAN_SUBJECT_SALT_FILE` (the form Docker secrets take); without either, ids pass through.

Rejected payloads are kept for diagnosis, so `Redactor` pseudonymises the subject ids inside
them too (schema v1 `subject.id` and the vendor fields the adapters turn into subject ids),
blanks names, and reduces what it cannot parse to a note saying so.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import orjson

from ingest.adapters.common import hashed
from ingest.errors import ConfigProblem, RegistryError

SALT_ENV = "ZHIAN_SUBJECT_SALT"
SALT_FILE_ENV = "ZHIAN_SUBJECT_SALT_FILE"
MIN_SALT_BYTES = 16  # 128 bits: out of reach of a brute-force search for the key
PREFIX = "p-"
HEX_DIGITS = 24
CACHE_MAX = 100_000  # recent ids kept mapped; a compound has a few thousand subjects

# Vendor fields the adapters turn into subject ids: as they are (cut to 128), or hashed (cards).
_PLAIN_ID_FIELDS = frozenset({"employeeNoString", "employeeNo", "UserID"})  # Hikvision, Dahua
_CARD_FIELDS = frozenset({"cardNo", "CardNo"})  # hashed by the adapter, see adapters.common.hashed
# Personal fields no adapter copies (names, ID-card numbers, Frigate's recognised face name).
_PERSONAL_FIELDS = frozenset({"name", "Name", "CardName", "IDNumber", "sub_label"})
BLANKED = "<redacted>"
_ENVIRONMENT = "environment"  # where a salt problem is, when it is not in a file
_NESTED_JSON_MAX = 64 * 1024  # payloads quoted as strings (replay lines, bridged bodies)
_SCAN_MAX_BYTES = 1024 * 1024  # larger payloads are rejected too_large and kept only as a note
_SCAN_MAX_DEPTH = 64  # deeper payloads are kept only as a note (no device nests like that)


class _TooDeep(Exception):
    """The payload nests deeper than the redactor walks."""


class SaltError(RegistryError):
    """The salt settings are unusable; reported like a config problem (variable, file)."""

    def __init__(self, source: str, key: str, message: str) -> None:
        super().__init__([ConfigProblem(source, None, key, message)])


def salt_from_env(environ: Mapping[str, str] | None = None) -> bytes | None:
    """The deployment salt, or None when neither variable is set; SaltError when unusable."""
    env = os.environ if environ is None else environ
    value, path = env.get(SALT_ENV), env.get(SALT_FILE_ENV)
    if value is not None and path is not None:
        raise SaltError(_ENVIRONMENT, SALT_ENV, f"is set and so is {SALT_FILE_ENV}; give only one")
    if value is not None:
        return _checked(value.encode("utf-8"), _ENVIRONMENT, SALT_ENV)
    if path is None:
        return None
    if not path:
        raise SaltError(_ENVIRONMENT, SALT_FILE_ENV, "is set but empty: name the file that holds the salt")
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise SaltError(path, SALT_FILE_ENV, f"cannot read the salt file: {exc.strerror}") from exc
    # editors and `echo` end files with a newline; it is not part of the secret
    return _checked(raw.rstrip(b"\r\n"), path, SALT_FILE_ENV)


def _checked(salt: bytes, source: str, key: str) -> bytes:
    if len(salt) < MIN_SALT_BYTES:
        raise SaltError(source, key, f"the salt is {len(salt)} bytes; at least {MIN_SALT_BYTES} are needed "
                        "(for example the output of `openssl rand -hex 32`)")
    return salt


class Pseudonymizer:
    """Maps subject ids to their keyed pseudonyms, caching recent ones."""

    def __init__(self, salt: bytes) -> None:
        if len(salt) < MIN_SALT_BYTES:
            raise ValueError(f"the salt is {len(salt)} bytes; at least {MIN_SALT_BYTES} are needed")
        self._salt = salt
        self._cache: dict[str, str] = {}

    def __call__(self, subject_id: str) -> str:
        """The pseudonym of one subject id."""
        cached = self._cache.get(subject_id)
        if cached is not None:
            return cached
        digest = hmac.new(self._salt, subject_id.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
        out = PREFIX + digest[:HEX_DIGITS]
        if len(self._cache) >= CACHE_MAX:
            self._cache.clear()  # cheaper than LRU bookkeeping; the working set refills at once
        self._cache[subject_id] = out
        return out

    def digest(self, data: bytes) -> str:
        """A keyed digest of arbitrary bytes: equal payloads compare equal, nothing is revealed."""
        return hmac.new(self._salt, data, hashlib.sha256).hexdigest()[:32]


def pseudonymizer_from_env(environ: Mapping[str, str] | None = None) -> Pseudonymizer | None:
    """The deployment's pseudonymizer, or None when no salt is set (ids pass through)."""
    salt = salt_from_env(environ)
    return Pseudonymizer(salt) if salt is not None else None


class Redactor:
    """Pseudonymises the subject ids inside a raw payload that could not become an event."""

    def __init__(self, pseudonym: Callable[[str], str], digest: Callable[[bytes], str]) -> None:
        self.pseudonym = pseudonym
        self.digest = digest

    def payload(self, raw: bytes) -> bytes:
        """The payload with subject ids pseudonymised, or a note when it cannot be parsed."""
        return self._scan(raw)[0]

    def detail(self, text: str, raw: bytes) -> str:
        """A reject's detail with the subject ids found in its payload pseudonymised."""
        return _replace_all(text, self._scan(raw)[1])

    def _scan(self, raw: bytes) -> tuple[bytes, dict[str, str]]:
        found: dict[str, str] = {}
        why = ""
        if len(raw) > _SCAN_MAX_BYTES:
            why = f"it is over {_SCAN_MAX_BYTES} bytes"
        else:
            try:
                mapped = self._value(orjson.loads(raw), None, found, 0)
                return orjson.dumps(_texts(mapped, found, frozenset(found.values()))), found
            except orjson.JSONDecodeError:
                why = "it is not UTF-8 JSON"
            except (_TooDeep, RecursionError, TypeError):  # TypeError: orjson's own depth limit
                why = f"it is nested deeper than {_SCAN_MAX_DEPTH} levels"
        # subject ids in it cannot be located, so none of it is kept
        note = {"redacted": f"payload not kept: {why}, so subject ids in it cannot be located and pseudonymised",
                "bytes": len(raw), "digest": self.digest(raw)}
        return orjson.dumps(note), {}

    def _value(self, node: Any, key: str | None, found: dict[str, str], depth: int) -> Any:
        if depth > _SCAN_MAX_DEPTH:
            raise _TooDeep
        if isinstance(node, dict):
            return {k: self._field(k, v, key == "subject", found, depth + 1) for k, v in node.items()}
        if isinstance(node, list):
            return [self._value(v, key, found, depth + 1) for v in node]
        if isinstance(node, str) and len(node) <= _NESTED_JSON_MAX and node[:1] in ("{", "["):
            try:
                inner = orjson.loads(node)
            except orjson.JSONDecodeError:
                return node
            return orjson.dumps(self._value(inner, key, found, depth + 1)).decode()
        return node

    def _field(self, key: str, value: Any, in_subject: bool, found: dict[str, str], depth: int) -> Any:
        if key in _PERSONAL_FIELDS:
            return BLANKED if _scalar_id(value) is not None else self._every_leaf(value, BLANKED, found, depth)
        is_id = (in_subject and key == "id") or key == "subject" or key in _PLAIN_ID_FIELDS
        if (is_id or key in _CARD_FIELDS) and isinstance(value, dict | list) and not (key == "subject" and
                                                                                     isinstance(value, dict)):
            # an id field holding a structure is rejected, but its leaves may be ids all the same
            return self._every_leaf(value, None, found, depth)
        scalar = _scalar_id(value)
        if scalar is None:
            return self._value(value, key, found, depth)
        if key in _CARD_FIELDS and isinstance(value, str):
            found[value] = self.pseudonym(hashed("card", value))
            return found[value]
        if is_id:
            clear = scalar[:128]  # as the adapters cut it
            found[clear] = found[scalar] = self.pseudonym(clear)
            return found[clear]
        return self._value(value, key, found, depth)

    def _every_leaf(self, node: Any, fixed: str | None, found: dict[str, str], depth: int) -> Any:
        """A structure with each scalar leaf pseudonymised (or replaced by `fixed`)."""
        if depth > _SCAN_MAX_DEPTH:
            raise _TooDeep
        if isinstance(node, dict):
            return {k: self._every_leaf(v, fixed, found, depth + 1) for k, v in node.items()}
        if isinstance(node, list):
            return [self._every_leaf(v, fixed, found, depth + 1) for v in node]
        scalar = _scalar_id(node)
        if scalar is None:
            return node
        if fixed is not None:
            return fixed
        found[scalar] = self.pseudonym(scalar[:128])
        return found[scalar]


def _scalar_id(value: Any) -> str | None:
    """A value that can be an id: a non-empty string or a number (vendors send numbers; a
    long one parses as a float, and the adapters take its text as the id)."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _texts(node: Any, found: dict[str, str], done: frozenset[str]) -> Any:
    """Replace ids found in their fields wherever else they are quoted (notes, vendor text)."""
    if not found:
        return node
    if isinstance(node, dict):
        return {_replace_all(k, found): _texts(v, found, done) for k, v in node.items()}
    if isinstance(node, list):
        return [_texts(v, found, done) for v in node]
    if isinstance(node, str) and node not in done:
        return _replace_all(node, found)
    if isinstance(node, int | float) and not isinstance(node, bool) and str(node) in found:
        return found[str(node)]  # the id repeated as a number elsewhere
    return node


def _replace_all(text: str, found: dict[str, str]) -> str:
    for clear, pseudo in found.items():
        if clear and clear in text:
            # only whole ids: r-1 must not rewrite r-10
            text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(clear)}(?![A-Za-z0-9])", pseudo, text)
    return text


def main(argv: list[str] | None = None) -> int:
    """`python -m ingest.pseudonym ID …`: print each id's pseudonym under the deployment salt
    (to write a silence or a rule condition that names a subject)."""
    ids = sys.argv[1:] if argv is None else argv
    try:
        pseudo = pseudonymizer_from_env()
    except SaltError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    if pseudo is None:
        print(f"error: no salt: set {SALT_ENV} or {SALT_FILE_ENV}", file=sys.stderr)
        return 2
    for subject_id in ids:
        print(f"{subject_id}\t{pseudo(subject_id)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
