"""Decision analysis on plain tables: incremental analysis, net benefit, thresholds, one-way,
probabilistic summaries, value of information and global sensitivity analysis.

Every function takes arrays or DataFrames of model outcomes (samples x strategies) and returns
plain tables, so the same functions serve the flagship model, any other hecon model, or outputs
produced elsewhere.
"""
