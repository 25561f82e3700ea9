"""The pure domain: catalog, inventory and ledger rules, order status. Standard library only."""
