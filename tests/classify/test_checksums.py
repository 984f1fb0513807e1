from __future__ import annotations

from gateway.classify import checksums


def test_luhn() -> None:
    assert checksums.luhn("4111111111111111")
    assert not checksums.luhn("4111111111111112")
    assert checksums.luhn("2200000000000004")


def test_snils() -> None:
    assert checksums.snils("11223344595")
    assert not checksums.snils("11223344596")
    assert not checksums.snils("00100199800")  # below the range that carries a check number


def test_inn() -> None:
    assert checksums.inn("7707083893")  # a well-known organisation ИНН
    assert not checksums.inn("7707083894")
    assert checksums.inn("500100732259")
    assert not checksums.inn("500100732258")


def test_ogrn() -> None:
    assert checksums.ogrn("1027700132195")
    assert not checksums.ogrn("1027700132196")
    assert checksums.ogrn("304500116000157")
    assert not checksums.ogrn("304500116000158")


def test_bank_account_with_bik() -> None:
    # Sberbank's published correspondent account and BIK (the "0" + BIK digits 5-6 form of the key)
    assert checksums.bank_account("30101810400000000225", "044525225")
    assert not checksums.bank_account("30101810400000000226", "044525225")
    assert not checksums.bank_account("40702810400000000001", "044525225")
    good = next(a for a in (f"4070281040000000{n:04d}" for n in range(10000))
                if checksums.bank_account(a, "044525225"))
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    assert not checksums.bank_account(bad, "044525225")


def test_wrong_lengths_are_rejected() -> None:
    for fn in (checksums.snils, checksums.inn, checksums.ogrn, checksums.oms, checksums.luhn):
        assert not fn("12")
        assert not fn("abcdefghijkl")
