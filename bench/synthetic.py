"""A deterministic synthetic corpus of statements, generated from the seed statement.

    python -m bench.synthetic OUT_DIR [--count 1000] [--seed 7]

Statement 0 is the seed itself. Every other statement keeps the seed's shape (page chrome, a
title, a dateline, an opening statement, journalists' questions each followed by an answer,
a closing dateline) and draws its turns from the seed's with a seeded RNG: the opening
paragraphs and the question-answer pairs are sampled and shuffled, names, places and numbers
are replaced per statement (fictional officials and envoys), words are swapped for synonyms,
adverbs are put between words and sentences get an occasional opener. The text reads oddly,
but about three in four sentences differ from every other statement's, as in a real
collection, so the embedding work of a build is not deduplicated away. The same `count` and
`seed` always give the same bytes. 1,000 statements are about 7.6 MB.
"""

from __future__ import annotations

import argparse
import random
import re
from dataclasses import dataclass
from pathlib import Path

from quotebot.index.segment import sentence_spans

from quotebot.settings import DEFAULT_CORPUS

MONTHS = (
    "January February March April May June July August September October November December"
).split()
OFFICIAL_ROLES = (
    "Aide to the President",
    "Presidential Press Secretary",
    "Deputy Foreign Minister",
    "Foreign Policy Adviser",
    "Deputy Head of the Presidential Executive Office",
)
FIRST_NAMES = "Anton Boris Denis Elena Irina Kirill Larisa Oleg Pavel Roman Tatiana Viktor".split()
SURNAMES = (
    "Arkhipov Belov Chernov Danilov Egorov Fomin Gromov Kozlov Lebedev Morozov Novikov Orlov "
    "Panin Rybakov Sokolov Titov Volkov Zhukov"
).split()
ENVOY_FIRST = "Alan Brian Carol David Ellen Frank Grace Henry Laura Martin Nora Peter".split()
ENVOY_LAST = (
    "Baker Carter Dalton Ellis Foster Graham Hayes Irving Jensen Keller Lowell Mercer "
    "Norton Porter Reed Sutton"
).split()
CITIES = "Washington London Paris Berlin Ottawa Rome Madrid Vienna Geneva Helsinki".split()
PLACES = "Kiev Istanbul Riyadh Doha Abu Dhabi Cairo Ankara Belgrade Budapest Minsk".split()
REGIONS = "Middle East Balkans Caucasus Arctic Pacific Baltic Sahel Caspian".split()
NUMBER_WORDS = "two three four five six seven eight nine ten eleven twelve".split()
# word -> alternatives, swapped per occurrence with probability SWAP_P
SYNONYMS = {
    "useful": ["productive", "valuable", "helpful", "useful"],
    "constructive": ["businesslike", "frank", "constructive", "positive"],
    "substantive": ["thorough", "detailed", "substantive", "in-depth"],
    "conversation": ["discussion", "exchange", "conversation", "dialogue"],
    "discussed": ["considered", "examined", "discussed", "reviewed", "addressed"],
    "documents": ["papers", "documents", "drafts", "texts"],
    "document": ["paper", "document", "draft", "text"],
    "proposals": ["proposals", "ideas", "suggestions", "initiatives"],
    "important": ["important", "significant", "essential", "crucial"],
    "colleagues": ["colleagues", "counterparts", "partners", "interlocutors"],
    "certainly": ["certainly", "of course", "naturally", "indeed"],
    "extremely": ["extremely", "very", "highly", "truly"],
    "continue": ["continue", "pursue", "carry on", "maintain"],
    "agreed": ["agreed", "decided", "arranged", "consented"],
    "issues": ["issues", "matters", "questions", "topics"],
    "issue": ["issue", "matter", "question", "topic"],
    "meeting": ["meeting", "talks", "session", "consultations"],
    "contacts": ["contacts", "consultations", "exchanges", "dialogue"],
    "settlement": ["settlement", "resolution", "solution", "peace"],
    "crisis": ["crisis", "conflict", "situation", "dispute"],
    "discussion": ["discussion", "exchange", "debate", "review"],
    "representatives": ["representatives", "envoys", "emissaries", "delegates"],
    "achieve": ["achieve", "reach", "secure", "attain"],
    "economic": ["economic", "trade", "business", "commercial"],
    "opportunities": ["opportunities", "prospects", "possibilities", "openings"],
    "progress": ["progress", "headway", "advances", "results"],
    "details": ["details", "specifics", "particulars", "contents"],
    "position": ["position", "stance", "view", "attitude"],
    "today": ["today", "this afternoon", "this evening", "earlier today"],
    "long-term": ["long-term", "lasting", "durable", "enduring"],
    "critical": ["critical", "sceptical", "cautious", "reserved"],
    "confidential": ["confidential", "private", "closed", "discreet"],
}
SWAP_P = 0.5
OPENERS = (
    "Indeed, ",
    "As I said, ",
    "Frankly, ",
    "Let me stress that ",
    "In any case, ",
    "To be clear, ",
    "As you understand, ",
    "Once again, ",
)
OPENER_P = 0.2
# adverbs put between two words of a sentence: how many per sentence, with these weights
ADVERBS = (
    "also again still clearly really certainly indeed now then naturally fully only simply "
    "just perhaps equally"
).split()
INSERTS = ((0, 0.15), (1, 0.45), (2, 0.4))
KEEP_CAPITAL = frozenset("I Mr Mrs Ms Putin Trump President Moscow Washington Russia".split())


@dataclass(frozen=True)
class Seed:
    """The seed statement cut into its parts (paragraph texts, labels removed)."""

    chrome: str  # the web-page chrome before the title, as in the seed
    opening: list[str]  # the opening statement's paragraphs, without the speaker label
    pairs: list[tuple[str, list[str]]]  # (question, answer paragraphs), labels removed


def read_seed(path: Path = DEFAULT_CORPUS) -> Seed:
    """Return the seed statement's opening paragraphs and question-answer pairs."""
    text = path.read_text(encoding="utf-8")
    chrome = text[: text.index("Commentary")]
    paras = [p.strip() for p in re.split(r"\n\s*\n", text)]
    opening: list[str] = []
    pairs: list[tuple[str, list[str]]] = []
    in_opening = False
    for para in paras:
        head, sep, body = para.partition(": ")
        head = " ".join(head.split())  # the seed has non-breaking spaces
        if head.startswith("Aide to the President") and sep:
            in_opening = True
            opening.append(body)
        elif head == "Question" and sep:
            in_opening = False
            pairs.append((body, []))
        elif head == "Yury Ushakov" and sep:
            pairs[-1][1].append(body)
        elif in_opening:
            opening.append(para)
        elif pairs and pairs[-1][1] and not _is_dateline(para):
            pairs[-1][1].append(para)  # an answer's further paragraph
    return Seed(chrome, opening, pairs)


def _is_dateline(text: str) -> bool:
    return bool(re.match(rf"({'|'.join(MONTHS)}) \d", text))


class Perturber:
    """One statement's substitutions: its own people, places and numbers, and a seeded RNG."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        envoy = (rng.choice(ENVOY_FIRST), rng.choice(ENVOY_LAST))
        partner = (rng.choice(ENVOY_FIRST), rng.choice([s for s in ENVOY_LAST if s != envoy[1]]))
        self.names = {
            "Steve Witkoff": " ".join(envoy),
            "Jared Kushner": " ".join(partner),
            "Witkoff": envoy[1],
            "Kushner": partner[1],
            "Jared": partner[0],
            "Washington": rng.choice(CITIES),
            "Kiev": rng.choice(PLACES),
            "Middle East": rng.choice(REGIONS),
            "Gaza": rng.choice(PLACES),
        }
        points = rng.randint(12, 40)
        self.numbers = {
            "28": str(points + 1),
            "27": str(points),
            "five hours": f"{rng.choice(NUMBER_WORDS)} hours",
            "four": rng.choice(NUMBER_WORDS),
        }
        self._pattern = re.compile(
            r"\b("
            + "|".join(map(re.escape, sorted({**self.names, **self.numbers}, key=len)[::-1]))
            + r")\b"
        )
        self._words = re.compile(r"\b(" + "|".join(map(re.escape, SYNONYMS)) + r")\b")

    def paragraph(self, text: str) -> str:
        """Return `text` with this statement's substitutions, synonyms and openers."""
        sentences = [text[s:e] for s, e in sentence_spans(text, 0, len(text))]
        return " ".join(self.sentence(s) for s in sentences)

    def sentence(self, text: str) -> str:
        """Return one perturbed sentence."""
        text = self._pattern.sub(lambda m: {**self.names, **self.numbers}[m.group()], text)
        text = self._words.sub(self._swap, text)
        text = self._insert_adverbs(text)
        if self.rng.random() < OPENER_P:
            first = re.match(r"\w*", text).group()
            if first not in KEEP_CAPITAL and first[1:2].islower():
                text = text[0].lower() + text[1:]
            text = self.rng.choice(OPENERS) + text
        return text

    def _insert_adverbs(self, text: str) -> str:
        words = text.split(" ")
        (count,) = self.rng.choices([n for n, _ in INSERTS], [w for _, w in INSERTS])
        for _ in range(count if len(words) > 3 else 0):
            words.insert(self.rng.randint(1, len(words) - 1), self.rng.choice(ADVERBS))
        return " ".join(words)

    def _swap(self, match: re.Match) -> str:
        if self.rng.random() >= SWAP_P:
            return match.group()
        return self.rng.choice(SYNONYMS[match.group()])


def statement(seed: Seed, number: int, base_seed: int = 7) -> str:
    """Return the text of synthetic statement `number` (about 7 KB)."""
    rng = random.Random(base_seed * 1_000_003 + number)
    p = Perturber(rng)
    role = rng.choice(OFFICIAL_ROLES)
    official = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
    envoy = p.names["Steve Witkoff"]
    date = f"{rng.choice(MONTHS)} {rng.randint(1, 28)}, {rng.randint(2019, 2026)}"
    dateline = f"{date}, The Kremlin, Moscow"
    title = (
        f"Commentary by {role} {official} on Vladimir Putin’s meeting with "
        f"US President’s Special Envoy {envoy}"
    )
    opening = rng.sample(seed.opening, rng.randint(2, len(seed.opening)))
    parts = [seed.chrome + title, dateline, f"{role} {official}: {p.paragraph(opening[0])}"]
    parts += [p.paragraph(o) for o in opening[1:]]
    target = rng.randint(5_600, 8_400)
    size = sum(len(x) for x in parts)
    while size < target:
        question, answers = rng.choice(seed.pairs)
        turn = [f"Question: {p.paragraph(question)}", f"{official}: {p.paragraph(answers[0])}"]
        turn += [p.paragraph(a) for a in answers[1:]]
        parts += turn
        size += sum(len(x) + 2 for x in turn)
    parts.append(dateline)
    return "\n\n".join(parts) + "\n"


def write_corpus(out: Path, count: int = 1000, base_seed: int = 7) -> list[Path]:
    """Write `count` statements into `out` (statement 0 is the seed); return their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    seed = read_seed()
    paths = []
    for n in range(count):
        path = out / f"statement-{n:04d}.txt"
        if n == 0:
            text = DEFAULT_CORPUS.read_text(encoding="utf-8")
        else:
            text = statement(seed, n, base_seed)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def change_one(path: Path) -> None:
    """Append one more question-and-answer turn to the statement at `path` (before its closing
    dateline), as an edit to one file of an indexed corpus. The new sentences name the file,
    so no other edit has embedded them before."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    body, _, dateline = text.rstrip("\n").rpartition("\n\n")
    extra = (
        f"Question: Will the documents of {path.stem} be published?\n\n"
        f"Yury Ushakov: Not at this stage of {path.stem}. We will decide on that together "
        "with our partners."
    )
    path.write_text(f"{body}\n\n{extra}\n\n{dateline}\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.synthetic", description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    paths = write_corpus(args.out, args.count, args.seed)
    total = sum(p.stat().st_size for p in paths)
    print(f"{len(paths)} statements, {total / 1e6:.1f} MB in {args.out}")


if __name__ == "__main__":
    main()
