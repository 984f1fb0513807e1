"""Compose the semantic scorer's training prompts from the hand-written pieces in data/atoms/.

The atoms are sentences written for this project: confidential statements per category
(``*_conf.tsv``), same-topic public questions (``*_pub.tsv``), ordinary work and chat prompts
(``*_gen.txt``), harmless filler of e-mails and meeting notes (``*_fill.txt``) and complexity
examples of chat styles (``*_cx.tsv``). This script puts them in the styles that the public
development sets lack: a confidential sentence inside a long pasted e-mail thread or notes,
indirect asks ("translate", "fix the grammar", "make a table"), terse lowercase chat with typos,
and Russian asks around English text and back. Output (deterministic for a seed):

    bench/semantic/data/train_confidential.jsonl   {id, lang, text, sensitive, category, span?}
    bench/semantic/data/train_complexity.jsonl     {id, lang, text, complex}

``span`` is the [start, end) of the confidential sentence in a long composed text, so that
training can label the windows the scorer reads. Run: ``python bench/semantic/make_train.py``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ATOMS = HERE / "data" / "atoms"
OUT = HERE / "data"

# Indirect asks: (template, complex). {x} is the material; the ask's language is the key.
WRAP = {
    "en": [
        ("Translate into Russian:\n\n{x}", False),
        ("translate to german pls: {x}", False),
        ("Fix the grammar and punctuation:\n{x}", False),
        ("can u fix spelling in this: {x}", False),
        ("Make a table out of this:\n{x}", False),
        ("Summarize in two sentences:\n\n{x}", False),
        ("Rewrite this to sound more polite:\n{x}", False),
        ("Shorten this for a chat message: {x}", False),
        ("Turn this into bullet points:\n{x}", False),
        ("{x}\n\nCan you proofread the above?", False),
        ("{x}", None),
        ("{x} Help me write an email to the team about it.", None),
        ("{x}\nWhat should I do next?", None),
        ("Draft a reply to this:\n\n{x}", None),
        ("Analyze the risks in the following and propose a step-by-step plan with owners, timeline and "
         "trade-offs:\n\n{x}", True),
    ],
    "ru": [
        ("Переведи на английский:\n\n{x}", False),
        ("переведи на немецкий плиз: {x}", False),
        ("Исправь грамматику и пунктуацию:\n{x}", False),
        ("проверь орфографию: {x}", False),
        ("Сделай из этого таблицу:\n{x}", False),
        ("Перескажи в двух предложениях:\n\n{x}", False),
        ("Перепиши вежливее:\n{x}", False),
        ("Сократи для сообщения в чат: {x}", False),
        ("Оформи списком:\n{x}", False),
        ("{x}\n\nВычитай текст выше, пожалуйста.", False),
        ("{x}", None),
        ("{x} Помоги написать письмо команде об этом.", None),
        ("{x}\nЧто мне делать дальше?", None),
        ("Набросай ответ на это:\n\n{x}", None),
        ("Разбери риски в тексте ниже и предложи пошаговый план с ответственными, сроками и компромиссами:\n\n{x}",
         True),
    ],
}

# Long material: a header, filler lines, the inserted sentence somewhere among them.
DOC_HEAD = {
    "en": ["Meeting notes, weekly sync\n", "Fwd: notes from today\n\n", "Hi team,\n\n", "Status report\n\n",
           "From: the team assistant\nSubject: catch-up\n\n", "", "--- thread ---\n"],
    "ru": ["Протокол еженедельной встречи\n", "Пересылаю заметки с сегодняшней встречи\n\n", "Коллеги, привет!\n\n",
           "Статус-отчёт\n\n", "От: ассистент отдела\nТема: итоги недели\n\n", "", "--- переписка ---\n"],
}
DOC_ASK = {
    "en": [("Summarize this thread for me:\n\n{x}", False), ("Translate these notes into Russian:\n\n{x}", False),
           ("Fix the formatting of these notes:\n\n{x}", False), ("{x}", None),
           ("{x}\n\nDraft a short reply to everyone.", None),
           ("Make a table of the action items:\n\n{x}", False)],
    "ru": [("Кратко перескажи эту переписку:\n\n{x}", False), ("Переведи заметки на английский:\n\n{x}", False),
           ("Поправь оформление протокола:\n\n{x}", False), ("{x}", None),
           ("{x}\n\nНабросай короткий ответ всем.", None),
           ("Сделай таблицу задач из протокола:\n\n{x}", False)],
}


@dataclass(frozen=True)
class Atom:
    lang: str
    text: str
    category: str  # the category of a confidential atom, "none" otherwise
    sensitive: bool


def _unescape(s: str) -> str:
    return s.replace("\\n", "\n")


def load_atoms(lang: str) -> tuple[list[Atom], list[Atom], list[Atom], list[str]]:
    conf, pub, gen = [], [], []
    for line in (ATOMS / f"{lang}_conf.tsv").read_text(encoding="utf-8").splitlines():
        cat, text = line.split("\t", 1)
        conf.append(Atom(lang, _unescape(text), cat, True))
    for line in (ATOMS / f"{lang}_pub.tsv").read_text(encoding="utf-8").splitlines():
        cat, text = line.split("\t", 1)
        pub.append(Atom(lang, _unescape(text), cat, False))
    for line in (ATOMS / f"{lang}_gen.txt").read_text(encoding="utf-8").splitlines():
        gen.append(Atom(lang, _unescape(line), "none", False))
    fill = [x for x in (ATOMS / f"{lang}_fill.txt").read_text(encoding="utf-8").splitlines() if x]
    return conf, pub, gen, fill


ORDINARY_PER_LANG = 1200
PASSAGES_PER_LANG = 250
MULTI_PER_LANG = 900
CONNECT = {"en": [" ", "\n", " Also, ", "\nThen ", " Finally, ", "\n\n"],
           "ru": [" ", "\n", " Также ", "\nПотом ", " И ещё: ", "\n\n"]}
_SLOT = re.compile(r"\{(\w+)\}")


def ordinary(lang: str, rng: random.Random, n: int) -> list[tuple[str, str, bool | None]]:
    """``n`` distinct ordinary prompts from the slot templates of ``{lang}_ordinary.txt``:
    (category it resembles or "none", text, complex or None when the template does not say).
    All harmless. A template marked ``[s]`` is simple, ``[c]`` complex."""
    templates: list[tuple[str, str]] = []
    slots: dict[str, list[str]] = {}
    for line in (ATOMS / f"{lang}_ordinary.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("@"):
            name, values = line[1:].split("\t", 1)
            slots[name] = values.split("|")
        elif line.startswith("pub:"):
            cat, text = line[4:].split("\t", 1)
            templates.append((cat, text))
        else:
            templates.append(("none", line))
    out: dict[str, tuple[str, bool | None]] = {}
    for _ in range(n * 20):
        if len(out) >= n:
            break
        cat, tmpl = rng.choice(templates)
        cx: bool | None = None
        if tmpl.startswith(("[s] ", "[c] ")):
            cx, tmpl = tmpl[1] == "c", tmpl[4:]
        text = _SLOT.sub(lambda m: rng.choice(slots[m.group(1)]), tmpl)
        out.setdefault(text, (cat, cx))
    return [(c, t, x) for t, (c, x) in out.items()]


# Asks over pasted third-party material (stories, news, reviews, public reports): harmless.
PASSAGE_ASK = {
    "en": ["Read the passage and answer: what is the main idea, and who is involved?\n\n{x}",
           "Extract all numbers and what they refer to from the text below.\n\n{x}",
           "Identify the named entities (people, organizations, places) in this article and return JSON:\n{x}",
           "Rate the following text from 1 to 5 for clarity:\n{x}", "Continue the story in the same style:\n{x}",
           "Count how many sentences are in this text:\n{x}", "Summarize in one sentence:\n{x}",
           "Translate into Russian:\n\n{x}", "{x}\n\nWhat is the tone of this text?",
           "Write three quiz questions based on this text:\n{x}", "{x}"],
    "ru": ["Прочитай текст и ответь: в чём главная мысль и кто участвует?\n\n{x}",
           "Выпиши все числа из текста и к чему они относятся.\n\n{x}",
           "Найди в статье именованные сущности (люди, организации, места) и верни JSON:\n{x}",
           "Оцени текст по ясности от 1 до 5:\n{x}", "Продолжи рассказ в том же стиле:\n{x}",
           "Посчитай, сколько предложений в тексте:\n{x}", "Перескажи в одном предложении:\n{x}",
           "Переведи на английский:\n\n{x}", "{x}\n\nКакой тон у этого текста?",
           "Придумай три вопроса для викторины по тексту:\n{x}", "{x}"],
}


def passages(lang: str, rng: random.Random, n: int) -> list[str]:
    texts = [x for x in (ATOMS / f"{lang}_passages.txt").read_text(encoding="utf-8").splitlines() if x]
    out = []
    for _ in range(n):
        k = rng.choice([1, 1, 2, 3])
        body = "\n\n".join(rng.sample(texts, k))
        ask_lang = lang if rng.random() < 0.85 else ("ru" if lang == "en" else "en")
        out.append(rng.choice(PASSAGE_ASK[ask_lang]).format(x=body))
    return out


def typos(text: str, rng: random.Random) -> str:
    """Terse chat: lowercase, fewer punctuation marks, a few swapped or dropped letters."""
    out = []
    for ch in text.lower():
        if ch in ",;:—" and rng.random() < 0.6:
            continue
        if ch.isalpha() and rng.random() < 0.025:
            continue  # dropped letter
        out.append(ch)
    chars = out
    for _ in range(max(1, len(chars) // 120)):
        i = rng.randrange(1, max(2, len(chars) - 1))
        if chars[i - 1].isalpha() and chars[i].isalpha():
            chars[i - 1], chars[i] = chars[i], chars[i - 1]
    return "".join(chars).rstrip(".")


def long_doc(lang: str, fill: list[str], inner: str | None, rng: random.Random) -> tuple[str, tuple[int, int] | None]:
    lines = rng.sample(fill, rng.randint(4, 12))
    bullet = rng.random() < 0.5
    at = rng.randint(0, len(lines))
    if inner is not None:
        lines.insert(at, inner)
    head = rng.choice(DOC_HEAD[lang])
    parts, pos, span = [], len(head), None
    for i, ln in enumerate(lines):
        piece = ("- " + ln if bullet else ln)
        if inner is not None and i == at:
            start = pos + (2 if bullet else 0)
            span = (start, start + len(ln))
        parts.append(piece)
        pos += len(piece) + 1
    return head + "\n".join(parts), span


def compose(lang: str, rng: random.Random) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    conf, pub, gen, fill = load_atoms(lang)
    other = "ru" if lang == "en" else "en"
    conf_rows: list[dict[str, object]] = []
    cx_rows: list[dict[str, object]] = []

    def add(text: str, atom: Atom | None, span: tuple[int, int] | None = None, ask_lang: str = lang) -> None:
        row: dict[str, object] = {
            "lang": ask_lang if ask_lang == lang else "mixed", "text": text,
            "sensitive": bool(atom and atom.sensitive),
            "category": atom.category if atom and atom.sensitive else "none",
        }
        if span is not None and atom is not None and atom.sensitive:
            row["span"] = list(span)
        conf_rows.append(row)

    def wrapped(atom: Atom, ask_lang: str, n: int) -> None:
        for tmpl, cx in rng.sample(WRAP[ask_lang], n):
            x = atom.text
            text = tmpl.format(x=x)
            add(text, atom, None, ask_lang)
            if cx is not None and len(x) > 60:
                cx_rows.append({"lang": ask_lang if ask_lang == lang else "mixed", "text": text, "complex": cx})

    for atom in conf + pub:
        add(atom.text, atom)
        add(typos(atom.text, rng), atom)
        wrapped(atom, lang, 3)
        wrapped(atom, other, 1)
        for _ in range(2):
            doc, span = long_doc(lang, fill, atom.text, rng)
            tmpl, cx = rng.choice(DOC_ASK[lang])
            text = tmpl.format(x=doc)
            offset = tmpl.index("{x}")
            add(text, atom, (span[0] + offset, span[1] + offset) if span else None)
            if cx is not None:
                cx_rows.append({"lang": lang, "text": text, "complex": cx})
    for atom in gen:
        add(atom.text, atom)
        add(typos(atom.text, rng), atom)
        wrapped(atom, lang, 3)
        wrapped(atom, other, 1)
        doc, _ = long_doc(lang, fill, atom.text, rng)
        add(rng.choice(DOC_ASK[lang])[0].format(x=doc), atom)
    for _ in range(60):  # filler only
        doc, _ = long_doc(lang, fill, None, rng)
        tmpl, cx = rng.choice(DOC_ASK[lang])
        add(tmpl.format(x=doc), None)
        if cx is not None:
            cx_rows.append({"lang": lang, "text": tmpl.format(x=doc), "complex": cx})

    for text in passages(lang, rng, PASSAGES_PER_LANG):
        add(text, None)
    for cat, text, is_cx in ordinary(lang, rng, ORDINARY_PER_LANG):
        atom = Atom(lang, text, cat, False)
        add(text, atom)
        if is_cx is not None:
            cx_rows.append({"lang": lang, "text": text, "complex": is_cx})
        roll = rng.random()
        if roll < 0.25:
            add(typos(text, rng), atom)
        elif roll < 0.6:
            wrapped(atom, rng.choice([lang, other]), 1)
        elif roll < 0.7:
            doc, _ = long_doc(lang, fill, text, rng)
            add(rng.choice(DOC_ASK[lang])[0].format(x=doc), atom)

    # several asks in one prompt: public and ordinary ones together (harmless), or one of them
    # replaced by a confidential statement (confidential, span recorded)
    harmless = [a.text for a in pub + gen] + [t for _, t, _ in ordinary(lang, random.Random(rng.random()), 400)]
    glue = CONNECT[lang]
    for i in range(MULTI_PER_LANG):
        parts = rng.sample(harmless, rng.randint(2, 3))
        conf_atom = rng.choice(conf) if i % 3 == 0 else None
        if conf_atom is not None:
            parts[rng.randrange(len(parts))] = conf_atom.text
        text, span = "", None
        for j, p in enumerate(parts):
            sep = "" if j == 0 else rng.choice(glue)
            if conf_atom is not None and p == conf_atom.text:
                span = (len(text) + len(sep), len(text) + len(sep) + len(p))
            text += sep + p
        add(text, conf_atom, span)

    for line in (ATOMS / f"{lang}_cx.tsv").read_text(encoding="utf-8").splitlines():
        flag, text = line.split("\t", 1)
        text = _unescape(text)
        cx_rows.append({"lang": lang, "text": text, "complex": flag == "1"})
        cx_rows.append({"lang": lang, "text": typos(text, rng), "complex": flag == "1"})
    return conf_rows, cx_rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    conf_all: list[dict[str, object]] = []
    cx_all: list[dict[str, object]] = []
    for lang in ("en", "ru"):
        c, x = compose(lang, rng)
        conf_all += c
        cx_all += x
    for name, rows in (("train_confidential.jsonl", conf_all), ("train_complexity.jsonl", cx_all)):
        with (OUT / name).open("w", encoding="utf-8") as f:
            for i, row in enumerate(rows):
                f.write(json.dumps({"id": f"{name.split('_')[1][:4]}-{i}", **row}, ensure_ascii=False) + "\n")
        print(f"{name}: {len(rows)} rows")


if __name__ == "__main__":
    main()
