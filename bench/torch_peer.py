#!/usr/bin/python3
"""The PyTorch peer of lmc-inference-bench: the same model file, the same batch sizes, on the
same cores, in PyTorch (Debian's python3-torch, CPU). lmc-inference-bench runs it between its
own measurements; it can also run alone:

    /usr/bin/python3 bench/torch_peer.py --mlp MODEL.safetensors [--batches 1,16,64] [--seconds 1]
    /usr/bin/python3 bench/torch_peer.py --bert DIR [--tokens 128] [--batches 1,16,64]
    /usr/bin/python3 bench/torch_peer.py --bert DIR --check FILE   # same embeddings as lmc?

Prints first "torch version=V threads=T1/T2", then one line per batch size, "mlp batch=B
rows_per_s=R threads=T" (or "bert ...", rows being texts; the better of the thread counts
tried). The forward passes are written with torch ops from the files, under
torch.inference_mode(): lmc's MLP layout (handlers/inference/model.h: x W^T + b per layer, relu
or exact erf GELU between layers, softmax or no head), and BERT as a Hugging Face directory
describes it (embeddings + LayerNorm; per layer self-attention with the padding mask, output
projection + residual + LayerNorm, exact GELU feed-forward + residual + LayerNorm; mean or CLS
pooling and L2 normalisation), every text `tokens` tokens long. The safetensors file is read
with the standard library and numpy (the format is an 8-byte little-endian header length, a
JSON header, then the raw tensors), so the peer needs nothing beyond python3-torch.

Tooling only: lmc's build and tests never need it (install: scripts/lib/deps.sh,
LMC_BENCH_PACKAGES).
"""

import argparse
import json
import os
import struct
import sys
import time

import numpy as np
import torch

DTYPES = {"F32": np.float32, "F16": np.float16}


def read_safetensors(path):
    """Returns ({name: float32 torch tensor}, metadata dict); integer tensors (a checkpoint's
    position_ids) are left out."""
    with open(path, "rb") as f:
        data = f.read()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + header_len])
    metadata = header.pop("__metadata__", {})
    base = 8 + header_len
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        raw = data[base + begin:base + end]
        if info["dtype"] not in ("F32", "F16", "BF16"):
            continue
        if info["dtype"] == "BF16":
            halves = np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16
            array = halves.view(np.float32)
        else:
            array = np.frombuffer(raw, dtype=DTYPES[info["dtype"]]).astype(np.float32)
        tensors[name] = torch.from_numpy(array.reshape(info["shape"]).copy())
    return tensors, metadata


class Bert:
    """A Hugging Face BERT directory (config.json, model.safetensors; tensor names with or
    without "bert."): BERT's forward pass with the padding mask, then mean or CLS pooling
    (1_Pooling/config.json) and L2 normalisation, as the issue's contract and lmc's encoder."""

    def __init__(self, directory):
        with open(os.path.join(directory, "config.json")) as f:
            config = json.load(f)
        tensors, _ = read_safetensors(os.path.join(directory, "model.safetensors"))
        tensors = {name[5:] if name.startswith("bert.") else name: t
                   for name, t in tensors.items()}
        self.t = tensors
        self.layers = config["num_hidden_layers"]
        self.heads = config["num_attention_heads"]
        self.hidden = config["hidden_size"]
        self.eps = config.get("layer_norm_eps", 1e-12)
        self.max_positions = config["max_position_embeddings"]
        self.vocab = tensors["embeddings.word_embeddings.weight"].shape[0]
        self.cls = False
        pooling = os.path.join(directory, "1_Pooling", "config.json")
        if os.path.exists(pooling):
            with open(pooling) as f:
                self.cls = json.load(f).get("pooling_mode_cls_token", False)

    def linear(self, x, name):
        return torch.nn.functional.linear(x, self.t[name + ".weight"], self.t[name + ".bias"])

    def norm(self, x, name):
        return torch.nn.functional.layer_norm(x, (self.hidden,), self.t[name + ".weight"],
                                              self.t[name + ".bias"], self.eps)

    def __call__(self, ids, mask):
        """ids [B, S] int64, mask [B, S] float (1 for tokens, 0 for padding)."""
        batch, seq = ids.shape
        d = self.hidden // self.heads
        t = self.t
        x = (t["embeddings.word_embeddings.weight"][ids] +
             t["embeddings.position_embeddings.weight"][:seq] +
             t["embeddings.token_type_embeddings.weight"][0])
        x = self.norm(x, "embeddings.LayerNorm")
        additive = (1.0 - mask)[:, None, None, :] * torch.finfo(torch.float32).min
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            def heads(y):
                return y.view(batch, seq, self.heads, d).transpose(1, 2)
            q = heads(self.linear(x, p + "attention.self.query"))
            k = heads(self.linear(x, p + "attention.self.key"))
            v = heads(self.linear(x, p + "attention.self.value"))
            scores = torch.matmul(q, k.transpose(-1, -2)) / (d ** 0.5) + additive
            context = torch.matmul(torch.softmax(scores, dim=-1), v)
            context = context.transpose(1, 2).reshape(batch, seq, self.hidden)
            x = self.norm(self.linear(context, p + "attention.output.dense") + x,
                          p + "attention.output.LayerNorm")
            inner = torch.nn.functional.gelu(self.linear(x, p + "intermediate.dense"))
            x = self.norm(self.linear(inner, p + "output.dense") + x, p + "output.LayerNorm")
        if self.cls:
            pooled = x[:, 0]
        else:
            pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        return torch.nn.functional.normalize(pooled, dim=1)


class Mlp:
    """lmc's MLP kind: layers.{i}.weight [out, in], layers.{i}.bias [out]."""

    def __init__(self, path):
        tensors, metadata = read_safetensors(path)
        if metadata.get("lmc.kind") != "mlp":
            raise ValueError(f"{path}: lmc.kind is not mlp")
        self.layers = []
        i = 0
        while f"layers.{i}.weight" in tensors:
            self.layers.append((tensors[f"layers.{i}.weight"], tensors[f"layers.{i}.bias"]))
            i += 1
        self.gelu = metadata.get("lmc.activation", "relu") == "gelu"
        self.softmax = metadata.get("lmc.head", "none") == "softmax"
        self.input_width = self.layers[0][0].shape[1]

    def __call__(self, x):
        last = len(self.layers) - 1
        for i, (weight, bias) in enumerate(self.layers):
            x = torch.nn.functional.linear(x, weight, bias)
            if i < last:
                x = torch.nn.functional.gelu(x) if self.gelu else torch.relu(x)
        return torch.softmax(x, dim=1) if self.softmax else x


def inputs(model, batch, tokens):
    """The arguments of one call: random rows (MLP), or `tokens`-token texts with every
    position a real token (BERT: [CLS] and [SEP] are ordinary ids to the forward pass)."""
    generator = torch.Generator().manual_seed(batch)
    if isinstance(model, Bert):
        ids = torch.randint(0, model.vocab, (batch, tokens), generator=generator)
        return (ids, torch.ones((batch, tokens)))
    return (torch.rand((batch, model.input_width), generator=generator) * 2 - 1,)


def rows_per_second(model, batch, seconds, tokens):
    """Best of three timed passes of about seconds/3 each, after a warm-up call."""
    args = inputs(model, batch, tokens)
    best = 0.0
    with torch.inference_mode():
        model(*args)
        for _ in range(3):
            calls = 0
            start = time.perf_counter()
            while True:
                model(*args)
                calls += 1
                elapsed = time.perf_counter() - start
                if elapsed >= seconds / 3 and (calls >= 3 or elapsed >= 1.0):
                    break
            best = max(best, calls * batch / elapsed)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--mlp", help="an lmc MLP safetensors file")
    which.add_argument("--bert", help="a Hugging Face BERT directory")
    parser.add_argument("--tokens", type=int, default=128, help="BERT: tokens per text")
    parser.add_argument("--batches", default="1,16,64")
    parser.add_argument("--seconds", type=float, default=1.0, help="per batch size")
    parser.add_argument("--check", help="BERT: a JSON file {\"ids\": [[...]], \"embeddings\": "
                        "[[...]]} from lmc; prints the largest difference and exits")
    parser.add_argument("--threads", type=int, default=0,
                        help="intra-op threads; 0: the better of 1 and every CPU this process "
                             "may run on, per batch size")
    args = parser.parse_args()
    # Debian's torch starts with one OpenMP thread. Its OpenMP threads spin at barriers, which
    # on a loaded machine can make more threads much slower than one: the peer gets its better
    # setting, measured, not a guess.
    cpus = len(os.sched_getaffinity(0))
    choices = [args.threads] if args.threads else sorted({1, cpus})
    model = Mlp(args.mlp) if args.mlp else Bert(args.bert)
    kind = "mlp" if args.mlp else "bert"
    if args.check:
        with open(args.check) as f:
            expected = json.load(f)
        ids = torch.tensor(expected["ids"], dtype=torch.int64)
        with torch.inference_mode():
            ours = model(ids, torch.ones(ids.shape))
        diff = (ours - torch.tensor(expected["embeddings"])).abs().max().item()
        print(f"{kind} check max_abs_diff={diff:.3g} over {ids.shape[0]} texts", flush=True)
        return 0
    print(f"torch version={torch.__version__} threads={'/'.join(map(str, choices))}", flush=True)
    for batch in (int(b) for b in args.batches.split(",")):
        rates = {}
        for threads in choices:
            torch.set_num_threads(threads)
            rates[threads] = rows_per_second(model, batch, args.seconds / len(choices),
                                             args.tokens)
        best = max(rates, key=rates.get)
        print(f"{kind} batch={batch} rows_per_s={rates[best]:.1f} threads={best}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
