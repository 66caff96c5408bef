"""Command line: ``python -m mnistbook fetch [--data-dir DIR]``.

A user's mistake (a bad folder, a bad argument, no network) ends in one line on
stderr and a non-zero exit status, never a traceback.
"""

import argparse
import sys

from .data import FetchError, data_folder, fetch_mnist

HINT = ("choose another folder with --data-dir, or put the four files there by hand "
        "(see 'python -m mnistbook fetch --help')")
BY_HAND = """\
Without a network, download these four files elsewhere (e.g. from
https://ossci-datasets.s3.amazonaws.com/mnist/) and put them in the folder:
  train-images-idx3-ubyte.gz  train-labels-idx1-ubyte.gz
  t10k-images-idx3-ubyte.gz   t10k-labels-idx1-ubyte.gz"""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (argparse adds its usage on top)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def fail(message, status=1):
    """Print one line on stderr; return the exit status."""
    print(f"python -m mnistbook: error: {message}", file=sys.stderr)
    return status


def fetch(args):
    """Fetch the MNIST files and print the folder they are in."""
    try:
        folder = data_folder(args.data_dir)  # a bad name fails here, before any work
    except ValueError as e:
        return fail(str(e).replace("data_dir", "--data-dir", 1), 2)
    try:
        folder = fetch_mnist(folder, progress=sys.stderr.isatty())
    except FetchError as e:  # the sources' reasons are already on stderr, one line each
        return fail(f"{str(e).splitlines()[0].removesuffix('. Sources tried:')}; {HINT}")
    print(folder)
    return 0


def main(argv=None):
    """Parse ``argv`` (default: ``sys.argv[1:]``), run the subcommand, return its exit status."""
    parser = Parser(prog="python -m mnistbook", description="Get the MNIST data.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    fetch_parser = commands.add_parser(
        "fetch", help="download and verify the four MNIST files", epilog=BY_HAND,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    fetch_parser.add_argument("--data-dir", metavar="DIR",
                              help="folder for the files (default: $MNISTBOOK_DATA or the user cache)")
    fetch_parser.set_defaults(run=fetch)

    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:  # Ctrl-C: a temporary file may be left, never a wrong one
        return fail("interrupted", 130)


if __name__ == "__main__":
    sys.exit(main())
