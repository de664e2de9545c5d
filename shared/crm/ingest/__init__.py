"""Distributor flow (流向) file ingestion: the pure core, no AWS.

bytes + file name + period + mapping template + product master + customer index in,
an IngestResult out (see crm.ingest.pipeline.ingest_flow_file).

This __init__ deliberately imports nothing: crm.ingest.mapping (pydantic only) may be imported by
an API function to validate a template, and API functions must never load pyarrow. Import the
pipeline from crm.ingest.pipeline in ingest functions.
"""
