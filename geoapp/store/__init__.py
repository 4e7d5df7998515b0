"""The storage room: the instance GeoPackage that holds what users write (proposals, users).

Every write is one SQLite transaction on the GeoPackage, in WAL mode, so a reader never sees
half a change and a killed process leaves the last committed state.
"""
