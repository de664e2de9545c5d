"""Mapping templates per distributor and kind of file: how its headers, dates and units map to ours."""

from pydantic import BaseModel, Field

from crm import audit, clock, versions
from crm.db import keys
from crm.db.models import FlowMappingItem
from crm.db.transaction import Transaction
from crm.errors import Conflict, NotFound, PreconditionFailed
from crm.ingest.mapping import BUILTIN_HEADERS, KIND_RULES, PRODUCT_KEYS, Col, FileKind, MappingTemplate


class StoredMapping(BaseModel):
    distributor_id: str
    kind: FileKind
    template: MappingTemplate
    updated_by: str
    updated_at: str
    version: int


class BuiltinColumn(BaseModel):
    column: Col
    headers: list[str] = Field(
        description="Header texts taken for this column with no template, in the order "
        "tried; compared normalised (full-width as half-width, case, spaces and punctuation "
        "ignored), and a bracketed qualifier is looked past: 数量(盒) is 数量 in 盒"
    )
    required: bool = Field(description="A file without this column is rejected (see also product_key)")


class BuiltinHeaders(BaseModel):
    """What a file of this kind needs to be read with no mapping template. A file whose headers are all here
    needs none; otherwise its distributor needs a template (POST /flow-mappings) naming its own headers."""

    kind: FileKind
    columns: list[BuiltinColumn]
    product_key: list[Col] = Field(
        description="At least one of these columns must be there (with only a name, the spec helps tell products apart)"
    )
    defaults: MappingTemplate = Field(
        description="The rest of the built-in template: date formats, units, total row markers, return types"
    )


def builtin(kind: FileKind) -> BuiltinHeaders:
    """The built-in headers of a kind: its own synonyms first, then the common ones (MappingTemplate.synonyms)."""
    rules = KIND_RULES[kind]
    columns = [
        BuiltinColumn(
            column=col,
            headers=list(dict.fromkeys([*rules.headers.get(col, ()), *names])),
            required=col in rules.required,
        )
        for col, names in BUILTIN_HEADERS.items()
        if col != Col.DISTRIBUTOR or col in rules.required  # only a shipments file names distributors
    ]
    return BuiltinHeaders(kind=kind, columns=columns, product_key=list(PRODUCT_KEYS), defaults=MappingTemplate())


def _item(tenant_id: str, distributor_id: str, kind: FileKind) -> FlowMappingItem | None:
    try:
        return FlowMappingItem.get(keys.flow_mappings_pk(tenant_id), keys.flow_mapping_sk(distributor_id, kind))
    except FlowMappingItem.DoesNotExist:
        return None


def _model(item: FlowMappingItem) -> StoredMapping:
    return StoredMapping(
        distributor_id=item.distributor_id,
        kind=FileKind(item.kind),
        template=MappingTemplate.model_validate(item.template.as_dict()),
        updated_by=item.updated_by,
        updated_at=item.updated_at,
        version=item.version or 0,
    )


def find(tenant_id: str, distributor_id: str, kind: FileKind = FileKind.FLOW) -> StoredMapping | None:
    item = _item(tenant_id, distributor_id, kind)
    return _model(item) if item else None


def template_for(tenant_id: str, distributor_id: str, kind: FileKind = FileKind.FLOW) -> MappingTemplate:
    """The distributor's template for that kind of file, or the built-in Chinese headers when it has none."""
    stored = find(tenant_id, distributor_id, kind)
    return stored.template if stored else MappingTemplate()


def sent_version_check(template: MappingTemplate, stored: str | None) -> None:
    """A `version` sent in the body names the revision the client edited. On a create there is none to edit (409);
    on a replace it must be the stored one, like If-Match (412). Omitted, the server stamps the next one."""
    if "version" not in template.model_fields_set:
        return
    if stored is None:
        raise Conflict(
            f"template.version {template.version!r} names a revision, but there is no template yet: omit "
            "it, the server assigns the version when the template is saved.",
            field="template.version",
        )
    if template.version != stored:
        raise PreconditionFailed(
            f"template.version {template.version!r} is not the stored template's ({stored!r}): "
            "read it again, or omit version; the server assigns the next one."
        )


def save(
    tenant_id: str, distributor_id: str, kind: FileKind, template: MappingTemplate, actor: str, if_match: int | None
) -> StoredMapping:
    """Creates (if_match None: must not exist yet) or replaces (must still be at if_match).

    The template's `version` is the server's: it is stamped here and recorded on every imported line. A client
    that sends one says which revision it edited, so it must be the stored one (sent_version_check)."""
    item = _item(tenant_id, distributor_id, kind)
    if if_match is None and item is not None:
        raise Conflict(f"This distributor already has a {kind} mapping template; replace it with PUT and If-Match.")
    if if_match is not None:
        if item is None:
            raise NotFound(f"This distributor has no {kind} mapping template yet.")
        versions.check("template", item.version or 0, if_match)
    sent_version_check(template, _model(item).template.version if item else None)
    item = item or FlowMappingItem(keys.flow_mappings_pk(tenant_id), keys.flow_mapping_sk(distributor_id, kind))
    version = (item.version or 0) + 1
    # The version every imported line records as its lineage: which template, which revision.
    suffix = "" if kind == FileKind.FLOW else f"-{kind}"
    stamped = template.model_copy(update={"version": f"{distributor_id[-6:]}{suffix}-v{version}"})
    item.distributor_id, item.kind, item.template = distributor_id, kind.value, stamped.model_dump(mode="json")
    item.updated_by, item.updated_at = actor, clock.now_iso()
    tx = Transaction()
    tx.put(item)
    audit.stage(
        tx,
        keys.flow_mappings_pk(tenant_id),
        tenant_id,
        "save_mapping",
        actor,
        {
            "template": {
                "before": None,
                "after": item.template.as_dict() if hasattr(item.template, "as_dict") else item.template,
            },
            "distributor_id": {"before": None, "after": distributor_id},
            "kind": {"before": None, "after": kind.value},
        },
        at=item.updated_at,
    )
    tx.commit()
    return _model(item)
