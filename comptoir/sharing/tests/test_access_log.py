"""Share-link tokens never reach gunicorn's access log: a real `comptoir serve`."""

from __future__ import annotations

import secrets
import urllib.error
import urllib.request

from comptoir.testing.processes import comptoir_start, free_port, wait_for_http


def get(url: str, headers: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_comptoir_serve_masks_share_link_tokens_in_its_access_log(tmp_path):
    port = free_port()
    server = comptoir_start(
        "serve",
        "--port",
        str(port),
        "--workers",
        "1",
        "--migrate",
        data_dir=tmp_path,
        env={"SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "127.0.0.1", "HTTPS": "false"},
    )
    tokens = [secrets.token_urlsafe(32) for _ in range(4)]
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/healthz", server)
        assert get(f"{base}/s/{tokens[0]}/") == 404
        assert get(f"{base}/s/{tokens[1]}/?x=/s/{tokens[1]}") == 404
        # The raw request line may escape the path; Django decodes it before routing.
        assert get(f"{base}/%73/{tokens[2]}/") == 404
        assert get(f"{base}/healthz", {"Referer": f"{base}/s/{tokens[3]}/"}) == 200
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert '"GET /healthz HTTP/1.1" 200' in output  # the access log is on
    for token in tokens:
        assert token not in output
    assert output.count("/s/[lien]") >= 4
