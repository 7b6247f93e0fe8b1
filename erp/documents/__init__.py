"""The clinic configuration's documents: one module per object."""
