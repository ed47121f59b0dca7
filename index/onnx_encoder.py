"""Running an exported sentence-embedding model (index/onnx_export.py) with onnxruntime and the
`tokenizers` library: no torch, no transformers.

The packaged tokenizer.json pads and truncates every text to a fixed 128 tokens; here it
truncates at the model's limit (256 for all-MiniLM-L6-v2, as sentence-transformers does) and
pads each batch only to its longest text. Texts are embedded in batches of similar length.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

BATCH = 32  # texts per session run; measured on 2 cores, 32-64 is fastest, 256 much slower


class OnnxEncoder:
    """Texts -> L2-normalised sentence embeddings (float32), through one ONNX session per
    thread count (a query runs on 1 thread, an index build on 2: onnxruntime fixes a session's
    threads when it is created). Sessions are created on first use."""

    def __init__(self, model_dir: Path, tokenizer_file: Path, max_tokens: int) -> None:
        from tokenizers import Tokenizer

        self.model_file = Path(model_dir) / "model.onnx"
        self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_tokens)
        pad = self.tokenizer.token_to_id("[PAD]")
        self.tokenizer.enable_padding(pad_id=pad, pad_token="[PAD]")
        self._sessions: dict[int, object] = {}
        self._lock = threading.Lock()

    def session(self, threads: int):
        """Return the session that runs on `threads` threads (created once)."""
        with self._lock:
            if threads not in self._sessions:
                import onnxruntime as ort

                options = ort.SessionOptions()
                options.intra_op_num_threads = threads
                options.inter_op_num_threads = 1
                options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
                options.log_severity_level = 3  # errors only
                self._sessions[threads] = ort.InferenceSession(
                    str(self.model_file), options, providers=["CPUExecutionProvider"]
                )
            return self._sessions[threads]

    def encode(self, texts: list[str], threads: int) -> np.ndarray:
        """Return the embeddings of `texts`, shape (len(texts), dim), in their order."""
        session = self.session(threads)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        parts = []
        for start in range(0, len(order), BATCH):
            rows = order[start : start + BATCH]
            encodings = self.tokenizer.encode_batch([texts[i] for i in rows])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            parts.append(session.run(None, {"input_ids": ids, "attention_mask": mask})[0])
        if not parts:
            return np.zeros((0, session.get_outputs()[0].shape[1]), np.float32)
        out = np.empty((len(texts), parts[0].shape[1]), np.float32)
        out[order] = np.concatenate(parts)
        return out
