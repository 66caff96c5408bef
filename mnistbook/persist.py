"""Save a list of layers to one ``.npz`` file and load it back, exactly.

For layer ``i`` the file holds three arrays: ``{i}_class`` (the class name),
``{i}_w`` and ``{i}_b`` (whose dtype is the layer's dtype). ``save`` writes a
temporary file beside the target and renames it into place, so a failed save
never destroys the previous file.
"""
import os
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np

from . import _checks
from .layers import Layer, ReLULayer, SoftmaxLayer

LAYER_CLASSES = {cls.__name__: cls for cls in (Layer, ReLULayer, SoftmaxLayer)}
# what NumPy and zipfile raise for a file or an archive member that is not what it claims
NOT_NPZ = (ValueError, EOFError, zipfile.BadZipFile, zlib.error, TypeError)


def save(path, layers):
    """Write the layers' classes, weights and biases to ``path`` (a ``.npz`` file).

    Parameters
    ----------
    path : str or path-like
        File to write, used exactly as given (no suffix is added).
    layers : list of Layer
        With finite weights and biases.

    Raises
    ------
    ValueError
        If ``path`` is not a file name, ``layers`` is empty or a weight is nan or
        infinite (a diverged network).
    OSError
        If the file cannot be written; an existing file at ``path`` is then unchanged.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from mnistbook.layers import Layer, SoftmaxLayer
    >>> rng = np.random.default_rng(0)
    >>> net = [Layer(4, 3, rng=rng), SoftmaxLayer(3, 2, rng=rng)]
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "net.npz"
    >>> save(path, net)
    >>> [type(layer).__name__ for layer in load(path)]
    ['Layer', 'SoftmaxLayer']
    """
    if not layers:
        raise ValueError("layers: expected at least one layer, got none")
    arrays = {}
    for i, layer in enumerate(layers):
        if type(layer).__name__ not in LAYER_CLASSES:
            raise ValueError(f"layers[{i}]: expected one of {sorted(LAYER_CLASSES)}, got {layer!r}")
        if not (np.isfinite(layer.w).all() and np.isfinite(layer.b).all()):
            raise ValueError(f"layers[{i}]: the weights hold nan or inf (did training diverge?)")
        arrays[f"{i}_class"] = np.array(type(layer).__name__)
        arrays[f"{i}_w"], arrays[f"{i}_b"] = layer.w, layer.b
    path = _checks.path("path", path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as file:  # an open file: np.savez would otherwise append ".npz"
            np.savez(file, **arrays)
        os.chmod(tmp, 0o644)  # mkstemp makes it private
        os.replace(tmp, path)  # atomic: the old file or the whole new one
    finally:
        Path(tmp).unlink(missing_ok=True)


def load(path):
    """Read layers written by :func:`save`; return new layer objects.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    list of Layer
        Same classes, dtypes, weights and biases as the saved ones (bit for bit).

    Raises
    ------
    ValueError
        If ``path`` is not a network written by :func:`save` (not an ``.npz``
        file, an array missing, damaged, or of the wrong shape or type); the
        message names the file. Only the arrays of the layers are read: other
        members of the archive are never decompressed.
    OSError
        If the file cannot be read (e.g. it does not exist).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from mnistbook.layers import ReLULayer
    >>> layer = ReLULayer(3, 2, rng=np.random.default_rng(0), dtype=np.float32)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "relu.npz"
    >>> save(path, [layer])
    >>> (copy,) = load(path)
    >>> copy, np.array_equal(copy.w, layer.w)
    (ReLULayer(3, 2, dtype=float32), True)
    """
    path = _checks.path("path", path)
    try:
        data = np.load(path, allow_pickle=False)
    except NOT_NPZ as error:
        raise ValueError(f"{path}: not a network saved by mnistbook.save ({error})") from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise ValueError(f"{path}: not a network saved by mnistbook.save (a single array, not an .npz file)")
    with data:
        return _layers(path, data)


def _layers(path, data):
    """The layers in an open ``.npz`` file, reading only the members they need."""
    names = set(data.files)  # from the archive's directory: nothing decompressed yet
    count = sum(1 for name in names if name.endswith("_class"))
    if count == 0:
        raise ValueError(f"{path}: expected arrays 0_class, 0_w, 0_b, ..., got {sorted(names)}")
    layers = []
    for i in range(count):
        missing = [f"{i}_{part}" for part in ("class", "w", "b") if f"{i}_{part}" not in names]
        if missing:
            raise ValueError(f"{path}: missing array(s) {', '.join(missing)}")
        name = str(_member(path, data, f"{i}_class"))
        if name not in LAYER_CLASSES:
            raise ValueError(f"{path}: {i}_class: expected one of {sorted(LAYER_CLASSES)}, got {name!r}")
        w, b = _member(path, data, f"{i}_w"), _member(path, data, f"{i}_b")
        if w.ndim != 2 or not np.issubdtype(w.dtype, np.floating):
            raise ValueError(f"{path}: {i}_w: expected a float array of shape (nout, nin), "
                             f"got {w.dtype} {w.shape}")
        if b.shape != w.shape[:1] or b.dtype != w.dtype:
            raise ValueError(f"{path}: {i}_b: expected {w.dtype} shape ({w.shape[0]},), "
                             f"got {b.dtype} {b.shape}")
        layer = LAYER_CLASSES[name](w.shape[1], w.shape[0], rng=np.random.default_rng(0), dtype=w.dtype)
        layer.w, layer.b = w, b  # fresh arrays from the file
        layers.append(layer)
    return layers


def _member(path, data, name):
    """Read one array of the archive; raise ValueError naming the file and the array if it is damaged."""
    try:
        return data[name]
    except NOT_NPZ as error:
        raise ValueError(f"{path}: {name}: not an array saved by mnistbook.save ({error})") from None
