"""The product master. Issue 5 adds its API; for now the flow import reads it and the demo seeds it."""
