"""Duplicated job deliveries: copies of messages the Redis broker holds, pushed onto its queues
again, the way dramatiq itself redelivers a message (same message, new Redis id).

dramatiq's RedisBroker keeps, per queue, a hash `dramatiq:QUEUE.msgs` (Redis message id ->
encoded message) with every message not yet acked — queued or being worked on — and a list
`dramatiq:QUEUE` of the ids waiting to be fetched (`.DQ` queues hold delayed ones, `.XQ` the dead
ones). A copy of a message under a fresh `options.redis_message_id`, added to the hash and
pushed on the list, is delivered to a worker again whatever happened to the original: the job
runs twice, maybe at the same time.
"""

from __future__ import annotations

import json
import random
import uuid

NAMESPACE = "dramatiq"


def duplicate_some(redis_url: str, rng: random.Random, at_most: int = 3) -> list[str]:
    """Copy up to `at_most` unacked messages (queued or in flight); returns their actor names."""
    import redis

    client = redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=5)
    copied: list[str] = []
    try:
        keys = [
            k.decode()
            for k in client.scan_iter(match=f"{NAMESPACE}:*.msgs", count=100)
            if not k.decode().endswith(".XQ.msgs")
        ]
        candidates: list[tuple[str, bytes]] = []
        for key in keys:
            for _, data in client.hscan_iter(key, count=100):
                candidates.append((key, data))
        for key, data in rng.sample(candidates, min(at_most, len(candidates))):
            message = json.loads(data)
            new_id = str(uuid.uuid4())
            message.setdefault("options", {})["redis_message_id"] = new_id
            queue = key.removesuffix(".msgs")
            pipe = client.pipeline()
            pipe.hset(key, new_id, json.dumps(message, separators=(",", ":")))
            pipe.rpush(queue, new_id)
            pipe.execute()
            copied.append(str(message.get("actor_name")))
    finally:
        client.close()
    return copied
