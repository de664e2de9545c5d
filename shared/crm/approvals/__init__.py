"""Multi-step approvals run by Step Functions: orders, returns, customer activation, level changes."""
