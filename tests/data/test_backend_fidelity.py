"""The reason this suite runs twice: DynamoDB Local rejects requests that moto lets through.

This also proves the dynamodb-local run really reaches DynamoDB Local, and not an in-process mock
some other conftest might have switched on.
"""

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.ddblocal


def test_an_unused_expression_attribute_value_is_rejected_like_aws_does(db):
    # Given a Query whose ExpressionAttributeValues holds a value nothing uses (AWS: ValidationException)
    request = {
        "TableName": db.table,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": "T#x#CUST#1"}, ":unused": {"S": "x"}},
    }

    # When it is sent
    try:
        db.client().query(**request)
        rejected = False
    except ClientError as exc:
        rejected = exc.response["Error"]["Code"] == "ValidationException"

    # Then DynamoDB Local rejects it, as AWS does; moto 5.2.5 accepts it (a known gap)
    assert rejected == (db.name == "dynamodb-local")
