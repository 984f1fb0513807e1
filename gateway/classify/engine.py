"""Presidio set-up: a trimmed spaCy pipeline and the recognizers the routing needs.

What is turned off, and why:

* spaCy pipes ``tok2vec``, ``tagger``, ``parser``, ``attribute_ruler`` and ``lemmatizer`` are
  excluded at load time. In ``en_core_web_sm`` the NER component carries its own embedding
  layer, so NER alone gives the same entities. Presidio uses the rest only for lemmas in its
  context enhancer; we hand it the lower-cased token text instead (context words are matched as
  substrings, so «паспорта» still matches «паспорт»).
* Presidio recognizers of types no shipped policy names are not loaded (dates by regex, and the
  country-specific identifiers of countries other than the US, the UK and Russia: ES, IT, PL,
  SG, AU, IN, FI, KR, ...; a custom recognizer can add any). Kept: e-mail (with an offline
  ``tldextract``), phone (without "number" as a context word), IBAN, IP address, passport,
  driver licence, ITIN, bank number, medical licence, UK NHS and NINO, crypto wallets, URLs, and
  spaCy NER for PERSON, LOCATION, NRP, DATE_TIME (free: one NER pass). ``gateway check`` warns
  when a policy names a type that nothing here reports.
* Replaced by our own: Presidio's card recognizer (any Luhn-valid 13-17 digits) by one that
  knows every scheme's prefixes and lengths (:mod:`~gateway.classify.cards`); its SSN recognizer
  by one that reports bare nine digits next to "SSN" (:mod:`~gateway.classify.us_ids`). Phone
  shapes beyond ``phonenumbers``, US addresses, medical record numbers and dates of birth have
  their own modules; spaCy's and the lexicon's PERSON spans pass the rules of
  :mod:`~gateway.classify.person_filter` (personas, titles, eponyms).
* ORGANIZATION from spaCy is ignored, as Presidio does by default (many false positives).
"""

from __future__ import annotations

from dataclasses import dataclass

import spacy
import tldextract
from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry, RecognizerResult
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import (
    CryptoRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    IpRecognizer,
    MedicalLicenseRecognizer,
    NhsRecognizer,
    UkNinoRecognizer,
    UrlRecognizer,
    UsBankRecognizer,
    UsItinRecognizer,
    UsLicenseRecognizer,
    UsPassportRecognizer,
)
from spacy.language import Language
from spacy.tokens import Doc

from gateway.classify.address import address_recognizers
from gateway.classify.birth_date import DateOfBirthRecognizer
from gateway.classify.cards import CardRecognizer
from gateway.classify.custom import custom_recognizers
from gateway.classify.gates import SeamPhoneRecognizer, gated
from gateway.classify.medical import MedicalRecordRecognizer
from gateway.classify.names import GivenNames, load_given_names
from gateway.classify.person_filter import FilteredNameRecognizer, NerPersonRecognizer
from gateway.classify.phones import phone_recognizers
from gateway.classify.ru_ids import ru_id_recognizers
from gateway.classify.secrets import SecretRecognizer
from gateway.classify.us_ids import UsSsnRecognizer
from gateway.config import ClassifierConfig

LANGUAGE = "en"  # Presidio's language key for every recognizer; see Detector for real languages
EXCLUDED_PIPES = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter")
NER_ENTITIES = ("PERSON", "LOCATION", "NRP", "DATE_TIME")
# Presidio's recognizers for the identifier types the shipped policies name (HIPAA and the
# default policy's groups): a policy that names a type must have something that can find it.
# Presidio's phone context without "number": "order number 7974074151" is no phone.
PHONE_CONTEXT = ("phone", "telephone", "cell", "cellphone", "mobile", "call", "tel", "fax")
# Presidio's phone regions, one per calling code: it runs the phonenumbers matcher once per
# region, and CA adds nothing to US (one North American plan, +1: a number valid in either is
# found by both), only a pass over the text.
PHONE_REGIONS = ("US", "GB", "DE", "FR", "IL", "IN", "BR")
IDENTIFIER_RECOGNIZERS = (UsPassportRecognizer, UsLicenseRecognizer, UsItinRecognizer, UsBankRecognizer,
                          MedicalLicenseRecognizer, NhsRecognizer, UkNinoRecognizer, CryptoRecognizer, UrlRecognizer)


# spaCy labels the detector does not use (ORGANIZATION: too many false positives, as in Presidio's
# default; the others carry no personal data); ignoring them also keeps Presidio from warning
# about each unmapped label at start-up.
IGNORED_LABELS = ("ORGANIZATION", "ORG", "CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT",
                  "WORK_OF_ART", "LAW", "LANGUAGE", "EVENT", "PRODUCT", "FAC")


class NerOnlyNlpEngine(SpacyNlpEngine):
    """A SpacyNlpEngine that loads only the tokenizer and NER, never downloads a model, and
    uses lower-cased token text as lemmas."""

    def __init__(self, model_name: str) -> None:
        ner_config = NerModelConfiguration(labels_to_ignore=list(IGNORED_LABELS))
        super().__init__(models=[{"lang_code": LANGUAGE, "model_name": model_name}],
                         ner_model_configuration=ner_config)
        self._model_name = model_name

    def load(self) -> None:
        self.nlp = {LANGUAGE: spacy.load(self._model_name, exclude=list(EXCLUDED_PIPES))}  # type: ignore[assignment]

    @property
    def language(self) -> Language:
        assert self.nlp is not None
        return self.nlp[LANGUAGE]

    def artifacts(self, doc: Doc) -> NlpArtifacts:
        return self._doc_to_nlp_artifact(doc, LANGUAGE)

    def _doc_to_nlp_artifact(self, doc: Doc, language: str) -> NlpArtifacts:
        entities, scores = self._get_updated_entities(list(doc.ents), self._get_scores_for_entities(doc))
        lemmas: list[str] = []
        texts: list[str] = []
        indices: list[int] = []
        for t in doc:  # one pass: every token is a new Python object
            lemmas.append(t.lower_)
            texts.append(t.text)
            indices.append(t.idx)
        # Presidio reads ``tokens`` only in its context enhancer, for each token's length, and
        # walking a Doc makes every token a Python object again: the token texts serve. No engine
        # at construction: Presidio would compute keywords (a stop-word look-up per token) only
        # for them to be replaced below.
        artifacts = NlpArtifacts(entities=entities, tokens=texts, tokens_indices=indices,  # type: ignore[arg-type]
                                 lemmas=lemmas, nlp_engine=None, language=language, scores=scores)
        artifacts.nlp_engine = self
        # Presidio drops stop words from the context keywords, and spaCy's English list holds
        # context words that matter here ("call", "name"): keep every word instead.
        artifacts.keywords = [w for w in lemmas if any(map(str.isalpha, w))]
        return artifacts


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail recognizer with a tldextract that never fetches the suffix list: it
    uses the snapshot bundled with the package."""

    def __init__(self) -> None:
        self._extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)
        super().__init__()

    def validate_result(self, pattern_text: str) -> bool:
        # the domain after the last "@": Presidio's local part may take in a URL before it
        # ("https://x.test/?u=anna@example.com"), which must not decide the match
        return self._extract(pattern_text.rpartition("@")[2]).fqdn != ""


_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


class AnyCaseIbanRecognizer(IbanRecognizer):
    """Presidio's IBAN recognizer (upper case only) also run on lower-case text, with offsets
    kept: only ASCII letters are upper-cased."""

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None,
                regex_flags: int | None = None) -> list[RecognizerResult]:
        # Presidio annotates these two as required but handles None (its own callers pass it).
        results: list[RecognizerResult] = super().analyze(
            text, entities, nlp_artifacts, regex_flags)  # type: ignore[arg-type]
        upper = text.translate(_ASCII_UPPER)
        if upper != text:
            seen = {(r.start, r.end) for r in results}
            more = super().analyze(upper, entities, nlp_artifacts, regex_flags)  # type: ignore[arg-type]
            results += [r for r in more if (r.start, r.end) not in seen]
        return results


@dataclass
class Engine:
    analyzer: AnalyzerEngine
    nlp: NerOnlyNlpEngine
    entities: list[str]
    names: GivenNames


def build_recognizers(cfg: ClassifierConfig, names: GivenNames | None = None) -> list[EntityRecognizer]:
    names = names if names is not None else load_given_names(cfg.spacy_model)
    recognizers: list[EntityRecognizer] = [
        OfflineEmailRecognizer(),
        SeamPhoneRecognizer(context=list(PHONE_CONTEXT), supported_regions=PHONE_REGIONS),
        *phone_recognizers(),
        CardRecognizer(),
        AnyCaseIbanRecognizer(),
        IpRecognizer(patterns=gated(IpRecognizer.PATTERNS)),
        UsSsnRecognizer(),
        MedicalRecordRecognizer(),
        DateOfBirthRecognizer(),
        *(cls(patterns=gated(cls.PATTERNS)) for cls in IDENTIFIER_RECOGNIZERS),
        NerPersonRecognizer(names, list(NER_ENTITIES)),
        FilteredNameRecognizer(names),
        SecretRecognizer(),
        *address_recognizers(),
        *ru_id_recognizers(),
        *custom_recognizers(cfg.recognizers),
    ]
    return recognizers


def build_engine(cfg: ClassifierConfig) -> Engine:
    nlp = NerOnlyNlpEngine(cfg.spacy_model)
    nlp.load()
    registry = RecognizerRegistry(supported_languages=[LANGUAGE])
    names = load_given_names(cfg.spacy_model)
    for r in build_recognizers(cfg, names):
        registry.add_recognizer(r)
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=[LANGUAGE])
    entities = sorted({e for r in registry.recognizers for e in r.supported_entities})
    return Engine(analyzer, nlp, entities, names)
