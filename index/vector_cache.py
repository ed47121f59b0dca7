"""A per-user cache of passage vectors, so that re-indexing after one file changes embeds only
the texts that are new.

One folder per embedder under `<cache_dir>/vectors/<name>-<dim>/`:
  keys.json     {"embedder", "dim", "segments": [{"vectors": "<token>.npy", "keys": [...]}]},
                where each key is the sha1 of a normalised text and row i of a segment's vectors
                is the vector of its i-th key
  <token>.npy   float32 (rows, dim), never rewritten: a build that embedded new texts adds one
                segment with only those, and past MAX_SEGMENTS all but the largest are merged
                into one

`keys.json` is replaced atomically and names its vectors files, so a reader sees one complete
generation or none, and two writers at once cost one of them its additions, never correctness.
The vectors are plain .npy files read with numpy's defaults (no pickle) and the keys are JSON.
An unreadable or inconsistent cache counts as empty, and a cached vector that is not a finite
unit (or zero) vector counts as missing, with a one-line notice: its text is embedded again.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import orjson

MAX_BYTES = 2**30  # past this, a write keeps only the vectors of the latest build
MAX_SEGMENTS = 8
UNIT_NORM_TOLERANCE = 1e-3  # on the squared norm
_VECTORS_FILE = re.compile(r"[0-9a-f]{16}\.npy")  # the names `_save` gives: only those are removed


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Return which rows of `vectors` are finite unit (or zero) vectors: NaN or inf anywhere in
    a row shows in its squared norm, computed in float32 (fp16 rows too)."""
    norms = np.einsum("ij,ij->i", vectors, vectors, dtype=np.float32)
    return (np.abs(norms - 1) < UNIT_NORM_TOLERANCE) | (norms == 0)


def text_key(text: str) -> str:
    """Return the cache key of a (normalised) text."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class VectorCache:
    """The cached vectors of one embedder: look texts up, then add the new ones."""

    def __init__(self, cache_dir: Path, name: str, dim: int) -> None:
        self.folder = Path(cache_dir) / "vectors" / f"{name}-{dim}"
        self.name, self.dim = name, dim
        self._segments: list[tuple[str, list[str], np.ndarray]] = []  # (file, keys, vectors)
        self._rows: dict[str, int] = {}  # key -> row in the segments, one after the other
        self._read()

    def __len__(self) -> int:
        return len(self._rows)

    def _read(self) -> None:
        try:
            with open(self.folder / "keys.json", "rb") as fh:
                meta = orjson.loads(fh.read())
            if meta["embedder"] != self.name or int(meta["dim"]) != self.dim:
                return
            segments = []
            for segment in meta["segments"]:
                name, keys = Path(segment["vectors"]).name, segment["keys"]
                vectors = np.load(self.folder / name, mmap_mode="r")
                if vectors.dtype != np.float32 or vectors.shape != (len(keys), self.dim):
                    return
                segments.append((name, keys, vectors))
        except (OSError, ValueError, KeyError, TypeError):
            return
        self._use(segments)

    def _use(self, segments: list[tuple[str, list[str], np.ndarray]]) -> None:
        self._segments = segments
        self._rows = {k: i for i, k in enumerate(k for _, keys, _ in segments for k in keys)}

    def lookup(self, keys: list[str]) -> tuple[np.ndarray, list[int]]:
        """Return (vectors for `keys`, zero rows where missing) and the indexes missing."""
        out = np.zeros((len(keys), self.dim), np.float32)
        found = np.fromiter((self._rows.get(k, -1) for k in keys), np.int64, len(keys))
        start = 0
        for _, segment_keys, vectors in self._segments:
            at = np.flatnonzero((found >= start) & (found < start + len(segment_keys)))
            rows = found[at] - start
            order = np.argsort(rows, kind="stable")  # read the memory map front to back
            out[at[order]] = vectors[rows[order]]
            start += len(segment_keys)
        missing = np.flatnonzero(found < 0).tolist()
        bad = ~unit_rows(out)
        bad[missing] = False
        if bad.any():
            print(
                f"quotebot: {int(bad.sum())} cached vectors in {self.folder} are damaged "
                "(not finite unit vectors); embedding their texts again",
                file=sys.stderr,
            )
            out[bad] = 0
            for i in np.flatnonzero(bad):
                self._rows.pop(keys[i], None)  # so that `add` stores the new vector
            missing = sorted([*missing, *np.flatnonzero(bad).tolist()])
        return out, missing

    def add(self, keys: list[str], vectors: np.ndarray, used: Callable[[], Iterable[str]]) -> None:
        """Store `vectors` under `keys` as a new segment and write the cache. When it would
        grow past MAX_BYTES, keep only the keys `used()` gives (the latest build's); past
        MAX_SEGMENTS, merge every segment but the largest into one. Never raises OSError: a
        cache that cannot be written is only slower next time."""
        new = [i for i, k in enumerate(keys) if k not in self._rows]
        if not new:
            return
        new_keys = [keys[i] for i in new]
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            segments = [*self._segments, self._save(new_keys, vectors[new])]
            appended = False
            if (len(self._rows) + len(new)) * self.dim * 4 > MAX_BYTES:
                segments = [self._kept(segments, set(used()))]
            elif len(segments) > MAX_SEGMENTS:
                # the largest (all a corpus's texts, typically) is not read and written again
                # for each few new ones: merging all took 1.4 s at 1,000 statements, this 0.01 s
                largest = max(segments, key=lambda segment: len(segment[1]))
                segments = [largest, self._joined([s for s in segments if s is not largest])]
            else:
                appended = True
            self._write_keys(segments)
        except OSError:
            return
        if appended:  # the rows held keep their places: only the new ones are numbered
            start = sum(len(segment_keys) for _, segment_keys, _ in self._segments)
            self._segments = segments
            self._rows.update(zip(new_keys, range(start, start + len(new_keys)), strict=True))
        else:
            self._use(segments)

    def _save(self, keys: list[str], vectors: np.ndarray) -> tuple[str, list[str], np.ndarray]:
        name = f"{secrets.token_hex(8)}.npy"
        table = np.ascontiguousarray(vectors, dtype=np.float32)
        np.save(self.folder / name, table)
        return name, keys, table

    def _joined(self, segments) -> tuple[str, list[str], np.ndarray]:
        """Return one new segment holding every row of `segments`."""
        keys = [k for _, ks, _ in segments for k in ks]
        return self._save(keys, np.concatenate([v for _, _, v in segments]))

    def _kept(self, segments, keep: set[str]) -> tuple[str, list[str], np.ndarray]:
        """Return one new segment holding the rows of `segments` whose key is in `keep`."""
        keys = [k for _, ks, _ in segments for k in ks if k in keep]
        parts = [v[[i for i, k in enumerate(ks) if k in keep]] for _, ks, v in segments]
        return self._save(keys, np.concatenate(parts))

    def _write_keys(self, segments) -> None:
        meta = {
            "embedder": self.name,
            "dim": self.dim,
            "segments": [{"vectors": name, "keys": keys} for name, keys, _ in segments],
        }
        fd, tmp = tempfile.mkstemp(prefix=".keys-", suffix=".json", dir=self.folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(orjson.dumps(meta))
            os.replace(tmp, self.folder / "keys.json")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        named = {name for name, _, _ in segments}
        for old in self.folder.glob("*.npy"):
            if old.name not in named and _VECTORS_FILE.fullmatch(old.name):
                old.unlink(missing_ok=True)  # a reader holding its memory map keeps its data
