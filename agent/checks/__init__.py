"""Pure rules, no I/O: text, dates, dedup, neutrality, the bias meter, the fact-check.

Everything here is a function of its arguments; the graph's nodes and the store call it.
"""
