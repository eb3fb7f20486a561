"""Vision Transformer (seed 002 §4.8): an image read as a sequence of patches, encoder only, MLP head.

image -> patches -> linear projection -> [class token] + patches -> + learned
positions -> pre-norm Transformer encoder -> LayerNorm of the class token ->
linear head. Pre-norm blocks (``norm_first=True``) and GELU, as in the ViT paper.
"""
from ..creation import zeros
from ..nn import init
from ..nn.linear import Linear
from ..nn.module import Module
from ..nn.parameter import Parameter
from ..nn.positional import LearnedPositionalEmbedding, PatchEmbedding
from ..nn.transformer import TransformerEncoder, TransformerEncoderLayer
from ..ops import cat


class ViT(Module):
    """``ViT(image_size, patch_size, num_classes, dim, depth, heads, mlp_dim)``: (N, C, H, W) -> (N, num_classes)."""

    def __init__(self, image_size=8, patch_size=2, num_classes=10, dim=64, depth=4, heads=4, mlp_dim=128,
                 in_channels=1, dropout=0.0, pool="cls"):
        super().__init__()
        from ..nn import Dropout, LayerNorm
        if pool not in ("cls", "mean"):
            raise ValueError(f"ViT: pool must be 'cls' or 'mean', got {pool!r}")
        self.patch_embed = PatchEmbedding(image_size, patch_size, in_channels, dim)
        self.cls_token = Parameter(zeros(1, 1, dim))
        init.normal_(self.cls_token, 0.0, 0.02)
        self.pos_embed = LearnedPositionalEmbedding(self.patch_embed.num_patches + 1, dim)
        self.dropout = Dropout(dropout)
        layer = TransformerEncoderLayer(dim, heads, mlp_dim, dropout, activation="gelu", batch_first=True,
                                        norm_first=True)
        self.encoder = TransformerEncoder(layer, depth)
        self.norm = LayerNorm(dim)
        self.head = Linear(dim, num_classes)
        self.pool = pool

    def forward(self, x):
        if x.ndim == 3:  # (N, H, W) grey images
            x = x.unsqueeze(1)
        p = self.patch_embed(x)
        cls = self.cls_token.expand(p.shape[0], 1, p.shape[2])
        h = self.dropout(self.pos_embed(cat([cls, p], dim=1)))
        h = self.norm(self.encoder(h))
        return self.head(h[:, 0] if self.pool == "cls" else h.mean(dim=1))
