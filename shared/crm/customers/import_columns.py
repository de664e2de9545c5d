"""The columns of a customer archive file: their headers (Chinese and English, as the template writes them and as
the importer reads them), the words a cell may use, and the downloadable template. No pyarrow here: the API
hands out the template with this module; the import function reads files.
"""

import csv
import io
from dataclasses import dataclass

from crm.text import neutralise


@dataclass(frozen=True)
class Column:
    field: str
    zh: str
    en: str
    example: str = ""
    also: tuple[str, ...] = ()  # other spellings seen in ERP exports

    @property
    def header(self) -> str:
        return f"{self.zh} {self.en}"

    def spellings(self) -> tuple[str, ...]:
        return (self.header, self.zh, self.en, *self.also)


COLUMNS = (
    Column("name", "客户名称", "name", "苏州市姑苏区仁和药店", ("名称", "customer name", "客户")),
    Column("type", "客户类型", "type", "终端", ("类型", "customer type")),
    Column("code", "ERP编码", "code", "C10001", ("客户编码", "erp code", "编码")),
    Column("status", "状态", "status", "潜在", ("客户状态",)),
    Column("level", "等级", "level", "B", ("客户等级",)),
    Column("level_from", "等级生效日期", "level effective from", "2024-01-01", ("level from", "生效日期")),
    Column("trade", "交易方式", "trade", "", ("供货方式",)),
    Column("province", "省份", "province", "江苏", ("省",)),
    Column("city", "城市", "city", "苏州", ("市",)),
    Column("county", "区县", "county", "姑苏区", ("区", "县")),
    Column("address", "地址", "address", "人民路1号", ("详细地址",)),
    Column("phone", "电话", "phone", "0512-6521000", ("联系电话",)),
    Column("owner", "负责人账号", "owner username", "", ("负责人", "owner", "业务员账号")),
    Column("org_unit_id", "组织编码", "org unit", "", ("org unit id", "所属组织")),
    Column("upstream_code", "上游ERP编码", "upstream code", "", ("上游编码", "上游客户编码")),
    Column("aliases", "别名", "aliases", "仁和药店(姑苏);姑苏仁和", ("曾用名",)),
    Column("contacts", "联系人", "contacts", "王店长|店长|13800000001", ()),
    Column("remarks", "备注", "remarks"),
    Column("create_anyway", "仍然创建", "create anyway", "", ("强制创建",)),
    # distributor
    Column("tier", "经销商级别", "tier", "", ("商业级别",)),
    Column("territory_provinces", "区域省份", "territory provinces", ""),
    Column("territory_cities", "区域城市", "territory cities", ""),
    Column("warehouse_address", "仓库地址", "warehouse address", ""),
    Column("warehouse_area_m2", "仓库面积㎡", "warehouse area m2", "", ("仓库面积",)),
    Column("annual_sales", "年销售额", "annual sales", ""),
    Column("credit_limit", "信用额度", "credit limit", ""),
    Column("is_pharmaceutical", "医药商业", "is pharmaceutical", ""),
    Column("hospital_sales_share", "医院销售占比%", "hospital sales share", ""),
    # distributor and terminal
    Column("license_no", "许可证号", "license no", "JS-2024-001"),
    # terminal and person
    Column("kind", "类别", "kind", "药店", ("终端类别", "个人类别")),
    Column("chain_name", "连锁名称", "chain name", ""),
    Column("hospital_grade", "医院等级", "hospital grade", ""),
    Column("beds", "床位数", "beds", ""),
    Column("medical_insurance", "医保定点", "medical insurance", ""),
    # person
    Column("employer_code", "单位ERP编码", "employer code", ""),
    Column("employer_name", "单位名称", "employer name", ""),
    Column("position", "职务", "position", ""),
    Column("department", "科室", "department", "", ("部门",)),
    Column("birthday", "生日", "birthday", ""),
    # other
    Column("description", "类型说明", "description", ""),
)
BY_FIELD = {c.field: c for c in COLUMNS}
REQUIRED = ("name", "type")

NOTES = (
    "每行一个客户. 必填: 客户名称, 客户类型 (经销商/终端/个人/其他). 有ERP编码的行按编码更新已有客户, 否则新建.",
    "One customer a line. Required: name, type (distributor/terminal/person/other). A row whose ERP code is "
    "already in the archive updates that customer; otherwise a customer is created.",
    "别名用分号分隔; 联系人: 姓名|职务|电话,电话 多个用分号分隔; 负责人填登录账号; 上游填上游客户的ERP编码.",
    "Aliases separated by ';'; contacts as name|role|phone,phone separated by ';'; owner by username; upstream "
    "by its ERP code (in the archive or in this file).",
    "与档案或本文件其他行重名的行不导入 (报告列出候选); 仍然创建=是 时照样创建 (需要相应权限).",
    "A name or alias that collides with the archive or another row is not imported (the report names the "
    "candidates), unless create anyway = yes and your role allows it.",
)


def template_csv() -> bytes:
    """UTF-8 with a BOM (Excel opens it as UTF-8): the header and an example row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.header for c in COLUMNS])
    writer.writerow([neutralise(c.example) for c in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx() -> bytes:
    import openpyxl  # only the template route needs it

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "客户档案"
    sheet.append([c.header for c in COLUMNS])
    sheet.append([neutralise(c.example) for c in COLUMNS])
    for cell in sheet[1]:
        sheet.column_dimensions[cell.column_letter].width = max(12, len(str(cell.value)) + 4)
    notes = workbook.create_sheet("说明")
    for text in NOTES:
        notes.append([text])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
