"""A BERT sentence-embedding reference written with PyTorch ops over the same weights (tests only).

It follows the published BERT encoder (post-norm blocks, exact-erf GELU,
LayerNorm eps from config.json) and sentence-transformers' mean pooling and
L2 normalisation, independently of gradiente's code.
"""
import json
from pathlib import Path


def torch_sentence_embeddings(torch, folder, ids, mask, types):
    from safetensors.numpy import load_file
    folder = Path(folder)
    c = json.loads((folder / "config.json").read_text())
    w = {k: torch.tensor(v) for k, v in load_file(str(folder / "model.safetensors")).items()}
    F = torch.nn.functional
    ids, mask, types = (torch.tensor(a) for a in (ids, mask, types))
    N, L = ids.shape
    H, h = c["hidden_size"], c["num_attention_heads"]
    eps = c["layer_norm_eps"]

    def ln(x, p):
        return F.layer_norm(x, (H,), w[p + ".weight"], w[p + ".bias"], eps)

    def lin(x, p):
        return F.linear(x, w[p + ".weight"], w[p + ".bias"])

    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:L][None] \
        + w["embeddings.token_type_embeddings.weight"][types]
    x = ln(x, "embeddings.LayerNorm")
    bias = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
    for i in range(c["num_hidden_layers"]):
        p = f"encoder.layer.{i}."

        def heads(t):
            return t.view(N, L, h, H // h).transpose(1, 2)
        q, k, v = (heads(lin(x, p + "attention.self." + n)) for n in ("query", "key", "value"))
        s = q @ k.transpose(-1, -2) / (H // h) ** 0.5 + bias
        ctx = (s.softmax(-1) @ v).transpose(1, 2).reshape(N, L, H)
        x = ln(lin(ctx, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
        inter = F.gelu(lin(x, p + "intermediate.dense"))
        x = ln(lin(inter, p + "output.dense") + x, p + "output.LayerNorm")
    m = mask[..., None].float()
    pooled = (x * m).sum(1) / m.sum(1).clamp(min=1e-9)
    return F.normalize(pooled, p=2, dim=1).numpy()


SENTENCES = [
    "The convolutional network slides small filters over the image.",
    "A recurrent network carries a hidden state from one time step to the next.",
    "Attention lets every token look at every other token in one step.",
    "El perceptrón multicapa aprende funciones no lineales.",
    "Hi",
    "Transformers replaced recurrence with self-attention, which parallelises over the whole sequence "
    "and so trains much faster on modern hardware, at a cost quadratic in the sequence length.",
]
