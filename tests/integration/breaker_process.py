"""One worker process's breaker, for the cross-process tests: it records failures for KEY on the
shared Redis (and the transitions in the database) until its breaker refuses a call, then prints
what it saw as one JSON line. Run as `python -m tests.integration.breaker_process`."""

from __future__ import annotations

import json
import sys
import time

import redis

from storesync.db.engine import make_engine, make_session_factory
from storesync.resilience.breaker import Breakers, Outcome
from storesync.resilience.events import history_recorder, recorded_state
from storesync.resilience.state import RedisState
from tests.integration.breaker_policy import POLICY


def main(redis_url: str, namespace: str, database_url: str, key: str, start_at: float) -> None:
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    breakers = Breakers(RedisState(redis.Redis.from_url(redis_url), namespace), POLICY)
    breakers.listeners.append(history_recorder(factory))
    breakers.recall = recorded_state(factory, POLICY, breakers.clock)
    time.sleep(max(0.0, start_at - time.time()))  # both processes start failing together
    calls = 0
    while calls < 1000:
        admission = breakers.admit(key)
        if not admission.allowed:
            break
        calls += 1
        breakers.record(key, admission, Outcome.FAILURE)
    print(json.dumps({"calls": calls, "refused_state": admission.state.value}), flush=True)
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]))
