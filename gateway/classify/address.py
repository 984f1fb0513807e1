"""``STREET_ADDRESS``: a specific postal address, English (and international) and Russian.

A city or a country alone is not an address (spaCy reports those as ``LOCATION``). What makes
an address specific: a house number next to a street word (``24 Clarke Avenue``, ``Via Roma 131``,
``Koskikatu 25``), a unit (``Apt. 117``, ``Suite 464``), a PO box or military address, or in
Russian a street abbreviation with «д.» / «кв.» (``ул. Ленина, д. 5, кв. 12``).

US addresses: the street suffixes are the USPS list (Publication 28, appendix C1). Those that are
everyday words too (``Union``, ``Plain``, ``Walks``, ``Lights``) make an address on their own only
with a unit, the ``Town, ST 12345`` line or a context word; the common ones (``Street``,
``Avenue``, ``Court``) as before. A street line followed by its ``Town, ST 12345`` line (on the
next line or after a comma) is one span. Military addresses: ``PSC 1234, Box 5678`` / ``Unit 1234
Box 5678`` with their ``APO``/``DPO AE 12345`` line, and ships (``USNS Smith`` over
``FPO AP 12345``).
"""

from __future__ import annotations

import re

from presidio_analyzer import Pattern, PatternRecognizer

ENTITY = "STREET_ADDRESS"

_CAP = r"[A-ZÀ-ÖØ-Þ][\w'’.\-]*"
_SUFFIX = (
    r"Street|St|Avenue|Ave|Av|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|"
    r"Ter|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Trl|Close|Crescent|Cres|Row|Alley|"
    r"Plaza|Gardens|Grove|Hill|Mews|Walk|Park|Rise|View|Green|Loop|Pike|Turnpike|Expressway"
)
_PREFIX = (
    r"Rue|Rua|Via|Viale|Vicolo|Calle|Carrer|Avenida|Avinguda|Paseo|Plaza|Praça|Piazza|Strada|"
    r"Largo|Travessa|Estrada|Ulica|[Uu]l\.|Chemin|Boulevard|Allée|Avenue|Place|Quai|Straße|Gasse|"
    r"Platz|Odos|Odós|Leoforos|Calea|Bulevardul|Strada|Ulitsa|Utca"
)
_WORD_SUFFIX = (
    r"stra(?:ss|ß)e|str\.|weg|gasse|allee|platz|gatan|gata|gade|vej|vägen|veien|veg|"
    r"katu|tie|kuja|polku|laan|straat|plein|kade|gracht|utca|körút|ulica|aleja|cesta|ulice|"
    r"náměstí|iela|gatve|tänav"
)
_NOT_FUNCTION = (r"(?!(?:the|a|an|on|in|of|to|for|and|or|with|by|at|from|my|your|our|their|his|her|its|"
                 r"this|that|these|those|is|are|was|were|be|been|per|into|onto|down|up|off)\b)")
_UNIT_ANY_CASE = r"(?:apt|apartment|suite|ste|unit|flat)\.?\s*#?\s*\d+[a-z]?"
_UNIT = r"(?:Apt|Apartment|Suite|Ste|Unit|Flat|Room|Rm|Floor|Fl|Bldg|Building)\.?\s*#?\s*\d+[A-Za-z]?"
# A unit alone is an address when it is a home's or an office's, not a room or a floor.
_HOME_UNIT = r"(?:Apt|Apartment|Suite|Ste|Unit|Flat)\.?\s*#?\s*\d+[A-Za-z]?"
# USPS street suffixes (Publication 28, C1) not in _SUFFIX: also everyday words, so weaker alone.
_USPS_MORE = (
    r"Allee|Annex|Anx|Arcade|Arc|Bayou|Beach|Bend|Bluffs?|Bottom|Branch|Bridge|Brg|Brooks?|Burgs?|Bypass|"
    r"Byp|Camp|Canyon|Cyn|Cape|Causeway|Cswy|Centers?|Ctr|Circles|Cliffs?|Club|Commons?|Corners?|Course|"
    r"Courts|Coves?|Creek|Crk|Crest|Crossing|Xing|Crossroads?|Curve|Dale|Dam|Divide|Drives|Estates?|"
    r"Expy|Extensions?|Falls?|Ferry|Fields?|Flats?|Fords?|Forest|Forges?|Forks?|Fort|Freeway|Fwy|"
    r"Garden|Gateway|Glens?|Greens|Groves|Harbors?|Haven|Heights|Hts|Hills|Hollow|Inlet|Islands?|Isle|"
    r"Junctions?|Jct|Keys?|Knolls?|Lakes?|Land|Landing|Lights?|Loaf|Locks?|Lodge|Mall|Manors?|Meadows?|"
    r"Mills?|Mission|Motorway|Mount|Mountains?|Mtn|Neck|Orchard|Oval|Overpass|Parks|Parkways|Pass|"
    r"Passage|Path|Pines?|Plains?|Points?|Ports?|Prairie|Radial|Ramp|Ranch|Rapids?|Rest|Ridges?|Rdg|"
    r"River|Roads|Route|Rte|Rue|Run|Shoals?|Shores?|Skyway|Springs?|Spurs?|Squares|Station|Stravenue|"
    r"Stream|Streets|Summit|Throughway|Trace|Track|Trafficway|Trailer|Tunnel|Underpass|Unions?|Valleys?|"
    r"Via|Viaduct|Views|Villages?|Ville|Vista|Walks|Wall|Ways|Wells?"
)
_US_STATE = (
    r"A[KLRZASEAP]|C[AOT]|D[CE]|F[LM]|G[AU]|HI|I[ADLN]|K[SY]|LA|M[ADEHINOPST]|N[CDEHJMVY]|O[HKR]|"
    r"P[ARW]|RI|S[CD]|T[NX]|UT|V[AIT]|W[AIVY]"
)
_TOWN_LINE = r"[A-Z][\w'’.\-]*(?:[ \t]+[A-Z][\w'’.\-]*){0,3},[ \t]+(?:" + _US_STATE + r")[ \t]+\d{5}(?:-\d{4})?(?!\w)"
_STREET_LINE = (r"\b\d{1,6}[A-Za-z]?(?:-\d+)?\s+(?:\d+(?:st|nd|rd|th)\s+)?(?:" + _CAP + r"\s+){0,3}(?:" + _SUFFIX + "|"
                + _USPS_MORE + r")\b\.?(?:\s+(?:N|S|E|W|NE|NW|SE|SW)\b)?(?:,?\s*(?:" + _UNIT + r"|#\s?\d+[A-Za-z]?))?")
STREET_SUFFIX = re.compile(r"(?:" + _SUFFIX + "|" + _USPS_MORE + r")\.?")  # fullmatch a word with it
_MILITARY_BOX = r"(?:PSC|CMR|Unit)\s+\d{1,5},?\s+Box\s+\d{1,5}"
_MILITARY_LINE = r"[ADF]PO\s+A[AEP]\s+\d{5}(?:-\d{4})?(?!\w)"

PATTERNS = (
    # 24 Clarke Avenue / 2450 Crown St / 6750 Koskikatu 25 (number then street)
    Pattern(
        "number street suffix",
        r"\b\d{1,6}[A-Za-z]?(?:-\d+)?,?\s+(?:" + _CAP + r"\s+){0,4}(?:" + _SUFFIX + r")\b\.?"
        r"(?:,?\s*" + _UNIT + r")?",
        0.7,
    ),
    Pattern("prefix street number",
            r"\b(?:" + _PREFIX + r")\s+(?:(?:de|da|do|dos|das|del|della|di|la|le|du|des)\s+)?"
            r"(?:[\w'’.\-]+\s+){0,3}?\d{1,5}[A-Za-z]?\b", 0.65),
    Pattern("number prefix street",
            r"\b\d{1,5},?\s+(?:" + _PREFIX + r")\s+(?:[\w'’.\-]+\s+){0,3}?[\w'’.\-]+\b", 0.65),
    Pattern("compound street number",
            r"\b[A-ZÀ-Ž][\w\-]*(?:" + _WORD_SUFFIX + r")\s+\d{1,5}[A-Za-z]?\b", 0.65),
    # lower-case or uncased text: only unambiguous street words, no function words in between
    Pattern("number street lower",
            r"(?i)\b\d{1,6}[a-z]?,?\s+(?:" + _NOT_FUNCTION + r"[^\W\d_][\w'’.\-]*\s+){0,4}?"
            r"(?:street|avenue|ave|road|boulevard|blvd|lane|drive|highway|parkway)\b\.?"
            r"(?:,?\s*" + _UNIT_ANY_CASE + r")?", 0.6),
    Pattern("number prefix street lower",
            r"(?i)\b\d{1,5},?\s+(?:" + _PREFIX + r")\s+(?:[\w'’.\-]+\s+){0,3}?[\w'’.\-]+\b", 0.45),
    # international: house number after the street name, then a comma or a new line and the town
    # ("Dašická 688, Turkovice", "72134 Coronilla 3599\nNijmegen"); needs a context word
    Pattern("street number town",
            r"\b(?:\d{1,6}\s+)?[A-ZÀ-ÖØ-ÞĀ-Ž][^\W\d_]+(?:\s+[^\W\d_][\w'’.\-]*){0,3}\s+\d{1,5}[A-Za-z]?"
            r"(?=\s*(?:,|\n)\s*(?:\d{4,6}\s+)?[A-ZÀ-ÖØ-ÞĀ-Ž])", 0.4),
    Pattern("street word number",
            r"\b[A-ZÀ-ÖØ-ÞĀ-Ž][\w\-]*(?:\s+[\w\-]+){0,2}\s+(?:útja|út|utca|tér|körút|sokak|caddesi|"
            r"ulica|ulice|iela|gatve)\s+\d{1,5}[A-Za-z]?\b", 0.6),
    Pattern("unit", r"\b" + _HOME_UNIT + r"\b", 0.55),
    Pattern("unit lower", r"(?i)\b(?:apt|apartment|suite|ste)\.?\s*#?\s*\d+[a-z]?\b", 0.55),
    Pattern("po box", r"(?i)\bP\.?\s?O\.?\s?Box\s+\d+\b", 0.6),
    # US: a street line with a USPS suffix, and with its "Town, ST 12345" line one span
    Pattern("us street town", _STREET_LINE + r"(?:[ \t]*,[ \t]*|[ \t]*\n\s*)" + _TOWN_LINE, 0.9),
    Pattern("us street usps", r"\b\d{1,6}[A-Za-z]?\s+(?:" + _CAP + r"\s+){1,3}(?:" + _USPS_MORE + r")\b\.?", 0.45),
    Pattern("us street usps unit", r"\b\d{1,6}[A-Za-z]?\s+(?:" + _CAP + r"\s+){1,3}(?:" + _USPS_MORE + r")\b\.?,?\s*"
            + _UNIT, 0.7),
    Pattern("us town line", r"(?<![\w,])" + _TOWN_LINE, 0.4),
    Pattern("military", r"(?i)\b" + _MILITARY_BOX + r"(?:,?\s+" + _MILITARY_LINE + r")?", 0.8),
    Pattern("military with line", r"(?i)\b" + _MILITARY_BOX + r",?\s+" + _MILITARY_LINE, 0.9),
    Pattern("military ship", r"\b(?:USS|USNS|USNV|USCGC)\s+[A-Z][\w'’\-]*(?:\s+[A-Z][\w'’\-]*){0,2},?\s+FPO\s+A[AEP]\s+"
            r"\d{5}(?:-\d{4})?(?!\w)", 0.85),
    Pattern("apo fpo", r"(?i)\b" + _MILITARY_LINE, 0.7),
)

_RU_LOCALITY = r"(?:(?:г|гор|с|п|пос|пгт|д|дер|ст|ст-ца|клх|рп|х|аул)\.?\s+[А-ЯЁ][\w\-.()]*(?:\s[\w\-.()]+)?,\s*)?"
_RU_STREET = (
    r"(?:ул|улица|пр|пр-т|просп|проспект|пер|переулок|наб|набережная|бул|б-р|бульвар|ш|шоссе|"
    r"пл|площадь|алл|аллея|проезд|пр-д|мкр|микрорайон|туп|тупик|линия|тракт)"
)
RU_PATTERNS = (
    Pattern(
        "ru street house",
        r"(?i)" + _RU_LOCALITY + r"\b" + _RU_STREET + r"\.?\s+[\w\-. ]{1,40}?,?\s+(?:д\.|дом)\s*\d+[а-яa-z]?"
        r"(?:(?:,?\s*(?:к\.|корп\.?|корпус|стр\.?|строение|кв\.?|квартира|оф\.?|офис)\s*\d+[а-я]?))*"
        r"(?:,\s*\d{6}(?!\d))?",
        0.8,
    ),
    Pattern("ru house flat", r"(?i)(?<!\w)(?:д\.|дом)\s*\d+[а-я]?,?\s*(?:кв\.|квартира)\s*\d+", 0.7),
    Pattern("ru street only", r"\b(?:ул|пр-т|просп|пер|наб|бул)\.\s?[А-ЯЁ][\w\-]+(?:\s[А-ЯЁ][\w\-]+)?,?\s+\d+", 0.6),
)
CONTEXT = ("address", "live", "located", "sent", "send", "ship", "deliver", "return", "mail", "meet", "drop",
           "visit", "move", "moving", "адрес", "прожива", "зарегистр")


def address_recognizers(language: str = "en") -> list[PatternRecognizer]:
    flags = re.MULTILINE
    return [
        PatternRecognizer(supported_entity=ENTITY, name="StreetAddressRecognizer", supported_language=language,
                          patterns=list(PATTERNS), context=list(CONTEXT), global_regex_flags=flags),
        PatternRecognizer(supported_entity=ENTITY, name="RuStreetAddressRecognizer", supported_language=language,
                          patterns=list(RU_PATTERNS), context=list(CONTEXT), global_regex_flags=flags),
    ]
