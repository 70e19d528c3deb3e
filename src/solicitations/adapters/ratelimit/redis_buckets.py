"""Buckets in Redis, shared by every node: one atomic Lua step per request, timed by Redis's clock
(plus the emulator clock's offset, so a jump in emulated time refills them as the wait would).

The script is the arithmetic of domain/usage_plans.py (integer microseconds, levels in 1e-12 token);
doubles hold those integers exactly below 2**53, which a bucket's capacity never reaches.
"""

from collections.abc import Callable

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from solicitations.domain.usage_plans import TOKEN, BucketKey, Decision, UsagePlan, refused
from solicitations.service.ports.buckets import BucketsUnavailable

_TAKE = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2]) + tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'level', 'ts')
local level = tonumber(state[1])
if level == nil then
  level = capacity
else
  local elapsed = now - tonumber(state[2])
  if elapsed < 0 then elapsed = 0 end
  level = math.min(capacity, level + elapsed * rate)
end
local admitted = 0
if cost > 0 and level >= cost then
  level = level - cost
  admitted = 1
end
if cost > 0 then
  redis.call('HSET', KEYS[1], 'level', string.format('%.0f', level), 'ts', string.format('%.0f', now))
  local ttl_ms = 1000
  if rate > 0 then ttl_ms = math.ceil((capacity - level) / rate / 1000) + 1000 else ttl_ms = 86400000 end
  redis.call('PEXPIRE', KEYS[1], ttl_ms)
end
return {admitted, string.format('%.0f', level)}
"""


def _redis_key(key: BucketKey) -> str:
    # Length prefixes keep ("a:b", "c") and ("a", "b:c") apart.
    return (
        f"solicitations:bucket:{len(key.seller_id)}:{key.seller_id}:{len(key.application_id)}:"
        f"{key.application_id}:{key.operation}"
    )


class RedisBuckets:
    def __init__(
        self, url: str, timeout: float = 0.5, max_connections: int = 16, offset_us: Callable[[], int] = lambda: 0
    ) -> None:
        # A blocking pool: a burst of more concurrent requests than connections waits its turn (up to `timeout`)
        # instead of failing; redis-py's default pool refuses the 101st concurrent command with an error. A few
        # connections carry a node's bucket traffic (one short Lua step each), and few connects at once keep a
        # cold burst within the connect timeout.
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=timeout,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry_on_timeout=False,
        )
        self._client = aioredis.Redis.from_pool(pool)
        self._script = self._client.register_script(_TAKE)
        self._offset_us = offset_us  # business time's lead over the wall clock (emulator mode; else 0)

    async def _run(self, key: BucketKey, plan: UsagePlan, cost: int) -> tuple[bool, int]:
        try:
            admitted, level = await self._script(
                keys=[_redis_key(key)], args=[plan.burst * TOKEN, plan.rate_micro, cost, self._offset_us()]
            )
        except (RedisError, OSError) as exc:
            raise BucketsUnavailable(type(exc).__name__) from exc
        return bool(int(admitted)), int(level)

    async def take(self, key: BucketKey, plan: UsagePlan) -> Decision:
        admitted, level = await self._run(key, plan, TOKEN)
        return Decision(True, level, 0.0) if admitted else refused(level, plan)

    async def level(self, key: BucketKey, plan: UsagePlan) -> float:
        _, level = await self._run(key, plan, 0)
        return level / TOKEN

    async def ping(self) -> None:
        try:
            await self._client.ping()
        except (RedisError, OSError) as exc:
            raise BucketsUnavailable(type(exc).__name__) from exc

    async def close(self) -> None:
        await self._client.aclose()
