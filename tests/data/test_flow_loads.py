"""Loads per version of an uploaded object, on both backends: the version marker and the load are written in one
transaction, so a repeated S3 event creates nothing and a later version of the same upload is a load of its own."""

from crm.flow import loads
from crm.flow.keys import UploadKey
from crm.ids import new_id
from crm.ingest.mapping import FileKind


def test_each_version_of_an_upload_is_one_load(world) -> None:  # type: ignore[no-untyped-def]
    # Given an upload issued with its link
    key = UploadKey(world.tenant, new_id(), "2026-10", new_id(), "流向.csv", FileKind.FLOW)
    loads.issue(key, "u-1")
    assert loads.issued(world.tenant, key.load_id) == loads.Issued(key, "u-1")

    # When its first version arrives, then again (a repeated event), then a later version
    first = loads.receive(key, str(key), "v1", "a" * 64, 10)
    again = loads.receive(key, str(key), "v1", "a" * 64, 10)
    later = loads.receive(key, str(key), "v2", "b" * 64, 12)

    # Then the first version is the upload's own load, the repeat nothing, the later version a new load
    assert first is not None and first.id == key.load_id and first.object_version == "v1"
    assert again is None
    assert later is not None and later.id != key.load_id and later.upload_id == key.load_id
    assert loads.for_version(world.tenant, key.load_id, "v2").id == later.id  # type: ignore[union-attr]
    assert loads.for_version(world.tenant, key.load_id, "v3") is None
    assert loads.uploader(later) == "u-1"  # a later version is told to the same uploader
    assert loads.key_of(later) == UploadKey(world.tenant, key.distributor_id, "2026-10", later.id, "流向.csv")


def test_a_load_id_no_upload_was_issued_for_has_no_record(world) -> None:  # type: ignore[no-untyped-def]
    assert loads.issued(world.tenant, new_id()) is None
