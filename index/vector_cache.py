"""A per-user cache of passage vectors, so that re-indexing after one file changes embeds only
the texts that are new.

One folder per embedder under `<cache_dir>/vectors/<name>-<dim>/`:
  keys.json         {"embedder", "dim", "rows", "vectors": "<token>.npy", "keys": [...]}, where
                    each key is the sha1 of a normalised text and row i of the vectors is its vector
  <token>.npy       float32 (rows, dim); never rewritten: a write makes a new token

`keys.json` is replaced atomically and names its vectors file, so a reader sees one complete
generation or none, and two writers at once cost one of them its additions, never correctness.
The vectors are a plain .npy read with numpy's defaults (no pickle) and the keys are JSON.
An unreadable or inconsistent cache counts as empty.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import tempfile
from pathlib import Path

import numpy as np

MAX_BYTES = 2**30  # past this, a write keeps only the vectors of the latest build


def text_key(text: str) -> str:
    """Return the cache key of a (normalised) text."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class VectorCache:
    """The cached vectors of one embedder: look texts up, then add the new ones."""

    def __init__(self, cache_dir: Path, name: str, dim: int) -> None:
        self.folder = Path(cache_dir) / "vectors" / f"{name}-{dim}"
        self.name, self.dim = name, dim
        self._rows: dict[str, int] = {}
        self._vectors = np.zeros((0, dim), np.float32)
        self._read()

    def __len__(self) -> int:
        return len(self._rows)

    def _read(self) -> None:
        try:
            with open(self.folder / "keys.json", encoding="utf-8") as fh:
                meta = json.load(fh)
            if meta["embedder"] != self.name or int(meta["dim"]) != self.dim:
                return
            vectors = np.load(self.folder / Path(meta["vectors"]).name, mmap_mode="r")
            keys = meta["keys"]
            if vectors.dtype != np.float32 or vectors.shape != (len(keys), self.dim):
                return
        except (OSError, ValueError, KeyError, TypeError):
            return
        self._rows = {k: i for i, k in enumerate(keys)}
        self._vectors = vectors

    def lookup(self, keys: list[str]) -> tuple[np.ndarray, list[int]]:
        """Return (vectors for `keys`, zero rows where missing) and the indexes missing."""
        out = np.zeros((len(keys), self.dim), np.float32)
        found = [(i, self._rows[k]) for i, k in enumerate(keys) if k in self._rows]
        if found:
            at, rows = map(list, zip(*found, strict=True))
            order = np.argsort(rows)  # read the memory map front to back
            out[np.asarray(at)[order]] = self._vectors[np.asarray(rows)[order]]
        missing = [i for i, k in enumerate(keys) if k not in self._rows]
        return out, missing

    def add(self, keys: list[str], vectors: np.ndarray, used: list[str]) -> None:
        """Store `vectors` under `keys` and write the cache; when it would grow past
        MAX_BYTES, keep only the keys in `used` (the latest build's). Never raises OSError:
        a cache that cannot be written is only slower next time."""
        new = [(k, i) for i, k in enumerate(keys) if k not in self._rows]
        if not new:
            return
        all_keys = list(self._rows) + [k for k, _ in new]
        if len(all_keys) * self.dim * 4 > MAX_BYTES:
            keep = set(used)
            old = [k for k in self._rows if k in keep]
            table = np.concatenate(
                [self._vectors[[self._rows[k] for k in old]], vectors[[i for _, i in new]]]
            )
            all_keys = old + [k for k, _ in new]
        else:
            table = np.concatenate([self._vectors, vectors[[i for _, i in new]]])
        try:
            self._write(all_keys, np.ascontiguousarray(table, dtype=np.float32))
        except OSError:
            return

    def _write(self, keys: list[str], table: np.ndarray) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{secrets.token_hex(8)}.npy"
        np.save(self.folder / name, table)
        meta = {"embedder": self.name, "dim": self.dim, "rows": len(keys), "vectors": name}
        fd, tmp = tempfile.mkstemp(prefix=".keys-", suffix=".json", dir=self.folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({**meta, "keys": keys}, fh)
            os.replace(tmp, self.folder / "keys.json")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            (self.folder / name).unlink(missing_ok=True)
            raise
        for old in self.folder.glob("*.npy"):
            if old.name != name:
                old.unlink(missing_ok=True)  # a reader holding its memory map keeps its data
        self._rows = {k: i for i, k in enumerate(keys)}
        self._vectors = table
