"""Reports for readers who do not run Python: Excel workbooks and PNG plots."""
