"""A stand-in for an engine's OpenAI-compatible server (vLLM, SGLang) in tests.

Run as ``python fake_engine.py ARGS...`` (behind a fake ``vllm`` executable, or a
fake ``sglang.launch_server`` module). It records its arguments, serves
``/health``, ``/v1/models`` and ``/v1/chat/completions`` (an echo of the last user
message) on the ``--port`` it is given, and misbehaves as the JSON file named by
``FAKE_ENGINE_CONFIG`` says: never ready, exit before ready, or die after some
requests on given starts.
"""

from __future__ import annotations

import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def main(argv: list[str]) -> int:
    config = json.loads(Path(os.environ["FAKE_ENGINE_CONFIG"]).read_text())
    starts_file = Path(config["starts_file"])
    start = int(starts_file.read_text()) + 1 if starts_file.exists() else 1
    starts_file.write_text(str(start))
    with open(config["argv_log"], "a") as log:
        log.write(json.dumps({"argv": argv, "pid": os.getpid(), "start": start}) + "\n")
    print(f"fake engine start {start}: loading weights", flush=True)
    if config.get("exit_before_ready"):
        print("fake engine: CUDA out of memory while loading", flush=True)
        return 3
    port = int(argv[argv.index("--port") + 1])
    ready_at = time.monotonic() + (1e9 if config.get("never_ready") else 0.2)
    die_after = (
        config.get("die_after_requests") if start in config.get("die_on_starts", []) else None
    )
    served = 0

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _json(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if time.monotonic() < ready_at:
                self._json(503, {"error": "loading"})
            elif self.path in ("/health", "/v1/models"):
                self._json(200, {"data": [{"id": "fake"}]})
            else:
                self._json(404, {"error": "no route"})

        def do_POST(self) -> None:
            nonlocal served
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            served += 1
            if die_after is not None and served > die_after:
                print(f"fake engine start {start}: segfault after {die_after} requests", flush=True)
                os._exit(139)
            time.sleep(float(config.get("reply_delay_s", 0)))
            user = [m["content"] for m in body["messages"] if m["role"] == "user"][-1]
            self._json(
                200,
                {
                    "id": "x",
                    "object": "chat.completion",
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": "echo: " + user[:40]},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                },
            )

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"fake engine start {start}: serving on {port}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
