"""The state `make dev` keeps across restarts, in one folder (default .local/state/, ignored by git).

- Tables: DynamoDB Local keeps them on disk (dynamodb/, SQLite), each write committed as it is made, so
  neither Ctrl-C nor a crash loses one.
- Buckets: every object version (bytes, version id, time, content type, metadata and lock) is copied to s3/ within
  SYNC_SECONDS of its change and when the system stops; it is put back before the buckets' notifications
  exist, so a restart imports nothing twice. Loads name the object version they read, hence the version ids.
- The template's KMS keys keep their material (kms.json): what was encrypted with them (robot URLs) decrypts.
- The local user pool's users keep their ids, attributes, enabled flag and SMS second factor (cognito.json).

Not kept: running Step Functions executions (the approval reconciler starts open runs again; a hand-over or org
move that was running is retried with its retry route), SQS messages in flight and the mail sent.

moto's server runs in this process, so its backends are read and written directly, as resources._move_key does.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import logging
import os
import shutil
import threading
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from .template import ACCOUNT_ID, REGION, USER_POOL_ID, Stack

log = logging.getLogger("localcloud.state")
SYNC_SECONDS = 2.0


class StateInUse(RuntimeError):
    """Another localcloud holds the state folder."""


class LocalState:
    """One state folder: its lock, its tables' directory, and the copy of what moto holds in memory."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.dynamodb_dir = self.root / "dynamodb"
        self._lock: IO[str] | None = None
        self._saved: dict[str, Any] = {}  # what was last written, per file, so an unchanged one is not rewritten
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ the folder
    def lock(self) -> None:
        """Takes the folder for this process; a second localcloud on it is refused (it would corrupt it)."""
        self.root.mkdir(parents=True, exist_ok=True)
        handle = (self.root / "lock").open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise StateInUse(
                f"{self.root} is in use by a running localcloud ({holder}): stop it first, or give another --state-dir"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        self._lock = handle

    def unlock(self) -> None:
        if self._lock:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def reset(self) -> None:
        """Empties the folder (refused while a localcloud runs on it): the next start is a new system."""
        self.lock()
        try:
            for child in self.root.iterdir():
                if child.name != "lock":
                    shutil.rmtree(child) if child.is_dir() else child.unlink()
        finally:
            self.unlock()

    # ------------------------------------------------------------------ restore and keep
    def restore(self, stack: Stack) -> None:
        """Puts back what the last run kept; call after the resources exist, before anything runs."""
        for bucket in stack.buckets.values():
            _restore_bucket(self.root / "s3", bucket)
        if (kms := _read(self.root / "kms.json")) is not None:
            _restore_keys(stack, kms)
        if (users := _read(self.root / "cognito.json")) is not None:
            _restore_users(users)

    def save(self, stack: Stack) -> None:
        """Writes what changed since the last save."""
        for bucket in stack.buckets.values():
            self._write(f"s3/{bucket}.json", _bucket_manifest(self.root / "s3" / "blobs", bucket))
        self._write("kms.json", _key_material(stack))
        self._write("cognito.json", _pool_users())

    def keep(self, stack: Stack) -> None:
        """Saves every SYNC_SECONDS until stop_keeping()."""

        def loop() -> None:
            while not self._stop.wait(SYNC_SECONDS):
                try:
                    self.save(stack)
                except RuntimeError as err:  # a dict changed while read: the next round copies it
                    log.debug("state save deferred: %s", err)

        self._stop.clear()
        self._thread = threading.Thread(target=loop, name="localcloud-state", daemon=True)
        self._thread.start()

    def stop_keeping(self, stack: Stack) -> None:
        """Stops the saving thread and saves one last time (Ctrl-C and SIGTERM come here through stop())."""
        self._stop.set()
        if self._thread:
            self._thread.join()
            self._thread = None
        self.save(stack)

    def _write(self, name: str, content: Any) -> None:
        if content is None or self._saved.get(name) == content:
            return
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(content, ensure_ascii=False, indent=1))
        os.replace(temporary, path)  # a crash leaves the old file or the new one, never half of one
        self._saved[name] = content


def _read(path: Path) -> Any:
    return json.loads(path.read_text()) if path.exists() else None


# ---------------------------------------------------------------------- S3


def _bucket(name: str) -> Any:
    from moto.s3.models import s3_backends

    return s3_backends[ACCOUNT_ID]["aws"].get_bucket(name)


def _bucket_manifest(blobs: Path, name: str) -> dict[str, list[dict[str, Any]]]:
    """{key: its versions, oldest first}; each version's bytes go to blobs/<sha256> once."""
    manifest: dict[str, list[dict[str, Any]]] = {}
    for key, versions in list(_bucket(name).keys.iterlists()):
        entries = []
        for version in list(versions):
            entry: dict[str, Any] = {
                "version_id": version.version_id,
                "last_modified": version.last_modified.isoformat(),
            }
            if hasattr(version, "value"):
                entry["blob"] = _store_blob(blobs, version.value)
                entry["metadata"] = dict(version.metadata)
                if getattr(version, "lock_mode", None):  # a distributor file kept as evidence (crm.flow.evidence)
                    entry["lock"] = [version.lock_mode, version.lock_until]
            else:
                entry["delete_marker"] = True
            entries.append(entry)
        manifest[key] = entries
    return manifest


def _store_blob(blobs: Path, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    path = blobs / digest
    if not path.exists():
        blobs.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(data)
        os.replace(temporary, path)
    return digest


def _restore_bucket(root: Path, name: str) -> None:
    from moto.s3.models import FakeDeleteMarker, s3_backends

    manifest = _read(root / f"{name}.json") or {}
    backend, bucket = s3_backends[ACCOUNT_ID]["aws"], _bucket(name)
    for key, versions in manifest.items():
        for entry in versions:
            if entry.get("delete_marker"):
                latest = bucket.keys.getlist(key, [])
                if not latest:
                    continue
                marker = FakeDeleteMarker(key=latest[-1])
                marker._version_id = entry["version_id"]
                bucket.keys.setlist(key, [*latest, marker])
                continue
            data = (root / "blobs" / entry["blob"]).read_bytes()
            restored = backend.put_object(name, key, data, disable_notification=True)  # no import runs again
            restored._version_id = entry["version_id"]
            restored.last_modified = datetime.fromisoformat(entry["last_modified"])
            restored.set_metadata(entry.get("metadata") or {})  # content type and user metadata, over the defaults
            if entry.get("lock"):
                restored.lock_mode, restored.lock_until = entry["lock"]


# ---------------------------------------------------------------------- KMS and the user pool


def _key_material(stack: Stack) -> dict[str, str]:
    from moto.kms.models import kms_backends

    keys = kms_backends[ACCOUNT_ID][REGION].keys
    return {
        key.key_id: base64.b64encode(keys[key.key_id].key_material).decode()
        for key in stack.kms_keys.values()
        if key.key_id in keys
    }


def _restore_keys(stack: Stack, material: dict[str, str]) -> None:
    from moto.kms.models import kms_backends

    keys = kms_backends[ACCOUNT_ID][REGION].keys
    for key in stack.kms_keys.values():
        if key.key_id in material and key.key_id in keys:
            keys[key.key_id].key_material = base64.b64decode(material[key.key_id])


def _pool() -> Any:
    from moto.cognitoidp.models import cognitoidp_backends

    return cognitoidp_backends[ACCOUNT_ID][REGION].user_pools.get(USER_POOL_ID)


def _pool_users() -> dict[str, dict[str, Any]] | None:
    pool = _pool()
    if pool is None:
        return None
    return {
        user.username: {
            "id": user.id,
            "attributes": {a["Name"]: a["Value"] for a in user.attributes if a["Name"] != "sub"},
            "enabled": user.enabled,
            "sms_mfa": user.sms_mfa_enabled,  # the second factor the users API requires of HQ admins and finance
            "status": str(getattr(user.status, "value", user.status)),
        }
        for user in list(pool.users.values())
    }


def _restore_users(users: dict[str, dict[str, Any]]) -> None:
    from moto.cognitoidp.models import CognitoIdpUser, UserStatus

    pool = _pool()
    if pool is None:
        return
    for username, kept in users.items():
        values = [{"Name": k, "Value": v} for k, v in kept["attributes"].items()]
        user = CognitoIdpUser(USER_POOL_ID, username, None, UserStatus[kept["status"]], values)
        user.id = kept["id"]  # the directory names users by their sub: it must not change
        user.update_attributes([{"Name": "sub", "Value": kept["id"]}])
        user.enabled = kept["enabled"]
        user.sms_mfa_enabled = kept.get("sms_mfa", False)
        pool.users[username] = user
