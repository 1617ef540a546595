"""The README's quick tour, run as written: `llmgate demo` (the `tour:server` block) in a fresh
directory, then every `tour` block in order — shell blocks with bash, Python blocks with this
interpreter — each checked for the output its `# prints:` comments promise. The one liberty
taken: `go run ./cmd/llmgate` is the already built binary (LLMGATE_BIN), which is what it builds.
The `tour:install` block is not run (the suite's virtualenv has the clients); it is checked to
name each package the tour imports."""
import os
import re
import socket
import subprocess
import sys
import threading

import pytest

import harness

README = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")
BLOCK = re.compile(r"<!-- (tour(?::\w+)?) -->\n```(\w+)\n(.*?)```", re.S)


def tour_blocks():
    with open(README, encoding="utf-8") as f:
        section = f.read().split("\n## Quick tour\n", 1)[1].split("\n## ", 1)[0]
    return [(kind, lang, code) for kind, lang, code in BLOCK.findall(section)]


def promised(code):
    return [m.strip() for m in re.findall(r"# prints: (.*)", code)]


@pytest.fixture()
def demo(tmp_path):
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", 8080)) == 0:
            pytest.fail("the tour uses http://127.0.0.1:8080 as written, and something already listens there")
    server = [code for kind, _, code in tour_blocks() if kind == "tour:server"]
    assert server == ["go run ./cmd/llmgate demo\n"], server
    llmgate = harness.binary("LLMGATE_BIN", "./cmd/llmgate")
    proc = subprocess.Popen([llmgate, "demo"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines, ready = [], threading.Event()

    def read():
        for line in proc.stdout:
            lines.append(line)
            if "llmgate demo is ready" in line:
                ready.set()
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(60) or proc.poll() is not None:
        proc.kill()
        pytest.fail("llmgate demo did not get ready:\n" + "".join(lines))
    yield tmp_path, llmgate
    proc.terminate()
    proc.wait(30)


def test_readme_tour_runs_as_written(demo):
    cwd, llmgate = demo
    blocks = [(lang, code) for kind, lang, code in tour_blocks() if kind == "tour"]
    assert len(blocks) >= 5, blocks
    for lang, code in blocks:
        if lang == "sh":
            run = ["bash", "-euo", "pipefail", "-c", code.replace("go run ./cmd/llmgate", llmgate)]
        else:
            assert lang == "python", lang
            run = [sys.executable, "-c", code]
        out = subprocess.run(run, cwd=cwd, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, f"{code}\nexit {out.returncode}\n{out.stdout}\n{out.stderr}"
        for text in promised(code):
            assert text in out.stdout, f"{code}\npromised {text!r}, printed:\n{out.stdout}\n{out.stderr}"


def test_install_line_names_what_the_tour_imports():
    install = [code for kind, _, code in tour_blocks() if kind == "tour:install"]
    assert len(install) == 1
    for pkg in ("mlflow", "openai", "langchain-community"):
        assert pkg in install[0].split(), (pkg, install[0])
