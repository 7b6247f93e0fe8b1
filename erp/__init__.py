"""A 1C-style accounting/CRM monolith for clinics that sell through amoCRM."""

__version__ = "0.1.0"
