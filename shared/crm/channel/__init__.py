"""Channel analysis over the analytics tables: terminal sell-out (终端销货) and diversion signals (窜货)."""
