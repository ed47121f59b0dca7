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


def single_thread_session(model_file: Path, optimised: bool = False):
    """Return an onnxruntime session over `model_file` that runs on one thread (a query never
    waits for a second one); with `optimised`, the graph was optimised when it was saved and
    is loaded as it is."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3  # errors only
    if optimised:
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])


class OnnxEncoder:
    """Texts -> L2-normalised sentence embeddings (float32), through one single-threaded ONNX
    session. A batch on `threads` threads runs that many sub-batches at once (onnxruntime
    releases the GIL, and a session may run from several threads): on 2 cores this scales
    better than splitting each matrix product between threads, and a query (1 thread) never
    waits for a second thread. The session is created on first use."""

    def __init__(self, model_dir: Path, tokenizer_file: Path, max_tokens: int) -> None:
        from tokenizers import Tokenizer

        self.model_file = Path(model_dir) / "model.onnx"
        self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_tokens)
        pad = self.tokenizer.token_to_id("[PAD]")
        self.tokenizer.enable_padding(pad_id=pad, pad_token="[PAD]")
        self._session = None
        self._lock = threading.Lock()

    @property
    def session(self):
        """Return the onnxruntime session (created once)."""
        with self._lock:
            if self._session is None:
                self._session = single_thread_session(self.model_file)
            return self._session

    def _run(self, texts: list[str]) -> np.ndarray:
        # one text (a question) is tokenised on this thread: `encode_batch` hands even one to
        # the tokenizer's thread pool, whose wake-up took milliseconds on a busy machine
        one = len(texts) == 1
        encodings = [self.tokenizer.encode(texts[0])] if one else self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        return self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]

    def encode(self, texts: list[str], threads: int = 1) -> np.ndarray:
        """Return the embeddings of `texts`, shape (len(texts), dim), in their order, running
        up to `threads` sub-batches at once."""
        session = self.session
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        batches = [[texts[i] for i in order[s : s + BATCH]] for s in range(0, len(order), BATCH)]
        if not batches:
            return np.zeros((0, session.get_outputs()[0].shape[1]), np.float32)
        if threads > 1 and len(batches) > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(min(threads, len(batches))) as pool:
                parts = list(pool.map(self._run, batches))
        else:
            parts = [self._run(b) for b in batches]
        out = np.empty((len(texts), parts[0].shape[1]), np.float32)
        out[order] = np.concatenate(parts)
        return out
