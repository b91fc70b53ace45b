"""The service's index publications: from the simulated provider feed (`--index-source feed`,
a publication per cycle) or from providers' quotes sent to the API (`--index-source admin`, run
through the index methodology when a publication is due, or on request). Each value published
is a PublishIndex command through the service's writer, journaled and replayed like any other;
the quotes themselves are inputs, not venue state, and are not journaled."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clearing.index import GPU_METHODOLOGY, SIT_METHODOLOGY, IndexCalculator
from clearing.reasons import Reason, Rejection
from exchange import commands as C
from marketmakers.index_feed import ProviderFeedSource

if TYPE_CHECKING:
    from api.service import Service

SEED_INDEX = {"SIT": 2_000_000, "GPU": 2_500_000}  # micro-USD: 2.000 and 2.500 USD


class IndexPublishing:
    """The indices of one service (`Service.indices`)."""

    def __init__(self, service: Service, source: str = "feed", feed_seed: int = 7):
        self.service = service
        self.source = source
        self.feed = ProviderFeedSource(feed_seed) if source == "feed" else None
        # --index-source admin: providers' quotes go through the index methodology
        self.calculators = {"SIT": IndexCalculator(SIT_METHODOLOGY),
                            "GPU": IndexCalculator(GPU_METHODOLOGY)}
        self.publications: dict[str, object] = {}  # name -> the latest IndexPublication

    async def seed(self) -> None:
        """A fed service that has never published starts from SEED_INDEX."""
        if self.feed is not None and all(self.service.venue.index_value(n) is None for n in SEED_INDEX):
            await self.publish_indices(SEED_INDEX)

    async def publish_due(self) -> None:
        """A cycle's publication: the feed's next values, or the quotes' when one is due."""
        service = self.service
        if self.feed is not None:
            await self.publish_indices(self.feed.next(service.now()))
            service.watch.record_fundamental(self.feed.last_ts, {
                name: fundamental.price for name, (fundamental, _) in self.feed.sources.items()})
        elif self.source == "admin" and any(c.due(service.now()) for c in self.calculators.values()):
            await self.publish_from_quotes()

    def add_provider_quote(self, quote) -> None:
        """A provider's quote (clearing.types.ProviderQuote) for the next publication.

        Quotes are inputs of the index, not venue state: they are not journaled; what is
        journaled (and replayed) is each publication's value, as a PublishIndex command."""
        calculator = self.calculators.get(quote.index_name)
        if calculator is None:
            raise Rejection(Reason.INVALID_QUOTE, f"no index {quote.index_name!r}")
        calculator.add_quote(quote)

    async def publish_from_quotes(self) -> dict:
        """Run the index methodology on the quotes received; publish the values it gives."""
        ts = self.service.now()
        published = {}
        for name, calculator in self.calculators.items():
            pub = calculator.publish(ts)
            self.publications[name] = pub
            if pub.value is not None and pub.status == "ok":
                await self.service.execute(lambda t, n=name, v=pub.value: C.PublishIndex(t, n, v))
            published[name] = pub
        return published

    async def publish_indices(self, values: dict[str, int]) -> None:
        for name, value in values.items():
            await self.service.execute(lambda ts, n=name, v=value: C.PublishIndex(ts, n, v))

    def index_statuses(self) -> dict[str, str]:
        """index -> the status of its latest publication by the index methodology ("ok",
        "held", "stale", "none"); an index published directly (admin index-quotes) is "ok"."""
        pubs = self.feed.publications if self.feed is not None else self.publications
        out = {name: "ok" for name in self.service.index_history}
        out.update({name: pub.status for name, pub in pubs.items()})
        return out
