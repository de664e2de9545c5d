"""Channel inventory (渠道库存): monthly periods, opening balances, reconciliation, adjustments, diversion."""
