"""The tus endpoint against a real HTTP server, with the standard Python client (tuspy),
including a connection dropped in the middle of a chunk and the upload resumed."""

from __future__ import annotations

import hashlib
import io
import os
import socket
import threading
from urllib.parse import urlsplit

import pytest
import requests
from django.core.files.storage import default_storage
from django.test import Client
from tusclient.client import TusClient
from tusclient.exceptions import TusCommunicationError, TusUploadFailed

from comptoir.capture.models import TusUpload
from comptoir.documents.models import Document


class CuttingProxy:
    """A loopback TCP proxy that, once armed, cuts the first PATCH after `cut_after` bytes:
    the client's side is closed, the server sees the body end early and answers; `cut_done`
    is set when the server has finished with that request."""

    def __init__(self, target: str, cut_after: int) -> None:
        parts = urlsplit(target)
        self.target = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.cut_after = cut_after
        self.cut_done = threading.Event()
        self.armed = True
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://localhost:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        server = socket.create_connection(self.target)
        cutting = threading.Event()

        def backwards() -> None:
            while data := _recv(server):
                if cutting.is_set():
                    continue  # the client is gone: drain the server's answer
                try:
                    client.sendall(data)
                except OSError:
                    break
            if cutting.is_set():
                self.cut_done.set()
            client.close()

        threading.Thread(target=backwards, daemon=True).start()
        forwarded = 0
        first = b""
        while data := _recv(client):
            first = first or data
            if self.armed and first.startswith(b"PATCH") and forwarded + len(data) > self.cut_after:
                self.armed = False
                server.sendall(data[: self.cut_after - forwarded])
                cutting.set()
                client.shutdown(socket.SHUT_RDWR)
                client.close()
                server.shutdown(socket.SHUT_WR)  # the server reads the end of the body
                return
            server.sendall(data)
            forwarded += len(data)
        server.close()

    def close(self) -> None:
        self.listener.close()


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except OSError:
        return b""


def logged_in_headers(live_server, user) -> dict[str, str]:
    client = Client()
    client.force_login(user)
    session = client.cookies["sessionid"].value
    response = requests.get(
        f"{live_server.url}/accounts/login/", cookies={"sessionid": session}, timeout=10
    )
    token = response.cookies.get("csrftoken") or ""
    assert token
    return {"Cookie": f"sessionid={session}; csrftoken={token}", "X-CSRFToken": token}


@pytest.fixture
def proxy(live_server):
    proxy = CuttingProxy(live_server.url, cut_after=1024 * 1024)
    yield proxy
    proxy.close()


def test_tuspy_uploads_a_file_in_chunks(transactional_db, office, live_server):
    owner, folder = office["users"]["owner"], office["folders"]["Comptabilité"]
    content = os.urandom(300_000)
    client = TusClient(
        f"{live_server.url}/d/{office['dossier'].slug}/tus/",
        headers=logged_in_headers(live_server, owner),
    )
    uploader = client.uploader(
        file_stream=io.BytesIO(content),
        chunk_size=100_000,
        metadata={"filename": "donnees.bin", "folder": str(folder.pk)},
    )
    uploader.upload()
    document = Document.objects.get(name="donnees.bin", folder=folder)
    assert document.current_version.sha256 == hashlib.sha256(content).hexdigest()


def test_tuspy_resumes_after_a_dropped_connection(transactional_db, office, live_server, proxy):
    owner = office["users"]["owner"]
    content = os.urandom(3 * 1024 * 1024)
    headers = logged_in_headers(live_server, owner)
    client = TusClient(f"{proxy.url}/d/{office['dossier'].slug}/tus/", headers=headers)
    uploader = client.uploader(
        file_stream=io.BytesIO(content), chunk_size=len(content), metadata={"filename": "gros.bin"}
    )
    with pytest.raises((TusUploadFailed, TusCommunicationError, requests.RequestException)):
        uploader.upload()
    assert proxy.cut_done.wait(timeout=30)
    received = TusUpload.objects.get().offset
    # Part of the chunk was kept: the next attempt starts there, not at zero.
    assert 0 < received < len(content)
    resumed = client.uploader(file_stream=io.BytesIO(content), url=uploader.url, chunk_size=1 << 22)
    assert resumed.offset == received
    resumed.upload()
    document = Document.objects.get(name="gros.bin")
    version = document.current_version
    assert version.sha256 == hashlib.sha256(content).hexdigest()
    with default_storage.open(version.storage_name) as stored:
        assert stored.read() == content
