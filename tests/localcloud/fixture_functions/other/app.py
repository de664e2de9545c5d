"""Reports the environment it ran in, to compare with EchoFunction's."""

import os

import helper
import layer_state


def handler(event, context):
    layer_state.SEEN.append("other")
    return {
        "role": os.environ.get("ROLE"),
        "helper": helper.NAME,
        "layer_seen": layer_state.SEEN,
        "function_name": context.function_name,
    }
