"""No event lost: an import that raises is tried again, then kept in AsyncFailuresQueue with its event, the function
and the error; the queue's depth metric rises and its alarm goes off; scripts/redrive.py lists and sends it again."""

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote_plus

from scripts.redrive import redrive
from tests.e2e.conftest import new_tenant


def stray_import(cloud, name):
    """A file written under the customer imports' prefix without an upload form: its key names no import, so the
    importer cannot even parse it. S3 invokes the importer asynchronously."""
    key = f"imports/customers/{new_tenant(cloud)}/{name}"
    cloud.client("s3").put_object(Bucket=cloud.physical_name("UploadsBucket"), Key=key, Body=b"not a workbook")
    cloud.wait_idle()
    return key


def failure_queue(cloud):
    return cloud.client("sqs").get_queue_url(QueueName=cloud.physical_name("AsyncFailuresQueue"))["QueueUrl"]


def records_for(cloud, key):
    """The records in the queue whose event names `key` (each made visible again at once, for other readers)."""
    sqs, url, found = cloud.client("sqs"), failure_queue(cloud), []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30).get("Messages"):
        for message in batch:
            record = json.loads(message["Body"])
            if unquote_plus(record["requestPayload"]["Records"][0]["s3"]["object"]["key"]) == key:
                found.append(record)
        for message in batch:
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
        if found or len(batch) < 10:
            return found
    return found


def test_an_import_that_raises_lands_in_the_failure_queue_and_the_alarm_goes_off(cloud):
    key = stray_import(cloud, "stray.xlsx")

    (record,) = records_for(cloud, key)
    assert record["requestContext"]["functionArn"].endswith(f"{cloud.physical_name('CustomerImportFunction')}:$LATEST")
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3  # the first try and Lambda's two retries
    assert "not a customers import key" in record["responsePayload"]["errorMessage"]

    cloudwatch = cloud.client("cloudwatch")
    (alarm,) = cloudwatch.describe_alarms(AlarmNames=[cloud.physical_name("AsyncFailuresAlarm")])["MetricAlarms"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": cloud.physical_name("AsyncFailuresQueue")}]
    now = datetime.now(UTC)
    depth = cloudwatch.get_metric_statistics(
        Namespace=alarm["Namespace"],
        MetricName=alarm["MetricName"],
        Dimensions=alarm["Dimensions"],
        StartTime=now - timedelta(hours=1),
        EndTime=now + timedelta(minutes=5),
        Period=60,
        Statistics=["Maximum"],
    )["Datapoints"]
    assert max(point["Maximum"] for point in depth) >= alarm["Threshold"]
    assert alarm["StateValue"] == "ALARM"
    assert alarm["AlarmActions"] == [f"arn:aws:sns:us-east-1:123456789012:{cloud.physical_name('AlarmTopic')}"]


def test_redrive_lists_what_waits_and_keeps_what_fails_again(cloud):
    stray_import(cloud, "again.xlsx")
    sqs, lam, url, lines = cloud.client("sqs"), cloud.client("lambda"), failure_queue(cloud), []

    listed = redrive(sqs, lam, url, send=False, out=lines.append)
    assert listed["waiting"] >= 1
    assert any("CustomerImportFunction: RetriesExhausted after 3 tries: not a customers import key" in x for x in lines)

    sent = redrive(sqs, lam, url, send=True, out=lines.append)  # the listing left every record in the queue
    assert sent["failed_again"] >= 1 and sent["redriven"] == 0  # the cause is still there, so nothing is dropped
    assert any("fails again: not a customers import key" in line for line in lines)
