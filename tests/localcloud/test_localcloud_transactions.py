"""moto's TransactWriteItems as patched here (moto_patches): all or nothing, with only the touched partitions
backed up. A cancelled transaction leaves every item it named as it was, new partitions gone; a later write to
the same partitions works on the live table."""

from typing import Any

import pytest
from botocore.exceptions import ClientError
from localcloud import LocalCloud


def _table(cloud: LocalCloud) -> tuple[Any, str]:
    return cloud.client("dynamodb"), cloud.physical_name("Table")


def put(table: str, pk: str, sk: str, **values: str) -> dict[str, Any]:
    item = {"pk": {"S": pk}, "sk": {"S": sk}, **{k: {"S": v} for k, v in values.items()}}
    return {"Put": {"TableName": table, "Item": item}}


def test_a_cancelled_transaction_leaves_old_partitions_as_they_were_and_new_ones_absent(small_cloud: LocalCloud):
    dynamodb, table = _table(small_cloud)
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "tx#old"}, "sk": {"S": "a"}, "v": {"S": "1"}})
    failing = {
        "ConditionCheck": {
            "TableName": table,
            "Key": {"pk": {"S": "tx#old"}, "sk": {"S": "a"}},
            "ConditionExpression": "v = :two",
            "ExpressionAttributeValues": {":two": {"S": "2"}},
        }
    }
    with pytest.raises(ClientError) as refused:
        dynamodb.transact_write_items(
            TransactItems=[put(table, "tx#old", "b", v="new"), put(table, "tx#new", "a", v="new"), failing]
        )
    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
    old = dynamodb.query(TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={
        ":p": {"S": "tx#old"}})["Items"]  # fmt: skip
    assert [(i["sk"]["S"], i["v"]["S"]) for i in old] == [("a", "1")]
    assert "Item" not in dynamodb.get_item(TableName=table, Key={"pk": {"S": "tx#new"}, "sk": {"S": "a"}})

    dynamodb.transact_write_items(TransactItems=[put(table, "tx#old", "b", v="2"), put(table, "tx#new", "a", v="3")])
    assert dynamodb.get_item(TableName=table, Key={"pk": {"S": "tx#new"}, "sk": {"S": "a"}})["Item"]["v"]["S"] == "3"
    assert len(dynamodb.query(TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={
        ":p": {"S": "tx#old"}})["Items"]) == 2  # fmt: skip
