"""French for the texts that Streamlit's own interface writes in English.

Some of Streamlit's texts are parameters of its widgets (a select box's ``placeholder``) and are
set where the widget is made (``views/url_state.py``). The others are written by Streamlit's
frontend bundle in English whatever the browser's language: the « Skip to main content » link,
« Select all » and « Clear all » of a multiselect, the file uploader's « Upload » and
« 20MB per file », a heading's « Link to heading », « Press Enter to apply », the table toolbar,
and what react-aria announces to screen readers (« 3 options available. »), which Streamlit pins
to ``en-US``.

Those are translated in the browser: :func:`install` adds to the page a small script that walks the
main document once, then follows its changes with a ``MutationObserver``, rewriting from
:data:`EXACT` and :data:`PATTERNS` the text nodes and the ``title``, ``aria-label``,
``placeholder`` and ``alt`` attributes that Streamlit wrote. It also declares the document French
(``<html lang="fr">``, which Streamlit leaves at ``en``) so that screen readers pronounce it as
such. Streamlit's files in site-packages are left untouched.

What the app itself writes (Markdown, HTML, captions, labels, alerts, the options of a list, the
chosen values) is never rewritten: a structure named « Select all » keeps its name. Texts that
Streamlit marks ``translate="no"`` (its Material icons, written as ligatures) are left alone too.
The frames of the maps are other documents; their Leaflet controls are French by ``views/basemap.py``.

The script is installed by :func:`views.chrome.apply_style`, which every page calls first. Once per
browser tab: the observer stays when the person moves to another page of the app.
"""

from __future__ import annotations

import json

import streamlit as st

# Streamlit's English, whole text (spaces around it are kept) → French.
EXACT: dict[str, str] = {
    # The page's frame: skip link, sidebar, navigation, status, dialogs.
    "Skip to main content": "Aller au contenu principal",
    "App pages": "Pages de l'application",
    "Sidebar": "Barre latérale",
    "Collapse sidebar": "Replier la barre latérale",
    "Expand sidebar": "Déplier la barre latérale",
    "View less": "Voir moins",
    "Navigate to home page": "Aller à la page d'accueil",
    "Main menu": "Menu principal",
    "Running...": "Calcul en cours…",
    "Stop": "Arrêter",
    "Stopping...": "Arrêt en cours…",
    "Rerun": "Relancer",
    "Always rerun": "Toujours relancer",
    "Connecting": "Connexion…",
    "Please wait...": "Veuillez patienter…",
    "Connection error": "Connexion perdue",
    "Connection lost. Please wait for the app to reconnect, then try again.":
        "Connexion perdue. Attendez que l'application se reconnecte, puis réessayez.",
    "Try again": "Réessayer",
    "Close": "Fermer",
    "Cancel": "Annuler",
    "Dismiss": "Fermer",
    "Page not found": "Page introuvable",
    "The page that you have requested does not seem to exist. Running the app's main page.":
        "Cette page n'existe pas. Voici la page d'accueil de l'application.",
    "Copy": "Copier",
    "Copy to clipboard": "Copier",
    "Fullscreen": "Plein écran",
    "Close fullscreen": "Quitter le plein écran",
    "Scroll tabs left": "Onglets précédents",
    "Scroll tabs right": "Onglets suivants",
    "Help": "Aide",
    "Link to heading": "Lien vers ce titre",
    # Select boxes and multiselects.
    "Choose an option": "Choisir une option",
    "Choose options": "Choisir des options",
    "No options to select": "Aucune option",
    "No options to select.": "Aucune option.",
    "No results": "Aucun résultat",
    "Open": "Ouvrir la liste",
    "Clear value": "Effacer",
    "Clear all": "Tout effacer",
    "Select all": "Tout sélectionner",
    "Selected values": "Valeurs choisies",
    "Selectbox options": "Options",
    "Multiselect options": "Options",
    "Suggestions": "Suggestions",
    # Text boxes.
    "Press Enter to apply": "Appuyez sur Entrée pour valider",
    "Press Enter to submit form": "Appuyez sur Entrée pour envoyer le formulaire",
    "Clear entry": "Effacer",
    "Show password": "Afficher le mot de passe",
    "Hide password": "Masquer le mot de passe",
    # File uploader.
    "Upload": "Parcourir",
    "Upload directories": "Parcourir les dossiers",
    "Drag and drop a file here": "Glissez-déposez un fichier ici",
    "Drag and drop files here": "Glissez-déposez des fichiers ici",
    "Drag and drop directories here": "Glissez-déposez des dossiers ici",
    "Add files": "Ajouter des fichiers",
    "file upload": "Déposer un fichier",
    "Click to retry upload": "Cliquez pour réessayer l'envoi",
    "Upload failed": "Échec de l'envoi",
    "Too many files": "Trop de fichiers",
    "Only one file is allowed.": "Un seul fichier est accepté.",
    "Unexpected error. Please try again.": "Erreur inattendue. Veuillez réessayer.",
    # Tables.
    "Download as CSV": "Télécharger en CSV",
    "Search": "Rechercher",
    "Type to search": "Tapez pour rechercher",
    "Close Search": "Fermer la recherche",
    "Next Result": "Résultat suivant",
    "Previous Result": "Résultat précédent",
    "Show/hide columns": "Afficher ou masquer des colonnes",
    "Sort ascending": "Trier par ordre croissant",
    "Sort descending": "Trier par ordre décroissant",
    "Pin column": "Figer la colonne",
    "Unpin column": "Libérer la colonne",
    "Hide column": "Masquer la colonne",
    "Autosize": "Ajuster la largeur",
    "Copy column name": "Copier le nom de la colonne",
    "Dataframe column menu": "Menu de la colonne",
    "Add row": "Ajouter une ligne",
    "Delete row(s)": "Supprimer les lignes",
    "Edit": "Modifier",
    "Automatic": "Automatique",
    "Localized": "Selon la langue",
    "Plain": "Brut",
    "Compact": "Compact",
    "Scientific": "Scientifique",
    "Accounting": "Comptable",
    "Percent": "Pourcentage",
    "Calendar": "Calendrier",
    "Duration": "Durée",
    "Clear selection": "Effacer la sélection",
    "No data": "Aucune donnée",
    "Select...": "Choisir…",
    # Charts.
    "Show data": "Afficher les données",
    "Show chart": "Afficher le graphique",
    "Download as PNG": "Télécharger en PNG",
    "Copy Vega-Lite spec": "Copier la description Vega-Lite",
    "Copied!": "Copié !",
}

# Streamlit's English with a part that varies: (JavaScript regular expression of the whole text,
# replacement with $1, $2…). Tried in order, after EXACT.
PATTERNS: tuple[tuple[str, str], ...] = (
    (r"Remove (.+)", "Retirer $1"),
    (r"Cancel upload of (.+)", "Annuler l'envoi de $1"),
    (r"Help for (.+)", "Aide : $1"),
    (r"Shortcut (.+)", "Raccourci $1"),
    (r"Press (Ctrl|⌘)\+Enter to apply", "Appuyez sur $1+Entrée pour valider"),
    (r"Press (Ctrl|⌘)\+Enter to submit form", "Appuyez sur $1+Entrée pour envoyer le formulaire"),
    (r"(\d+) ?([KMGT])B per file", "$1 $2o par fichier"),
    (r"File must be (\d+) ?([KMGT])B or smaller\.", "Le fichier ne doit pas dépasser $1 $2o."),
    (r"(.+) files are not allowed\.", "Les fichiers $1 ne sont pas acceptés."),
    (r"(\d+)\.(\d+) ?([KMGT])B", "$1,$2 $3o"),
    (r"(\d+) ?([KMGT])B", "$1 $2o"),
    (r"1 byte", "1 octet"),
    (r"(\d+) bytes", "$1 octets"),
    (r"View (\d+) more", "Voir $1 de plus"),
    (r"Select (\d+) matches", "Choisir les $1 résultats"),
    # react-aria's announcements to screen readers.
    (r"1 option available\.", "1 option disponible."),
    (r"(\d+) options available\.", "$1 options disponibles."),
    (r"(.+), selected", "$1, choisi"),
)

# The toolbar of a chart or a table names its element after its buttons' labels (« Show data: <title> »): the
# label is translated from EXACT, the element's title is the app's.
ABOUT_ELEMENT = r"([^:]+): (.+)"
# Where the app writes its own text: text nodes inside are never rewritten. « Select all » is an option
# of a multiselect's list that Streamlit adds (its key starts with two underscores); the other options are the app's.
APP_TEXT = ", ".join((
    '[translate="no"]', '[data-testid="stMarkdown"]', '[data-testid="stCaptionContainer"]',
    '[data-testid="stHeading"]', '[data-testid="stHtml"]', '[data-testid="stCode"]', '[data-testid="stText"]',
    '[data-testid="stAlertContainer"]', '[data-testid="stWidgetLabel"]', '[data-testid="stException"]',
    '[data-testid="stSidebarNavLink"]', '[data-testid="stNavSectionHeader"]',
    '[role="option"]:not([data-key^="__"])', "[data-tag]",
))
# Elements whose title or aria-label repeats the app's text they show (an option, a chosen value, a file's name).
APP_LABELLED = '[role="option"], [data-tag], [data-tag] > [title], [data-testid="stFileChip"]'
ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
# The script never contains "<": the HTML sanitiser of st.html drops a script whose text looks like markup.
SCRIPT = """
(() => {
  if (window.carteFrancais) return;
  window.carteFrancais = true;
  const exact = new Map(Object.entries(%(exact)s));
  const patterns = %(patterns)s.map(([source, french]) => [new RegExp("^(?:" + source + ")$"), french]);
  const attributes = %(attributes)s;
  const appText = %(app_text)s;
  const appLabelled = %(app_labelled)s;
  const aboutElement = new RegExp("^" + %(about_element)s + "$");

  const french = (english) => {
    const text = english.trim();
    if (!text) return null;
    const result = exact.get(text) ?? withPattern(text) ?? aboutAnElement(text);
    return result === undefined || result === text ? null : english.replace(text, () => result);
  };
  const withPattern = (text) => {
    const found = patterns.find(([pattern]) => pattern.test(text));
    return found ? text.replace(found[0], found[1]) : undefined;
  };
  const aboutAnElement = (text) => {
    const parts = aboutElement.exec(text);
    return parts && exact.has(parts[1]) ? exact.get(parts[1]) + " : " + parts[2] : undefined;
  };
  const translateText = (node) => {
    const parent = node.parentElement;
    if (!parent || parent.closest(appText)) return;
    const result = french(node.nodeValue);
    if (result !== null) node.nodeValue = result;
  };
  const translateAttributes = (element) => {
    if (element.matches(appLabelled)) return;
    for (const name of attributes) {
      const value = element.getAttribute(name);
      const result = value ? french(value) : null;
      if (result !== null) element.setAttribute(name, result);
    }
  };
  const translateTree = (root) => {
    if (root.nodeType === Node.TEXT_NODE) return translateText(root);
    if (root.nodeType !== Node.ELEMENT_NODE) return;
    translateAttributes(root);
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      if (node.nodeType === Node.TEXT_NODE) translateText(node); else translateAttributes(node);
    }
  };
  document.documentElement.lang = "fr";
  translateTree(document.body);
  new MutationObserver((mutations) => {
    for (const mutation of mutations) {
      if (mutation.type === "characterData") translateText(mutation.target);
      else if (mutation.type === "attributes") translateAttributes(mutation.target);
      else mutation.addedNodes.forEach(translateTree);
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true,
                             attributeFilter: attributes});
})();
"""
MARKER = "carte-francais"
# The element holding the script takes no room on the page.
HIDE = f'<style>[data-testid="stElementContainer"]:has(script[data-carte="{MARKER}"]) {{ display: none; }}</style>'


def script() -> str:
    """The translating script, with its dictionaries written in as JavaScript literals."""
    literals = {
        "exact": EXACT, "patterns": [list(pair) for pair in PATTERNS], "attributes": list(ATTRIBUTES),
        "app_text": APP_TEXT, "app_labelled": APP_LABELLED, "about_element": ABOUT_ELEMENT,
    }
    # "\u003c" is "<" for JavaScript, and not markup for the sanitiser (see SCRIPT).
    return SCRIPT % {name: json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")
                     for name, value in literals.items()}


def install() -> None:
    """Add the translating script to the page (it runs once per browser tab, whatever the page)."""
    st.html(f'{HIDE}<script data-carte="{MARKER}">{script()}</script>', unsafe_allow_javascript=True)
