"""Sign-in: password hashes, the install's signing key, sessions, API tokens, rate limits.

Passwords are hashed with ``hashlib.scrypt`` and a random salt. Sessions and API tokens are
random secrets; the store keeps only their SHA-256 digests, so a copy of the database
signs nobody in. Cookies carry the secret with an HMAC made with a key generated on first
start and kept in the data folder (``secret_key``, mode 0600).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import os
import secrets
import time
from collections import defaultdict, deque
from pathlib import Path

from lsplug.errors import TooManyRequests
from lsplug.store import Store, UserRow

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SESSION_SECONDS = 14 * 24 * 3600
KEY_FILE = "secret_key"
USERS_RECHECK = 2.0  # seconds between counts of the users table
MAX_FAILURES, FAILURE_WINDOW = 5, 60.0  # sign-in failures per name and address per window


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$hash`` of ``password`` with a fresh random salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a hash made by :func:`hash_password` (constant time)."""
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p)
        )
    except ValueError:
        return False
    return hmac.compare_digest(digest.hex(), expected)


def load_key(data_path: Path) -> bytes:
    """The install's signing key: read, or generated on first start (file mode 0600).

    A new key is written to a file of its own and linked into place, so a process starting
    at the same moment reads either no key or the whole key, never a half-written one.
    """
    path = data_path / KEY_FILE
    data_path.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        _publish_new_key(path)
    key = bytes.fromhex(path.read_text().strip())
    if len(key) < 32:
        raise ValueError(f"{path}: the signing key is too short")
    return key


def _publish_new_key(path: Path) -> None:
    """Write a fresh key beside ``path`` and link it there unless another process did first."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def sign(key: bytes, value: str) -> str:
    """``value.mac``: the value with its HMAC-SHA256."""
    mac = hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
    return f"{value}.{mac}"


def unsign(key: bytes, signed: str) -> str | None:
    """The value of a signed string, or None when the MAC is wrong."""
    value, _, mac = signed.rpartition(".")
    expected = hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
    return value if value and hmac.compare_digest(mac, expected) else None


def digest(secret: str) -> str:
    """What the store keeps of a session or token secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


class RateLimiter:
    """At most :data:`MAX_FAILURES` failed sign-ins per key in :data:`FAILURE_WINDOW`."""

    def __init__(self, limit: int = MAX_FAILURES, window: float = FAILURE_WINDOW) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def check(self, key: str) -> None:
        """429 while ``key`` has too many recent failures."""
        recent = self._failures.get(key)
        now = time.monotonic()
        while recent and recent[0] < now - self.window:
            recent.popleft()
        if recent is not None and len(recent) >= self.limit:
            raise TooManyRequests(
                f"too many failed sign-ins; try again in {int(self.window)} seconds"
            )

    def failed(self, key: str) -> None:
        """Count a failure."""
        self._failures[key].append(time.monotonic())


class Accounts:
    """People, sessions and tokens in the store, with the install's key."""

    def __init__(self, store: Store, key: bytes) -> None:
        self.store = store
        self.key = key
        self.limiter = RateLimiter()
        self._users_seen: tuple[float, int] = (float("-inf"), 0)

    async def add_user(self, name: str, password: str) -> UserRow:
        """Add a person (or change the password of one)."""
        if not name or len(name) > 150 or not name.isprintable() or ":" in name:
            raise ValueError("a user name is 1 to 150 printable characters without ':'")
        if len(password) < 8:
            raise ValueError("a password has at least 8 characters")
        hashed = await asyncio.to_thread(hash_password, password)
        user = await self.store.add_user(name, hashed)
        self._users_seen = (float("-inf"), 0)  # sign-in is required from the next request on
        return user

    async def sign_in_required(self) -> bool:
        """Whether anyone can sign in (re-read every few seconds: `lsplug user add` may add
        people while the server runs)."""
        seen_at, count = self._users_seen
        if time.monotonic() - seen_at > USERS_RECHECK:
            count = await self.store.count_users()
            self._users_seen = (time.monotonic(), count)
        return count > 0

    async def check(self, name: str, password: str, remote: str) -> UserRow | None:
        """The person if the password is right; failures count towards the rate limit."""
        key = f"{name}|{remote}"
        self.limiter.check(key)
        user = await self.store.find_user(name)
        if user is None:
            await asyncio.to_thread(hash_password, password)  # the same time either way
        ok = user is not None and await asyncio.to_thread(
            check_password, password, user.password_hash
        )
        if user is None or not ok:
            self.limiter.failed(key)
            return None
        return user

    async def new_session(self, user: UserRow) -> str:
        """A signed cookie value for a new session of ``user``."""
        secret = secrets.token_urlsafe(32)
        expires = int(time.time()) + SESSION_SECONDS
        await self.store.add_credential(digest(secret), "session", user.id, expires)
        return sign(self.key, secret)

    async def session_user(self, cookie: str) -> UserRow | None:
        """The person of a session cookie, if it is signed, known and not expired."""
        secret = unsign(self.key, cookie)
        if secret is None:
            return None
        return await self.store.credential_user(digest(secret), "session", int(time.time()))

    async def end_session(self, cookie: str) -> None:
        """Sign out."""
        secret = unsign(self.key, cookie)
        if secret is not None:
            await self.store.delete_credential(digest(secret))

    async def new_token(self, user: UserRow) -> str:
        """A new API token of ``user`` (shown once; only its digest is kept)."""
        token = secrets.token_hex(20)
        await self.store.add_credential(digest(token), "token", user.id, None)
        return token

    async def token_user(self, token: str) -> UserRow | None:
        """The person an API token belongs to."""
        return await self.store.credential_user(digest(token), "token", int(time.time()))
