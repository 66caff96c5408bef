"""The package itself: what importing it needs, and what it exports."""
import subprocess
import sys
import textwrap

import mnistbook

BLOCK_OPTIONAL = textwrap.dedent("""
    import importlib.abc, sys

    class Refuse(importlib.abc.MetaPathFinder):
        # as if only NumPy were installed
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {"platformdirs", "pooch", "threadpoolctl", "matplotlib",
                                      "tqdm", "requests", "torch"}:
                raise ImportError(f"{name} is not installed")
            return None

    sys.meta_path.insert(0, Refuse())
""")


def test_import_and_training_need_only_numpy():
    script = BLOCK_OPTIONAL + textwrap.dedent("""
        import numpy as np
        import mnistbook
        from mnistbook import Layer, SoftmaxLayer, accuracy, sgd
        rng = np.random.default_rng(0)
        images = rng.random((100, 3))
        labels = images.argmax(axis=1)
        net = [Layer(3, 8, rng=rng), SoftmaxLayer(8, 3, rng=rng)]
        sgd(net, images, labels, epochs=20, batch_size=10, alpha=0.5, rng=rng, progress=False)
        assert accuracy(net, images, labels) > 0.6
        assert not {"platformdirs", "pooch", "threadpoolctl"} & set(sys.modules)
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_every_exported_name_exists_and_lives_in_a_public_module():
    for name in mnistbook.__all__:
        value = getattr(mnistbook, name)
        module = getattr(value, "__module__", "mnistbook")
        assert not module.split(".")[-1].startswith("_"), (name, module)


def test_the_benchmark_harness_is_not_in_the_package():
    from pathlib import Path
    package = Path(mnistbook.__file__).parent
    assert not (package / "bench.py").exists()
    assert (package.parent / "benchmarks" / "bench.py").exists()


# total functions (any array in, an array out), exceptions, and plain records raise nothing of their own
RAISE_NOTHING = {"sigmoid", "d_sigmoid", "relu", "d_relu", "Optimizer", "History",
                 "TrainingDiverged", "IDXError", "FetchError"}


def test_every_exported_callable_says_what_it_raises():
    for name in sorted(set(mnistbook.__all__) - RAISE_NOTHING):
        doc = getattr(mnistbook, name).__doc__ or ""
        assert "\n    Raises\n    ------\n" in doc or "errors as :class:" in doc, name
