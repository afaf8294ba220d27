"""SudachiPy for the whole project: one dictionary per process (it is large to load) and one
tokenizer per thread (a tokenizer is not safe to share between threads). Used by the
catalogue's search and by the ルビ of やさしい日本語 pages."""

import threading

_dictionary = None
_dictionary_lock = threading.Lock()
_local = threading.local()


def tokenizer():
    """This thread's tokenizer (split mode C) over the process's one dictionary."""
    found = getattr(_local, "tokenizer", None)
    if found is None:
        from sudachipy import Dictionary, SplitMode

        global _dictionary
        with _dictionary_lock:
            if _dictionary is None:
                _dictionary = Dictionary()
        found = _local.tokenizer = _dictionary.tokenizer(mode=SplitMode.C)
    return found
