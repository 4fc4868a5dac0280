"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()

MIN_LENGTH = 10

# The passwords most often seen in breach lists, plus local favourites.
_COMMON = frozenset(
    {
        "password", "password1", "password123", "passw0rd", "qwerty123", "qwertyuiop",
        "1234567890", "12345678910", "abc1234567", "iloveyou123", "admin12345",
        "administrator", "woaini1314", "a123456789", "1qaz2wsx3edc", "zxcvbnm123",
        "88888888", "11111111", "123123123", "qq123456789", "aa123456789",
    }
)  # fmt: skip


def password_problems(password: str, username: str = "") -> list[str]:
    """What is wrong with a password, in Chinese; empty when it is acceptable."""
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(f"密码至少{MIN_LENGTH}位")
    classes = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if classes < 3:
        problems.append("密码须包含小写字母、大写字母、数字、符号中的至少三类")
    if password.lower() in _COMMON:
        problems.append("密码过于常见")
    if username and username.lower() in password.lower():
        problems.append("密码不能包含用户名")
    if len(set(password)) < 5:
        problems.append("密码中不同字符太少")
    return problems


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)


# A hash to verify against when the user does not exist, so that the time a
# failed login takes does not reveal which usernames exist.
DUMMY_HASH = _HASHER.hash("govdata-timing-equaliser")
