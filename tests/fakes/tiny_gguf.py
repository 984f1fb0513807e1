"""A tiny random llama-architecture GGUF (a few hundred KB) that llama.cpp loads for real.

    path = write_tiny_gguf(tmp_path / "tiny.gguf")

- Tokenizer: SentencePiece-style (``tokenizer.ggml.model = "llama"``): ``<unk>``, ``<s>``, ``</s>``,
  the 256 byte-fallback tokens (so any text tokenizes) and some words and letters.
- Weights: random, except that every hidden state carries a large constant component that the
  output matrix maps to a high logit for the ordinary words and a very low one for the control and
  byte tokens: generation never emits ``</s>`` (it runs until ``max_tokens``) and its text is
  printable words. Content is still random: tests assert shapes, not text.
- ``tokenizer.chat_template``: a small Jinja template, which llama-cpp-python uses when it is
  given no ``chat_format``.
"""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np

N_EMBD, N_HEAD, N_LAYER, N_FF, N_CTX = 64, 4, 2, 128, 4096
WORDS = ("the", "a", "model", "local", "gateway", "tiny", "random", "token", "route", "policy", "cloud",
         "data", "is", "and", "of", "to", "in", "it", "safe", "fast")
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?:;'\"-()"
CHAT_TEMPLATE = ("{% for message in messages %}<|{{ message['role'] }}|>{{ message['content'] }}\n"
                 "{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}")
BOS, EOS = 1, 2


def vocabulary() -> tuple[list[str], list[float], list[int]]:
    T = gguf.TokenType
    tokens = ["<unk>", "<s>", "</s>"]
    types = [T.UNKNOWN, T.CONTROL, T.CONTROL]
    tokens += [f"<0x{b:02X}>" for b in range(256)]
    types += [T.BYTE] * 256
    normal = list(dict.fromkeys(["\u2581", *LETTERS, *(f"\u2581{w}" for w in WORDS), *WORDS]))  # unique
    tokens += normal
    types += [T.NORMAL] * len(normal)
    # SentencePiece merges prefer higher scores: longer pieces score higher.
    scores = [0.0] * (3 + 256) + [float(len(t)) for t in normal]
    return tokens, scores, [int(t) for t in types]


def write_tiny_gguf(path: Path, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    tokens, scores, types = vocabulary()
    n_vocab = len(tokens)
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_name("tiny-random-llama")
    w.add_context_length(N_CTX)
    w.add_embedding_length(N_EMBD)
    w.add_block_count(N_LAYER)
    w.add_feed_forward_length(N_FF)
    w.add_head_count(N_HEAD)
    w.add_head_count_kv(N_HEAD)
    w.add_rope_dimension_count(N_EMBD // N_HEAD)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(BOS)
    w.add_eos_token_id(EOS)
    w.add_unk_token_id(0)
    w.add_add_bos_token(True)
    w.add_chat_template(CHAT_TEMPLATE)

    def rand(*shape: int, scale: float = 0.02) -> np.ndarray:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    embd = rand(n_vocab, N_EMBD, scale=0.1)
    embd[:, 0] = 8.0  # the constant component (see the module docstring)
    w.add_tensor("token_embd.weight", embd)
    for i in range(N_LAYER):
        w.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
            w.add_tensor(f"blk.{i}.{name}.weight", rand(N_EMBD, N_EMBD))
        w.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        w.add_tensor(f"blk.{i}.ffn_gate.weight", rand(N_FF, N_EMBD))
        w.add_tensor(f"blk.{i}.ffn_up.weight", rand(N_FF, N_EMBD))
        w.add_tensor(f"blk.{i}.ffn_down.weight", rand(N_EMBD, N_FF))
    w.add_tensor("output_norm.weight", np.ones(N_EMBD, dtype=np.float32))
    out = rand(n_vocab, N_EMBD, scale=0.5)
    out[:, 0] = np.where(np.array(types) == gguf.TokenType.NORMAL,
                         rng.uniform(0.2, 0.5, n_vocab), -3.0).astype(np.float32)
    w.add_tensor("output.weight", out)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path
