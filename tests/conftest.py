"""Helpers shared by several test modules."""
import subprocess
import sys
import textwrap

import pytest

MEMORY_LIMIT = textwrap.dedent("""
    import resource, sys

    # allow this process only {headroom} MiB more than it already has, and check that it bites
    size = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (size + ({headroom} << 20),) * 2)
    try:
        bytearray(2 * {headroom} << 20)
        sys.exit("the memory limit does not bite")
    except MemoryError:
        pass
""")


@pytest.fixture
def run_memory_limited():
    """Run a Python script in a subprocess allowed only ``headroom`` MiB more memory than at its start.

    The script's imports run first (their memory is not counted); returns the CompletedProcess.
    """
    if not sys.platform.startswith("linux"):
        pytest.skip("RLIMIT_AS and /proc: Linux")

    def run(imports, script, *args, headroom=256, timeout=60):
        code = textwrap.dedent(imports) + MEMORY_LIMIT.format(headroom=headroom) + textwrap.dedent(script)
        return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                              text=True, timeout=timeout)

    return run
