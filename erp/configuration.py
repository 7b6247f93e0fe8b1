"""The clinic configuration: importing this module declares every catalog,
document and register of the clinic on top of the platform core."""
