"""Distributor flow (流向): uploads, loads and their status. The file parsing lives in crm.ingest."""
