"""Index persistence: round trip, stale and corrupt indexes, atomic writes, no pickle."""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest
from quotebot.index.corpus import load_corpus
from quotebot.index.records import Passage
from quotebot.index.store import (
    FORMAT_VERSION,
    MAX_CACHED_INDEXES,
    IndexCorrupt,
    IndexDirError,
    IndexStale,
    build,
    check_target,
    default_index_dir,
    ensure_index,
    load,
    save,
)


def built(settings, embedder):
    return build(load_corpus(settings.corpus), [embedder], settings)


def test_round_trip_keeps_passages_sources_and_vectors(tmp_path, fake_settings, fake_embedder):
    index = built(fake_settings, fake_embedder)
    save(index, tmp_path / "ix")
    loaded = load(tmp_path / "ix", index.corpus_hash, ["fake"])
    assert loaded.passages == index.passages
    assert loaded.source("statement") == index.source("statement")
    assert loaded.vectors["fake"].passages.ntotal == len(index.passages)
    assert loaded.vectors["fake"].sentences.ntotal == len(index.sentence_refs)
    q = fake_embedder.embed_queries(["five hours"])
    assert (
        loaded.vectors["fake"].sentences.search(q, 3)[1]
        == index.vectors["fake"].sentences.search(q, 3)[1]
    ).all()
    names = sorted(p.name for p in (tmp_path / "ix").iterdir())
    assert names == [
        "documents.json",
        "fake.passages.faiss",
        "fake.sentences.faiss",
        "lexicon.json",
        "manifest.json",
        "passages.json",
    ]
    assert loaded.lexicon.to_json() == index.lexicon.to_json()
    records = json.loads((tmp_path / "ix" / "passages.json").read_text())
    names = [f.name for f in fields(Passage)]
    assert all(list(record) == names for record in records)  # every field, in order
    assert [Passage.from_json(record) for record in records] == index.passages
    record = records[0]
    for broken in (
        {k: v for k, v in record.items() if k != "role"},
        {**record, "extra": 1},
        dict(reversed(record.items())),
    ):
        with pytest.raises(TypeError):
            Passage.from_json(broken)
    manifest = json.loads((tmp_path / "ix" / "manifest.json").read_text())
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["embedders"] == [{"name": "fake", "dim": 64}]
    assert manifest["corpus_hash"] == index.corpus_hash


def test_ensure_index_builds_once_then_loads(fake_settings, fake_embedder):
    first = ensure_index(fake_settings)
    calls = fake_embedder.calls
    second = ensure_index(fake_settings)
    assert fake_embedder.calls == calls, "a fresh index is loaded, not rebuilt"
    assert second.path == first.path == default_index_dir(fake_settings, first.corpus_hash)
    assert second.passages == first.passages


def test_a_changed_corpus_gets_a_new_index(tmp_path, fake_settings, seed_text):
    corpus = tmp_path / "statement.txt"
    corpus.write_text(seed_text, encoding="utf-8")
    settings = replace(fake_settings, corpus=(corpus,))
    first = ensure_index(settings)
    corpus.write_text(seed_text.replace("five hours", "six hours"), encoding="utf-8")
    second = ensure_index(settings)
    assert second.corpus_hash != first.corpus_hash
    assert "six hours" in second.source("statement")


def test_the_cache_keeps_the_most_recently_used_indexes(tmp_path, fake_settings, seed_text):
    corpus = tmp_path / "statement.txt"
    settings = replace(fake_settings, corpus=(corpus,))
    folder = Path(settings.cache_dir) / "indexes"
    foreign = folder / "0123456789abcdef-fake"  # named like an index, but the user's folder
    foreign.mkdir(parents=True)
    (foreign / "notes.txt").write_text("mine", encoding="utf-8")
    paths = []
    for hours in range(MAX_CACHED_INDEXES + 2):
        time.sleep(0.02)  # file times move by clock ticks (4-10 ms)
        if paths:  # the first index, loaded before each build: used most recently
            time.sleep(0.02)
            corpus.write_text(seed_text.replace("five hours", "0 hours"), encoding="utf-8")
            assert ensure_index(settings).path == paths[0]
        corpus.write_text(seed_text.replace("five hours", f"{hours} hours"), encoding="utf-8")
        paths.append(ensure_index(settings).path)
    kept = {p for p in folder.iterdir() if not p.name.startswith(".")}
    expected = {foreign, paths[0], *paths[-(MAX_CACHED_INDEXES - 1) :]}
    assert kept == expected
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "mine"
    locks = {p.name for p in folder.iterdir() if p.name.endswith(".lock")}
    assert locks == {f".{p.name}.lock" for p in expected - {foreign}}


def test_stale_index_in_a_fixed_dir_is_rebuilt_with_a_message(tmp_path, fake_settings):
    settings = replace(fake_settings, index_dir=tmp_path / "fixed")
    ensure_index(settings)
    manifest = tmp_path / "fixed" / "manifest.json"
    data = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**data, "corpus_hash": "0" * 64}))
    messages = []
    index = ensure_index(settings, log=messages.append)
    assert len(messages) == 1 and "corpus changed" in messages[0]
    assert json.loads(manifest.read_text())["corpus_hash"] == index.corpus_hash


def test_version_and_embedder_mismatch_are_stale(tmp_path, fake_settings, fake_embedder):
    index = built(fake_settings, fake_embedder)
    save(index, tmp_path / "ix")
    with pytest.raises(IndexStale, match="embedders"):
        load(tmp_path / "ix", index.corpus_hash, ["minilm"])
    manifest = tmp_path / "ix" / "manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "format_version": 0}))
    with pytest.raises(IndexStale, match="format"):
        load(tmp_path / "ix")


@pytest.mark.parametrize(
    ("name", "damage"),
    [
        ("fake.sentences.faiss", lambda b: b[: len(b) // 2]),
        ("fake.passages.faiss", lambda b: b"garbage" * 10),
        ("passages.json", lambda b: b[:-20]),
        ("documents.json", lambda b: b.replace(b"five hours", b"nine hours")),
        ("manifest.json", lambda b: b"{"),
        ("lexicon.json", lambda b: b[:-20]),
        ("lexicon.json", lambda b: b.replace(b'"bm25"', b'"bm26"')),
    ],
)
def test_corrupt_files_get_an_error_naming_the_file_and_the_fix(
    tmp_path, fake_settings, fake_embedder, name, damage
):
    save(built(fake_settings, fake_embedder), tmp_path / "ix")
    path = tmp_path / "ix" / name
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(IndexCorrupt) as err:
        load(tmp_path / "ix")
    assert name in str(err.value) and "quotebot index --rebuild" in str(err.value)


def test_a_corrupt_cached_index_is_rebuilt(fake_settings):
    index = ensure_index(fake_settings)
    (index.path / "fake.passages.faiss").write_bytes(b"broken")
    messages = []
    again = ensure_index(fake_settings, log=messages.append)
    assert "fake.passages.faiss" in messages[0]
    assert again.vectors["fake"].passages.ntotal == len(index.passages)


def test_a_half_written_index_is_never_loaded(tmp_path, fake_settings, fake_embedder, monkeypatch):
    index = built(fake_settings, fake_embedder)
    import faiss

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(faiss, "write_index", crash)
    with pytest.raises(OSError):
        save(index, tmp_path / "ix")
    assert not (tmp_path / "ix").exists()
    assert list(tmp_path.iterdir()) == [], "the temporary directory is cleaned up"


def test_rebuild_replaces_an_existing_index_atomically(tmp_path, fake_settings, fake_embedder):
    index = built(fake_settings, fake_embedder)
    save(index, tmp_path / "ix")
    save(index, tmp_path / "ix")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ix"]
    assert load(tmp_path / "ix").passages == index.passages


def test_a_read_only_cache_falls_back_to_memory(tmp_path, fake_settings):
    import os

    if os.geteuid() == 0:
        target = tmp_path / "file-not-dir"
        target.write_text("x")  # a path under a regular file cannot be created, even as root
        settings = replace(fake_settings, cache_dir=target / "cache")
    else:
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o500)
        settings = replace(fake_settings, cache_dir=ro)
    messages = []
    index = ensure_index(settings, log=messages.append)
    assert index.path is None and len(index.passages) > 10
    assert "in memory" in messages[0] and "QUOTEBOT_CACHE_DIR" in messages[0]


def test_no_pickle_is_written(fake_settings):
    index = ensure_index(fake_settings)
    for path in index.path.iterdir():
        assert path.suffix in (".json", ".faiss")
        assert not path.read_bytes().startswith(b"\x80"), f"{path} looks like a pickle"


# --- where an index may be written: nothing of the user's is ever replaced or removed --------


def tree(path):
    """Every path under `path` (links not followed) with its content or link target."""
    out = {}
    for p in sorted(path.rglob("*")):
        if p.is_symlink():
            out[str(p)] = "-> " + os.readlink(p)
        elif p.is_file():
            out[str(p)] = p.read_bytes()
        else:
            out[str(p)] = "dir"
    return out


def forbid_writes(monkeypatch):
    """Make every way store.py writes, renames or removes fail the test."""
    import shutil
    import tempfile

    import filelock

    def forbidden(*args, **kwargs):
        raise AssertionError(f"a write was attempted: {args}")

    for owner, name in [
        (os, "rename"),
        (os, "replace"),
        (os, "mkdir"),
        (os, "makedirs"),
        (os, "unlink"),
        (os, "rmdir"),
        (shutil, "rmtree"),
        (tempfile, "mkdtemp"),
        (Path, "mkdir"),
        (Path, "unlink"),
        (Path, "rmdir"),
        (filelock, "FileLock"),
    ]:
        monkeypatch.setattr(owner, name, forbidden)


def user_folder(tmp_path, settings=None):
    folder = tmp_path / "v"
    (folder / "sub").mkdir(parents=True)
    (folder / "notes.txt").write_text("x\n")
    (folder / "sub" / "kept.md").write_text("keep me\n")
    return folder


def user_file(tmp_path, settings):
    path = tmp_path / "notes.txt"
    path.write_text("my notes\n")
    return path


def link_to_folder(tmp_path, settings):
    target = user_folder(tmp_path)
    link = tmp_path / "link"
    link.symlink_to(target, target_is_directory=True)
    return link


def link_to_an_index(tmp_path, settings):
    # even a link to a real index is not replaced: the link is the user's
    Path(tmp_path / "ix").mkdir()
    (tmp_path / "ix" / "manifest.json").write_text('{"format_version": 2, "files": []}')
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "ix", target_is_directory=True)
    return link


def index_with_a_users_file(tmp_path, settings):
    folder = tmp_path / "ix"
    ensure_index(replace(settings, index_dir=folder))
    (folder / "my-notes.txt").write_text("added by the user\n")
    return folder


def folder_with_a_foreign_manifest(tmp_path, settings):
    folder = tmp_path / "web"
    folder.mkdir()
    (folder / "manifest.json").write_text('{"name": "my web app", "files": ["manifest.json"]}')
    (folder / "index.html").write_text("<html></html>")
    return folder


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (user_folder, "not a quotebot index"),
        (user_file, "is a file"),
        (link_to_folder, "symbolic link"),
        (link_to_an_index, "symbolic link"),
        (index_with_a_users_file, "not a quotebot index"),
        (folder_with_a_foreign_manifest, "not a quotebot index"),
    ],
)
def test_an_index_is_never_written_over_what_quotebot_did_not_create(
    tmp_path, fake_settings, fake_embedder, make, message
):
    target = make(tmp_path, fake_settings)
    before = tree(tmp_path)
    with pytest.raises(ValueError, match=message):  # IndexDirError, or Settings for a file
        ensure_index(replace(fake_settings, index_dir=target), rebuild=True)
    with pytest.raises(IndexDirError, match=message):
        save(built(fake_settings, fake_embedder), target)
    assert tree(tmp_path) == before, "nothing was added, renamed or removed"


def test_refusals_come_before_any_write_for_root_home_and_the_repository(
    tmp_path, fake_settings, monkeypatch
):
    home = tmp_path / "home"
    (home / ".config").mkdir(parents=True)
    (home / ".bashrc").write_text("# mine\n")
    monkeypatch.setenv("HOME", str(home))
    forbid_writes(monkeypatch)
    repository = Path(__file__).resolve().parents[1]
    for target in (Path("/"), Path.home(), repository, Path(str(repository) + "/.")):
        with pytest.raises(IndexDirError):
            check_target(target)
        with pytest.raises(IndexDirError):
            ensure_index(replace(fake_settings, index_dir=target))
    assert Path.home() == home and (home / ".bashrc").read_text() == "# mine\n"


def test_cli_refuses_a_foreign_index_dir_with_one_line_and_exit_2(tmp_path):
    import subprocess
    import sys

    folder = user_folder(tmp_path)
    notes = tmp_path / "notes.txt"
    notes.write_text("x\n")
    before = tree(tmp_path)
    root = Path(__file__).resolve().parents[1]
    runs = [
        (["index", "--index-dir", str(folder)], {}),
        (["index", "--index-dir", str(notes)], {}),
        (["ask", "How long did the meeting last?"], {"QUOTEBOT_INDEX_DIR": str(folder)}),
    ]
    for args, env in runs:
        result = subprocess.run(
            [sys.executable, "-m", "quotebot.cli", *args],
            capture_output=True,
            text=True,
            cwd=root,
            timeout=120,
            env={**os.environ, "QUOTEBOT_CACHE_DIR": str(tmp_path / "cache"), **env},
        )
        assert result.returncode == 2, result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert result.stderr.startswith("quotebot: error:")
    assert {k: v for k, v in tree(tmp_path).items() if "/cache" not in k} == before


def test_a_cache_dir_with_the_users_files_keeps_them(tmp_path, fake_settings):
    cache = user_folder(tmp_path)
    before = tree(cache)
    index = ensure_index(replace(fake_settings, cache_dir=cache), rebuild=True)
    ensure_index(replace(fake_settings, cache_dir=cache, max_passage_chars=600), rebuild=True)
    after = tree(cache)
    assert {k: v for k, v in after.items() if k in before} == before
    assert index.path.parent == cache / "indexes"


def test_an_empty_folder_is_used_and_an_index_replaced_file_by_file(tmp_path, fake_settings):
    folder = tmp_path / "ix"
    folder.mkdir()
    settings = replace(fake_settings, index_dir=folder)
    ensure_index(settings)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["files"] == sorted(p.name for p in folder.iterdir())
    ensure_index(settings, rebuild=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".ix.lock", "cache", "ix"]


@pytest.mark.parametrize("version", [1, 2])
def test_an_index_of_an_earlier_format_is_recognised_and_replaced(tmp_path, fake_settings, version):
    folder = tmp_path / "ix"
    settings = replace(fake_settings, index_dir=folder)
    ensure_index(settings)
    manifest = json.loads((folder / "manifest.json").read_text())
    del manifest["files"], manifest["limits"]
    (folder / "manifest.json").write_text(json.dumps({**manifest, "format_version": version}))
    if version == 1:
        with pytest.raises(IndexDirError):  # format 1 had no lexicon: this file is not its
            check_target(folder)
        (folder / "lexicon.json").unlink()
    assert check_target(folder) == sorted(p.name for p in folder.iterdir())
    messages = []
    index = ensure_index(settings, log=messages.append)
    assert f"format {version}" in messages[0] and index.path == folder
    assert json.loads((folder / "manifest.json").read_text())["format_version"] == FORMAT_VERSION


# --- an index that does not match its sources is not trusted --------------------------------


def rewrite_documents(folder, old, new):
    """Change the stored text of every document and update its sha256 to match."""
    path = folder / "documents.json"
    docs = json.loads(path.read_text())
    for d in docs:
        d["text"] = d["text"].replace(old, new)
        d["sha256"] = hashlib.sha256(d["text"].encode("utf-8")).hexdigest()
    path.write_text(json.dumps(docs))


def rewrite_passages(folder, change):
    path = folder / "passages.json"
    path.write_text(json.dumps([change(p) for p in json.loads(path.read_text())]))


def rewrite_vectors(folder, name, change):
    import faiss

    path = folder / name
    index = faiss.read_index(str(path))
    vectors = change(index.reconstruct_n(0, index.ntotal))
    fresh = faiss.IndexFlatIP(index.d)
    fresh.add(np.ascontiguousarray(vectors, dtype=np.float32))
    faiss.write_index(fresh, str(path))


def random_units(v):
    r = np.random.default_rng(0).standard_normal(v.shape)
    return r / np.linalg.norm(r, axis=1, keepdims=True)


@pytest.mark.parametrize(
    ("tamper", "named"),
    [
        (lambda f: rewrite_documents(f, "five hours", "ten hours!"), "documents.json"),
        (
            lambda f: rewrite_passages(
                f, lambda p: {**p, "speaker": "Dmitry Peskov"} if p["speaker"] else p
            ),
            "passages.json",
        ),
        (lambda f: rewrite_passages(f, lambda p: {**p, "role": "answer"}), "passages.json"),
        (
            lambda f: rewrite_passages(f, lambda p: {**p, "start": p["start"] + 1}),
            "passages.json",
        ),
        (lambda f: rewrite_vectors(f, "fake.sentences.faiss", lambda v: v * 3), "unit length"),
        (
            lambda f: rewrite_vectors(
                f, "fake.passages.faiss", lambda v: np.where(v > 0.2, np.nan, v)
            ),
            "not finite",
        ),
        (lambda f: rewrite_vectors(f, "fake.passages.faiss", lambda v: v[:-1]), "expected"),
    ],
    ids=["text", "speakers", "roles", "offsets", "scaled", "nan", "count"],
)
def test_a_tampered_index_is_rebuilt_from_the_sources_with_one_line(
    tmp_path, fake_settings, tamper, named
):
    settings = replace(fake_settings, index_dir=tmp_path / "ix")
    first = ensure_index(settings)
    tamper(tmp_path / "ix")
    messages = []
    again = ensure_index(settings, log=messages.append)
    assert len(messages) == 1 and named in messages[0] and "\n" not in messages[0]
    assert "five hours" in again.source("statement") and "ten hours!" not in again.source(
        "statement"
    )
    assert again.passages == first.passages
    reloaded = load(tmp_path / "ix", first.corpus_hash, ["fake"], load_corpus(settings.corpus))
    assert reloaded.passages == first.passages


def test_the_index_answers_from_the_files_not_from_its_copies(tmp_path, fake_settings):
    settings = replace(fake_settings, index_dir=tmp_path / "ix")
    ensure_index(settings)
    sources = load_corpus(settings.corpus)
    index = load(tmp_path / "ix", None, None, sources)
    assert index.documents["statement"] is sources[0]
    rewrite_documents(tmp_path / "ix", "five hours", "nine hours")
    rewrite_passages(
        tmp_path / "ix", lambda p: {**p, "text": p["text"].replace("five hours", "nine hours")}
    )
    assert "nine hours" in load(tmp_path / "ix").source("statement"), "consistent alone"
    with pytest.raises(IndexCorrupt, match="differs from its file"):
        load(tmp_path / "ix", None, None, sources)


def test_randomised_unit_vectors_of_the_right_shape_still_load(tmp_path, fake_settings):
    # The limit of the checks: vectors cannot be told from others of the same shape without
    # embedding again. They change the ranking, never a quote or who said it (see bot/verify.py).
    settings = replace(fake_settings, index_dir=tmp_path / "ix")
    first = ensure_index(settings)
    rewrite_vectors(tmp_path / "ix", "fake.passages.faiss", random_units)
    assert load(tmp_path / "ix", first.corpus_hash, ["fake"]).passages == first.passages


def test_a_killed_writers_temporary_folder_is_removed_but_not_a_foreign_one(
    tmp_path, fake_settings
):
    settings = replace(fake_settings, index_dir=tmp_path / "ix")
    abandoned = tmp_path / ".ix.tmp-killed1"
    abandoned.mkdir()
    (abandoned / "documents.json").write_text("[")
    (abandoned / "fake.passages.faiss").write_bytes(b"half")
    odd = tmp_path / ".ix.tmp-odd"
    (odd / "sub").mkdir(parents=True)
    (odd / "notes.txt").write_text("mine")
    ensure_index(settings)
    assert not abandoned.exists()
    assert (odd / "notes.txt").read_text() == "mine" and (odd / "sub").is_dir()


# --- a re-index starts from the previous index of the same corpus -------------------------


@pytest.fixture
def updates(monkeypatch) -> list[bool]:
    """Whether each re-index was made from a previous index (True) or built in full."""
    from quotebot.index import store

    made: list[bool] = []
    real = store._made

    def spy(*args):
        index = real(*args)
        made.append(index is not None)
        return index

    monkeypatch.setattr(store, "_made", spy)
    return made


def change_corpus(folder: Path, seed_text: str) -> None:
    """Change s2 (its words, title and date), remove s4 and add s5 (a statement that asks about
    something else)."""
    path = folder / "s2.txt"
    text = path.read_text(encoding="utf-8").replace("8 hours", "9 hours")
    text = text.replace("Commentary by", "Remarks by").replace("December 3, 2025", "May 4, 2026")
    path.write_text(text, "utf-8")
    (folder / "s4.txt").unlink()
    extra = seed_text.replace("five hours", "twelve hours") + "\n\nQuestion: And the budget?\n"
    (folder / "s5.txt").write_text(extra, encoding="utf-8")


def assert_same_index(a, b) -> None:
    assert a.passages == b.passages and a.documents == b.documents
    assert a.lexicon.to_json() == b.lexicon.to_json()
    assert a.lexicon.words == b.lexicon.words and a.lexicon.answers_of == b.lexicon.answers_of
    assert a.vectors.keys() == b.vectors.keys()
    for name in a.vectors:
        for level in ("passages", "sentences"):
            x, y = (getattr(i.vectors[name], level) for i in (a, b))
            assert type(x) is type(y)
            assert np.array_equal(x.reconstruct_n(0, x.ntotal), y.reconstruct_n(0, y.ntotal))


@pytest.mark.parametrize("half", [False, True], ids=["fp32", "fp16"])
def test_a_re_index_made_from_the_previous_index_equals_a_full_build(
    statements, fake_settings, fake_embedder, seed_text, updates, monkeypatch, half
):
    from quotebot.index import store

    if half:  # the 1,000 statements' vectors are stored as fp16
        monkeypatch.setattr(store, "HALF_MIN_VECTORS", 10)
    settings = replace(fake_settings, corpus=(statements,))
    first = ensure_index(settings)
    change_corpus(statements, seed_text)
    again = ensure_index(settings)
    assert updates == [True] and again.path != first.path
    fresh = build(load_corpus([statements]), [fake_embedder], settings)  # no cache at all
    assert_same_index(again, fresh)
    reloaded = load(again.path, again.corpus_hash, ["fake"], load_corpus([statements]))
    assert_same_index(reloaded, fresh)


@pytest.mark.parametrize(
    "damage",
    [
        lambda f: rewrite_passages(f, lambda p: {**p, "start": p["start"] + 1}),
        lambda f: rewrite_vectors(f, "fake.sentences.faiss", lambda v: v * 3),
        lambda f: rewrite_vectors(f, "fake.passages.faiss", lambda v: v[:-1]),
        lambda f: (f / "lexicon.json").write_text('{"version": 1, "words": {}}'),
        lambda f: (f / "documents.json").write_text("[{"),
    ],
    ids=["offsets", "scaled", "count", "lexicon", "documents"],
)
def test_a_damaged_previous_index_is_not_used(
    statements, fake_settings, fake_embedder, seed_text, updates, damage
):
    settings = replace(fake_settings, corpus=(statements,))
    first = ensure_index(settings)
    damage(first.path)
    change_corpus(statements, seed_text)
    again = ensure_index(settings)
    assert updates in ([], [False])  # unread (the documents) or not used
    assert_same_index(again, build(load_corpus([statements]), [fake_embedder], settings))


def test_only_an_index_of_the_same_corpus_location_is_a_previous_one(
    tmp_path, statements, fake_settings, seed_text, updates
):
    import shutil

    other = tmp_path / "other"
    shutil.copytree(statements, other)
    ensure_index(replace(fake_settings, corpus=(other,)))
    change_corpus(statements, seed_text)
    ensure_index(replace(fake_settings, corpus=(statements,)))
    assert updates == []
    ensure_index(replace(fake_settings, corpus=(statements,), max_passage_sentences=3))
    assert updates == []


def test_an_index_of_another_segmentation_version_is_not_a_previous_one(
    statements, fake_settings, fake_embedder, seed_text, updates, monkeypatch
):
    from quotebot.index import document_cache, store

    settings = replace(fake_settings, corpus=(statements,))
    ensure_index(settings)
    for module in (store, document_cache):  # as a new quotebot would segment
        monkeypatch.setattr(module, "SEGMENTATION_KEY", store.SEGMENTATION_KEY + ".next")
    change_corpus(statements, seed_text)
    again = ensure_index(settings)
    assert updates == []  # its passages were not taken
    assert_same_index(again, build(load_corpus([statements]), [fake_embedder], settings))


def test_a_previous_index_held_by_another_writer_is_not_waited_for(
    statements, fake_settings, seed_text, updates
):
    from filelock import FileLock

    settings = replace(fake_settings, corpus=(statements,))
    first = ensure_index(settings)
    change_corpus(statements, seed_text)
    with FileLock(str(first.path.with_name(f".{first.path.name}.lock"))):
        again = ensure_index(settings)
    assert updates == [] and again.corpus_hash != first.corpus_hash
