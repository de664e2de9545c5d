"""The only code that knows DynamoDB: pynamodb models, keys, transactions, paging."""
