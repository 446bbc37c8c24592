"""annotator: label the claims in news articles, sentence by sentence, in the terminal.

The package is a headless core (scheme, segmentation, ingest, store, agreement,
export, service) with a Textual front end in :mod:`annotator.tui`, which is the
only sub-package allowed to import Textual.
"""

__version__ = "0.1.0"
