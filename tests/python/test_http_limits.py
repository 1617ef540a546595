"""HTTP-level limits as plain standard-library clients meet them (issue 10 findings 5 and 11)."""
import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request


def test_urllib_reads_413_for_a_body_over_the_limit(gateway, unique):
    # urllib sends the whole body before reading the answer; the gateway must let it finish
    # and answer 413 instead of resetting the connection under it.
    _, key = gateway.create_user("u-" + unique)
    body = b'{"model": "m", "messages": [{"role": "user", "content": "' + b"x" * (12 << 20) + b'"}]}'
    req = urllib.request.Request(gateway.url + "/v1/chat/completions", data=body, method="POST",
                                 headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    try:
        urllib.request.urlopen(req, timeout=30)
        raise AssertionError("a 12 MiB body was accepted")
    except urllib.error.HTTPError as e:
        assert e.code == 413
        err = json.loads(e.read())["error"]
        assert "exceeds" in err["message"] and err["type"] == "invalid_request_error"


def test_missing_key_answers_at_once_when_the_declared_body_never_comes(gateway):
    u = urllib.parse.urlparse(gateway.url)
    with socket.create_connection((u.hostname, u.port), timeout=5) as s:
        s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 1000\r\n\r\n")
        s.settimeout(1.0)
        start = time.monotonic()
        data = b""
        while True:  # the gateway answers and closes: read to EOF
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        assert time.monotonic() - start < 1.0
    head = data.split(b"\r\n", 1)[0]
    assert head.startswith(b"HTTP/1.1 401"), data
    assert b"Connection: close" in data
