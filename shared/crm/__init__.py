"""Channel CRM: the package every Lambda function imports (shipped as the shared layer).

Layers, imported in one direction only: api (HTTP helpers) -> services (rules) -> db (DynamoDB).
Nothing here knows whether it runs in AWS or in the local runtime.
"""
