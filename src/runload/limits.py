"""Size limits of the import, in one light module (the command line reads them without loading the importers)."""

#: Loose files larger than this are refused before they are read (``runload import --max-file-mb``).
MAX_FILE_BYTES = 300 * 1024 * 1024

#: A FIT file is read whole, its bytes and its record columns (time, heart rate, distance, position) held
#: together while its summaries are worked out: about this many bytes of memory for each byte of file
#: (measured peaks of an import: a 53 MB FIT 208 MB, a 264 MB one 1.1 GB; GPX and TCX take about 1.2).
FIT_MEMORY_PER_BYTE = 4


def max_fit_bytes(max_file_bytes: int = MAX_FILE_BYTES) -> int:
    """The largest FIT file read under the file-size limit ``max_file_bytes`` [bytes]: a quarter of it, so that
    no FIT file makes an import hold much more than the limit (75 MB under the default 300 MB; the largest
    real activity files are a few MB: a 24-hour run recorded every second is about 3 MB)."""
    return max_file_bytes // FIT_MEMORY_PER_BYTE
