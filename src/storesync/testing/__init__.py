"""The one harness the tests, the demo and the benchmarks share.

- `ports`: free loopback ports.
- `sims`: the simulators' app credentials, the command that starts one as a process, and the
  settings that point StoreSync at them (the simulators themselves are never imported here:
  `storesync` never imports `marketsim`).
- `oauth`: connecting a simulated shop through StoreSync's real OAuth flow, over HTTP.
- `waiting`: bounded polling, for tests and runs that measure a live server.
- `fakes`: `FakeClient` (a recording `MarketplaceClient`) and `FakeClients` (stands in for
  `ShopClients`); `jobs`: `RecordingJobs` (stands in for `Jobs`). Together a task or flow can be
  called directly: `push_stock(7, db=factory, clients=FakeClients(fake), jobs=RecordingJobs())`.
- `drain`: run the jobs queued on the in-memory broker now, in the calling thread, instead of
  waiting for a worker.

Features never import this package (an import contract); entry points that drive StoreSync from
outside (the demo, the CLI) and the tests and benchmarks do.
"""
