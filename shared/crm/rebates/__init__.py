"""Distributor agreements (协议), monthly rebate accruals (返利计提) on verified channel data, and diversion
cases (窜货查处) whose confirmed penalties net against them. docs/rebates.md."""
