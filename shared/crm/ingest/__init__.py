"""Distributor file ingestion (flow 流向, sell-out, stock, opening balances, shipments): the pure core, no AWS.

bytes + file name + kind + period + mapping template + product master + customer index in,
an IngestResult out (see crm.ingest.pipeline.ingest_file).

This __init__ deliberately imports nothing: crm.ingest.mapping (pydantic only) may be imported by
an API function to validate a template, and API functions must never load pyarrow. Import the
pipeline from crm.ingest.pipeline in ingest functions.
"""
