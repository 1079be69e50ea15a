"""ViT-B/16 (Dosovitskiy et al. 2021, "An Image is Worth 16x16 Words"), in torchvision's layout.

The image is cut into 16x16 patches, each projected to a 768-d token; a class token and learned
position embeddings are added, and 12 pre-norm Transformer encoder blocks (multi-head
self-attention, then a GELU MLP, each around an identity shortcut) read the class token out.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import NamedTuple

import torch
from torch import nn

LN_EPS = 1e-6


class ViTConfig(NamedTuple):
    """A Vision Transformer's shape (Dosovitskiy et al. 2021, Table 1)."""

    image_size: int = 224
    patch: int = 16
    dim: int = 768
    depth: int = 12
    heads: int = 12
    mlp_dim: int = 3072

    @property
    def tokens(self) -> int:
        """Patches plus the class token: (224/16)² + 1 = 197 for ViT-B/16."""
        return (self.image_size // self.patch) ** 2 + 1


VIT_B_16 = ViTConfig()


class SelfAttention(nn.Module):
    """Multi-head self-attention, softmax(Q·Kᵀ/√d)·V per head (Vaswani et al. 2017, eq. 1).

    Parameters named as nn.MultiheadAttention's (in_proj_weight stacks W_q, W_k, W_v).
    """

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim {dim} must divide into {heads} heads")
        self.heads = heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * dim, dim))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * dim))
        self.out_proj = nn.Linear(dim, dim)
        nn.init.xavier_uniform_(self.in_proj_weight)
        nn.init.zeros_(self.out_proj.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, t, d = x.shape
        qkv = nn.functional.linear(x, self.in_proj_weight, self.in_proj_bias)  # (N, T, 3D)
        qkv = qkv.view(n, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]  # (N, heads, T, D/heads) each
        scores = q @ k.transpose(-2, -1) / math.sqrt(d // self.heads)  # (N, heads, T, T)
        out = scores.softmax(dim=-1) @ v  # (N, heads, T, D/heads)
        return self.out_proj(out.transpose(1, 2).reshape(n, t, d))  # (N, T, D)

    def own_macs(self, inputs: tuple[tuple[int, ...], ...], output: tuple[int, ...]) -> int:
        """The functional part, for counting by formula: the Q, K, V projections (N·T·D·3D),
        Q·Kᵀ and attention·V (N·T²·D each); out_proj is a Linear, counted on its own."""
        n, t, d = inputs[0]
        return n * t * d * 3 * d + 2 * n * t * t * d


class EncoderBlock(nn.Module):
    """Pre-norm Transformer block: x + MSA(LN(x)), then + MLP(LN(·)) (Dosovitskiy et al., eqs. 2-3)."""

    def __init__(self, dim: int, heads: int, mlp_dim: int) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(dim, eps=LN_EPS)
        self.self_attention = SelfAttention(dim, heads)
        self.ln_2 = nn.LayerNorm(dim, eps=LN_EPS)
        # Indices 0 and 3 as torchvision's MLPBlock (with dropouts at 2 and 4).
        self.mlp = nn.Sequential(
            nn.Linear(dim, mlp_dim),
            nn.GELU(),
            nn.Dropout(0.0),
            nn.Linear(mlp_dim, dim),
            nn.Dropout(0.0),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.self_attention(self.ln_1(x))  # (N, T, D)
        return x + self.mlp(self.ln_2(x))


class Encoder(nn.Module):
    """Position embeddings, the stack of encoder blocks, and a final LayerNorm."""

    def __init__(self, config: ViTConfig) -> None:
        super().__init__()
        self.pos_embedding = nn.Parameter(torch.empty(1, config.tokens, config.dim))
        nn.init.normal_(self.pos_embedding, std=0.02)
        self.layers = nn.Sequential(
            OrderedDict(
                (f"encoder_layer_{i}", EncoderBlock(config.dim, config.heads, config.mlp_dim))
                for i in range(config.depth)
            )
        )
        self.ln = nn.LayerNorm(config.dim, eps=LN_EPS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ln(self.layers(x + self.pos_embedding))


class VisionTransformer(nn.Module):
    """ViT: patch embedding (a strided conv), class token, encoder, linear head on the class token."""

    def __init__(self, config: ViTConfig = VIT_B_16, *, num_classes: int = 1000) -> None:
        super().__init__()
        self.config = config
        self.conv_proj = nn.Conv2d(3, config.dim, kernel_size=config.patch, stride=config.patch)
        self.class_token = nn.Parameter(torch.zeros(1, 1, config.dim))
        self.encoder = Encoder(config)
        self.heads = nn.Sequential(OrderedDict(head=nn.Linear(config.dim, num_classes)))
        fan_in = 3 * config.patch**2
        nn.init.trunc_normal_(self.conv_proj.weight, std=math.sqrt(1 / fan_in))
        nn.init.zeros_(self.conv_proj.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        x = self.conv_proj(x)  # (N, D, H/16, W/16)
        x = x.flatten(2).transpose(1, 2)  # (N, 196, D): one token per patch
        x = torch.cat([self.class_token.expand(n, -1, -1), x], dim=1)  # (N, 197, D)
        x = self.encoder(x)
        return self.heads(x[:, 0])  # (N, num_classes)


def vit_macs(config: ViTConfig = VIT_B_16, *, num_classes: int = 1000) -> int:
    """MACs of one image by formula: the patch embedding, per block Q, K, V and output projections
    (4·T·D²), Q·Kᵀ and attention·V (2·T²·D), the MLP (2·T·D·D_mlp), and the head."""
    t, d = config.tokens, config.dim
    patches = t - 1
    embed = patches * d * 3 * config.patch**2
    block = 4 * t * d * d + 2 * t * t * d + 2 * t * d * config.mlp_dim
    return embed + config.depth * block + d * num_classes


def vit_b_16(*, num_classes: int = 1000) -> VisionTransformer:
    """ViT-B/16 (Dosovitskiy et al. 2021): 12 blocks, 768-d tokens, 12 heads, MLP 3072, 224x224."""
    return VisionTransformer(VIT_B_16, num_classes=num_classes)
