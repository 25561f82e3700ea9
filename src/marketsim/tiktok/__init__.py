"""A local TikTok Shop (Open API 202309) server: real paths, signing, OAuth, errors and webhooks.

`marketsim.tiktok.app.create_app` builds it. Facts it follows: /work/shared/platforms/tiktok.md.
"""
