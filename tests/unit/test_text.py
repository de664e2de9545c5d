"""Stored free text refuses control characters; every export cell holds whatever was stored before that rule."""

import io
from typing import Annotated

import openpyxl
import pytest
from crm.customers.model import Customer, CustomerCreate
from crm.text import STORED, FreeText, neutralise
from pydantic import TypeAdapter, ValidationError

Name = TypeAdapter(Annotated[str, FreeText(200, min_length=1)])
Note = TypeAdapter(Annotated[str, FreeText(2000, multiline=True, strip=False)])


@pytest.mark.parametrize("text", ["康宁\x00诊所", "a\x07b", "a\x1bb", "a\x7fb", "a\x85b", "a\nb", "a\tb"])
def test_a_single_line_text_refuses_control_characters(text: str) -> None:
    with pytest.raises(ValidationError, match="control characters"):
        Name.validate_python(text)


def test_multi_line_text_keeps_tabs_and_line_breaks_only() -> None:
    assert Note.validate_python("一\n二\r\n\t三") == "一\n二\r\n\t三"
    for text in ("a\x00", "a\x0b", "a\x9f"):
        with pytest.raises(ValidationError, match="control characters"):
            Note.validate_python(text)
    assert Name.validate_python("  同仁药店 \n") == "同仁药店"  # surrounding whitespace is stripped first


def test_a_request_is_refused_but_a_stored_record_reads_back() -> None:
    body = {"name": "同仁\x07药店", "profile": {"type": "terminal", "kind": "pharmacy", "chain_name": "连锁\x01"}}
    with pytest.raises(ValidationError) as refused:
        CustomerCreate.model_validate(body)
    assert {e["loc"][-1] for e in refused.value.errors()} == {"name", "chain_name"}
    stored = {
        **body,
        "id": "c",
        "tenant_id": "t",
        "type": "terminal",
        "status": "active",
        "org_unit_id": "u",
        "org_path": "u",
        "created_at": "2026-01-01T00:00:00Z",
        "created_by": "u",
        "updated_at": "2026-01-01T00:00:00Z",
        "updated_by": "u",
    }
    assert Customer.model_validate(stored, context=STORED).name == "同仁\x07药店"


def test_every_export_cell_holds_what_was_stored() -> None:
    stored = ["同仁\x07药店", "\x00=SUM(A1)", "a\ud800b", "line\nbreak\ttab", "=1+1", 3, None]
    cells = [neutralise(v) for v in stored]
    assert cells == ["同仁\ufffd药店", "\ufffd=SUM(A1)", "a\ufffdb", "line\nbreak\ttab", "'=1+1", 3, None]
    book = openpyxl.Workbook(write_only=True)
    book.create_sheet().append(cells)  # raised IllegalCharacterError on the raw text
    saved = io.BytesIO()
    book.save(saved)
    assert [c.value for c in openpyxl.load_workbook(saved).worksheets[0][1]][:5] == cells[:5]
