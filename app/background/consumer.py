"""A queue consumer's process: ``flask worker`` replaces itself with this module, which builds
the app without its web side (``create_app(serve_web=False)``) and runs the same command in it.

Run as ``python -m app.background.consumer [worker options]``; ``flask worker`` is the command
to use.
"""

from __future__ import annotations

import sys


def main(args: list[str]) -> None:
    """Run ``flask worker`` with ``args`` inside a web-free app."""
    from app import create_app

    app = create_app(serve_web=False)  # first: it imports huey without unused clients
    from app.background.queue import worker_command

    with app.app_context():
        worker_command.main(args=args, prog_name="flask worker")


if __name__ == "__main__":
    main(sys.argv[1:])
