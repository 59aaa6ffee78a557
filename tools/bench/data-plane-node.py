"""The Python SDK's half of tools/bench/data-plane-node.ts: one client, kept for the whole run
(as an agent keeps it). For each line `go` on stdin: create a sandbox from the warm pool, run
`python3 -c 'print(6*7)'`, delete it, and print one JSON line with the seconds from create to
Ready and from create to the first result. The TypeScript side refills the pool between lines.

Usage: python3 data-plane-node.py <kubeconfig> <router url> <warm pool>
"""

from __future__ import annotations

import json
import sys
import time

from k8s_agent_sandbox import SandboxClient, SandboxRouterConnection


def main() -> None:
    kubeconfig, router_url, pool = sys.argv[1:4]
    with SandboxClient(SandboxRouterConnection(router_url), kubeconfig=kubeconfig) as client:
        print(json.dumps({"ready": True}), flush=True)
        for line in sys.stdin:
            if line.strip() != "go":
                break
            started = time.perf_counter()
            sandbox = client.create_sandbox(pool)
            created = time.perf_counter()
            try:
                result = sandbox.commands.run("python3 -c 'print(6*7)'")
                done = time.perf_counter()
            finally:
                sandbox.terminate()
            if result.stdout != "42\n":
                raise SystemExit(f"unexpected result {result!r}")
            print(json.dumps({"create_s": created - started, "first_result_s": done - started}), flush=True)


if __name__ == "__main__":
    main()
