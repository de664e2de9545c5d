"""Exports of any list (customers, orders, visits, flow loads, approvals) to XLSX or CSV, run as a job."""
