from __future__ import annotations

import pytest

from gateway.classify import checksums
from gateway.classify.detector import Detector
from tests.classify.conftest import found
from tests.classify.ids import complete

SNILS = complete("112233445", checksums.snils, 2)
INN10 = complete("770708389", checksums.inn)
INN12 = complete("5001007322", checksums.inn, 2)
OGRN = complete("102770013219", checksums.ogrn)
OGRNIP = complete("30450011600015", checksums.ogrn)
OMS = complete("770000123456789", checksums.oms)
MIR = complete("220000123456789", checksums.luhn)


@pytest.mark.parametrize(("kind", "template", "pair"), [
    ("RU_SNILS", "Мой СНИЛС {}", SNILS),
    ("RU_INN", "ИНН организации {}", INN10),
    ("RU_INN", "ИНН {} физлица", INN12),
    ("RU_OGRN", "ОГРН {}", OGRN),
    ("RU_OGRN", "ОГРНИП {}", OGRNIP),
    ("RU_OMS", "полис ОМС {}", OMS),
    ("CREDIT_CARD", "списали с карты {}", MIR),
])
def test_checked_identifier_valid_and_invalid(detector: Detector, kind: str, template: str,
                                              pair: tuple[str, str]) -> None:
    good, bad = pair
    assert found(detector, template.format(good), kind) == [good]
    assert found(detector, template.format(bad), kind, min_score=0.0) == []


def test_bank_account_with_bik(detector: Detector) -> None:
    good = next(a for a in (f"4070281040000000{n:04d}" for n in range(10000))
                if checksums.bank_account(a, "044525225"))
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    assert found(detector, f"р/с {good}, БИК 044525225", "RU_BANK_ACCOUNT") == [good]
    assert found(detector, f"р/с {bad}, БИК 044525225", "RU_BANK_ACCOUNT", 0.0) == []


def test_bank_account_without_bik_needs_context(detector: Detector) -> None:
    assert found(detector, "расчётный счёт 40702810400000000017", "RU_BANK_ACCOUNT")
    assert not found(detector, "число 40702810400000000017", "RU_BANK_ACCOUNT")


@pytest.mark.parametrize("text", ["паспорт 45 06 123456", "паспорт серия 4506 номер 123456", "паспорт 4506 123456"])
def test_passport(detector: Detector, text: str) -> None:
    assert found(detector, text, "RU_PASSPORT")


def test_passport_needs_form_or_context(detector: Detector) -> None:
    assert not found(detector, "заказ 4506123456 отправлен", "RU_PASSPORT")


@pytest.mark.parametrize("phone", ["+7 (995) 380-70-99", "8 966 879 65 12", "8-990-246-17-14", "+79392039799"])
def test_russian_phones(detector: Detector, phone: str) -> None:
    assert found(detector, f"мой телефон {phone}", "PHONE_NUMBER") == [phone]


@pytest.mark.parametrize("secret", [
    "sk-proj-" + "a1B2c3D4e5" * 4,
    "sk-ant-api03-" + "Zx9_" * 10,
    "AKIAIOSFODNN7EXAMPLE",
    "ghp_" + "A1b2C3d4E5" * 4,
    "github_pat_" + "11ABCDEFG" * 6,
    "xoxb-123456789012-abcdefABCDEF",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
])
def test_vendor_secrets(detector: Detector, secret: str) -> None:
    assert found(detector, f"use this key {secret} please", "SECRET")


@pytest.mark.parametrize("text", [
    "PASSWORD=Hunter2xyz!", "api_key: 'q8Fj2kLm9Zx0'", "token=8f14e45fceea167a5a36dedd4bea2543",
    "postgres://admin:S3cr3tPa55@db.internal:5432/app",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
])
def test_generic_secrets(detector: Detector, text: str) -> None:
    assert found(detector, text, "SECRET")


@pytest.mark.parametrize("text", [
    "password = os.environ['DB_PASSWORD']", "API_KEY=<your-api-key>", "token=${TOKEN}",
    "postgres://user:${PASSWORD}@localhost/db", "Write a function that checks a password strength.",
])
def test_secret_placeholders_are_not_secrets(detector: Detector, text: str) -> None:
    assert not found(detector, text, "SECRET")


@pytest.mark.parametrize(("text", "address"), [
    ("Ship it to 24 Clarke Avenue please", "24 Clarke Avenue"),
    ("Я живу: ул. Ленина, д. 5, кв. 12", "ул. Ленина, д. 5, кв. 12"),
])
def test_street_address(detector: Detector, text: str, address: str) -> None:
    assert any(address in a or a in address for a in found(detector, text, "STREET_ADDRESS"))


def test_city_alone_is_location_not_address(detector: Detector) -> None:
    text = "I flew to Paris last week."
    assert not found(detector, text, "STREET_ADDRESS")


def test_names(detector: Detector) -> None:
    assert found(detector, "Please forward this to Krisztián Szöllösy today.", "PERSON")
    assert found(detector, "Меня зовут Алла Антоновна Ширяева.", "PERSON")


def test_custom_recognizers(detector: Detector) -> None:
    assert found(detector, "status of project bluebird?", "PROJECT_CODENAME")
    assert found(detector, "see ticket OPS-12345", "INTERNAL_TICKET")
    assert not found(detector, "see OPS-12345", "INTERNAL_TICKET")


def test_languages(detector: Detector) -> None:
    assert detector.scan("Привет, как дела?").language == "ru"
    assert detector.scan("Hello there").language == "en"
    assert detector.scan("12345").language is None


@pytest.mark.parametrize(("text", "name"), [
    ("I would like to remove my kid Lukas from the will.", "Lukas"),  # given name inside a sentence
    ("Jennifer is a very reliable colleague.", "Jennifer"),  # at the start, person-like continuation
    ("my name is vitoria", "vitoria"),  # naming phrase, lower case
    ("Sometimes people call me Csanád", "Csanád"),
    ("I'd like to join accounts with ms. Marcela", "Marcela"),
    ("Tell it to Ivanov and the others.", "Ivanov"),  # surname ending
    ("It was a done thing between him and Asya's kid.", "Asya"),  # possessive + kin
    ("follow up with patricia desrosiers in a couple of months.", "patricia desrosiers"),  # uncased
    ("they had 3: adam, christopher and brian.", "adam"),  # uncased list of given names
    ("The invoice was approved by Virtanen last week.", "Virtanen"),  # surname lexicon (Faker)
    ("Bianchi, could you send the contract?", "Bianchi"),  # sentence start + continuation
    ("ask jarmila about the keys before friday", "jarmila"),  # uncased, a name that is no English word
    ("Tamsalu began painting at the age of nine.", "Tamsalu"),  # unknown word + verb of people
    ("Please add my flatmate Ingrida to the lease.", "Ingrida"),  # relation word
])
def test_person_signals(detector: Detector, text: str, name: str) -> None:
    assert any(name in f for f in found(detector, text, "PERSON")), found(detector, text, "PERSON", 0.0)


@pytest.mark.parametrize("text", [
    "Please call me tomorrow at the office.",  # weak cue, no name after it
    "Will this work on the red line?",  # given names that are English words
    "the red car is on the key line",  # uncased, common words
    "My name is not important here.",
    "We flew from Argentina to Chile.",  # a place that is also a given name
    "The White House issued a statement on the Close and Low prices.",  # surnames that are English words
    "Dubois Street is closed today.",  # a surname at the start without a person-like continuation
    "the close price was low on monday, see the date column",  # uncased English words
    "Python is a popular language. Rust was designed for safety.",  # English words + "is"/"was"
    "Kubernetes is hard. Mitochondria is the powerhouse of the cell.",  # unknown word, no verb of people
    "Bluetooth was in the kit.",  # a verb of people, but followed by a preposition
    "Tell my boss about it.",  # relation word, no name
    "Compare the Samsung Galaxy with the latest phones.",  # spaCy PERSON ending in an English word
])
def test_person_negatives(detector: Detector, text: str) -> None:
    assert not found(detector, text, "PERSON")


@pytest.mark.parametrize(("text", "expected"), [
    ("Напиши стихотворение в стиле Пушкина.", False),  # eponym: style of a poet
    ("Объясни алгоритм Дейкстры.", False),  # imperative verb + eponym
    ("Расскажи о Петре Первом.", False),  # regnal epithet
    ("Запиши клиента Белякова на завтра.", True),  # a surname alone is still a person
    ("Меня зовут Иван Петров.", True),
])
def test_russian_person_precision(detector: Detector, text: str, expected: bool) -> None:
    assert bool(found(detector, text, "PERSON")) is expected


@pytest.mark.parametrize(("text", "address"), [
    ("Verda lives on 33 avenue de Provence street.", "33 avenue"),
    ("3747 fourth avenue suite 112 calgary", "fourth avenue suite 112"),
    ("How do I change my address to 50541 Mlýnská 1540\nTrancoso", "Mlýnská 1540"),
    ("We'll meet at Locavore, 641 Dašická 688, Turkovice", "Dašická 688"),
    ("The bus drops you off at Árpád fejedelem útja 62.", "útja 62"),
    ("address: unit 4526 box 0671\ndpo ap 40902", "dpo ap 40902"),
    ("the corner of ul. Cicha 86", "ul. Cicha 86"),
])
def test_more_street_addresses(detector: Detector, text: str, address: str) -> None:
    assert any(address in a or a in address for a in found(detector, text, "STREET_ADDRESS"))


@pytest.mark.parametrize("text", [
    "I walked 3 miles down the road.",
    "In 2019 Windows 10, Microsoft shipped updates.",  # number-word-number without an address cue
    "Chapter 3 covers 12 topics.",
])
def test_street_address_negatives(detector: Detector, text: str) -> None:
    assert not found(detector, text, "STREET_ADDRESS")


@pytest.mark.parametrize("text", [
    "Can someone call me on 9472 7916? I have questions.",  # "call" is a spaCy stop word
    "They're not answering at 71-33-52-22",
    "Can someone call me on 01.84.17.61.18?",
])
def test_phone_with_context(detector: Detector, text: str) -> None:
    assert found(detector, text, "PHONE_NUMBER")


def test_grouped_digits_without_context_are_not_phones(detector: Detector) -> None:
    assert not found(detector, "The totals were 9472 7916 in the report.", "PHONE_NUMBER")


@pytest.mark.parametrize("text", [
    "Nothing arrived on my registered 0712-4408315 yet.",  # trunk 0 + separator, no cue
    "Reach the depot at +49 30 901820 before noon.",  # international prefix
    "The clinic is (0161) 496 0753, open weekdays.",  # area code in parentheses
    "Head office\n029 2018 0412-Office",  # suffix glued with a dash
])
def test_phone_shapes_without_context(detector: Detector, text: str) -> None:
    assert found(detector, text, "PHONE_NUMBER")


@pytest.mark.parametrize("text", [
    "The meeting moved to 03.04.2024 at 10:30.",  # a date: 8 digits
    "Compute 3 + 4 * 12 - 7 and 0.25 * 1200.",  # arithmetic
    "Revenue grew from 1,250,000 to 2,300,450 dollars.",  # amounts
    "Use the sequence 0 1 1 2 3 5 8 13 21 34.",  # numbers in a list
])
def test_phone_shapes_negatives(detector: Detector, text: str) -> None:
    assert not found(detector, text, "PHONE_NUMBER")


def test_lower_case_iban(detector: Detector) -> None:
    assert found(detector, "my iban is gb42nawi04454264788619", "IBAN_CODE")
    assert not found(detector, "my iban is gb42nawi04454264788618", "IBAN_CODE")


def test_spacy_person_kept_when_a_name_opens_it(detector: Detector) -> None:
    assert found(detector, "Yesterday I met Harry Potter in the lobby.", "PERSON")


def test_detected_types_names_every_type_the_engine_reports(detector: Detector) -> None:
    """`gateway check` warns about policy types outside DETECTED_TYPES: keep the list true."""
    from gateway.classify.types import DETECTED_TYPES

    assert detector.reported_types == DETECTED_TYPES | {"PROJECT_CODENAME", "INTERNAL_TICKET"}


@pytest.mark.parametrize(("kind", "text", "value"), [
    ("RU_SNILS", "СНИЛС {}", "112 233 445 95"),  # spaces between the groups
    ("RU_INN", "ИНН {}", "5001 0073 2259"),  # 12 digits in groups of four
])
def test_grouped_russian_identifiers(detector: Detector, kind: str, text: str, value: str) -> None:
    digits = checksums.digits_of(value)
    check = checksums.snils if kind == "RU_SNILS" else checksums.inn
    assert check(digits)
    assert found(detector, text.format(value), kind) == [value]
    wrong = value[:-1] + str((int(value[-1]) + 1) % 10)
    assert found(detector, text.format(wrong), kind, 0.0) == []
