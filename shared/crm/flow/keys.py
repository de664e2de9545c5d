"""Where files live in S3. The key of an upload carries kind, tenant, party, period and load id, so the
import trusts the key (which our API signed) and never the file's content.

The party is the distributor whose file it is (for terminal sell-out: the customer reporting it); our
own shipments file names no one (SHIPMENTS_PARTY): its rows name the distributors.
"""

from dataclasses import dataclass
from urllib.parse import unquote_plus

from crm.ingest.mapping import FileKind

SHIPMENTS_PARTY = "_ours"

# The Parquet table (an S3 prefix and a Glue table) each kind's accepted lines go to.
LINES_TABLE: dict[FileKind, str] = {
    FileKind.FLOW: "flow-lines",
    FileKind.SELLOUT: "sellout-lines",
    FileKind.INVENTORY: "stock-lines",
    FileKind.OPENING: "opening-lines",
    FileKind.SHIPMENTS: "shipment-lines",
}


@dataclass(frozen=True)
class UploadKey:
    tenant_id: str
    distributor_id: str
    period: str
    load_id: str
    file_name: str
    kind: FileKind = FileKind.FLOW

    def __str__(self) -> str:  # the prefix is the kind: one S3 notification rule per kind, one function
        return f"{self.kind}/{self.tenant_id}/{self.distributor_id}/{self.period}/{self.load_id}/{self.file_name}"

    @classmethod
    def parse(cls, raw_key: str) -> "UploadKey":
        kind, _, rest = unquote_plus(raw_key).partition("/")
        parts = rest.split("/")
        if kind not in FileKind.__members__.values() or len(parts) != 5 or not all(parts):
            raise ValueError(f"not an upload key: {raw_key!r}")
        tenant_id, distributor_id, period, load_id, file_name = parts
        return cls(tenant_id, distributor_id, period, load_id, file_name, FileKind(kind))


def parquet_key(key: UploadKey) -> str:
    """Hive-style partitions (tenant / period / distributor), one object per load, under the Glue table."""
    return (
        f"{LINES_TABLE[key.kind]}/tenant={key.tenant_id}/period={key.period}/distributor={key.distributor_id}/"
        f"{key.load_id}.parquet"
    )


def lines_prefix(kind: FileKind, tenant_id: str, period: str) -> str:
    """Every current load of a kind for a tenant's period (superseded loads are moved out from under it)."""
    return f"{LINES_TABLE[kind]}/tenant={tenant_id}/period={period}/"


def superseded_key(parquet: str) -> str:
    """Outside the table's location: Athena never reads a superseded load."""
    return "superseded/" + parquet


def report_key(key: UploadKey, fmt: str) -> str:
    return f"reports/flow/{key.tenant_id}/{key.distributor_id}/{key.period}/{key.load_id}/errors.{fmt}"
