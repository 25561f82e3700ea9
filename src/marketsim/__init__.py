"""marketsim: local Shopee and TikTok Shop servers with injectable faults.

Never imports storesync: it stands in for the platforms, not for our code.
"""
