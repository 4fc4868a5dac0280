"""Specification of the password policy and of password hashing.

:func:`govdata.accounts.passwords.password_problems` returns the reasons a
password is refused, in Chinese, and an empty list for an acceptable one.
Hashes are argon2id; :func:`verify_password` never raises.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from govdata.accounts.passwords import (
    MIN_LENGTH,
    hash_password,
    password_problems,
    verify_password,
)
from govdata.accounts.schemas import USERNAME_PATTERN

TOO_SHORT = "密码至少10位"
LOW_VARIETY = "密码须包含小写字母、大写字母、数字、符号中的至少三类"
TOO_COMMON = "密码过于常见"
CONTAINS_USERNAME = "密码不能包含用户名"
TOO_FEW_DISTINCT = "密码中不同字符太少"

STRONG = "Str0ng-Passw0rd!"


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def test_minimum_length_is_ten() -> None:
    assert MIN_LENGTH == 10


def test_a_strong_password_has_no_problems() -> None:
    assert password_problems(STRONG, "zhangsan") == []


def test_a_password_shorter_than_ten_characters_is_refused() -> None:
    problems = password_problems("Ab1!xyz9", "zhangsan")
    assert problems == [TOO_SHORT]


def test_a_password_of_exactly_ten_characters_is_long_enough() -> None:
    assert password_problems("Ab1!xyz9Qw", "zhangsan") == []


def test_a_password_with_only_two_character_classes_is_refused() -> None:
    problems = password_problems("abcdefgh12345", "zhangsan")
    assert problems == [LOW_VARIETY]


def test_three_of_the_four_character_classes_are_enough() -> None:
    assert password_problems("abcdefgh1234!", "zhangsan") == []
    assert password_problems("Abcdefgh12345", "zhangsan") == []


@pytest.mark.parametrize("password", ["Password123", "PASSWORD123", "Woaini1314", "A123456789"])
def test_a_common_password_is_refused_whatever_its_case(password: str) -> None:
    assert TOO_COMMON in password_problems(password, "zhangsan")


def test_a_password_containing_the_username_is_refused() -> None:
    problems = password_problems("Zhangsan-2026!", "zhangsan")
    assert problems == [CONTAINS_USERNAME]


def test_the_username_check_ignores_case() -> None:
    assert CONTAINS_USERNAME in password_problems("xx-ZhangSan-9!", "ZHANGSAN")


def test_without_a_username_the_username_check_is_skipped() -> None:
    assert password_problems("Zhangsan-2026!") == []


def test_a_password_with_fewer_than_five_distinct_characters_is_refused() -> None:
    problems = password_problems("Aa1!Aa1!Aa1!", "zhangsan")
    assert problems == [TOO_FEW_DISTINCT]


def test_every_problem_is_reported_at_once() -> None:
    problems = password_problems("aaaa", "aaa")
    assert set(problems) == {TOO_SHORT, LOW_VARIETY, CONTAINS_USERNAME, TOO_FEW_DISTINCT}


@pytest.mark.parametrize(
    ("password", "username"),
    [("short", ""), ("alllowercaseletters", ""), ("password123", ""), ("Xiaoming-88!", "xiaoming")],
)
def test_every_reason_is_written_in_chinese(password: str, username: str) -> None:
    problems = password_problems(password, username)
    assert problems
    assert all(has_chinese(problem) for problem in problems)


def test_hash_and_verify_round_trip() -> None:
    hashed = hash_password(STRONG)
    assert hashed.startswith("$argon2id$")
    assert STRONG not in hashed
    assert verify_password(hashed, STRONG) is True


def test_the_same_password_hashes_differently_each_time() -> None:
    assert hash_password(STRONG) != hash_password(STRONG)


def test_verify_password_is_false_for_a_wrong_password() -> None:
    assert verify_password(hash_password(STRONG), STRONG + "x") is False


@pytest.mark.parametrize("garbage", ["", "not-a-hash", "$argon2id$v=19$broken", "$2b$12$abc"])
def test_verify_password_is_false_for_a_garbage_hash(garbage: str) -> None:
    assert verify_password(garbage, STRONG) is False


SYMBOLS = string.punctuation + " "


@st.composite
def strong_passwords(draw: st.DrawFn) -> str:
    """Passwords of length >= 10 with a lowercase letter, an uppercase letter,
    a digit and a symbol (ASCII, so the character classes are unambiguous)."""
    required = [
        draw(st.sampled_from(string.ascii_lowercase)),
        draw(st.sampled_from(string.ascii_uppercase)),
        draw(st.sampled_from(string.digits)),
        draw(st.sampled_from(SYMBOLS)),
    ]
    filler = draw(st.lists(st.sampled_from(string.printable[:95]), min_size=6, max_size=40))
    return "".join(draw(st.permutations(required + filler)))


@given(password=strong_passwords(), username=st.from_regex(USERNAME_PATTERN, fullmatch=True))
def test_property_long_varied_passwords_without_the_username_have_no_problems(
    password: str, username: str
) -> None:
    assume(username.lower() not in password.lower())
    assume(len(set(password)) >= 5)
    assert len(password) >= 10
    assert password_problems(password, username) == []
