"""Hand-over (工作转移): when a rep leaves, all their customers move to another rep, none lost."""
