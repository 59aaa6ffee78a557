"""One sandbox's life through the Python SDK, as an agent lives it, for the real-node suite
(data-plane.node.int.test.ts): claim from the warm pool, run Python, move 1 MiB, stream a
command, leave the block. Prints one JSON object of what it saw; the suite checks it.

Usage: python3 python_flow.py <kubeconfig> <router url> <warm pool>
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sys
import time

from k8s_agent_sandbox import SandboxClient, SandboxRouterConnection


def main() -> None:
    kubeconfig, router_url, pool = sys.argv[1:4]
    out: dict = {}
    with SandboxClient(SandboxRouterConnection(router_url), kubeconfig=kubeconfig) as client:
        started = time.monotonic()
        with client.create_sandbox(pool) as sandbox:
            out["claim"] = sandbox.claim_name
            out["sandbox"] = sandbox.sandbox_name
            result = sandbox.commands.run("python3 -c 'print(6*7)'")
            out["run"] = {"stdout": result.stdout, "stderr": result.stderr, "exit_code": result.exit_code}
            out["first_run_seconds"] = time.monotonic() - started

            content = os.urandom(1024 * 1024)
            sandbox.files.write("data/random.bin", content)
            out["listing"] = [[f.name, f.size, f.type] for f in sandbox.files.list("data")]
            back = sandbox.files.read("data/random.bin")
            out["written_sha256"] = hashlib.sha256(content).hexdigest()
            out["read_sha256"] = hashlib.sha256(back).hexdigest()
            out["read_length"] = len(back)
            out["read_head"] = base64.b64encode(back[:64]).decode()
            out["written_head"] = base64.b64encode(content[:64]).decode()

            events = []
            stream_start = time.monotonic()
            for event in sandbox.commands.stream(
                "python3 -u -c 'import time\nfor i in range(10):\n    print(i)\n    time.sleep(0.1)'"
            ):
                events.append({"type": event.type, "data": event.data, "exit_code": event.exit_code, "at": time.monotonic() - stream_start})
            out["events"] = events
    print(json.dumps(out))


if __name__ == "__main__":
    main()
