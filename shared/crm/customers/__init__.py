"""Customer archive (客户档案): model, rules, and storage."""
