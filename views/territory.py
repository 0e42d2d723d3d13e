"""The région and département selectors of the pilot pages, bounded by the agent's scope."""

from __future__ import annotations

import streamlit as st

from store.access import Scope
from views import data, url_state


def territory_choice(scope: Scope, whole_france: str) -> tuple[str, str]:
    """Let the agent pick a région, then a département, among those of ``scope``.

    The URL parameters ``region`` and ``dep`` only select among those choices: a code outside the
    scope falls back to the first allowed one.

    Parameters
    ----------
    scope
        The signed-in agent's territory.
    whole_france
        Label of the « no région » choice, offered to agents whose scope is France.

    Returns
    -------
    tuple of str
        Région and département codes (``""`` for « all »).
    """
    reference = data.reference()
    departements = reference.departements.assign(departement_code=reference.departements.index)
    departements = departements[scope.mask(departements)]
    regions = reference.regions.loc[departements["region_code"].unique(), "nom"].sort_values().to_dict()
    if scope.level == "france":
        regions = {"": whole_france, **regions}
    columns = st.columns(2)
    with columns[0]:
        region = url_state.choice("Région", regions, next(iter(regions)), key="region")
    departement = ""
    if region:
        in_region = departements[departements["region_code"] == region]
        choices = {code: f"{name} ({code})" for code, name in in_region["nom"].sort_index().items()}
        if scope.level != "departement":
            choices = {"": "Toute la région", **choices}
        with columns[1]:
            departement = url_state.choice("Département", choices, next(iter(choices)), key="dep")
    return region, departement
