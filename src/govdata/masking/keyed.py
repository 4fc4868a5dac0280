"""Keyed SM3: HMAC-SM3 digests, a keyed pseudo-random function and permutations.

Everything keyed in the masking package goes through :class:`KeyedPrf`
(HMAC-SM3, GB/T 32905, from the ``cryptography`` package). Inputs are
length-prefixed and carry a domain label, so that the hash of a value and the
pseudonym of the same value never share PRF outputs.

:class:`KeyedPermutation` is a balanced-ish Feistel network over
``Z_left × Z_right`` (the alternating-modulus construction of NIST SP 800-38G
FF1, with HMAC-SM3 as round function): a bijection on ``range(left * right)``
that is deterministic under a key. Pseudonyms built on it are collision-free
within a cohort, so joins on pseudonymised keys give the same matches as joins
on the originals.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from cryptography.hazmat.primitives import hashes, hmac

MIN_KEY_BYTES = 16
FEISTEL_ROUNDS = 10

T = TypeVar("T")


class KeyedPrf:
    """HMAC-SM3 under one key, over length-prefixed parts."""

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"脱敏密钥至少应为{MIN_KEY_BYTES}字节，收到{len(key)}字节")
        self._base = hmac.HMAC(key, hashes.SM3())

    def digest(self, *parts: str) -> bytes:
        """The 32-byte HMAC-SM3 of the parts, each length-prefixed (no ambiguity)."""
        mac = self._base.copy()
        for part in parts:
            data = part.encode("utf-8")
            mac.update(len(data).to_bytes(4, "big"))
            mac.update(data)
        return mac.finalize()

    def integer(self, modulus: int, *parts: str) -> int:
        """A pseudo-random integer in ``range(modulus)`` (bias below 2**-64 for our moduli)."""
        return int.from_bytes(self.digest(*parts)[:24], "big") % modulus

    def choose(self, options: Sequence[T], *parts: str) -> T:
        return options[self.integer(len(options), *parts)]


def keyed_hash(prf: KeyedPrf, value: str, length: int = 64) -> str:
    """The hex HMAC-SM3 of ``value`` (its first ``length`` hex digits)."""
    return prf.digest("hash", value).hex()[:length]


class KeyedPermutation:
    """A keyed bijection on ``range(left * right)``, chosen by ``tweak``."""

    def __init__(self, prf: KeyedPrf, tweak: str, left: int, right: int) -> None:
        if left < 2 or right < 2:
            raise ValueError("置换的两个分量都至少应有2个取值")
        self._prf, self._tweak = prf, tweak
        self.left, self.right = left, right

    @property
    def size(self) -> int:
        return self.left * self.right

    def _round(self, index: int, value: int, modulus: int) -> int:
        return self._prf.integer(modulus, "feistel", self._tweak, str(index), str(value))

    def forward(self, number: int) -> int:
        if not 0 <= number < self.size:
            raise ValueError("置换的输入超出定义域")
        first, second = divmod(number, self.right)
        for index in range(FEISTEL_ROUNDS):
            modulus = self.left if index % 2 == 0 else self.right
            mixed = (first + self._round(index, second, modulus)) % modulus
            first, second = second, mixed
        return first * self.right + second

    def backward(self, number: int) -> int:
        if not 0 <= number < self.size:
            raise ValueError("置换的输入超出定义域")
        first, second = divmod(number, self.right)
        for index in reversed(range(FEISTEL_ROUNDS)):
            modulus = self.left if index % 2 == 0 else self.right
            first, second = (second - self._round(index, first, modulus)) % modulus, first
        return first * self.right + second
