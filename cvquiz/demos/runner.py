"""Running a demo: settings validated, device resolved, randomness seeded, then measure and present."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cvquiz.demos.params import resolve_settings
from cvquiz.demos.registry import get_demo
from cvquiz.demos.result import COUNTER_SOURCE, Check, DemoResult, check
from cvquiz.errors import CvquizError

if TYPE_CHECKING:
    import torch

DEVICES = ("cpu", "cuda", "auto")
# Tensors above this many elements (1 GiB of float32) are refused before allocation.
MAX_ELEMENTS = 2**28
MAX_SEED = 2**63 - 1


@dataclass(frozen=True)
class DemoContext:
    """What a demo's measure step may use: the device, the seed, and a generator seeded with it.

    Draw random tensors from `rng` (on the CPU, then move them to `device`), so a seed gives the
    same numbers on every device.
    """

    device: torch.device
    seed: int
    rng: torch.Generator


def resolve_device(name: str) -> torch.device:
    """'cpu', 'cuda' (or 'cuda:N') and 'auto' (cuda when available) as a torch.device."""
    import torch

    wanted = name.strip().lower()
    if wanted == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if wanted == "cpu":
        return torch.device("cpu")
    if wanted == "cuda" or re.fullmatch(r"cuda:\d+", wanted):
        if not torch.cuda.is_available():
            raise CvquizError(
                f"--device {name}: CUDA is not available here (torch {torch.__version__}); use --device cpu or auto"
            )
        device = torch.device(wanted)
        if device.index is not None and device.index >= torch.cuda.device_count():
            from cvquiz.words import plural

            count = plural(torch.cuda.device_count(), "CUDA device")
            raise CvquizError(f"--device {name}: only {count} here (cuda:0 to cuda:N-1)")
        return device
    raise CvquizError(f"--device {name}: expected one of {', '.join(DEVICES)}")


def refuse_large(elements: int, *, what: str, limit: int = MAX_ELEMENTS) -> None:
    """Refuse, before allocating, a tensor of more than `limit` elements."""
    if elements > limit:
        raise CvquizError(
            f"{what} needs {elements:,} elements ({elements * 4 / 2**30:.1f} GiB as float32); "
            f"the limit is {limit:,}: choose smaller --set values"
        )


def run_demo(
    id: str,
    *,
    settings: Mapping[str, Any] | None = None,
    device: str = "cpu",
    seed: int = 0,
    oracle: bool = False,
) -> DemoResult:
    """Validate settings and device, run measure then present, and stamp settings, device and seed.

    Module initialisation draws from torch's global generator: it is seeded too, inside a forked
    RNG state, so a run neither depends on nor disturbs the caller's randomness. With `oracle`
    (verify, tests), every MAC count the demo makes by formula is made again by FlopCounterMode,
    and each pair becomes a check in `result.oracle`.
    """
    spec = get_demo(id)
    resolved = resolve_settings(spec.id, spec.params, settings)
    if not 0 <= seed <= MAX_SEED:
        raise CvquizError(f"--seed {seed}: expected an integer in 0..{MAX_SEED}")
    torch_device = resolve_device(device)
    import torch

    with torch.random.fork_rng(devices=[torch_device] if torch_device.type == "cuda" else []):
        torch.manual_seed(seed)
        ctx = DemoContext(device=torch_device, seed=seed, rng=torch.Generator().manual_seed(seed))
        assert spec.measure_step is not None and spec.present_step is not None
        if oracle:
            from cvquiz.demos.zoo.counting import oracle as counting_oracle

            with counting_oracle() as counts:
                numbers = spec.measure_step(resolved, ctx)
            oracle_checks = _oracle_checks(counts)
        else:
            numbers, oracle_checks = spec.measure_step(resolved, ctx), ()
    shown = spec.present_step(numbers, resolved)
    return DemoResult(
        demo_id=spec.id,
        title=spec.title,
        explanation=shown.explanation,
        tables=shown.tables,
        checks=shown.checks,
        series=shown.series,
        convention=shown.convention,
        plots=shown.plots + tuple(series.as_plot() for series in shown.series),
        oracle=oracle_checks,
        params=dict(resolved),
        device=str(torch_device),
        seed=seed,
        numbers=numbers,
    )


def _oracle_checks(counts: Sequence[Any]) -> tuple[Check, ...]:
    """One check per distinct count: the formula's MACs against FlopCounterMode's."""
    distinct = dict.fromkeys((c.label, c.formula, c.counter) for c in counts)
    return tuple(
        check(
            f"{label}: MACs by formula == FlopCounterMode ÷ 2",
            expected=counter,
            measured=formula,
            source=COUNTER_SOURCE,
        )
        for label, formula, counter in distinct
    )
