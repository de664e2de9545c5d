"""`make dev` keeps its data: the real command (`python -m localcloud serve --state-dir ...`) started, used through
HTTP, stopped with Ctrl-C (SIGINT) or kill (SIGTERM) and started again. A process of its own each time, since
moto's state lives in module globals: in this process a restart would find it still in memory."""

import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from localcloud.dynamodb_local import free_port
from localcloud.state import LocalState, StateInUse

ROOT = Path(__file__).resolve().parents[2]
BANNER_END = "Ctrl-C stops."


@dataclass
class Running:
    api: str
    moto: str
    banner: str

    def token(self, username: str) -> str:
        r = requests.get(f"{self.api}/_local/tokens", params={"username": username}, timeout=30)
        assert r.status_code == 200, r.text
        return str(r.json()["token"])

    def call(self, method: str, path: str, username: str, body: Any = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token(username)}"}
        return requests.request(method, f"{self.api}{path}", json=body, headers=headers, timeout=60)

    def aws(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.moto, region_name="us-east-1")


def _start(state_dir: Path, *flags: str) -> tuple[subprocess.Popen[str], "queue.Queue[str]"]:
    command = [sys.executable, "-m", "localcloud", "serve", "--port", str(free_port()), "--state-dir", str(state_dir)]
    proc = subprocess.Popen([*command, *flags], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:  # keeps the pipe drained for as long as the system runs (it logs every invocation)
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put("")

    threading.Thread(target=pump, daemon=True).start()
    return proc, lines


@contextmanager
def serving(state_dir: Path, *flags: str, stop: int = signal.SIGINT) -> Iterator[Running]:
    proc, lines = _start(state_dir, *flags)
    banner: list[str] = []
    try:
        while BANNER_END not in (line := lines.get(timeout=240)):
            assert line, "localcloud exited before it was up:\n" + "".join(banner)
            banner.append(line)
        text = "".join(banner)
        api = text.split("  API")[1].split()[0]
        moto = text.split("AWS_ENDPOINT_URL=")[1].split()[0]
        yield Running(api=api, moto=moto, banner=text)
    finally:
        proc.send_signal(stop)
        assert proc.wait(timeout=60) == 0


def test_a_stopped_system_starts_again_with_everything_it_had(tmp_path: Path) -> None:
    state = tmp_path / "state"
    username = f"rep-{uuid.uuid4().hex[:6]}"
    with serving(state) as first:
        assert "demo data loaded" in first.banner and f"kept in {state}" in first.banner
        pharmacy = {"name": "持久化测试药房", "profile": {"type": "terminal", "kind": "pharmacy"}}
        created = first.call("POST", "/customers", "admin", pharmacy)
        assert created.status_code == 201, created.text
        customer = created.json()
        user = first.call(
            "POST",
            "/users",
            "admin",
            {"username": username, "name": "新代表", "email": f"{username}@example.com", "org_unit_id": "EAST-RX",
             "roles": ["rep"]},
        )  # fmt: skip
        assert user.status_code == 201, user.text
        for _ in range(120):  # the demo's files import in the background: wait until none is processing
            loads = first.call("GET", "/flow-loads?limit=50", "admin").json()["items"]
            if loads and all(load["status"] not in ("received", "processing") for load in loads):
                break
            time.sleep(0.5)
        assert loads and all(load["status"] not in ("received", "processing") for load in loads), loads
        s3 = first.aws("s3")
        buckets = [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith("crm-local-uploads")]
        versions = {(v["Key"], v["VersionId"]) for v in s3.list_object_versions(Bucket=buckets[0]).get("Versions", [])}
        assert versions
        secret = first.aws("kms").encrypt(KeyId="alias/crm-local-notify", Plaintext=b"robot key")["CiphertextBlob"]

    with serving(state, stop=signal.SIGTERM) as second:
        assert "demo data loaded" not in second.banner  # the demo goes only into a new system
        again = second.call("GET", f"/customers/{customer['id']}", "admin")
        assert again.status_code == 200 and again.json()["name"] == "持久化测试药房"
        assert second.call("GET", f"/users/{user.json()['id']}", "admin").json()["username"] == username
        assert second.call("GET", "/customers?limit=1", username).status_code == 200  # the new user still signs in
        assert [load["id"] for load in second.call("GET", "/flow-loads?limit=50", "admin").json()["items"]] == [
            load["id"] for load in loads
        ]
        s3 = second.aws("s3")
        kept = {(v["Key"], v["VersionId"]) for v in s3.list_object_versions(Bucket=buckets[0]).get("Versions", [])}
        assert kept == versions  # the same versions: loads name the version they read
        key, version = sorted(versions)[0]
        assert s3.get_object(Bucket=buckets[0], Key=key, VersionId=version)["Body"].read()
        assert second.aws("kms").decrypt(CiphertextBlob=secret)["Plaintext"] == b"robot key"

        proc, lines = _start(state)  # a second system on the same folder would corrupt it
        assert proc.wait(timeout=60) == 1
        assert "in use by a running localcloud" in "".join(iter(lines.get, ""))

    with serving(state, "--reset", "--no-demo") as fresh:
        assert "demo data loaded" not in fresh.banner
        r = requests.get(f"{fresh.api}/_local/tokens", params={"username": "admin"}, timeout=30)
        assert r.status_code != 200  # nobody: the folder was emptied and no demo loaded


def test_a_state_folder_is_held_by_one_system_and_reset_empties_it(tmp_path: Path) -> None:
    holder = LocalState(tmp_path)
    holder.lock()
    (tmp_path / "kms.json").write_text("{}")
    with pytest.raises(StateInUse):
        LocalState(tmp_path).lock()
    with pytest.raises(StateInUse):
        LocalState(tmp_path).reset()  # not while it runs
    holder.unlock()
    LocalState(tmp_path).reset()
    assert [p.name for p in tmp_path.iterdir()] == ["lock"]
