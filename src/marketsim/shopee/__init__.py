"""A local Shopee Open Platform v2 server: signing, OAuth, catalog, stock, orders, push.

Facts it follows are in docs/platforms/shopee.md (its own choices:
docs/platforms/shopee.md#what-the-simulator-chooses); where the platform's behaviour is not
documented the choice made here is written in the docstring of the module that makes it.
"""
