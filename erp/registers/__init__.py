"""The clinic configuration's registers: one module per object."""
