"""Point NLTK at the shared offline data unless the environment already does."""

import os
from pathlib import Path

_SHARED_NLTK_DATA = Path(__file__).resolve().parents[3] / "shared" / "nltk_data"

if _SHARED_NLTK_DATA.is_dir():
    os.environ.setdefault("NLTK_DATA", str(_SHARED_NLTK_DATA))
    # nltk reads NLTK_DATA when first imported; cover an earlier import too.
    import nltk

    if str(_SHARED_NLTK_DATA) not in nltk.data.path:
        nltk.data.path.append(str(_SHARED_NLTK_DATA))
