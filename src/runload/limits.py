"""Size limits of the import, in one light module (the command line reads them without loading the importers)."""

#: Loose files larger than this are refused before they are read (``runload import --max-file-mb``).
MAX_FILE_BYTES = 300 * 1024 * 1024
