"""Where files live in S3. The key of an upload carries tenant, distributor, period and load id,
so the import trusts the key (which our API signed) and never the file's content."""

from dataclasses import dataclass
from urllib.parse import unquote_plus

UPLOAD_PREFIX = "flow/"


@dataclass(frozen=True)
class UploadKey:
    tenant_id: str
    distributor_id: str
    period: str
    load_id: str
    file_name: str

    def __str__(self) -> str:
        return f"{UPLOAD_PREFIX}{self.tenant_id}/{self.distributor_id}/{self.period}/{self.load_id}/{self.file_name}"

    @classmethod
    def parse(cls, raw_key: str) -> "UploadKey":
        parts = unquote_plus(raw_key).removeprefix(UPLOAD_PREFIX).split("/")
        if len(parts) != 5 or not all(parts):
            raise ValueError(f"not an upload key: {raw_key!r}")
        return cls(*parts)


def parquet_key(key: UploadKey) -> str:
    """Hive-style partitions (tenant / period / distributor), one object per load, under the Glue table."""
    return (f"flow-lines/tenant={key.tenant_id}/period={key.period}/distributor={key.distributor_id}/"
            f"{key.load_id}.parquet")


def superseded_key(parquet: str) -> str:
    """Outside the table's location: Athena never reads a superseded load."""
    return "superseded/" + parquet


def report_key(key: UploadKey, fmt: str) -> str:
    return f"reports/{key.tenant_id}/{key.distributor_id}/{key.period}/{key.load_id}/errors.{fmt}"
