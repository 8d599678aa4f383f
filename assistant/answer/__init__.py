"""Answer: from the retrieved evidence to an ``Answer`` with verbatim citations, or a decline."""
