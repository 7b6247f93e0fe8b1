"""A 1C-style accounting/CRM monolith for clinics that sell through amoCRM."""

import os

# Piccolo finds its engine through this module; set it before any table is declared.
os.environ.setdefault("PICCOLO_CONF", "erp.piccolo_conf")

__version__ = "0.1.0"
