"""Command line: ``python -m mnistbook fetch [--data-dir DIR]``."""

import argparse
import sys

from .data import FetchError, fetch_mnist


def fetch(args):
    """Fetch the MNIST files and print the folder they are in."""
    try:
        folder = fetch_mnist(args.data_dir, progress=sys.stderr.isatty())
    except FetchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(folder)
    return 0


def main(argv=None):
    """Parse ``argv`` (default: ``sys.argv[1:]``), run the subcommand, return its exit status."""
    parser = argparse.ArgumentParser(prog="python -m mnistbook", description="Get the MNIST data.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    fetch_parser = commands.add_parser("fetch", help="download and verify the four MNIST files")
    fetch_parser.add_argument("--data-dir", metavar="DIR",
                              help="folder for the files (default: $MNISTBOOK_DATA or the user cache)")
    fetch_parser.set_defaults(run=fetch)

    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
