"""Convolution hyperparameters: output sizes, validity, and the windows a kernel visits.

This is the arithmetic behind CNN Explainer's Hyperparameter Widget (Sect. 6.6,
Fig. 7): a square input of ``input_size`` pixels, ``padding`` zeros added on every
side, a square ``kernel_size`` kernel moved ``stride`` pixels at a time. The output
has ``(input_size + 2·padding − kernel_size) // stride + 1`` pixels per side.

What counts as *valid*: the kernel must fit inside the padded input, and, as in
CNN Explainer's widget, the windows must cover the padded input exactly, i.e.
``input_size + 2·padding − kernel_size`` must be a multiple of ``stride``.
TensorFlow itself accepts the second case and silently drops the left-over
columns; the book calls it invalid because a learner watching the animation sees
the kernel stop short of the edge. Padding of a kernel's size or more is accepted
(TensorFlow computes it; the corner windows then hold only zeros and the bias).

The same module gives the padding rule Keras uses for ``padding="same"``, so the
reference operations and the views agree with Keras to the pixel.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import NamedTuple

from ..errors import HyperparameterError

__all__ = [
    "HyperparameterCheck",
    "WindowPosition",
    "check_hyperparameters",
    "conv_output_size",
    "padding_amounts",
    "window_positions",
]


def _as_int(value, name: str) -> int:
    """An integer hyperparameter; bools and floats are refused so a typo cannot pass silently."""
    if isinstance(value, bool):
        raise HyperparameterError(f"{name} must be a whole number, not {value!r}.")
    try:
        return operator.index(value)
    except TypeError:
        raise HyperparameterError(f"{name} must be a whole number, not {value!r}.") from None


def padding_amounts(input_size: int, kernel_size: int, stride: int, padding) -> tuple[int, int]:
    """Zeros added (before, after) along one axis, the way Keras/TensorFlow add them.

    ``padding`` is ``"valid"`` (none), ``"same"`` (enough that the output has
    ``ceil(input_size / stride)`` pixels; an odd total puts the extra one after), or a
    whole number added on both sides.
    """
    input_size = _as_int(input_size, "input_size")
    kernel_size = _as_int(kernel_size, "kernel_size")
    stride = _as_int(stride, "stride")
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            return 0, 0
        if mode == "same":
            if stride < 1:
                raise HyperparameterError("The stride must be at least 1.")
            out = -(-input_size // stride)
            total = max((out - 1) * stride + kernel_size - input_size, 0)
            return total // 2, total - total // 2
        raise HyperparameterError(f"padding must be 'valid', 'same' or a number, not {padding!r}.")
    amount = _as_int(padding, "padding")
    if amount < 0:
        raise HyperparameterError("Padding cannot be negative.")
    return amount, amount


@dataclass(frozen=True)
class HyperparameterCheck:
    """The verdict on one combination.

    ``output_size`` is what TensorFlow would produce (``None`` when the kernel does not
    fit); ``left_out`` is how many columns (and rows) of the padded input no window
    reaches; ``reason`` is one sentence for a student when ``valid`` is false.
    """

    valid: bool
    output_size: int | None
    left_out: int
    reason: str | None


def _size_text(n: int) -> str:
    return f"{n}×{n}"


def check_hyperparameters(input_size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> HyperparameterCheck:
    """Say whether a convolution with these hyperparameters works, and if not, why."""
    n = _as_int(input_size, "input_size")
    k = _as_int(kernel_size, "kernel_size")
    s = _as_int(stride, "stride")
    p = _as_int(padding, "padding")
    if n < 1:
        return HyperparameterCheck(False, None, 0, "The input must be at least 1×1.")
    if k < 1:
        return HyperparameterCheck(False, None, 0, "The kernel must be at least 1×1.")
    if s < 1:
        return HyperparameterCheck(False, None, 0, "The stride must be at least 1, or the kernel never moves.")
    if p < 0:
        return HyperparameterCheck(False, None, 0, "Padding cannot be negative.")
    padded = n + 2 * p
    if k > padded:
        where = (
            f"the {_size_text(n)} input"
            if p == 0
            else f"the {_size_text(padded)} padded input ({_size_text(n)} plus {p} on each side)"
        )
        return HyperparameterCheck(False, None, 0, f"The {_size_text(k)} kernel does not fit inside {where}.")
    output_size = (padded - k) // s + 1
    left_out = (padded - k) % s
    if left_out:
        lines = "column and row" if left_out == 1 else f"{left_out} columns and rows"
        of = "input" if p == 0 else "padded input"
        reason = (
            f"With stride {s} the {_size_text(k)} kernel cannot reach the edge: "
            f"{n} + 2·{p} − {k} = {padded - k} is not a multiple of {s}, "
            f"so the last {lines} of the {of} are never visited."
        )
        return HyperparameterCheck(False, output_size, left_out, reason)
    return HyperparameterCheck(True, output_size, 0, None)


def conv_output_size(input_size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    """Pixels per side of the output, as TensorFlow computes it (left-over columns dropped).

    Raises :class:`HyperparameterError` with the student's sentence when the
    kernel does not fit or a value is out of range.
    """
    check = check_hyperparameters(input_size, kernel_size, stride, padding)
    if check.output_size is None:
        raise HyperparameterError(check.reason)
    return check.output_size


class WindowPosition(NamedTuple):
    """One stop of the sliding kernel: the output pixel it fills and its top-left corner.

    ``top`` and ``left`` count in the padded input, so 0 is the first padding row.
    """

    output_row: int
    output_col: int
    top: int
    left: int


def window_positions(
    input_size: int, kernel_size: int, stride: int = 1, padding: int = 0
) -> tuple[WindowPosition, ...]:
    """Every window the sliding animation visits, row by row, left to right.

    Follows TensorFlow even when the stride leaves columns out (check
    :func:`check_hyperparameters` first to warn the learner); raises
    :class:`HyperparameterError` when the kernel does not fit.
    """
    size = conv_output_size(input_size, kernel_size, stride, padding)
    s = _as_int(stride, "stride")
    return tuple(WindowPosition(r, c, r * s, c * s) for r in range(size) for c in range(size))
