"""Starts the real llmgate binary and the fake upstream for the Python client suites.

The binaries come from LLMGATE_BIN and FAKEUPSTREAM_BIN (scripts/test.sh builds them); when
unset they are built into a temp dir with `go build`.
"""
import json
import os
import secrets
import signal
import subprocess
import tempfile
import threading
import time

import requests

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def binary(env_name, pkg):
    path = os.environ.get(env_name)
    if path:
        return path
    out = os.path.join(tempfile.mkdtemp(prefix="llmgate-py-bin"), os.path.basename(pkg))
    subprocess.run(["go", "build", "-o", out, pkg], cwd=REPO, check=True)
    os.environ[env_name] = out
    return out


class Process:
    """A child process whose stderr lines are kept and scanned for a readiness marker."""

    def __init__(self, args, env=None, ready=None, timeout=60):
        self.lines = []
        self._ready = threading.Event()
        self.value = None
        self.proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self._reader = threading.Thread(target=self._read, args=(ready,), daemon=True)
        self._reader.start()
        if not self._ready.wait(timeout):
            self.proc.kill()
            raise RuntimeError("process not ready:\n" + "".join(self.lines))
        if self.value is None:
            raise RuntimeError("process exited before ready:\n" + "".join(self.lines))

    def _read(self, ready):
        for line in self.proc.stdout:
            self.lines.append(line)
            if self.value is None:
                v = ready(line)
                if v:
                    self.value = v
                    self._ready.set()
        self._ready.set()

    def output(self):
        return "".join(self.lines)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _ready_url(line):
    try:
        rec = json.loads(line)
    except ValueError:
        return None
    if rec.get("msg") == "llmgate ready":
        return rec.get("url")
    return None


class Gateway:
    """One running `llmgate serve` with its own data directory."""

    def __init__(self, extra_args=(), env=None):
        self.bin = binary("LLMGATE_BIN", "./cmd/llmgate")
        self.data_dir = tempfile.mkdtemp(prefix="llmgate-py-data")
        self.admin_key = "lgk_admin_" + secrets.token_urlsafe(24)
        self.env = dict(os.environ, **(env or {}))
        self.env["LLMGATE_ADMIN_API_KEY"] = self.admin_key
        # LLMGATE_PY_DATABASE_URL runs the whole suite on PostgreSQL instead of embedded SQLite.
        self.settings = ["--data-dir", self.data_dir]
        if os.environ.get("LLMGATE_PY_DATABASE_URL"):
            self.settings += ["--database-url", os.environ["LLMGATE_PY_DATABASE_URL"]]
        args = [self.bin, "serve", "--addr", "127.0.0.1:0", "--log-format", "json", *self.settings, *extra_args]
        self.process = Process(args, env=self.env, ready=_ready_url)
        self.url = self.process.value

    def logs(self):
        return self.process.output()

    def cli(self, *args, check=True):
        words = 2 if args[0] not in ("import-mlflow", "version") else 1
        full = [self.bin, *args[:words], *self.settings, *args[words:]]
        res = subprocess.run(full, env=self.env, capture_output=True, text=True)
        if check and res.returncode != 0:
            raise RuntimeError(f"llmgate {' '.join(args)} failed ({res.returncode}): {res.stderr}")
        return res

    def create_user(self, username, admin=False):
        """Creates a user and a key; returns (user_id, api_key)."""
        args = ["users", "create", "--username", username, "--email", f"{username}@example.org"]
        if admin:
            args.append("--admin")
        uid = self.cli(*args).stdout.strip().splitlines()[-1]
        key = self.cli("keys", "create", "--username", username).stdout.strip().splitlines()[-1]
        return uid, key

    def admin(self, method, path, **kw):
        headers = kw.pop("headers", {})
        headers.setdefault("X-Domino-Api-Key", self.admin_key)
        return requests.request(method, self.url + path, headers=headers, timeout=60, **kw)

    def create_endpoint(self, name, endpoint_type, provider, model, config, everyone=True, user_ids=(), **extra):
        body = {
            "endpointName": name,
            "endpointType": endpoint_type,
            "endpointPermissions": {"isEveryoneAllowed": everyone, "userIds": list(user_ids)},
            "modelProvider": provider,
            "modelName": model,
            "modelConfig": config,
            **extra,
        }
        r = self.admin("POST", "/api/aigateway/v1/endpoints", json=body)
        assert r.status_code == 200, r.text
        return r.json()

    def audit(self, **params):
        """Every matching event: the list is paged (1000 by default), so follow the cursor."""
        events, params = [], dict(params)
        while True:
            r = self.admin("GET", "/api/aigateway/v1/audit", params=params)
            assert r.status_code == 200, r.text
            events += r.json()
            cursor = r.headers.get("X-Llmgate-Audit-Next")
            if not cursor:
                return events
            params["after"] = cursor

    def stop(self):
        self.process.stop()


def wait_until(predicate, timeout=10.0, interval=0.05):
    """Polls predicate until it returns a truthy value (for effects that are eventually visible)."""
    deadline = time.monotonic() + timeout
    while True:
        v = predicate()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("condition not met within %.1fs" % timeout)
        time.sleep(interval)


def _ready_fake(line):
    """cmd/fakeupstream -print-addr prints its address (host:port or a URL) first."""
    for word in line.split():
        if word.startswith("http://"):
            return word.rstrip("/")
        host, _, port = word.rpartition(":")
        if host and port.isdigit():
            return "http://" + word
    return None


class FakeUpstream:
    """The fake upstream binary (cmd/fakeupstream): every provider's wire format on one port.

    Each provider accepts the credential "fake-<provider>-key"; behaviour is chosen by model
    name (fake-slow-<ms>, fake-error-<status>, fake-ratelimit, fake-hang, fake-drop,
    fake-malformed).
    """

    api_key = "fake-openai-key"

    def __init__(self):
        self.bin = binary("FAKEUPSTREAM_BIN", "./cmd/fakeupstream")
        self.process = Process([self.bin, "-addr", "127.0.0.1:0", "-print-addr"], ready=_ready_fake)
        self.url = self.process.value

    @staticmethod
    def key(provider):
        return f"fake-{provider}-key"

    def requests(self):
        """The fake's request log; each body is decoded from JSON where it is JSON."""
        r = requests.get(self.url + "/_fake/requests", timeout=30)
        r.raise_for_status()
        records = r.json()
        for rec in records:
            try:
                rec["body"] = json.loads(rec["body"]) if rec.get("body") else {}
            except ValueError:
                pass
        return records

    def reset(self):
        requests.post(self.url + "/_fake/reset", timeout=30).raise_for_status()

    def stop(self):
        self.process.stop()
