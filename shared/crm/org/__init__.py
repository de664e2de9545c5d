"""The org tree (HQ → branches → departments) and the user directory that data scope hangs on."""
