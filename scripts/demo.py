"""``make run``: the tool and the sandbox LMS side by side, ready to click through.

The tool serves on ``localhost`` and the sandbox on ``127.0.0.1``: two different sites, so the
tool runs in a cross-site iframe as it does inside a real Moodle or Canvas. The sandbox is
seeded (idempotently) with a Moodle-like and a Canvas-like platform, each with a demo course,
and the tool learns both registrations from ``config.json``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from pathlib import Path

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> None:
    """Seed the sandbox, register it with the tool, and serve both until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tool-port", type=int, default=5000)
    parser.add_argument("--sandbox-port", type=int, default=5001)
    parser.add_argument("--learners", type=int, default=30)
    args = parser.parse_args(argv)

    tool_url = f"http://localhost:{args.tool_port}"
    sandbox_url = f"http://127.0.0.1:{args.sandbox_port}"
    os.environ.setdefault("PUBLIC_BASE_URL", tool_url)

    from app import create_app
    from lti.registrations import import_pylti_config
    from lti.sandbox import create_app as create_sandbox
    from lti.sandbox.seed import seed_demo, write_tool_config

    sandbox = create_sandbox({
        "SANDBOX_BASE_URL": sandbox_url,
        "SECRET_KEY": os.environ.get("SANDBOX_SECRET_KEY", "sandbox-demo-secret"),
    })
    platforms = seed_demo(sandbox, tool_url, learners=args.learners)
    config_path = ROOT / "config.json"
    if (args.tool_port, args.sandbox_port) != (5000, 5001):
        config_path = ROOT / "instance" / "config.demo.json"  # keep the committed one intact
    config = write_tool_config(platforms, config_path)

    tool = create_app()
    with tool.app_context():
        import_pylti_config(config)

    servers = [make_server("localhost", args.tool_port, tool, threaded=True),
               make_server("127.0.0.1", args.sandbox_port, sandbox, threaded=True)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    print(f"""
Badgebridge is running.

  Sandbox LMS (open this): {sandbox_url}/
  Tool:                    {tool_url}/  (health: {tool_url}/healthz)

In the sandbox, open a course as the instructor or a learner: the tool loads inside the
course page. Both flavours are there: Moodle-like ({sandbox_url}/moodle/) and Canvas-like
({sandbox_url}/canvas/). Press Ctrl-C to stop.
""", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        for server in servers:
            server.shutdown()


if __name__ == "__main__":
    main()
