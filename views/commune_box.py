"""The commune search box of the public page: suggestions while typing, in French, with the keyboard.

Streamlit's ``st.text_input`` only reports what was typed on Enter (and says « Press Enter to
apply » in English); this box, built on Streamlit's bidirectional components (``st.components.v2``,
defined once at import), sends the typed text as it changes (``typed``, debounced) and shows
the suggestions the page sends back. It runs in a fragment: a keystroke reruns the box alone,
never the map. Choosing a suggestion (``chosen``) or pressing Enter on free text (``submitted``)
hands the query to the page, which puts it in the URL and reruns.

The box follows the ARIA combobox pattern: ``role="combobox"`` input, ``role="listbox"`` list,
arrow keys to move, Enter to choose, Escape to close; the number of suggestions is announced.
Suggestion labels are set as text, never as HTML.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import streamlit as st

TYPING_DELAY_MS = 150


@dataclass(frozen=True)
class Suggestion:
    """One line of the list: what it shows, and the query that designates it."""

    label: str
    query: str


HTML = """
<div class="boite">
  <label class="boite-libelle" for="boite-saisie">Commune ou code postal</label>
  <input id="boite-saisie" class="boite-saisie" type="text" role="combobox" autocomplete="off" spellcheck="false"
         aria-autocomplete="list" aria-expanded="false" aria-controls="boite-liste"
         placeholder="ex. Rennes, 35000, St-Malo">
  <ul id="boite-liste" class="boite-liste" role="listbox" aria-label="Communes proposées" hidden></ul>
  <span class="boite-etat" role="status" aria-live="polite"></span>
</div>
"""
CSS = """
.boite { position: relative; font: inherit; }
.boite-libelle { display: block; font-size: .875rem; margin-bottom: .25rem; color: var(--st-text-color, #31333f); }
.boite-saisie { box-sizing: border-box; width: 100%; font: inherit; padding: .5rem .75rem; height: 2.5rem;
  border: 1px solid #c9c9d4; border-radius: .5rem; background: var(--st-secondary-background-color, #f0f2f6);
  color: inherit; }
.boite-saisie:focus { outline: 3px solid #000091; outline-offset: 1px; }
.boite-liste { position: absolute; z-index: 1000; left: 0; right: 0; margin: .25rem 0 0; padding: .25rem 0;
  list-style: none; background: #fff; border: 1px solid #c9c9d4; border-radius: .5rem; max-height: 18rem;
  overflow-y: auto; box-shadow: 0 4px 12px rgba(0, 0, 0, .15); }
.boite-liste li { padding: .4rem .75rem; cursor: pointer; color: #161616; }
.boite-liste li[aria-selected="true"], .boite-liste li:hover { background: #e3e3fd; color: #000091; }
.boite-etat { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
"""
JS = f"""
export default function (component) {{
  const {{ parentElement, data }} = component;
  const input = parentElement.querySelector("input");
  const list = parentElement.querySelector("ul");
  const status = parentElement.querySelector(".boite-etat");
  // Streamlit calls this function again with each new data, without always cleaning up the previous
  // call: the box keeps its memory (and its listeners, attached once) on its element, and the
  // listeners read the latest data and functions from there.
  const memory = parentElement.__boite || (parentElement.__boite = {{ shown: null, active: -1, open: false }});
  memory.component = component;
  memory.options = data.options || [];

  // The page's query changed (a search, the browser's Back button, « Autour de moi »): show it.
  if (data.value !== memory.shown) {{
    memory.shown = data.value;
    input.value = data.value;
    memory.open = false;
  }}

  const close = () => {{
    memory.open = false;
    memory.active = -1;
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }};
  const highlight = (index) => {{
    memory.active = index;
    [...list.children].forEach((item, position) => item.setAttribute("aria-selected", String(position === index)));
    if (index >= 0) {{
      input.setAttribute("aria-activedescendant", list.children[index].id);
      list.children[index].scrollIntoView({{ block: "nearest" }});
    }} else {{
      input.removeAttribute("aria-activedescendant");
    }}
  }};
  const choose = (index) => {{
    const option = memory.options[index];
    if (!option) return;
    input.value = option.query;
    memory.shown = option.query;
    close();
    memory.component.setTriggerValue("chosen", option.query);
  }};

  list.replaceChildren(...memory.options.map((option, index) => {{
    const item = document.createElement("li");
    item.id = "boite-option-" + index;
    item.setAttribute("role", "option");
    item.setAttribute("aria-selected", "false");
    item.textContent = option.label;
    item.addEventListener("mousedown", (event) => {{ event.preventDefault(); choose(index); }});
    return item;
  }}));
  // Suggestions for an older text (the person typed on) are not shown.
  const current = data.typed === input.value.trim() && memory.open && memory.options.length > 0;
  list.hidden = !current;
  input.setAttribute("aria-expanded", String(current));
  if (current) {{
    const count = memory.options.length;
    status.textContent = count === 1 ? "1 commune proposée" : count + " communes proposées";
    highlight(Math.min(memory.active, count - 1));
  }} else {{
    input.removeAttribute("aria-activedescendant");
  }}

  if (memory.listening) return;
  memory.listening = true;
  let timer = null;
  input.addEventListener("input", () => {{
    memory.open = true;
    memory.active = -1;
    clearTimeout(timer);
    timer = setTimeout(() => memory.component.setStateValue("typed", input.value.trim()), {TYPING_DELAY_MS});
  }});
  input.addEventListener("keydown", (event) => {{
    const count = list.hidden ? 0 : list.children.length;
    if (event.key === "ArrowDown" && count) {{
      event.preventDefault();
      highlight((memory.active + 1) % count);
    }} else if (event.key === "ArrowUp" && count) {{
      event.preventDefault();
      highlight((memory.active - 1 + count) % count);
    }} else if (event.key === "Escape") {{
      close();
    }} else if (event.key === "Enter") {{
      event.preventDefault();
      clearTimeout(timer);
      if (count && memory.active >= 0) {{
        choose(memory.active);
      }} else if (input.value.trim()) {{
        memory.shown = input.value.trim();
        close();
        memory.component.setTriggerValue("submitted", input.value.trim());
      }}
    }}
  }});
  input.addEventListener("blur", () => close());
}}
"""

_BOX = st.components.v2.component("carte.commune_box", html=HTML, css=CSS, js=JS)


@st.fragment
def commune_box(value: str, suggest: Callable[[str], Sequence[Suggestion]], on_query: Callable[[str], None],
                key: str = "boite-commune") -> None:
    """Show the box holding ``value``; ``on_query(query)`` runs, then the whole page reruns, when the
    person chooses a suggestion or presses Enter.

    Parameters
    ----------
    value
        The query the page shows results for (from the URL).
    suggest
        The suggestions for a typed text.
    on_query
        Puts a chosen or submitted query where the page reads it (the URL).
    key
        Session-state key of the box.
    """
    typed = str((st.session_state.get(key) or {}).get("typed") or "")
    options = [asdict(suggestion) for suggestion in suggest(typed)] if typed else []
    result = _BOX(key=key, data={"value": value, "typed": typed, "options": options},
                  on_typed_change=_ignore, on_chosen_change=_ignore, on_submitted_change=_ignore)
    query = result.get("chosen") or result.get("submitted")
    if query:
        on_query(str(query))
        st.rerun(scope="app")


def _ignore() -> None:
    """Callbacks are how a component declares its events; the box reads them from its result."""
