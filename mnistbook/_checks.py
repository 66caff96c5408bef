"""Argument checks shared by the public API: one clear ValueError naming the argument."""
import math
import numbers
import os
from pathlib import Path

import numpy as np


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


def generator(name, value):
    """Return ``value`` if it is a NumPy Generator, a fresh unseeded one for None, else raise ValueError.

    Examples
    --------
    >>> generator("rng", 0)
    Traceback (most recent call last):
    ...
    ValueError: rng: expected a numpy.random.Generator such as np.random.default_rng(0), got 0
    """
    if value is None:
        return np.random.default_rng()
    if not isinstance(value, np.random.Generator):
        raise ValueError(f"{name}: expected a numpy.random.Generator such as "
                         f"np.random.default_rng(0), got {value!r}")
    return value


def float_dtype(name, value):
    """Return ``value`` as a NumPy dtype if it names a floating type, else raise ValueError.

    Examples
    --------
    >>> float_dtype("dtype", "float32")
    dtype('float32')
    >>> float_dtype("dtype", int)
    Traceback (most recent call last):
    ...
    ValueError: dtype: expected a floating type such as np.float32 or np.float64, got <class 'int'>
    """
    try:
        dtype = np.dtype(value)
    except TypeError:  # not a type name at all, e.g. dtype="fast"
        dtype = None
    if dtype is None or dtype.kind != "f":
        raise ValueError(f"{name}: expected a floating type such as np.float32 or np.float64, "
                         f"got {value!r}")
    return dtype


def path(name, value):
    """Return ``value`` as a Path if it is a non-empty str or os.PathLike, else raise ValueError.

    Examples
    --------
    >>> path("path", "net.npz").name
    'net.npz'
    >>> path("path", 3)
    Traceback (most recent call last):
    ...
    ValueError: path: expected a file or folder name (str or os.PathLike), got 3
    """
    if not isinstance(value, (str, os.PathLike)) or not os.fspath(value):
        raise ValueError(f"{name}: expected a file or folder name (str or os.PathLike), got {value!r}")
    return Path(value)
