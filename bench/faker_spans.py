"""Span recall and precision on English text built from Faker en_US values, per identifier type.

    python bench/faker_spans.py [--seed N] [--n N] [--misses TYPE] [--fp TYPE]

Phones (every en_US format, also with area codes outside the NANP plan as older Faker versions
wrote them, and ``ext.`` / ``(555) 123-4567`` / ``+1 555 ...`` forms), US addresses (street
lines with and without ``Apt.``/``Suite``, with the ``Town, ST 12345`` line, one-line, and the
APO/FPO/DPO military forms), cards of every scheme Faker knows (``credit_card_number(card_type=
...)``) plus Mir, bare or grouped with spaces, dashes, dots, slashes or `` - ``, SSNs, medical
record numbers and dates of birth, each embedded in a sentence template; and negatives (dates
that are no birth date, order and reference numbers, amounts, a non-Luhn 16-digit number next
to "card") for precision.

``--seed 1`` is the tuning run: its values and its templates (``TUNE``). Any other seed draws
other values and uses templates set aside for the held-out check (``HELD_OUT``), written before
tuning and never looked at while tuning. Gold spans are the inserted values; a gold span is
found when a detected span of its type (score >= 0.5) overlaps it, and fully found when the
detected spans of its type cover all its characters (an extension, the town line). Precision
counts detected spans of the type (score >= 0.5) that overlap no gold span of that type, in the
positive and the negative texts alike.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from faker import Faker

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gateway.classify.detector import Span, build_detector  # noqa: E402
from gateway.classify.types import DEFAULT_MIN_SCORE  # noqa: E402
from gateway.config import ClassifierConfig  # noqa: E402

TYPES = ("PHONE_NUMBER", "STREET_ADDRESS", "CREDIT_CARD", "US_SSN", "MEDICAL_RECORD", "DATE_OF_BIRTH")

# "{}" is the value; "{name}" a Faker name. A template set per type, for tuning and held out.
TUNE: dict[str, tuple[str, ...]] = {
    "PHONE_NUMBER": (
        "You can reach me at {} after 5pm.",
        "Phone: {}",
        "{name}'s cell is {}, call before noon.",
        "Please call {} to confirm the appointment.",
        "Contact {name} ({}) about the lease.",
        "My number changed to {} last week.",
        "Tel. {} / fax on request",
        "Leave a voicemail on {} if nobody answers.",
    ),
    "STREET_ADDRESS": (
        "Ship the order to:\n{}",
        "My address is {}.",
        "{name}\n{}",
        "Please update the mailing address on file to {}",
        "We moved to {} in March.",
        "Send the documents to {} by Friday.",
        "Billing address: {}",
        "The package was returned from {}, can you check?",
    ),
    "CREDIT_CARD": (
        "My card number is {}.",
        "Charge it to {} please.",
        "card: {} exp 04/27",
        "{name} paid with {} yesterday.",
        "Can you check why {} was declined?",
        "Visa/MC/Amex accepted. Number: {}",
        "Refund the purchase to the card ending ... actually the full number is {}",
        "Payment method {} was added to your account.",
    ),
    "US_SSN": (
        "My SSN is {}.",
        "SSN: {}",
        "{name}, social security number {}",
        "Her social security no. is {} and she needs a copy.",
        "Verify the SSN {} against the W-2.",
        "Applicant SSN {} / DOB on file",
    ),
    "MEDICAL_RECORD": (
        "MRN {}",
        "Patient {name}, MRN: {}, admitted for observation.",
        "Please pull the chart for medical record number {}.",
        "medical record no. {} shows an allergy to penicillin.",
        "Med rec # {} - follow-up in two weeks.",
        "Patient ID {} was discharged yesterday.",
    ),
    "DATE_OF_BIRTH": (
        "DOB: {}",
        "{name} was born on {}.",
        "Date of birth {}, male, non-smoker.",
        "The patient (d.o.b. {}) reports chest pain.",
        "Her birthday is {} and she turns 40 soon.",
        "Birth date: {}",
    ),
}
HELD_OUT: dict[str, tuple[str, ...]] = {
    "PHONE_NUMBER": (
        "If anything comes up, ring {} and ask for {name}.",
        "Mobile - {}",
        "text me on {} when you land",
        "The front desk number is {}; the office opens at 8.",
        "{name} | {} | Sales",
        "Dial {} for billing questions.",
    ),
    "STREET_ADDRESS": (
        "Deliver to {name}, {}",
        "Current residence:\n{}\nPrevious: unknown",
        "I'm staying at {} until the end of the month.",
        "Return label should read {}",
        "{} is where the invoice should go.",
        "Her home is at {} - near the school.",
    ),
    "CREDIT_CARD": (
        "Use {} for the hotel booking.",
        "CC# {}",
        "The number on my Mastercard is {} - is it compromised?",
        "{name} - {} - exp 11/26, cvv on the back",
        "I entered {} and the checkout failed twice.",
        "Please store {} for recurring billing.",
    ),
    "US_SSN": (
        "Social Security Number: {}",
        "{name} (SSN {}) filed the return late.",
        "my ssn {} was on the form",
        "Employee social security # {}",
    ),
    "MEDICAL_RECORD": (
        "Record for MRN#{} updated by the nurse.",
        "{name}; medical record number: {}; ward 4B",
        "Can you summarise the notes for patient ID {}?",
        "Chart pulled - Medical Record No {} - pending labs.",
    ),
    "DATE_OF_BIRTH": (
        "{name}, DOB {}, presents with a cough.",
        "I was born on {} in Ohio.",
        "date of birth: {}",
        "Patient birthdate {} confirmed at check-in.",
    ),
}
NEGATIVE_TUNE = (
    "The meeting is on {date}, please bring the slides.",
    "Invoice dated {date} is still unpaid.",
    "Gift card order number {order} shipped today.",
    "Your card was charged ${amount} on {date}.",
    "Tracking: {order}",
    "Version {version} was released on {date}.",
    "Reference no. {ref} - keep it for your records.",
    "We expect {count} guests; the budget is ${amount}.",
    "Flight {flight} departs at {time} from gate {gate}.",
    "Room {gate} on floor {count}, building {count}.",
    "The card reader logged transaction {order} at {time}.",
    "Patient count rose to {count} in {year}.",
)
NEGATIVE_HELD_OUT = (
    "The report covers {date} through {date}.",
    "Order {order} was placed with a gift card.",
    "Deadline: {date} at {time}.",
    "Ticket {ref} is assigned to the platform team.",
    "Population grew by {count} between {year} and {year}.",
    "Batch {order} failed QA on {date}.",
)


@dataclass(frozen=True)
class Text:
    text: str
    gold: tuple[tuple[str, int, int], ...]


def luhn_complete(body: str) -> str:
    for d in "0123456789":
        total = 0
        for i, ch in enumerate(reversed(body + d)):
            n = int(ch)
            if i % 2 == 1:
                n = n * 2 - 9 if n > 4 else n * 2
            total += n
        if total % 10 == 0:
            return body + d
    raise AssertionError


GROUPS = {12: (4, 4, 4), 13: (4, 4, 5), 14: (4, 6, 4), 15: (4, 6, 5), 16: (4, 4, 4, 4), 19: (4, 4, 4, 4, 3)}
CARD_TYPES = ("visa13", "visa16", "visa19", "mastercard", "amex", "discover", "diners", "jcb15", "jcb16",
              "maestro", "mir")
OLD_PHONE = ("##########", "###-###-####", "(###)###-####", "###.###.####", "###-###-####x###",
             "(###)###-####x####", "###.###.####x#####", "+1-###-###-####", "001-###-###-####x###")
MORE_PHONE = ("(###) ###-####", "### ### ####", "+1 ### ### ####", "###-###-#### ext. ###", "1-###-###-####",
              "+1 (###) ###-####", "###-###-#### ext ##")
DATE_FORMATS = ("%m/%d/%Y", "{m}/{d}/%Y", "%Y-%m-%d", "%B {d}, %Y", "{d} %B %Y", "%b {d}, %Y", "%m-%d-%Y",
                "{m}/{d}/%y")


class Maker:
    def __init__(self, seed: int) -> None:
        self.fake = Faker("en_US")
        self.fake.seed_instance(seed)
        self.rnd = random.Random(seed)

    def phone(self) -> str:
        r = self.rnd.random()
        if r < 0.55:
            return str(self.fake.phone_number())
        fmt = self.rnd.choice(OLD_PHONE if r < 0.8 else MORE_PHONE)
        return str(self.fake.numerify(fmt))

    def address(self) -> str:
        f = self.fake
        r = self.rnd.random()
        if r < 0.45:
            return f"{f.street_address()}\n{f.city()}, {f.state_abbr()} {f.postcode()}"
        if r < 0.6:
            return f"{f.street_address()}, {f.city()}, {f.state_abbr()} {f.postcode()}"
        if r < 0.7:
            return str(f.street_address())
        kind = self.rnd.choice(("apo", "fpo", "dpo"))
        if kind == "apo":
            return f"{f.military_apo()}\nAPO {f.military_state()} {f.postcode()}"
        if kind == "fpo":
            return f"{f.military_ship()} {f.last_name()}\nFPO {f.military_state()} {f.postcode()}"
        return f"{f.military_dpo()}\nDPO {f.military_state()} {f.postcode()}"

    def card(self) -> str:
        kind = self.rnd.choice(CARD_TYPES)
        if kind == "mir":
            number = luhn_complete("220" + str(self.rnd.randint(0, 4)) + self.fake.numerify("#" * 11))
        else:
            number = str(self.fake.credit_card_number(card_type=kind))
        if self.rnd.random() < 0.55 or len(number) not in GROUPS:
            return number
        sep = self.rnd.choice((" ", "-", ".", "/", " - "))
        out, i = [], 0
        for g in GROUPS[len(number)]:
            out.append(number[i:i + g])
            i += g
        return sep.join(out)

    def ssn(self) -> str:
        value = str(self.fake.ssn())
        r = self.rnd.random()
        if r < 0.25:
            return value.replace("-", "")
        if r < 0.35:
            return value.replace("-", " ")
        return value

    def mrn(self) -> str:
        return str(self.fake.bothify(self.rnd.choice(("########", "#######", "?#######", "00######", "##########",
                                                      "??-######")), letters="ABCDEFGHJKMNPRSTUVWXYZ"))

    def date(self, birth: bool) -> str:
        d = self.fake.date_of_birth(minimum_age=1, maximum_age=95) if birth else self.fake.date_between(
            date(2015, 1, 1), date(2030, 12, 31))
        fmt = self.rnd.choice(DATE_FORMATS).replace("{m}", str(d.month)).replace("{d}", str(d.day))
        return d.strftime(fmt)

    def value(self, kind: str) -> str:
        return {"PHONE_NUMBER": self.phone, "STREET_ADDRESS": self.address, "CREDIT_CARD": self.card,
                "US_SSN": self.ssn, "MEDICAL_RECORD": self.mrn,
                "DATE_OF_BIRTH": lambda: self.date(True)}[kind]()

    def fill(self, template: str, kind: str) -> Text:
        value = self.value(kind)
        head, tail = template.split("{}", 1)
        head = head.replace("{name}", str(self.fake.name()))
        tail = tail.replace("{name}", str(self.fake.name()))
        return Text(head + value + tail, ((kind, len(head), len(head) + len(value)),))

    def negative(self, template: str) -> Text:
        f, rnd = self.fake, self.rnd
        while True:
            order = f.numerify("#" * rnd.choice((8, 10, 12, 14, 16)))
            if len(order) != 16 or not luhn_complete(order[:-1]).endswith(order[-1]):
                break
        fields = {
            "date": lambda: self.date(False), "order": lambda: order,
            "amount": lambda: f"{rnd.randint(5, 99999):,}.{rnd.randint(0, 99):02d}",
            "version": lambda: f"{rnd.randint(1, 20)}.{rnd.randint(0, 30)}.{rnd.randint(0, 99)}",
            "ref": lambda: f.bothify("??-####-####", letters="ABCDEFGHJK"), "count": lambda: str(rnd.randint(2, 5000)),
            "flight": lambda: f.bothify("??###", letters="ABCDEFGHJKLMNPQRSTUVWXYZ"),
            "time": lambda: f"{rnd.randint(1, 12)}:{rnd.randint(0, 59):02d} {rnd.choice(('am', 'pm'))}",
            "gate": lambda: str(rnd.randint(1, 60)), "year": lambda: str(rnd.randint(1990, 2030)),
        }
        text = template
        while "{" in text:
            i = text.index("{")
            j = text.index("}", i)
            text = text[:i] + fields[text[i + 1:j]]() + text[j + 1:]
        return Text(text, ())


def build(seed: int, n: int) -> list[Text]:
    maker = Maker(seed)
    templates = TUNE if seed == 1 else HELD_OUT
    negatives = NEGATIVE_TUNE if seed == 1 else NEGATIVE_HELD_OUT
    out: list[Text] = []
    for kind in TYPES:
        out.extend(maker.fill(maker.rnd.choice(templates[kind]), kind) for _ in range(n))
    out.extend(maker.negative(maker.rnd.choice(negatives)) for _ in range(n))
    return out


def covered(text: str, start: int, end: int, spans: list[Span]) -> bool:
    return all(any(s.start <= i < s.end for s in spans) for i in range(start, end) if text[i].isalnum())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1, help="1: tuning values and templates; other: held out")
    ap.add_argument("--n", type=int, default=200, help="texts per type (and negatives)")
    ap.add_argument("--misses", help="print the gold spans of this type that were not (fully) found")
    ap.add_argument("--fp", help="print the false positives of this type")
    args = ap.parse_args()
    detector = build_detector(ClassifierConfig())
    data = build(args.seed, args.n)
    gold_n: Counter[str] = Counter()
    hit: Counter[str] = Counter()
    full: Counter[str] = Counter()
    det: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    t0 = time.perf_counter()
    for item in data:
        spans = [s for s in detector.scan(item.text).spans if s.score >= DEFAULT_MIN_SCORE]
        for kind, gs, ge in item.gold:
            same = [s for s in spans if s.type == kind]
            gold_n[kind] += 1
            found = any(s.start < ge and gs < s.end for s in same)
            whole = covered(item.text, gs, ge, same)
            hit[kind] += found
            full[kind] += whole
            if args.misses == kind and not whole:
                print("MISS" if not found else "PART", repr(item.text),
                      [(s.type, s.score, item.text[s.start:s.end]) for s in spans])
        for s in spans:
            if s.type not in TYPES:
                continue
            det[s.type] += 1
            if not any(k == s.type and s.start < ge and gs < s.end for k, gs, ge in item.gold):
                fp[s.type] += 1
                if args.fp == s.type:
                    print("FP", repr(item.text), repr(item.text[s.start:s.end]), s.score)
    dt = time.perf_counter() - t0
    which = "tuning templates" if args.seed == 1 else "held-out templates"
    print(f"faker en_US, seed {args.seed} ({which}), {len(data)} texts, {1000 * dt / len(data):.1f} ms/text")
    print(f"{'type':16} {'gold':>5} {'recall':>7} {'full':>7} {'found':>6} {'prec':>7} {'fp':>4}")
    for kind in TYPES:
        g = max(gold_n[kind], 1)
        p = (det[kind] - fp[kind]) / det[kind] if det[kind] else 0.0
        print(f"{kind:16} {gold_n[kind]:5} {hit[kind] / g:7.3f} {full[kind] / g:7.3f} {det[kind]:6} {p:7.3f} "
              f"{fp[kind]:4}")


if __name__ == "__main__":
    main()
