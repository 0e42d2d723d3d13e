"""The command line, ``python -m carte COMMAND …``: the same functions as the pages, for scripts and hubs' agents.

It sits at the top, beside the pages (``views``): it reads files through ``loaders``, geography through
``geo`` and keeps everything through ``store``, and nothing below imports it.

- ``import``: reads exports, places their rows and saves them (:mod:`carte.importing`);
- ``publish``: writes the public finder as a static site (:mod:`carte.publication`);
- ``coverage`` and ``plan``: coverage indicators and training plans as files (:mod:`carte.territories`);
- ``users``: who may open the pilot pages (:mod:`carte.agents`);
- ``privacy``: people's requests about their data (:mod:`carte.privacy`);
- ``migrate-store``: copies a whole store into an empty one (:mod:`carte.migration`).
"""
