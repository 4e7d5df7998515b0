"""The data room: read, validate and write the layers and tables of the data dir."""
