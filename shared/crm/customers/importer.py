"""The customer archive import (客户档案导入): check every row of a file, stage the good ones, write them.

Checking reads the file with the ingest reader (crm.ingest: sizes, encodings, hostile cells) and validates each
row with the API's own models (CustomerCreate, CustomerPatch), so the rules live in one place. Names and aliases
are compared with the archive's name keys (read once, the index POST's duplicate check reads by key) and with the
file's other rows. Writing goes through CustomerService.create / update, one customer a transaction with its
name keys and audit entry, exactly as POST and PATCH write them. Rows are staged in S3 in writing order
(an upstream before the rows it supplies) so that a dry run can be applied, and a long write continued by the
next invocation, without reading the file again.
"""

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError

from crm import clock, file_imports
from crm.auth import PERMISSIONS, Principal, Scope, require, scope_for
from crm.config import get_settings
from crm.customers import imports
from crm.customers import repository as repo
from crm.customers.import_columns import BY_FIELD, COLUMNS, REQUIRED
from crm.customers.model import Customer, CustomerCreate, CustomerPatch, LevelChange
from crm.customers.service import CustomerService, _clean_aliases
from crm.db import keys
from crm.db.models import CodeKeyItem, CustomerImportItem, NameKeyItem, UserItem
from crm.errors import DomainError
from crm.ids import new_id
from crm.ingest.model import NO_DATA, IngestRejected, Limits
from crm.ingest.template import WHOLE_NUMBER, Header, Layout, find_header, rows
from crm.org import directory
from crm.text import normalize_name
from crm.upload_links import MAX_FILE_BYTES

log = logging.getLogger(__name__)

LAYOUT = Layout(
    {c.field: c.spellings() for c in COLUMNS},
    required=REQUIRED,
    limits=Limits(max_bytes=MAX_FILE_BYTES, max_rows=100_000, max_columns=100),
    header_scan=30,
)
PROGRESS_EVERY = 200  # rows written between two saves of the record: at most this many are checked again on resume
CONTINUE_BELOW_MS = 60_000  # hand the rest to a new invocation when less time than this is left

WORDS: dict[str, dict[str, str]] = {
    "type": {"经销商": "distributor", "商业": "distributor", "终端": "terminal", "个人": "person", "其他": "other"},
    "status": {
        "潜在": "prospect",
        "意向": "opportunity",
        "合作": "active",
        "活跃": "active",
        "流失": "lost",
        "停止": "stopped",
        "关闭": "closed",
    },
    "trade": {"直供": "direct", "直营": "direct", "分销": "indirect"},
    "tier": {"一级": "tier1", "一级商": "tier1", "二级": "tier2", "二级商": "tier2", "连锁总部": "chain_hq"},
    "kind": {
        "药店": "pharmacy",
        "药房": "pharmacy",
        "医院": "hospital",
        "诊所": "clinic",
        "零售店": "retail_store",
        "关键人": "key_person",
        "会员": "member",
        "中间人": "intermediary",
    },
}
YES = {"是", "y", "yes", "true", "1", "√"}
NO = {"否", "n", "no", "false", "0", ""}
PROFILE_FIELDS = {
    "distributor": (
        "tier",
        "warehouse_address",
        "warehouse_area_m2",
        "annual_sales",
        "credit_limit",
        "is_pharmaceutical",
        "hospital_sales_share",
        "license_no",
    ),
    "terminal": ("kind", "chain_name", "hospital_grade", "beds", "medical_insurance", "license_no", "credit_limit"),
    "person": ("kind", "employer_name", "position", "department", "birthday"),
    "other": ("description",),
}
TYPE_ONLY = {"territory_provinces": "distributor", "territory_cities": "distributor", "employer_code": "person"}
REGION = ("province", "city", "county")
PLAIN = ("name", "code", "status", "level", "trade", "address", "phone", "remarks", "org_unit_id")
ERRORS_KEY = "errors.json"


# ----------------------------------------------------------------------------- what a check gives


@dataclass
class Staged:
    """One good row, ready to write: a new customer (its id fixed now, so a repeated write finds it) or the
    changes to the existing one with the row's ERP code."""

    line: int
    row: int
    customer_id: str
    existing: bool
    fields: dict[str, Any]  # CustomerCreate (new) or the columns given (existing), as JSON
    upstream_code: str | None = None
    employer_code: str | None = None
    level_from: str | None = None
    create_anyway: bool = False
    depth: int = 0  # in-file upstreams above it: written after them


@dataclass
class Check:
    rows: int = 0
    staged: list[Staged] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)  # ERRORS_SCHEMA rows
    duplicate_rows: set[int] = field(default_factory=set)

    @property
    def rejected(self) -> int:
        return len({e["row"] for e in self.errors})

    def error(self, row: int, line: int, column: str, value: str, reason: str) -> None:
        self.errors.append({"row": row, "line": line, "column": column, "value": value, "reason": reason})


@dataclass
class _Archive:
    """What rows are compared with, read once per file."""

    names: dict[str, list[tuple[str, str, str]]]  # norm → (customer id, text, kind) of the archive's name keys
    codes: dict[str, list[tuple[str, str]]]  # ERP code → (customer id, type) holding it
    users: dict[str, directory.User]  # username → active user
    existing: dict[str, Customer]  # the customers whose codes the file names


# ----------------------------------------------------------------------------- checking


def check(principal: Principal, data: bytes, file_name: str) -> Check:
    """Every row checked; raises IngestRejected when the file as a whole cannot be used."""
    require(principal, "customer:import")
    sheet, header = find_header(data, file_name, LAYOUT, _missing_message)
    lines = list(rows(sheet, header))
    if not lines:
        raise IngestRejected(NO_DATA, "The file has a header but no data rows.")
    tenant = principal.tenant_id
    scope = scope_for(principal, directory.caller_unit(tenant, principal.org_unit_id).path)
    codes = {v[f] for _, v in lines for f in ("code", "upstream_code", "employer_code") if v.get(f)}
    archive = _read_archive(tenant, codes)
    result = Check()
    in_file_names: dict[str, tuple[int, str]] = {}  # norm → (line, kind) of staged rows
    in_file_codes: dict[str, Staged] = {}
    first_code_line: dict[str, int] = {}
    may_override = bool(principal.roles & PERMISSIONS["customer:skip_duplicate_check"])
    for line, values in lines:
        result.rows += 1
        row = _RowCheck(result, header, line, values)
        staged = row.parse(principal, scope, archive, may_override)
        if staged is None:
            continue
        code = staged.fields.get("code")
        if code and code in first_code_line:
            row.fail("code", f"ERP code repeated in this file (first on line {first_code_line[code]})")
            continue
        if not row.names_free(staged, archive, in_file_names):
            result.duplicate_rows.add(result.rows)
            continue
        if code:
            first_code_line[code] = line
            in_file_codes[code] = staged
        for norm, kind in _norms(staged):
            in_file_names.setdefault(norm, (line, kind))
        result.staged.append(staged)
    _resolve_references(result, header, archive, in_file_codes)
    return result


class _RowCheck:
    """One row's checks; each failure is a line of the report."""

    def __init__(self, result: Check, header: Header, line: int, values: dict[str, str]) -> None:
        self.result, self.header, self.line = result, header, line
        self.values = {k: v for k, v in values.items() if v != ""}
        self.ok = True

    def fail(self, name: str, reason: str) -> None:
        self.ok = False
        column = (
            self.header.text(name)
            if name in self.header.columns
            else BY_FIELD[name].header
            if name in BY_FIELD
            else name
        )
        self.result.error(self.result.rows, self.line, column, self.values.get(name, ""), reason)

    def parse(self, principal: Principal, scope: Scope, archive: _Archive, may_override: bool) -> Staged | None:
        v = {k: WORDS.get(k, {}).get(text, text) for k, text in self.values.items()}
        kind = v.get("type", "")
        body = self._body(kind, v, archive)
        create_anyway = self._flag("create_anyway", v.get("create_anyway", ""))
        if create_anyway and not may_override:
            self.fail("create_anyway", "your role may not create a customer despite a duplicate name")
        level_from = self._level_from(v.get("level_from"))
        existing = self._existing(v.get("code"), kind, archive, scope)
        try:
            checked = CustomerCreate.model_validate(body)
        except ValidationError as exc:
            for err in exc.errors():
                self.fail(_column_of(err["loc"]), "required" if err["type"] == "missing" else err["msg"])
            return None
        if not self.ok or (existing is None and not self._placed_in_scope(principal, scope, checked)):
            return None
        return Staged(
            self.line,
            self.result.rows,
            existing.id if existing else new_id(),
            existing is not None,
            _fields(checked, body, existing is not None),
            upstream_code=v.get("upstream_code"),
            employer_code=v.get("employer_code") if kind == "person" else None,
            level_from=level_from,
            create_anyway=create_anyway,
        )

    def _body(self, kind: str, v: dict[str, str], archive: _Archive) -> dict[str, Any]:
        """The row as a POST /customers body."""
        body: dict[str, Any] = {k: v[k] for k in PLAIN if k in v}
        if any(k in v for k in REGION):
            body["region"] = {k: v[k] for k in REGION if k in v}
        body["profile"] = self._profile(kind, v)
        if "aliases" in v:
            body["aliases"] = _split(v["aliases"])
        if "contacts" in v:
            body["contacts"] = self._contacts(v["contacts"])
        owner = self._owner(v.get("owner"), archive)
        if owner is not None:
            body["owner_id"] = owner.id
        return body

    def _profile(self, kind: str, v: dict[str, str]) -> dict[str, Any]:
        allowed = PROFILE_FIELDS.get(kind, ())
        profile: dict[str, Any] = {"type": kind} if kind else {}
        for name in sorted({*allowed, *TYPE_ONLY} & v.keys()):
            if name in TYPE_ONLY and TYPE_ONLY[name] != kind:
                self.fail(name, f"only a {TYPE_ONLY[name]} has this column")
            elif name in allowed:
                value: Any = v[name]
                if name in ("is_pharmaceutical", "medical_insurance"):
                    value = self._flag(name, value)
                elif name == "beds" and (whole := WHOLE_NUMBER.match(value)):
                    value = whole.group(1)
                profile[name] = value
        for name in sorted({f for fields in PROFILE_FIELDS.values() for f in fields} & v.keys() - set(allowed)):
            if kind in PROFILE_FIELDS:
                self.fail(name, f"not a field of a {kind} customer")
        if kind == "distributor" and ("territory_provinces" in v or "territory_cities" in v):
            profile["territory"] = {
                "provinces": _split(v.get("territory_provinces", "")),
                "cities": _split(v.get("territory_cities", "")),
            }
        return profile

    def _contacts(self, text: str) -> list[dict[str, Any]]:
        contacts = []
        for entry in _split(text):
            parts = [p.strip() for p in entry.split("|")]
            contact: dict[str, Any] = {"name": parts[0]}
            if len(parts) > 1 and parts[1]:
                contact["role"] = parts[1]
            if len(parts) > 2 and parts[2]:
                contact["phones"] = [p.strip() for p in parts[2].replace("，", ",").split(",") if p.strip()]
            if len(parts) > 3:
                self.fail("contacts", f"a contact is name|role|phones, not {entry!r}")
            contacts.append(contact)
        return contacts

    def _owner(self, username: str | None, archive: _Archive) -> directory.User | None:
        if not username:
            return None
        user = archive.users.get(username)
        if user is None:
            self.fail("owner", f"no active user with the username {username!r}")
        return user

    def _flag(self, name: str, text: str) -> bool:
        word = text.strip().casefold()
        if word in YES:
            return True
        if word not in NO:
            self.fail(name, "must be 是/否 (yes/no)")
        return False

    def _level_from(self, text: str | None) -> str | None:
        if not text:
            return None
        try:
            when = date.fromisoformat(text[:10])
        except ValueError:
            self.fail("level_from", "must be a date (YYYY-MM-DD)")
            return None
        if "level" not in self.values:
            self.fail("level_from", "a level effective date needs a level")
        return when.isoformat()

    def _existing(self, code: str | None, kind: str, archive: _Archive, scope: Scope) -> Customer | None:
        holders = archive.codes.get(code or "", [])
        if len(holders) > 1:
            self.fail("code", f"{len(holders)} customers of the archive hold this ERP code; fix the archive first")
            return None
        if not holders:
            return None
        customer = archive.existing.get(holders[0][0])
        if customer is None or not scope.covers(customer):
            self.fail("code", "this ERP code belongs to a customer outside your scope")
            return None
        if customer.voided:
            self.fail("code", "this ERP code belongs to a voided customer; restore it first")
            return None
        if kind and customer.type.value != kind:
            self.fail("type", f"the customer with this ERP code is a {customer.type.value}; a type cannot change")
            return None
        return customer

    def _placed_in_scope(self, principal: Principal, scope: Scope, body: CustomerCreate) -> bool:
        """The rule CustomerService._placement applies on write, checked before anything is written."""
        tenant = principal.tenant_id
        owner = directory.find_user(tenant, body.owner_id) if body.owner_id else None
        unit_id = body.org_unit_id or (owner.org_unit_id if owner else principal.org_unit_id)
        unit = directory.find_unit(tenant, unit_id)
        if unit is None or unit.closed:
            self.fail("org_unit_id", f"no open org unit {unit_id!r}")
            return False
        owner_unit = directory.find_unit(tenant, owner.org_unit_id) if owner else unit
        for name, path in (("org_unit_id", unit.path), ("owner", owner_unit.path if owner_unit else "")):
            if not scope.covers_unit(path):
                self.fail(name, "outside your scope: you may only import customers into your part of the org tree")
                return False
        return True

    def names_free(self, staged: Staged, archive: _Archive, in_file: dict[str, tuple[int, str]]) -> bool:
        """Name and aliases against the archive and the rows before; reported with the candidates."""
        clashes: list[str] = []
        alias_taken = False
        for norm, kind in _norms(staged):
            for holder, text, held_as in archive.names.get(norm, []):
                if holder != staged.customer_id:
                    clashes.append(f"{text} (customer {holder}, its {held_as})")
                    alias_taken |= kind == "alias" and held_as == "alias"
            if norm in in_file:
                other_line, held_as = in_file[norm]
                clashes.append(f"line {other_line} of this file (its {held_as})")
                alias_taken |= kind == "alias" and held_as == "alias"
        if not clashes or (staged.create_anyway and not alias_taken):
            return True
        how = "an alias stays unique even with create anyway" if alias_taken else "set 仍然创建 to create it anyway"
        column = "aliases" if alias_taken else "name"
        self.fail(column, f"duplicate: collides with {'; '.join(dict.fromkeys(clashes))} — {how}")
        return False


def _fields(checked: CustomerCreate, body: dict[str, Any], existing: bool) -> dict[str, Any]:
    """What is written: a new customer's whole body; for an existing one only the columns the file has (a file
    without 地址 keeps the stored addresses), its profile fields merged into the stored profile when written."""
    if not existing:
        fields = checked.model_dump(mode="json", exclude_none=True)
    else:
        dumped = checked.model_dump(mode="json")
        fields = {k: dumped[k] for k in body if k != "profile"} | {"profile": body["profile"]}
    if "aliases" in fields:
        fields["aliases"] = _clean_aliases(checked.name, checked.aliases or [])
    if existing and checked.level:
        fields["level"] = checked.level.value  # a change of level is recorded as one, from its effective date
    return fields


def _resolve_references(result: Check, header: Header, archive: _Archive, in_file: dict[str, Staged]) -> None:
    """Upstream and employer by ERP code (in this file or the archive); a row whose reference cannot be written
    is rejected, and so, in turn, are the rows it supplies. Then the writing order: upstreams first."""

    def target(code: str) -> tuple[str | None, str | None]:
        if code in in_file:
            return in_file[code].customer_id, None
        holders = archive.codes.get(code, [])
        if len(holders) == 1:
            return holders[0][0], None
        return None, f"no customer with the ERP code {code!r}" if not holders else f"ERP code {code!r} is ambiguous"

    bad: set[str] = set()
    for staged in result.staged:
        for name, code, target_field in (
            ("upstream_code", staged.upstream_code, "upstream_id"),
            ("employer_code", staged.employer_code, "employer_customer_id"),
        ):
            if not code:
                continue
            found, problem = target(code)
            if found == staged.customer_id:
                problem = "a customer cannot be its own upstream"
            if problem:
                result.error(staged.row, staged.line, header.text(name), code, problem)
                bad.add(staged.customer_id)
            elif target_field == "upstream_id":
                staged.fields["upstream_id"] = found
            else:
                staged.fields.setdefault("profile", {})["employer_customer_id"] = found
    by_id = {s.customer_id: s for s in result.staged}
    for staged in result.staged:  # depth among in-file upstreams; a chain through a bad row is bad too
        seen, current = {staged.customer_id}, staged
        while (up := by_id.get(current.fields.get("upstream_id") or "")) is not None and up.customer_id not in seen:
            seen.add(up.customer_id)
            staged.depth += 1
            if up.customer_id in bad and staged.customer_id not in bad:
                result.error(
                    staged.row,
                    staged.line,
                    header.text("upstream_code"),
                    staged.upstream_code or "",
                    f"its upstream (line {up.line}) is not imported",
                )
                bad.add(staged.customer_id)
            current = up
    result.staged = sorted((s for s in result.staged if s.customer_id not in bad), key=lambda s: s.depth)


def _norms(staged: Staged) -> Iterator[tuple[str, str]]:
    if "name" in staged.fields:
        yield normalize_name(staged.fields["name"]), "name"
    for alias in staged.fields.get("aliases") or []:
        yield normalize_name(alias), "alias"


def _split(text: str) -> list[str]:
    for sep in ("；", "\n", "、"):
        text = text.replace(sep, ";")
    return [part.strip() for part in text.split(";") if part.strip()]


def _column_of(loc: tuple[Any, ...]) -> str:
    """The file's column for a pydantic error location, e.g. ('profile', 'terminal', 'kind') → kind."""
    names = [str(p) for p in loc if isinstance(p, str)]
    if names[:1] == ["region"] and len(names) > 1:
        return names[1]
    if names[:1] == ["profile"]:
        rest = [n for n in names[1:] if n not in PROFILE_FIELDS]
        if rest[:1] == ["territory"]:
            return "territory_cities" if "cities" in rest else "territory_provinces"
        return rest[0] if rest else "type"
    return {"owner_id": "owner", "upstream_id": "upstream_code"}.get(names[0], names[0]) if names else "name"


def _missing_message(missing: list[str]) -> str:
    names = ", ".join(BY_FIELD[f].header for f in missing)
    return (
        f"No header row with the required columns; missing: {names}. "
        "Download the template: GET /customer-imports/template."
    )


def _read_archive(tenant_id: str, codes: set[str]) -> _Archive:
    names: dict[str, list[tuple[str, str, str]]] = {}
    for key in NameKeyItem.by_text.query(keys.names_index_pk(tenant_id)):
        norm = key.gsi3sk.rsplit("#", 1)[0]
        names.setdefault(norm, []).append((key.customer_id, key.text, key.kind))
    held: dict[str, list[tuple[str, str]]] = {}
    for code in codes:
        holders = [(k.customer_id, k.customer_type) for k in CodeKeyItem.query(keys.code_pk(tenant_id, code))]
        if holders:
            held[code] = holders
    existing = repo.get_many(tenant_id, (h[0] for hs in held.values() for h in hs))
    return _Archive(names, held, usernames(tenant_id), existing)


def usernames(tenant_id: str) -> dict[str, directory.User]:
    """username → active user. The directory's User has no username yet, so read it from the items here."""
    by_id = {u.id: u for u in directory.users(tenant_id) if u.active}
    items = UserItem.query(
        keys.org_pk(tenant_id), UserItem.sk.startswith("USER#"), attributes_to_get=["sk", "username"]
    )
    return {i.username: by_id[i.sk.removeprefix("USER#")] for i in items if i.sk.removeprefix("USER#") in by_id}


# ----------------------------------------------------------------------------- the import function


def import_object(uploads_bucket: str, raw_key: str, version: str | None, time_left: Callable[[], int]) -> str:
    """An uploaded file: check, report, stage, then (unless a dry run) write. Returns the import's status."""
    key = imports.ImportKey.parse(raw_key)
    return file_imports.run(
        uploads_bucket,
        key,
        imports.records,
        lambda record, data: _checked(uploads_bucket, key, record, data, time_left),
        log,
        version,
    )


def _checked(
    bucket: str, key: imports.ImportKey, record: CustomerImportItem, data: bytes, time_left: Callable[[], int]
) -> str:
    try:
        result = check(imports.stored_principal(record), data, key.file_name)
    except IngestRejected as exc:
        file_imports.finish(
            record,
            "rejected",
            rejection={"code": exc.rejection.code, "message": exc.rejection.message},
            outcome="The file cannot be used; nothing was written.",
        )
        return "rejected"
    except DomainError as exc:  # e.g. the role to import was taken away since the upload form was given
        file_imports.finish(
            record, "rejected", rejection={"code": "forbidden", "message": exc.detail}, outcome="Nothing was written."
        )
        return "rejected"
    _stage(bucket, key, result)
    record.summary = {
        "rows": result.rows,
        "valid": len(result.staged),
        "rejected": result.rejected,
        "duplicates": len(result.duplicate_rows),
        "to_create": sum(not s.existing for s in result.staged),
        "to_update": sum(s.existing for s in result.staged),
    }
    record.report_key = file_imports.write_reports(bucket, key, result.errors) if result.errors else None
    record.written = 0
    if record.dry_run:
        file_imports.finish(record, "validated", outcome=f"Dry run: nothing was written. {_would(record)}")
        return "validated"
    refused = imports.refusal(record)
    if refused:
        file_imports.finish(record, "rejected", rejection=refused, outcome=refused["message"])
        return "rejected"
    record.status = "writing"
    record.save()
    return write(bucket, record, time_left)


def _would(record: CustomerImportItem) -> str:
    s = record.summary.as_dict()
    return (
        f"{int(s['valid'])} of {int(s['rows'])} rows are good ({int(s['to_create'])} to create, "
        f"{int(s['to_update'])} to update); {int(s['rejected'])} rejected, {int(s['duplicates'])} of them duplicates."
    )


def _stage(bucket: str, key: imports.ImportKey, result: Check) -> None:
    body = "\n".join(json.dumps(asdict(s), ensure_ascii=False) for s in result.staged).encode()
    s3 = file_imports.s3()
    s3.put_object(Bucket=bucket, Key=key.staged_key(), Body=body)
    s3.put_object(Bucket=bucket, Key=_errors_key(key), Body=json.dumps(result.errors, ensure_ascii=False).encode())


def _errors_key(key: imports.ImportKey) -> str:
    return key.staged_key().rsplit("/", 1)[0] + "/" + ERRORS_KEY


# ----------------------------------------------------------------------------- writing


def write(bucket: str, record: CustomerImportItem, time_left: Callable[[], int]) -> str:
    """Writes the staged rows from where the record says it got to; hands over to a new invocation (returns
    'continued') when time runs short. Each row is idempotent: a new customer's id was fixed when it was staged,
    an update finds nothing to change the second time."""
    key = imports.key_of(record)
    principal = imports.stored_principal(record)
    service = CustomerService(principal)
    s3 = file_imports.s3()
    staged = s3.get_object(Bucket=bucket, Key=key.staged_key())["Body"].read().decode().splitlines()
    errors: list[dict[str, Any]] = json.loads(s3.get_object(Bucket=bucket, Key=_errors_key(key))["Body"].read())
    summary = {k: int(v) for k, v in record.summary.as_dict().items()}
    start = int(record.written or 0)
    record.runs = int(record.runs or 0) + 1  # saved with the first progress
    per_run = get_settings().customer_import_rows_per_invocation
    try:
        require(principal, "customer:import")  # the role may have been taken away since the check
        for index in range(start, len(staged)):
            row = Staged(**json.loads(staged[index]))
            failed = _write_row(service, row, summary, resumed=index < start + PROGRESS_EVERY and start > 0)
            if failed is not None:
                errors.append({"row": row.row, "line": row.line, "column": "", "value": "", "reason": failed})
                summary["rejected"] += 1
                if record.mode == "all_or_nothing":
                    return _interrupted(bucket, key, record, summary, errors, index, f"line {row.line}: {failed}")
            if (index + 1) % PROGRESS_EVERY == 0:
                _progress(record, summary, index + 1)
                enough = time_left() < CONTINUE_BELOW_MS or (per_run and index + 1 - start >= per_run)
                if enough and index + 1 < len(staged):
                    _continue(record)
                    return "continued"
    except Exception as exc:  # an outage mid-way: what is written stays; applying again goes on from the record
        log.exception("customer import write failed")
        reason = exc.detail if isinstance(exc, DomainError) else "the write failed on our side; it has been logged"
        return _interrupted(bucket, key, record, summary, errors, int(record.written or 0), reason)
    status = "completed_with_errors" if summary["rejected"] else "completed"
    record.report_key = _reports(bucket, key, errors)
    done = (
        f"Written: {summary.get('created', 0)} created, {summary.get('updated', 0)} updated, "
        f"{summary.get('unchanged', 0)} unchanged."
    )
    if summary["rejected"]:
        done += f" {summary['rejected']} rows were not written (see the report)."
    file_imports.finish(record, status, summary=summary, written=len(staged), outcome=done, rejection=None)
    return status


def _write_row(service: CustomerService, row: Staged, summary: dict[str, int], resumed: bool) -> str | None:
    """Writes one row; returns why it could not be written (the archive changed since the check)."""
    try:
        if row.existing:
            outcome = _update(service, row)
        elif resumed and repo.get(service.tenant, row.customer_id) is not None:
            outcome = "created"  # written by the invocation before, which stopped before saving its progress
        else:
            outcome = _create(service, row)
    except ValidationError as exc:
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    except DomainError as exc:
        return exc.detail
    summary[outcome] = summary.get(outcome, 0) + 1
    return None


def _create(service: CustomerService, row: Staged) -> str:
    level_from = date.fromisoformat(row.level_from) if row.level_from else None
    later = level_from is not None and level_from > clock.today()  # a scheduled change, once the customer exists
    body = CustomerCreate.model_validate(row.fields)
    created = service.create(body, row.create_anyway, row.customer_id, None if later else level_from)
    if later and body.level and row.level_from:
        _change_level(service, created, body.level.value, row.level_from)
    return "created"


def _update(service: CustomerService, row: Staged) -> str:
    """As a PATCH of the columns given would: versioned, audited, nothing written when nothing changes."""
    before = service.get(row.customer_id)
    changes = {k: v for k, v in row.fields.items() if k != "level"}
    if "region" in changes:
        changes["region"] = {**before.region.model_dump(mode="json"), **changes["region"]}
    changes["profile"] = {**before.profile.model_dump(mode="json"), **changes.get("profile", {})}
    patch = CustomerPatch.model_validate(changes)
    after = service.update(row.customer_id, before.version, patch, row.create_anyway)
    level = row.fields.get("level")
    if level and level != (after.level.value if after.level else None):
        after = _change_level(service, after, level, row.level_from or clock.today().isoformat())
    return "updated" if after.version != before.version else "unchanged"


def _change_level(service: CustomerService, customer: Customer, level: str, effective_from: str) -> Customer:
    change = LevelChange.model_validate({"level": level, "reason": "customer import", "effective_from": effective_from})
    return service.change_level(customer.id, change, None)


def _progress(record: CustomerImportItem, summary: dict[str, int], written: int) -> None:
    record.summary, record.written = summary, written
    record.save()


def _interrupted(
    bucket: str,
    key: imports.ImportKey,
    record: CustomerImportItem,
    summary: dict[str, int],
    errors: list[dict[str, Any]],
    written: int,
    reason: str,
) -> str:
    record.report_key = _reports(bucket, key, errors)
    message = (
        f"Stopped at staged row {written + 1}: {reason}. The {summary.get('created', 0) + summary.get('updated', 0)} "
        "customers written before stay; POST /customer-imports/{id}/apply goes on from there."
    )
    file_imports.finish(
        record,
        "interrupted",
        summary=summary,
        written=written,
        rejection={"code": "interrupted", "message": message},
        outcome=message,
    )
    return "interrupted"


def _reports(bucket: str, key: imports.ImportKey, errors: list[dict[str, Any]]) -> str | None:
    file_imports.s3().put_object(
        Bucket=bucket, Key=_errors_key(key), Body=json.dumps(errors, ensure_ascii=False).encode()
    )
    return file_imports.write_reports(bucket, key, errors) if errors else None


def _continue(record: CustomerImportItem) -> None:
    """The rest in a new invocation of this function (its name from the Lambda context)."""
    from crm import aws

    payload = {"action": "write", "tenant_id": record.tenant_id, "import_id": record.id}
    aws.client("lambda").invoke(
        FunctionName=_function_name(), InvocationType="Event", Payload=json.dumps(payload).encode()
    )


_function: dict[str, str] = {}


def bind_function(name: str) -> None:
    """The import function's own name, for continuations (set by its handler)."""
    _function["name"] = name


def _function_name() -> str:
    return _function["name"]


def write_again(bucket: str, tenant_id: str, import_id: str, time_left: Callable[[], int]) -> str:
    """A continuation or an apply: the record must be 'writing' (the apply or the invocation before set it)."""
    record = imports.get(tenant_id, import_id)
    if record is None or record.status != "writing":
        return "ignored"
    return write(bucket, record, time_left)
