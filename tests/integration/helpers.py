"""Small helpers shared by the integration tests."""
import time

import pytest
import redis

from resp import ErrorReply


def command_error(client, *args):
    """The error message redis-py reports for a command (without the 'ERR ' prefix)."""
    with pytest.raises(redis.ResponseError) as ei:
        client.execute_command(*args)
    return str(ei.value)


def error_text(reply):
    """The text of a raw error reply; fails if the reply is not an error."""
    assert isinstance(reply, ErrorReply), f"expected an error reply, got {reply!r}"
    return reply.message


def wait_until(predicate, timeout, interval=0.02):
    """Polls predicate() until it is true or `timeout` seconds passed; returns its last value."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
