"""Format-preserving pseudonyms, deterministic under a key.

Each pseudonym keeps the part of a value that analyses group by and replaces
the part that identifies a person or organisation with a keyed permutation of
it (:class:`~govdata.masking.keyed.KeyedPermutation`), then recomputes the
check character:

* ID number: keeps the division (first 6 digits), the birth year and the sex
  (parity of the 17th digit); permutes the birth day within the year together
  with the sequence number; recomputes the GB 11643 check character.
* Mobile: keeps the 3-digit network segment; permutes the other 8 digits.
* Landline: keeps the area code and the first local digit; permutes the rest.
* Credit code: keeps the registration authority, category and division (first
  8 characters); permutes the 9-character organisation part over the GB 32100
  alphabet; recomputes the check character.
* Bank card: keeps the 6-digit issuer (BIN) and the length; permutes the
  account digits; recomputes the Luhn digit.
* Name: a surname of the same kind (single or compound) and the same number of
  given-name characters, picked by the keyed PRF.
* E-mail: keeps the domain; the local part becomes ``u`` + 10 hex digits.

Because the replaced parts are permuted, not hashed, two different valid values
never share a pseudonym (names excepted: names are not unique to begin with).
A value that fails its check has no pseudonym (None): the caller suppresses it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from govdata.masking.keyed import KeyedPermutation, KeyedPrf
from govdata.masking.kinds import SensitiveKind
from govdata.masking.surnames import (
    COMPOUND_SURNAMES,
    GIVEN_NAME_CHARS,
    SINGLE_SURNAMES,
    surname_length,
)
from govdata.masking.values import (
    email_parts,
    is_bank_card,
    landline_parts,
    luhn_check_digit,
    mobile_digits,
)
from govdata.orgs.codes import (
    CREDIT_CODE_ALPHABET,
    CodeError,
    check_credit_code,
    check_id_number,
    id_number_check_char,
    make_credit_code,
)

_SEQUENCE_HALVES = 500  # sequence numbers 000-999 of one parity
_BASE = len(CREDIT_CODE_ALPHABET)
_HAN_NAME_LENGTHS = range(2, 5)


def _split_digits(count: int) -> tuple[int, int]:
    """Factor ``10**count`` into two near-equal powers of ten for the permutation."""
    return 10 ** (count // 2), 10 ** (count - count // 2)


def _is_han(text: str) -> bool:
    return all("\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf" for char in text)


class Pseudonymizer:
    """Pseudonyms of every supported kind under one key."""

    def __init__(self, prf: KeyedPrf) -> None:
        self._prf = prf
        self._by_kind: dict[SensitiveKind, Callable[[str], str | None]] = {
            SensitiveKind.ID_NUMBER: self.id_number,
            SensitiveKind.MOBILE: self.mobile,
            SensitiveKind.LANDLINE: self.landline,
            SensitiveKind.CREDIT_CODE: self.credit_code,
            SensitiveKind.BANK_CARD: self.bank_card,
            SensitiveKind.NAME: self.name,
            SensitiveKind.EMAIL: self.email,
        }

    def pseudonym(self, kind: SensitiveKind, value: str) -> str | None:
        """The pseudonym of ``value`` read as ``kind`` (None: not a valid value of it)."""
        method = self._by_kind.get(kind)
        return None if method is None else method(value)

    def id_number(self, value: str) -> str | None:
        try:
            number = check_id_number(value)
        except CodeError:
            return None
        division, year = number[:6], int(number[6:10])
        new_year = date(year, 1, 1)
        day_in_year = (date(year, int(number[10:12]), int(number[12:14])) - new_year).days
        days = (date(year + 1, 1, 1) - new_year).days if year < 9999 else 365
        sequence = int(number[14:17])
        parity = sequence % 2
        permutation = KeyedPermutation(
            self._prf, f"id_number|{division}|{year}|{parity}", days, _SEQUENCE_HALVES
        )
        mapped = permutation.forward(day_in_year * _SEQUENCE_HALVES + sequence // 2)
        new_day, new_half = divmod(mapped, _SEQUENCE_HALVES)
        birth = new_year + timedelta(days=new_day)
        body = f"{division}{birth:%Y%m%d}{new_half * 2 + parity:03d}"
        return body + id_number_check_char(body)

    def mobile(self, value: str) -> str | None:
        digits = mobile_digits(value)
        if digits is None:
            return None
        segment = digits[:3]
        left, right = _split_digits(8)
        mapped = KeyedPermutation(self._prf, f"mobile|{segment}", left, right).forward(
            int(digits[3:])
        )
        return f"{segment}{mapped:08d}"

    def landline(self, value: str) -> str | None:
        parts = landline_parts(value)
        if parts is None:
            return None
        area, separator, local, _extension = parts
        rest = local[1:]
        left, right = _split_digits(len(rest))
        tweak = f"landline|{area}|{local[0]}|{len(rest)}"
        mapped = KeyedPermutation(self._prf, tweak, left, right).forward(int(rest))
        return f"{area}{separator}{local[0]}{mapped:0{len(rest)}d}"

    def credit_code(self, value: str) -> str | None:
        try:
            code = check_credit_code(value)
        except CodeError:
            return None
        head, body = code[:8], code[8:17]
        number = 0
        for char in body:
            number = number * _BASE + CREDIT_CODE_ALPHABET.index(char)
        permutation = KeyedPermutation(self._prf, f"credit_code|{head}", _BASE**4, _BASE**5)
        mapped = permutation.forward(number)
        chars = []
        for _ in range(len(body)):
            mapped, digit = divmod(mapped, _BASE)
            chars.append(CREDIT_CODE_ALPHABET[digit])
        return make_credit_code(head + "".join(reversed(chars)))

    def bank_card(self, value: str) -> str | None:
        if not is_bank_card(value):
            return None
        issuer, account = value[:6], value[6:-1]
        left, right = _split_digits(len(account))
        tweak = f"bank_card|{issuer}|{len(value)}"
        mapped = KeyedPermutation(self._prf, tweak, left, right).forward(int(account))
        body = f"{issuer}{mapped:0{len(account)}d}"
        return body + luhn_check_digit(body)

    def name(self, value: str) -> str:
        """A name of the same shape: compound surnames stay compound, lengths stay.

        Values that are not 2-4 Chinese characters (transliterated names with
        ``·``, Latin letters) become a three-character Chinese name.
        """
        if len(value) in _HAN_NAME_LENGTHS and _is_han(value):
            surname_size = surname_length(value)
            given_size = len(value) - surname_size
        else:
            surname_size, given_size = 1, 2
        surnames = COMPOUND_SURNAMES if surname_size == 2 else SINGLE_SURNAMES
        surname = self._prf.choose(surnames, "name", value, "surname")
        given = "".join(
            self._prf.choose(GIVEN_NAME_CHARS, "name", value, str(position))
            for position in range(given_size)
        )
        return surname + given

    def email(self, value: str) -> str | None:
        parts = email_parts(value)
        if parts is None:
            return None
        local, domain = parts
        token = self._prf.digest("email", f"{local.lower()}@{domain.lower()}").hex()[:10]
        return f"u{token}@{domain}"
