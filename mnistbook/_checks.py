"""Argument checks shared by the public API: one clear ValueError naming the argument."""
import math
import numbers


def count(name, value, minimum=1):
    """Return ``value`` if it is a whole number >= ``minimum``, else raise ValueError.

    Examples
    --------
    >>> count("epochs", 3)
    3
    >>> count("epochs", 0)
    Traceback (most recent call last):
    ...
    ValueError: epochs: expected a whole number >= 1, got 0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name}: expected a whole number >= {minimum}, got {value!r}")
    return int(value)


def number(name, value, low=-math.inf, high=math.inf, *, low_open=False, high_open=False):
    """Return ``value`` as a float if it is a finite number in the range, else raise ValueError.

    The range is ``[low, high]``; ``low_open``/``high_open`` leave an end out.

    Examples
    --------
    >>> number("alpha", 0.5, 0, low_open=True)
    0.5
    >>> number("momentum", 1.0, 0, 1, high_open=True)
    Traceback (most recent call last):
    ...
    ValueError: momentum: expected a finite number in [0, 1), got 1.0
    """
    text = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    ok = (isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
          and (value > low if low_open else value >= low)
          and (value < high if high_open else value <= high))
    if not ok:
        raise ValueError(f"{name}: expected a finite number in {text}, got {value!r}")
    return float(value)
