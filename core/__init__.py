"""What every package of the project shares and that depends on none of them.

``core.text``
    :func:`core.text.fold`, the one normaliser for comparing what people wrote (accents, case,
    punctuation and spacing aside), used by the loader, the commune search and the public finder's port.
``core.vocabulary``
    The codes of training statuses and moderation verdicts with their French labels and defaults, and
    the abbreviations of « Saint »: the words that the store, the loader, the geography and the pages
    must spell alike.

``geo``, ``loaders`` and ``views`` import ``core``; ``core`` imports none of them (``tests/test_layers.py``).
"""
