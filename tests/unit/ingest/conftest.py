"""Fixtures for the ingest core: the shared sample files, the master data, and a one-call ingest helper."""

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from crm.ingest.mapping import MappingTemplate
from crm.ingest.match import CustomerIndex
from crm.ingest.model import Customer, IngestResult, Limits, Product
from crm.ingest.pipeline import IngestRequest, ingest_file
from crm.ingest.validate import ProductCatalog

from tests.fixtures import FLOW_SAMPLES

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def samples() -> Path:
    return FLOW_SAMPLES


@pytest.fixture(scope="session")
def truth(samples: Path) -> dict[str, Any]:
    return json.loads((samples / "truth.json").read_text(encoding="utf-8"))


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.fixture(scope="session")
def master_products(samples: Path) -> list[Product]:
    return [
        Product(r["sku"], r["name"], r["spec"], r["base_unit"], float(r["case_size"]))
        for r in read_csv(samples / "master" / "products.csv")
    ]


@pytest.fixture(scope="session")
def master_customers(samples: Path) -> list[Customer]:
    return [
        Customer(r["id"], r["name"], r["city"], tuple(a for a in r["aliases"].split("|") if a))
        for r in read_csv(samples / "master" / "customers.csv")
    ]


@pytest.fixture(scope="session")
def catalog(master_products: list[Product]) -> ProductCatalog:
    return ProductCatalog(master_products)


@pytest.fixture(scope="session")
def index(master_customers: list[Customer]) -> CustomerIndex:
    return CustomerIndex(master_customers)


# Small self-contained master data for tests that do not need the samples.
PRODUCTS = [
    Product("P1001", "阿莫西林胶囊", "0.25g*24粒", "盒", 60),
    Product("P1003", "复方甘草片", "100片", "瓶", 40),
]
CUSTOMERS = [
    Customer("T1", "杭州市西湖区康宁诊所(西湖店)", "杭州", ("杭州康宁诊所",)),
    Customer("T2", "南京市鼓楼区恒安医院", "南京"),
]

Ingest = Callable[..., IngestResult]


@pytest.fixture
def ingest() -> Ingest:
    """ingest(data, name=..., template=..., limits=..., customers=...) against the small master data."""

    def run(
        data: bytes,
        name: str = "flow.csv",
        template: MappingTemplate | None = None,
        limits: Limits | None = None,
        customers: CustomerIndex | None = None,
        period: str = "2026-10",
    ) -> IngestResult:
        request = IngestRequest(
            data=data,
            file_name=name,
            period=period,
            load_id="L-test",
            source_key=f"t1/D001/{period}/{name}",
            template=template or MappingTemplate(),
            limits=limits or Limits(),
        )
        return ingest_file(request, PRODUCTS, customers or CustomerIndex(CUSTOMERS))

    return run
