"""ShuffleNet's channel shuffle: a free permutation that lets grouped convs mix groups."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cvquiz.demos.mobilenet.common import (
    LAYER_COUNT,
    TORCHVISION,
    ModelCount,
    _changed_channels,
    model_count,
)
from cvquiz.demos.params import Param, Settings
from cvquiz.demos.registry import demo
from cvquiz.demos.result import (
    MACS_CONVENTION,
    Presentation,
    Table,
    check,
)
from cvquiz.demos.runner import DemoContext

if TYPE_CHECKING:
    from torch import nn

# Channel shuffle (Q31)

SHUFFLE = demo(
    "channel-shuffle",
    stochastic=False,  # the same numbers at every seed
    title="ShuffleNet's channel shuffle: letting grouped convs talk",
    summary="shuffle is a permutation; grouped convs keep groups isolated unless shuffled; ShuffleNetV2 vs MobileNetV2",
    params=(
        Param(
            "channels",
            int,
            12,
            "channels C (a multiple of groups)",
            min=2,
            max=1024,
            multiple_of="groups",
        ),
        Param("groups", int, 3, "groups g", min=2, max=64),
        Param("size", int, 8, "height and width", min=1, max=64),
    ),
)


@dataclass(frozen=True)
class ShuffleNumbers:
    """Where the shuffle puts each channel, which groups a nudge reaches, and two models' counts."""

    order: tuple[int, ...]  # the channel at each position after zoo.channel_shuffle
    plain: tuple[int, ...]  # groups reached from group 0 through two grouped convs
    shuffled: tuple[int, ...]  # the same with a shuffle between them
    shufflenet: ModelCount
    mobilenet_v2: ModelCount
    unit_channels: int  # output channels of the two ShuffleNetV2 units probed
    unit_sources: tuple[tuple[int, ...], ...]  # per unit: which concatenated channel each output is
    unit_matches: (
        int  # output channels, over both units, equal to where a 2-group shuffle puts them
    )


def shuffle_order(c: int, g: int) -> list[int]:
    """Position i holds channel (i mod g)·C/g + ⌊i/g⌋: reshape (g, C/g) → transpose → flatten."""
    return [(i % g) * (c // g) + i // g for i in range(c)]


def shuffle_reach(c: int, g: int) -> list[int]:
    """Groups that group 0's channels land in after one shuffle: min(g, C/g) of them.

    Group 0's C/g channels land at positions j·g (j < C/g), i.e. in groups ⌊j·g / (C/g)⌋, so one
    shuffle reaches every group only when C/g ≥ g (C ≥ g²).
    """
    per = c // g
    return sorted({j * g // per for j in range(per)})


@SHUFFLE.measure
def measure_shuffle(s: Settings, ctx: DemoContext) -> ShuffleNumbers:
    import torch
    from torch import nn

    from cvquiz.demos import zoo

    c, g = s.channels, s.groups
    per = c // g
    labels = torch.arange(c, dtype=torch.float32).view(1, c, 1, 1)  # (1, C, 1, 1)
    order = tuple(int(v) for v in zoo.channel_shuffle(labels, g).flatten())

    dev = ctx.device
    conv1 = nn.Conv2d(c, c, 1, groups=g).to(dev)  # grouped 1x1
    conv2 = nn.Conv2d(c, c, 1, groups=g).to(dev)
    x = torch.randn(1, c, s.size, s.size, generator=ctx.rng).to(dev)  # (1, C, H, W)
    nudged = x.clone()
    nudged[:, 0] += 1.0  # channel 0 belongs to group 0

    def groups_of(channels_moved: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(sorted({ch // per for ch in channels_moved}))

    with torch.no_grad():
        plain = groups_of(_changed_channels(conv2(conv1(x)), conv2(conv1(nudged))))
        shuffled = groups_of(
            _changed_channels(
                conv2(zoo.channel_shuffle(conv1(x), g)),
                conv2(zoo.channel_shuffle(conv1(nudged), g)),
            )
        )
    units = _unit_sources(ctx)
    return ShuffleNumbers(
        order=order,
        plain=plain,
        shuffled=shuffled,
        shufflenet=model_count("shufflenet_v2_x1_0"),
        mobilenet_v2=model_count("mobilenet_v2"),
        unit_channels=len(units[0][0]),
        unit_sources=tuple(sources for sources, _ in units),
        unit_matches=sum(matches for _, matches in units),
    )


def _unit_sources(ctx: DemoContext) -> list[tuple[tuple[int, ...], int]]:
    """Stage 2's first two units (stride 2, stride 1) of the zoo's ShuffleNetV2 1.0×, run for real."""
    import torch
    from torch import nn

    from cvquiz.demos import zoo

    model = zoo.build_meta(zoo.shufflenet_v2_x1_0)
    found = []
    for unit in (model.stage2[0], model.stage2[1]):
        # What unit.to_empty(device) does, but with torch.empty: to_empty's empty_like of a meta
        # tensor runs torch's python reference and imports sympy on first use (about 1 s).
        unit = unit._apply(lambda t: torch.empty(t.shape, dtype=t.dtype, device=ctx.device))
        for m in unit.modules():
            if isinstance(m, nn.Conv2d | nn.BatchNorm2d):
                m.reset_parameters()  # from torch's generator, seeded by the run
        found.append(_sources(unit, ctx))
    return found


def _sources(unit: nn.Module, ctx: DemoContext) -> tuple[tuple[int, ...], int]:
    """Which channel of cat(kept half or branch1, branch2) each output channel is (-1: none),
    and how many output channels equal the one a 2-group shuffle puts there."""
    import torch

    seen: dict[str, torch.Tensor] = {}
    hooks = [unit.branch2.register_forward_hook(lambda _m, _i, out: seen.update(b2=out))]
    if unit.stride == 2:
        hooks.append(unit.branch1.register_forward_hook(lambda _m, _i, out: seen.update(b1=out)))
    c_in = unit.branch2[0].in_channels * (1 if unit.stride == 2 else 2)
    x = torch.randn(1, c_in, 16, 16, generator=ctx.rng).to(ctx.device)  # (1, C, 16, 16)
    with torch.no_grad():
        out = unit(x)  # (1, C_out, H', W')
    for hook in hooks:
        hook.remove()
    first = seen["b1"] if unit.stride == 2 else x[:, : c_in // 2]
    both = torch.cat((first, seen["b2"]), 1)[0].flatten(1)  # (C_out, H'·W')
    flat = out[0].flatten(1)
    # same[k, i]: output channel k equals concatenated channel i exactly, at every pixel.
    same = (flat.unsqueeze(1) == both.unsqueeze(0)).all(dim=2)  # (C_out, C_out)
    # The first equal channel (argmax returns the first maximum), or -1 when none is.
    first_equal = torch.where(same.any(dim=1), same.int().argmax(dim=1), -1)
    sources = tuple(int(i) for i in first_equal)
    # Compared with the expected source directly: two all-zero ReLU channels would be equal.
    order = shuffle_order(len(flat), 2)
    rows = torch.arange(len(flat), device=same.device)
    return sources, int(same[rows, torch.tensor(order, device=same.device)].sum())


def _listed(values: Iterable[object]) -> str:
    """Values as '0, 4, 8'."""
    return ", ".join(map(str, values))


@SHUFFLE.present
def present_shuffle(r: ShuffleNumbers, s: Settings) -> Presentation:
    c, g = s.channels, s.groups
    per = c // g
    order, sh = r.order, r.shufflenet
    return Presentation(
        explanation=(
            "A grouped conv splits channels into g groups and convolves each group alone: g× cheaper, "
            "but a stack of grouped convs never mixes information between groups.",
            "ShuffleNet's fix is a free permutation: reshape channels to (g, C/g), transpose, flatten. The "
            "C/g channels of one group are dealt out to min(g, C/g) groups, so when C ≥ g² (as in ShuffleNet) "
            "the next grouped conv sees a channel from every group"
            + (
                "."
                if per >= g
                else f"; here C/g = {per} < g = {g}, so one shuffle reaches only {per} group{'s' if per > 1 else ''}."
            ),
            "MobileNet's trick is different: depthwise conv for space, dense 1×1 for channels. Both aim at fast inference.",
        ),
        tables=(
            Table(
                title=f"Channel order after shuffling C={c} channels in g={g} groups of {per}",
                columns=("positions", "hold channels", "from groups"),
                rows=tuple(
                    (
                        f"{i}–{i + g - 1}",
                        _listed(order[i : i + g]),
                        ", ".join(str(ch // per) for ch in order[i : i + g]),
                    )
                    for i in range(0, min(c, 8 * g), g)
                ),
                note=f"(first {8 * g} positions)" if c > 8 * g else None,
            ),
            Table(
                title="Nudge input channel 0 (group 0) through two grouped 1×1 convs",
                columns=("between the convs", "output groups that change"),
                rows=(("nothing", _listed(r.plain)), ("channel shuffle", _listed(r.shuffled))),
            ),
            Table(
                title="Inside ShuffleNetV2 1.0×: which branch channel each output channel is",
                columns=("unit", "output channels 0–7 are concat channels", "2-group order"),
                rows=tuple(
                    (name, _listed(sources[:8]), _listed(shuffle_order(r.unit_channels, 2)[:8]))
                    for name, sources in zip(
                        ("stage2.0 (stride 2)", "stage2.1 (stride 1)"), r.unit_sources, strict=True
                    )
                ),
                note=f"concat = (kept half or branch1, branch2), {r.unit_channels} channels",
            ),
            Table(
                title="Two efficient families at 224×224",
                columns=("model", "params", "MACs", "published"),
                rows=tuple(
                    (
                        m.name,
                        m.params,
                        m.analytic_macs,
                        f"{m.reference_params:,} / {m.reference_gmacs} G",
                    )
                    for m in (sh, r.mobilenet_v2)
                ),
            ),
        ),
        checks=(
            check(
                "channel shuffle is a permutation (every channel once)",
                expected=_listed(range(c)),
                measured=_listed(sorted(order)),
                source="sorted(shuffled channel labels)",
            ),
            check(
                "shuffle order: position i holds channel (i mod g)·C/g + ⌊i/g⌋",
                expected=_listed(shuffle_order(c, g)),
                measured=_listed(order),
                source="reshape (g, C/g) → transpose → flatten",
            ),
            check(
                "without shuffle, group 0's input reaches only group 0",
                expected="0",
                measured=_listed(r.plain),
                source="experiment",
            ),
            check(
                f"with shuffle, it reaches min(g, C/g) = {min(g, per)} groups"
                + (" (every group)" if per >= g else ""),
                expected=_listed(shuffle_reach(c, g)),
                measured=_listed(r.shuffled),
                source="formula: groups ⌊j·g/(C/g)⌋ for j < C/g; measured by nudging channel 0",
            ),
            check(
                "ShuffleNetV2 units shuffle their concatenated halves with 2 groups",
                expected=f"{2 * r.unit_channels} of {2 * r.unit_channels} output channels",
                measured=f"{r.unit_matches} of {2 * r.unit_channels} output channels",
                source="Ma et al. 2018, Fig. 3(c, d): concat then channel shuffle (2 groups): output k = "
                "input (k mod 2)·C/2 + ⌊k/2⌋; measured: stage 2's stride-2 and stride-1 units of the "
                "zoo's model run for real, each output channel found among the concatenated branches",
            ),
            check(
                "ShuffleNetV2 1.0x params",
                expected=2_278_604,
                measured=sh.params,
                source=TORCHVISION,
            ),
            check(
                "ShuffleNetV2 1.0x: 0.145 GMACs",
                expected=145_000_000,
                measured=sh.analytic_macs,
                source=f"{TORCHVISION}; measured: {LAYER_COUNT}",
                abs_tol=500_000,
            ),
            check(
                "MobileNetV2 1.0 params",
                expected=3_504_872,
                measured=r.mobilenet_v2.params,
                source=TORCHVISION,
            ),
        ),
        convention=MACS_CONVENTION,
    )
