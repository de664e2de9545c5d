"""Flow uploads and loads as the API offers them. Authorization first, then scope, as everywhere."""

from functools import lru_cache

from crm.auth import Principal, Role, require
from crm.customers.model import CustomerType
from crm.customers.service import CustomerService
from crm.db.paging import Page
from crm.errors import InvalidInput, NotFound
from crm.flow import loads
from crm.flow.keys import UploadKey, report_key
from crm.flow.model import Load, ReportLink, UploadRequest, UploadTicket, safe_file_name
from crm.ids import new_id

URL_SECONDS = 15 * 60


@lru_cache(maxsize=1)
def _s3():  # type: ignore[no-untyped-def]
    import boto3  # only upload and report links need S3 here

    return boto3.client("s3")


class FlowService:
    def __init__(self, principal: Principal, uploads_bucket: str) -> None:
        self.p = principal
        self.tenant = principal.tenant_id
        self.bucket = uploads_bucket

    def request_upload(self, request: UploadRequest) -> UploadTicket:
        require(self.p, "flow:upload")
        distributor_id = self._distributor(request.distributor_id)
        key = UploadKey(self.tenant, distributor_id, request.period, new_id(), safe_file_name(request.file_name))
        url = _s3().generate_presigned_url("put_object", Params={"Bucket": self.bucket, "Key": str(key)},
                                           ExpiresIn=URL_SECONDS)
        return UploadTicket(load_id=key.load_id, key=str(key), url=url, expires_in=URL_SECONDS)

    def list(self, distributor_id: str | None, limit: int, cursor: str | None) -> Page[Load]:
        require(self.p, "flow:read")
        if distributor_id or not self.p.has(Role.HQ_ADMIN):
            distributor_id = self._distributor(distributor_id)
        return loads.list_loads(self.tenant, distributor_id, limit, cursor)

    def get(self, load_id: str) -> Load:
        require(self.p, "flow:read")
        item = loads.get(self.tenant, load_id)
        if item is None or not self._may_see(item.distributor_id):
            raise NotFound(f"No load {load_id}.")
        return loads.to_model(item)

    def error_report(self, load_id: str, fmt: str) -> ReportLink:
        load = self.get(load_id)
        if not load.has_error_report:
            raise NotFound("This load has no error report.")
        key = report_key(UploadKey(self.tenant, load.distributor_id, load.period, load.id, load.file_name), fmt)
        url = _s3().generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": key},
                                           ExpiresIn=URL_SECONDS)
        return ReportLink(url=url, expires_in=URL_SECONDS, format=fmt)  # type: ignore[arg-type]

    def _distributor(self, asked: str | None) -> str:
        """A distributor user acts for itself only; anyone else names a distributor in their scope."""
        if self.p.has(Role.DISTRIBUTOR) and not self.p.roles - {Role.DISTRIBUTOR}:
            if asked and asked != self.p.distributor_id:
                raise NotFound(f"No customer {asked}.")
            if not self.p.distributor_id:
                raise InvalidInput("Your user is not bound to a distributor.")
            return self.p.distributor_id
        if not asked:
            raise InvalidInput("Name the distributor.", [{"field": "distributor_id", "message": "required"}])
        customer = CustomerService(self.p).get(asked)  # 404 outside the caller's scope
        if customer.type != CustomerType.DISTRIBUTOR:
            raise InvalidInput("Flow files come from distributors.",
                               [{"field": "distributor_id", "message": "not a distributor"}])
        return customer.id

    def _may_see(self, distributor_id: str) -> bool:
        if self.p.has(Role.HQ_ADMIN):
            return True
        try:
            return self._distributor(distributor_id) == distributor_id
        except (NotFound, InvalidInput):
            return False
