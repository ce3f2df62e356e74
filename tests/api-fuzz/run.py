"""Property-based test of the relay's HTTP API against its own OpenAPI document.

Starts the relay binary given on the command line on a fresh SQLite data
directory, signs up an organization admin (so that secured operations run
past authentication), and lets Schemathesis generate requests for every
operation for a bounded time, checking that no answer is a server error and
that every answer (status, content type and body) is one the document
describes. Exits non-zero on any failure.

Usage: run.py RELAY_BINARY [SECONDS]
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ADMIN_TOKEN = "api-fuzz-admin-token"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def call(base, method, path, body=None, token=None):
    request = urllib.request.Request(base + path, method=method)
    if body is not None:
        request.data = json.dumps(body).encode()
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def wait_until_ready(base, relay):
    for _ in range(200):
        if relay.poll() is not None:
            sys.exit("the relay stopped before it was ready")
        try:
            urllib.request.urlopen(base + "/readyz", timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    sys.exit("the relay did not become ready")


def main():
    binary = sys.argv[1]
    seconds = sys.argv[2] if len(sys.argv) > 2 else "60"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="chorus-api-fuzz-") as data:
        log = open(os.path.join(data, "relay.log"), "w")
        relay = subprocess.Popen(
            [binary, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data,
             "--admin-token", ADMIN_TOKEN],
            stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            wait_until_ready(base, relay)
            session = call(base, "POST", "/api/v1/auth/signup",
                           {"email": "fuzz@example.com", "password": "correct horse battery"})
            token = session["token"]
            call(base, "PUT", "/api/v1/me/account-type",
                 {"account_type": "organization",
                  "organization": {"name": "Fuzz", "default_country": "GB"}}, token)
            st = os.path.join(os.path.dirname(sys.executable), "st")
            outcome = subprocess.run([
                st, "run", base + "/api/v1/openapi.json",
                "--header", "Authorization: Bearer " + token,
                "--checks", "not_a_server_error,status_code_conformance,"
                            "content_type_conformance,response_schema_conformance",
                # Signing out would end the session every other operation uses.
                "--exclude-path", "/api/v1/auth/signout",
                "--phases", "examples,coverage,fuzzing",
                "--max-time", seconds,
                "--workers", "1",
                "--seed", "20261202",
                "--request-timeout", "10",
            ])
        finally:
            relay.terminate()
            relay.wait(timeout=10)
            log.close()
            if relay.returncode not in (0, -15):
                print(open(os.path.join(data, "relay.log")).read()[-4000:])
    if outcome.returncode != 0:
        sys.exit("the relay's answers broke its OpenAPI document (see above)")
    print("api fuzz: no server error, every answer as documented")


if __name__ == "__main__":
    main()
