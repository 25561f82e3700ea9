"""A local TikTok Shop (Open API 202309) server: real paths, signing, OAuth, errors and webhooks.

`marketsim.tiktok.app.create_app` builds it. Facts it follows: docs/platforms/tiktok.md (choices of
its own: docs/platforms/tiktok.md#what-the-simulator-chooses).
"""
