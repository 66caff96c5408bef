"""Save a list of layers to one ``.npz`` file and load it back, exactly.

For layer ``i`` the file holds three arrays: ``{i}_class`` (the class name),
``{i}_w`` and ``{i}_b`` (whose dtype is the layer's dtype). ``save`` writes a
temporary file beside the target and renames it into place, so a failed save
never destroys the previous file.
"""
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from .layers import Layer, ReLULayer, SoftmaxLayer

LAYER_CLASSES = {cls.__name__: cls for cls in (Layer, ReLULayer, SoftmaxLayer)}


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
        If ``layers`` is empty or a weight is nan or infinite (a diverged network).
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
    path = Path(path)
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
        file, an array missing, or of the wrong shape or type); the message names the file.
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
    try:
        with np.load(path, allow_pickle=False) as data:
            if not isinstance(data, np.lib.npyio.NpzFile):
                raise ValueError("a single array, not an .npz file")
            arrays = dict(data)
    except (ValueError, EOFError, zipfile.BadZipFile, TypeError) as error:
        raise ValueError(f"{path}: not a network saved by mnistbook.save ({error})") from None
    count = sum(1 for name in arrays if name.endswith("_class"))
    if count == 0:
        raise ValueError(f"{path}: expected arrays 0_class, 0_w, 0_b, ..., got {sorted(arrays)}")
    layers = []
    for i in range(count):
        missing = [f"{i}_{part}" for part in ("class", "w", "b") if f"{i}_{part}" not in arrays]
        if missing:
            raise ValueError(f"{path}: missing array(s) {', '.join(missing)}")
        name, w, b = str(arrays[f"{i}_class"]), arrays[f"{i}_w"], arrays[f"{i}_b"]
        if name not in LAYER_CLASSES:
            raise ValueError(f"{path}: {i}_class: expected one of {sorted(LAYER_CLASSES)}, got {name!r}")
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
