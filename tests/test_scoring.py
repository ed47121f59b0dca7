"""The scoring configuration: shipped as versioned JSON, read strictly, written back the same,
chosen by settings, and the only home of the answering core's tuned numbers."""

from __future__ import annotations

import ast
import json
from dataclasses import fields, replace
from pathlib import Path

import pytest
from quotebot.bot.bot import Bot
from quotebot.bot.scorer import Scorer
from quotebot.bot.scoring import (
    SCORING_VERSION,
    ScoringConfig,
    ScoringError,
    load_scoring,
    save_scoring,
)

from quotebot.settings import Settings, package_dir

BOT = package_dir("quotebot.bot")


def _with_threshold(scoring: ScoringConfig, threshold: float) -> ScoringConfig:
    return replace(scoring, model=replace(scoring.model, threshold=threshold))


def test_the_shipped_configuration_loads_with_every_field_and_trained_models():
    scoring = load_scoring()
    assert scoring.to_json()["version"] == SCORING_VERSION
    assert isinstance(scoring.model, Scorer) and 0 < scoring.model.threshold < 1
    assert scoring.model.version != "untrained"
    assert any(scoring.model.sentence.coef) and any(scoring.model.answerable.coef)


def test_a_written_configuration_reads_back_equal(tmp_path):
    changed = replace(_with_threshold(load_scoring(), 0.4), extra_quote_ratio=0.7)
    path = save_scoring(changed, tmp_path / "scoring.json")
    again = load_scoring(path)
    assert again.to_json() == changed.to_json()
    assert json.loads(path.read_text())["model"]["threshold"] == 0.4


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: {**d, "version": 1}, "scoring version 1"),
        (lambda d: {k: v for k, v in d.items() if k != "rrf_k"}, "missing ['rrf_k']"),
        (lambda d: {**d, "threshold": 0.4}, "unknown ['threshold']"),
        (lambda d: {**d, "model": {"threshold": 0.5}}, "bad scoring field"),
        (
            lambda d: {
                **d,
                "model": {**d["model"], "sentence": {**d["model"]["sentence"], "coef": [1]}},
            },
            "bad scoring field",
        ),
    ],
)
def test_a_bad_scoring_file_is_refused_naming_the_file(tmp_path, change, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(change(load_scoring().to_json())))
    with pytest.raises(ScoringError) as err:
        load_scoring(path)
    assert message in str(err.value) and str(path) in str(err.value)


def test_an_unreadable_or_invalid_file_is_a_scoring_error(tmp_path):
    with pytest.raises(ScoringError, match="cannot read"):
        load_scoring(tmp_path / "missing.json")
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(ScoringError, match="not valid JSON"):
        load_scoring(tmp_path / "broken.json")


def test_settings_point_the_bot_at_a_scoring_file(tmp_path, fake_settings, fake_index):
    path = save_scoring(_with_threshold(load_scoring(), 1.01), tmp_path / "s.json")
    settings = Settings.load(environ={"QUOTEBOT_SCORING": str(path)})
    assert settings.scoring_file == path
    bot = Bot(replace(fake_settings, scoring_file=path), index=fake_index)
    assert bot.scoring.model.threshold == 1.01
    assert bot.answer("How many points were in the document?").abstained
    assert not {"abstain_threshold", "quote_margin"} & {f.name for f in fields(Settings)}


def test_every_field_of_the_configuration_is_in_the_shipped_file():
    shipped = json.loads((BOT / "scoring.v5.json").read_text())
    assert set(shipped) - {"version"} == {f.name for f in fields(ScoringConfig)}


@pytest.mark.parametrize(
    "module",
    [
        "bot",
        "pipeline",
        "retriever",
        "selector",
        "question",
        "features",
        "scorer",
        "language",
        "setting",
    ],
)
def test_no_tuned_number_lives_in_an_answering_module(module):
    """A module-level name bound to a number (or to a structure of numbers) is a tuned number
    outside the scoring configuration."""
    tree = ast.parse(Path(BOT / f"{module}.py").read_text())
    numeric = []
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            constants = [n for n in ast.walk(node.value) if isinstance(n, ast.Constant)]
            if any(type(c.value) in (int, float) for c in constants):
                numeric.append(ast.unparse(node)[:60])
    assert numeric == []


def test_tuning_does_not_assign_module_globals():
    tree = ast.parse((BOT.parent / "bench" / "tune.py").read_text())
    targets = [
        t
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Attribute)
    ]
    assert targets == []
