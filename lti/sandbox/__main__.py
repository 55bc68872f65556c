"""``python -m lti.sandbox --port 5001 --tool-url http://localhost:5000 [--seed]``."""

from __future__ import annotations

import argparse
import json
import os

from lti.sandbox import create_app
from lti.sandbox.seed import info_as_dict, seed_demo, write_tool_config


def main(argv: list[str] | None = None) -> None:
    """Serve the sandbox LMS (werkzeug's threaded server: a demo, not production)."""
    parser = argparse.ArgumentParser(prog="python -m lti.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument(
        "--tool-url",
        default="http://localhost:5000",
        help="the tool's public origin (its /lti/login, /lti/launch, ...)",
    )
    parser.add_argument(
        "--base-url", help="the sandbox's public origin (default http://<host>:<port>)"
    )
    parser.add_argument("--database-url", help="default sqlite:///instance/sandbox.db")
    parser.add_argument("--seed", action="store_true", help="create the demo platforms")
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument(
        "--write-config",
        metavar="PATH",
        help="write the tool's pylti1p3 config.json for the seeded platforms",
    )
    args = parser.parse_args(argv)
    config: dict[str, object] = {
        "SANDBOX_BASE_URL": args.base_url or f"http://{args.host}:{args.port}",
        # A stable key keeps launch hints valid across restarts of the demo.
        "SECRET_KEY": os.environ.get("SANDBOX_SECRET_KEY", "sandbox-demo-secret"),
    }
    if args.database_url:
        config["SANDBOX_DATABASE_URL"] = args.database_url
    app = create_app(config)
    if args.seed:
        infos = seed_demo(app, args.tool_url, learners=args.learners)
        print(json.dumps([info_as_dict(i) for i in infos], indent=2))
        if args.write_config:
            write_tool_config(infos, args.write_config)
    app.run(host=args.host, port=args.port, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
