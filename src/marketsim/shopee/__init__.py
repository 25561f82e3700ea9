"""A local Shopee Open Platform v2 server: signing, OAuth, catalog, stock, orders, push.

Facts it follows are in shared/platforms/shopee.md; where the platform's behaviour is not
documented the choice made here is written in the docstring of the module that makes it.
"""
