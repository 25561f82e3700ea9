"""`storesync demo`: the whole product working in one command.

It starts both marketplace simulators and StoreSync (embedded default: SQLite, in-process worker)
as child processes, connects two Shopee and two TikTok shops through the real OAuth flow, lists
one seeded catalog on all four, imports it, then places orders on random shops while measuring how
fast every other shop shows the new stock. The pieces (the benchmark reuses them):

    catalog   the seeded catalog (pure, deterministic)
    stats     percentiles and the propagation summary (pure)
    procs     child processes and their ports
    clients   HTTP clients: the simulators' control API, StoreSync's REST API and OAuth flow
    stack     the running simulators + StoreSync
    shops     the four shops: catalog listed, connected through OAuth, imported
    traffic   the order generator and its model of what every shop should show
    probe     the propagation probes and the background stock poller
    calls     platform API calls as the simulators counted them
    observe   reading StoreSync's own records (orders, listings, jobs) for the view and summary
    summary   drift, API-call efficiency and the final summary
    view      the Rich live view
    runner    the whole scenario, start to summary

StoreSync never imports `marketsim` (an import contract): the simulators are reached over HTTP
only, and started as `python -m marketsim.cli`.
"""
