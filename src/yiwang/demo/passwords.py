"""Cheap password hashes for the demo accounts, upgraded by Django at their first login.

Every demo account has the password printed on the screen (`city.PASSWORD`): hashing it
with PBKDF2's full 1,000,000 iterations protects nothing and cost about a second per
account (18 accounts: a tenth of the whole demo load). The hashes are still
``pbkdf2_sha256`` with fewer iterations; Django's standard hasher verifies them (it
reads the count from the hash) and, because the count is below its own, re-hashes the
password at full strength at the first successful login.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher, get_hasher
from django.test.utils import override_settings

DEMO_ITERATIONS = 10_000


class DemoPasswordHasher(PBKDF2PasswordHasher):
    iterations = DEMO_ITERATIONS


@contextmanager
def quick_hashes() -> Iterator[None]:
    """Inside the block new passwords are hashed with `DEMO_ITERATIONS` when PBKDF2 is the
    configured hasher (otherwise, e.g. a test's fast hasher, the configuration is kept:
    a hash it cannot read would lock the accounts out)."""
    preferred = get_hasher()
    if type(preferred) is not PBKDF2PasswordHasher:
        yield
        return
    name = f"{DemoPasswordHasher.__module__}.{DemoPasswordHasher.__qualname__}"
    with override_settings(PASSWORD_HASHERS=[name, *settings.PASSWORD_HASHERS]):
        yield
