"""Orders (订货单) and return requests (退货申请)."""
