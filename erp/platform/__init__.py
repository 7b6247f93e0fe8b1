"""The platform core: a small 1C:Enterprise in Python.

Catalogs, documents with posting, accumulation and information registers with
totals. It knows nothing about any particular configuration (the clinic lives
in ``erp.catalogs``, ``erp.documents`` and ``erp.registers``).
"""
