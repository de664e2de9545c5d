"""Resources created in moto, and the real handlers run by every kind of invocation."""

import json
import os
import sys
import time
import uuid

import pytest
from localcloud import FunctionError, LocalCloud


def test_tables_are_created_with_indexes_and_ttl(small_cloud: LocalCloud) -> None:
    dynamodb = small_cloud.client("dynamodb")
    name = small_cloud.physical_name("Table")

    table = dynamodb.describe_table(TableName=name)["Table"]
    assert {i["IndexName"]: i["Projection"]["ProjectionType"] for i in table["GlobalSecondaryIndexes"]} == {
        "gsi1": "ALL",
        "gsi2": "INCLUDE",
    }
    ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expires_at")


def test_each_function_sees_only_its_own_environment_and_modules(small_cloud: LocalCloud) -> None:
    echo_seen_before = json.loads(small_cloud.invoke("EchoFunction", {})["body"])["layer_seen"]
    for _ in range(2):  # alternate, so each call follows the other function's
        echo = json.loads(small_cloud.invoke("EchoFunction", {})["body"])
        other = small_cloud.invoke("OtherFunction", {})
        assert (echo["role"], echo["role_at_import"], echo["helper"], echo["shared"]) == (
            "echo", "echo", "echo", "from-globals",
        )  # fmt: skip
        assert (other["role"], other["helper"], other["function_name"]) == ("other", "other", "lc-test-OtherFunction")
    assert 0 < echo["remaining_ms"] <= 7000
    # the layer's module state is per function too, and none of it is left in this process's sys.modules
    assert echo["layer_seen"] == [*echo_seen_before, "echo", "echo"] and set(other["layer_seen"]) == {"other"}
    assert "layer_state" not in sys.modules and "helper" not in sys.modules
    assert "ROLE" not in os.environ and "AWS_LAMBDA_FUNCTION_NAME" not in os.environ
    assert small_cloud.function_env("OtherFunction")["ROLE"] == "other"


def test_a_raising_handler_is_an_unhandled_function_error(small_cloud: LocalCloud) -> None:
    with pytest.raises(FunctionError) as caught:
        small_cloud.invoke("CrashFunction", {})
    assert caught.value.payload["errorType"] == "RuntimeError"
    assert caught.value.payload["errorMessage"] == "boom"

    response = small_cloud.client("lambda").invoke(FunctionName=small_cloud.physical_name("CrashFunction"))
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Payload"].read())["errorType"] == "RuntimeError"


def test_an_s3_upload_triggers_the_consumer_with_its_bucket_and_key(small_cloud: LocalCloud) -> None:
    s3, bucket = small_cloud.client("s3"), small_cloud.physical_name("Uploads")

    s3.put_object(Bucket=bucket, Key="in/deals 1.csv", Body=b"a,b\n")
    s3.put_object(Bucket=bucket, Key="elsewhere/x.csv", Body=b"a,b\n")  # outside the prefix filter
    small_cloud.wait_idle(10)

    seen = json.loads(s3.get_object(Bucket=bucket, Key="seen/in/deals 1.csv")["Body"].read())
    assert seen == {"bucket": bucket, "key": "in/deals 1.csv"}
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="seen/in/")["Contents"]
    assert [o["Key"] for o in listed] == ["seen/in/deals 1.csv"]


def test_an_sqs_message_triggers_the_consumer(small_cloud: LocalCloud) -> None:
    queue_url = small_cloud.client("sqs").get_queue_url(QueueName=small_cloud.physical_name("Jobs"))["QueueUrl"]

    small_cloud.client("sqs").send_message(QueueUrl=queue_url, MessageBody="job-1")
    small_cloud.wait_idle(10)

    bucket = small_cloud.physical_name("Uploads")
    assert small_cloud.client("s3").head_object(Bucket=bucket, Key="seen/sqs/job-1")


def test_a_state_machine_runs_lambda_tasks_for_real(small_cloud: LocalCloud) -> None:
    sfn, arn = small_cloud.client("stepfunctions"), small_cloud.stack.state_machines["Machine"].arn

    started = sfn.start_execution(stateMachineArn=arn, name=uuid.uuid4().hex, input=json.dumps({"n": 1}))
    execution = small_cloud.wait_execution(started["executionArn"])

    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"]) == {"n": 3}  # lambda:invoke, then the bare-ARN task
    events = [e["type"] for e in sfn.get_execution_history(executionArn=started["executionArn"])["events"]]
    assert "TaskSucceeded" in events and "LambdaFunctionSucceeded" in events


def test_a_handler_error_reaches_the_state_machine_catch(small_cloud: LocalCloud) -> None:
    sfn, arn = small_cloud.client("stepfunctions"), small_cloud.stack.state_machines["Machine"].arn

    started = sfn.start_execution(stateMachineArn=arn, name=uuid.uuid4().hex, input='{"n": 1, "fail_at": 2}')
    execution = small_cloud.wait_execution(started["executionArn"])

    output = json.loads(execution["output"])
    assert execution["status"] == "SUCCEEDED"
    assert output["error"]["Error"] == "ValueError"
    assert json.loads(output["error"]["Cause"])["errorMessage"] == "n reached 2"


def test_a_stopped_execution_is_aborted_at_once_and_refuses_its_task_token(small_cloud: LocalCloud) -> None:
    """As in AWS: StopExecution ends an execution waiting for a task token at once, for good."""
    sqs, sfn = small_cloud.client("sqs"), small_cloud.client("stepfunctions")
    queue = sqs.create_queue(QueueName="lc-test-stop")["QueueUrl"]
    waits = {
        "StartAt": "Wait",
        "States": {
            "Wait": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "TimeoutSeconds": 2,
                "Parameters": {"QueueUrl": queue, "MessageBody": {"token.$": "$$.Task.Token"}},
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "After"}],
                "Next": "After",
            },
            "After": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl": queue, "MessageBody": "after"},
                "End": True,
            },
        },
    }
    machine = sfn.create_state_machine(
        name="lc-test-stop", definition=json.dumps(waits), roleArn="arn:aws:iam::123456789012:role/lc-test"
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, name="stop-me", input="{}")["executionArn"]
    deadline = time.monotonic() + 10
    while not (messages := sqs.receive_message(QueueUrl=queue).get("Messages")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert messages, "the task never sent its token"
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=messages[0]["ReceiptHandle"])
    token = json.loads(messages[0]["Body"])["token"]

    sfn.stop_execution(executionArn=execution)
    assert sfn.describe_execution(executionArn=execution)["status"] == "ABORTED"
    with pytest.raises(sfn.exceptions.InvalidToken):
        sfn.send_task_success(taskToken=token, output="{}")
    time.sleep(2.5)  # past the task's own timeout: nothing more runs, and it stays aborted
    assert sfn.describe_execution(executionArn=execution)["status"] == "ABORTED"
    assert not sqs.receive_message(QueueUrl=queue).get("Messages")
