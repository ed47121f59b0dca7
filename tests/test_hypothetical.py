"""bench.hypothetical: the seed's hypothetical questions still point at its sentences, and the
measurement ranks them with the real embedders."""

from __future__ import annotations

import json
from pathlib import Path

from quotebot.index.text import normalise

from bench.hypothetical import measure
from quotebot.settings import DEFAULT_CORPUS

GENERATED = Path(__file__).resolve().parents[1] / "evals" / "hypothetical.statement.jsonl"


def test_the_generated_questions_point_at_the_seeds_sentences():
    source = DEFAULT_CORPUS.read_text(encoding="utf-8")
    rows = [json.loads(line) for line in GENERATED.read_text(encoding="utf-8").splitlines()]
    assert len(rows) > 40
    for row in rows:
        assert normalise(source[row["start"] : row["end"]]) == row["sentence"]
        assert row["question"].endswith("?") and len(row["question"].split()) >= 3


def test_measure_ranks_the_seeds_sentences_with_both_embedders(real_settings, capsys):
    measure("statement", GENERATED, Path(real_settings.cache_dir))
    lines = capsys.readouterr().out.splitlines()
    questions = int(lines[0].split()[0])
    assert questions >= 60
    figures = [line for line in lines if "recall@1/3/5" in line]
    assert [line.split()[0] for line in figures] == ["minilm"] * 3 + ["e5"] * 3
    for line in figures:
        r1, r3, r5 = map(float, line.split()[-3:])
        assert 0.0 < r1 <= r3 <= r5 <= 1.0
