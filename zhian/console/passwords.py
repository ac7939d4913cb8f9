"""Password hashing with scrypt (hashlib, RFC 7914) and a per-user random salt."""

from __future__ import annotations

import hashlib
import hmac
import secrets

# n=2**15, r=8: 32 MiB and tens of milliseconds per check on a desk PC; stored with the hash
# so a later change of cost still verifies old passwords
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
_MAXMEM = 64 * 1024 * 1024
MIN_LENGTH = 8


class PasswordError(ValueError):
    """A password that cannot be accepted, with the reason."""


def check_strength(password: str) -> None:
    """Refuse passwords too short to resist guessing (PasswordError says why)."""
    if len(password) < MIN_LENGTH:
        raise PasswordError(f"password too short: at least {MIN_LENGTH} characters")
    if password.strip() != password:
        raise PasswordError("password starts or ends with white space (a copy-paste slip?)")


def hash_password(password: str) -> str:
    """`scrypt$n$r$p$salt_hex$hash_hex` of a password."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, maxmem=_MAXMEM)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches a hash made by `hash_password` (constant-time compare)."""
    try:
        scheme, n, r, p, salt_hex, digest_hex = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt_hex), n=int(n), r=int(r), p=int(p),
                                maxmem=_MAXMEM)
    except ValueError:
        return False
    return hmac.compare_digest(digest.hex(), digest_hex)


DUMMY_HASH = hash_password(secrets.token_hex(16))  # checked for unknown users, so timing does not tell names
