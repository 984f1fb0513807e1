"""Check-digit validation for the identifiers the recognizers report.

Pure functions of a digit string (separators already removed). Each returns ``False`` for a
string of the wrong length or with non-digits, so callers can pass raw candidates.
"""

from __future__ import annotations


def digits_of(text: str) -> str:
    """The decimal digits of ``text``, separators dropped."""
    return "".join(ch for ch in text if "0" <= ch <= "9")


def _ok(value: str, *lengths: int) -> bool:
    return len(value) in lengths and value.isascii() and value.isdigit()


def luhn(value: str) -> bool:
    """Payment cards (Visa, Mastercard, Mir, ...): the Luhn mod-10 check."""
    if not _ok(value, *range(12, 20)):
        return False
    total = 0
    for i, ch in enumerate(reversed(value)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def snils(value: str) -> bool:
    """СНИЛС: 9 digits and a 2-digit check number (mod 101, 100 -> 00)."""
    if not _ok(value, 11):
        return False
    body, check = value[:9], int(value[9:])
    if int(body) <= 1001998:  # numbers up to 001-001-998 carry no check number
        return False
    total = sum(int(d) * w for d, w in zip(body, range(9, 0, -1), strict=True))
    expected = total % 101
    if expected == 100:
        expected = 0
    return expected == check


_INN10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _weighted(value: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(value, weights, strict=False)) % 11 % 10


def inn(value: str) -> bool:
    """ИНН: 10 digits (organisations) or 12 digits (individuals), weighted mod 11."""
    if _ok(value, 10):
        return _weighted(value, _INN10) == int(value[9])
    if _ok(value, 12):
        return _weighted(value, _INN11) == int(value[10]) and _weighted(value, _INN12) == int(value[11])
    return False


def ogrn(value: str) -> bool:
    """ОГРН (13 digits, mod 11) and ОГРНИП (15 digits, mod 13); the last digit checks the rest."""
    if _ok(value, 13):
        return int(value[:12]) % 11 % 10 == int(value[12])
    if _ok(value, 15):
        return int(value[:14]) % 13 % 10 == int(value[14])
    return False


def oms(value: str) -> bool:
    """Полис ОМС, единый номер полиса (16 digits): the check digit of the ФОМС algorithm.

    Digits in odd places counted from the right of the first 15 form a number that is doubled;
    the digits in even places are written before it; the check digit brings the sum of all
    digits of the result up to a multiple of ten.
    """
    if not _ok(value, 16):
        return False
    body = value[:15][::-1]
    odd = body[0::2][::-1]
    even = body[1::2][::-1]
    combined = even + str(int(odd) * 2)
    total = sum(int(d) for d in combined)
    return (10 - total % 10) % 10 == int(value[15])


_ACCOUNT_WEIGHTS = (7, 1, 3) * 8


def bank_account(account: str, bik: str) -> bool:
    """Счёт (20 digits) against a БИК (9 digits): the control key of ЦБ РФ.

    Settlement accounts use the last three digits of the БИК; correspondent accounts (301...)
    use "0" and the 5th-6th digits of the БИК. Either form validating is accepted.
    """
    if not (_ok(account, 20) and _ok(bik, 9)):
        return False
    for prefix in (bik[-3:], "0" + bik[4:6]):
        key = prefix + account
        if sum(int(d) * w for d, w in zip(key, _ACCOUNT_WEIGHTS, strict=False)) % 10 == 0:
            return True
    return False


def plausible_account(account: str) -> bool:
    """A 20-digit account number whose currency code (digits 6-8) is a known one: 810/643
    (rouble), 840 (USD), 978 (EUR), 156 (CNY). Without a БИК this is all that can be checked."""
    return _ok(account, 20) and account[5:8] in {"810", "643", "840", "978", "156", "826", "756"}
