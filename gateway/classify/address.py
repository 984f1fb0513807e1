"""``STREET_ADDRESS``: a specific postal address, English (and international) and Russian.

A city or a country alone is not an address (spaCy reports those as ``LOCATION``). What makes
an address specific: a house number next to a street word (``24 Clarke Avenue``, ``Via Roma 131``,
``Koskikatu 25``), a unit (``Apt. 117``, ``Suite 464``), a PO box or military address, or in
Russian a street abbreviation with «д.» / «кв.» (``ул. Ленина, д. 5, кв. 12``).
"""

from __future__ import annotations

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
    Pattern("unit", r"\b" + _UNIT + r"\b", 0.55),
    Pattern("unit lower", r"(?i)\b(?:apt|apartment|suite|ste)\.?\s*#?\s*\d+[a-z]?\b", 0.55),
    Pattern("po box", r"(?i)\bP\.?\s?O\.?\s?Box\s+\d+\b", 0.6),
    Pattern("military",
            r"(?i)\b(?:PSC|Unit|USNS|USNV|USS|USCGC)\s+[\w ]{1,20},?\s+Box\s+\d+(?:\s+[AF]PO\s+A[AEP]\s+\d{5})?", 0.8),
    Pattern("apo fpo", r"(?i)\b[ADF]PO\s+A[AEP]\s+\d{5}\b", 0.7),
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
    import re

    flags = re.MULTILINE
    return [
        PatternRecognizer(supported_entity=ENTITY, name="StreetAddressRecognizer", supported_language=language,
                          patterns=list(PATTERNS), context=list(CONTEXT), global_regex_flags=flags),
        PatternRecognizer(supported_entity=ENTITY, name="RuStreetAddressRecognizer", supported_language=language,
                          patterns=list(RU_PATTERNS), context=list(CONTEXT), global_regex_flags=flags),
    ]
