"""The clinic configuration's catalogs: one module per object."""
