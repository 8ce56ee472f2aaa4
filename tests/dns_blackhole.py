"""A Scrapy DNS resolver for tests: names under `.invalid` fail to resolve, locally.

Tests must not send DNS queries off this machine; `-s DNS_RESOLVER=dns_blackhole.Resolver`
(with tests/ on PYTHONPATH) makes one host among several unresolvable without a lookup.
"""

from __future__ import annotations

from typing import Any

from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer
from twisted.internet.error import DNSLookupError


class Resolver(CachingThreadedResolver):
    def getHostByName(self, name: str, timeout: Any = ()) -> defer.Deferred[str]:
        if name.endswith(".invalid"):
            return defer.fail(DNSLookupError(f"{name}: no such host (test resolver)"))
        return super().getHostByName(name, timeout)
