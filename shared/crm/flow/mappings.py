"""Mapping templates per distributor and kind of file: how its headers, dates and units map to ours."""

from pydantic import BaseModel

from crm import clock
from crm.db import keys
from crm.db.models import AuditItem, FlowMappingItem
from crm.db.transaction import Transaction
from crm.errors import Conflict, NotFound, PreconditionFailed
from crm.ids import new_id
from crm.ingest.mapping import FileKind, MappingTemplate


class StoredMapping(BaseModel):
    distributor_id: str
    kind: FileKind
    template: MappingTemplate
    updated_by: str
    updated_at: str
    version: int


def _item(tenant_id: str, distributor_id: str, kind: FileKind) -> FlowMappingItem | None:
    try:
        return FlowMappingItem.get(keys.flow_mappings_pk(tenant_id), keys.flow_mapping_sk(distributor_id, kind))
    except FlowMappingItem.DoesNotExist:
        return None


def _model(item: FlowMappingItem) -> StoredMapping:
    return StoredMapping(distributor_id=item.distributor_id, kind=FileKind(item.kind),
                         template=MappingTemplate.model_validate(
        item.template.as_dict()), updated_by=item.updated_by, updated_at=item.updated_at, version=item.version or 0)


def find(tenant_id: str, distributor_id: str, kind: FileKind = FileKind.FLOW) -> StoredMapping | None:
    item = _item(tenant_id, distributor_id, kind)
    return _model(item) if item else None


def template_for(tenant_id: str, distributor_id: str, kind: FileKind = FileKind.FLOW) -> MappingTemplate:
    """The distributor's template for that kind of file, or the built-in Chinese headers when it has none."""
    stored = find(tenant_id, distributor_id, kind)
    return stored.template if stored else MappingTemplate()


def save(tenant_id: str, distributor_id: str, kind: FileKind, template: MappingTemplate, actor: str,
         if_match: int | None) -> StoredMapping:
    """Creates (if_match None: must not exist yet) or replaces (must still be at if_match)."""
    item = _item(tenant_id, distributor_id, kind)
    if if_match is None and item is not None:
        raise Conflict(f"This distributor already has a {kind} mapping template; replace it with PUT and If-Match.")
    if if_match is not None:
        if item is None:
            raise NotFound(f"This distributor has no {kind} mapping template yet.")
        if item.version != if_match:
            raise PreconditionFailed(f"The template is at version {item.version}, not {if_match}.")
    item = item or FlowMappingItem(keys.flow_mappings_pk(tenant_id), keys.flow_mapping_sk(distributor_id, kind))
    version = (item.version or 0) + 1
    # The version every imported line records as its lineage: which template, which revision.
    suffix = "" if kind == FileKind.FLOW else f"-{kind}"
    stamped = template.model_copy(update={"version": f"{distributor_id[-6:]}{suffix}-v{version}"})
    item.distributor_id, item.kind, item.template = distributor_id, kind.value, stamped.model_dump(mode="json")
    item.updated_by, item.updated_at = actor, clock.now_iso()
    tx = Transaction()
    tx.put(item)
    tx.put(AuditItem(keys.flow_mappings_pk(tenant_id), f"AUDIT#{new_id()}", tenant_id=tenant_id,
                     action="save_mapping", actor_id=actor, at=item.updated_at,
                     changes={"template": {"before": None, "after": item.template.as_dict()
                                           if hasattr(item.template, "as_dict") else item.template},
                              "distributor_id": {"before": None, "after": distributor_id},
                              "kind": {"before": None, "after": kind.value}}))
    tx.commit()
    return _model(item)
