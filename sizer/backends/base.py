"""What a backend does for the benchmark: load once, fill the KV cache to a depth, then run
repetitions of "prefill a prompt, decode N tokens" and report their timings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from sizer.errors import MeasurementError

# Joules consumed so far by the CPU package(s), or None where no counter exists.
EnergyReader = Callable[[], float | None]

# The prompt is ordinary English prose, tokenized and repeated to the requested length:
# speed does not depend on the words, but a real tokenizer's ids keep the run realistic.
PROMPT_TEXT = (
    "The harbour town woke before dawn. Fishing boats slipped their moorings one by one, "
    "their engines coughing in the cold air, while the baker on the corner pulled the first "
    "loaves from an oven that had been lit at three. By six the market square filled with "
    "crates of mackerel and crab, with farmers selling eggs and late apples from the hills, "
    "and with the noise of people who had known each other all their lives. The council had "
    "argued for a year about the new sea wall: the engineers wanted concrete, the fishermen "
    "wanted the old stone steps kept, and the shopkeepers wanted the work done before summer. "
    "In the end a compromise was found, as it usually was, over tea in the library. "
)


class UnsupportedModel(MeasurementError):
    """This backend cannot run this model (architecture, format or device)."""


@dataclass
class RepSample:
    """One repetition: prefill the prompt, sample a token, decode the rest one by one."""

    prefill_tokens: int
    ttft_s: float  # prompt submitted -> first token sampled
    itl_s: list[float]  # one entry per decode step after the first token
    internal: dict[str, float] = field(default_factory=dict)  # the backend's own timings
    energy_j: dict[str, float] = field(default_factory=dict)  # phase -> joules, if measurable

    @property
    def prefill_tok_s(self) -> float:
        return self.prefill_tokens / self.ttft_s

    @property
    def decode_tok_s(self) -> float:
        return len(self.itl_s) / sum(self.itl_s) if self.itl_s else 0.0


class Session(Protocol):
    versions: dict[str, str]

    def prepare(self, depth: int) -> None:
        """Fill the KV cache with ``depth`` tokens that every repetition starts from."""

    def rep(self, prompt_tokens: int, gen_tokens: int, energy: EnergyReader) -> RepSample: ...

    def close(self) -> None: ...


def repeat_to(ids: list[int], n: int) -> list[int]:
    """``ids`` cycled to exactly ``n`` tokens."""
    if not ids:
        raise MeasurementError("the tokenizer returned no tokens for the benchmark prompt")
    return (ids * (n // len(ids) + 1))[:n]


def energy_by_phase(readings: dict[str, tuple[float | None, float | None]]) -> dict[str, float]:
    """Joules per phase from (before, after) counter readings; phases without both dropped."""
    return {
        phase: after - before
        for phase, (before, after) in readings.items()
        if before is not None and after is not None
    }
