"""``python -m sseproto``: the same command line as the ``sseproto`` script."""

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())
