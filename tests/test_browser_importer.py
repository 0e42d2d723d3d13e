"""The « Importer » page in a real headless Chromium: upload a CSV, read the report, save it.

Uses the browser fixtures of conftest.py (Debian's chromium; skipped without it, unless
``CARTE_REQUIRE_BROWSER=1``). The structure and the file name are hostile: any injected
``alert`` would open a dialog, and the test fails on any dialog.
"""

from __future__ import annotations

from conftest import CHROMIUM_ARGS, running_app

from loaders import store

HOSTILE = "<img src=x onerror=alert(1)>"
FILE_NAME = "<img src=x onerror=alert(2)> [clic](javascript:alert(3)).csv"
EXPORT = (
    "Adresse e-mail;Nom de votre structure;Code postal;Commune;Thématiques\n"
    f"a@x.fr;{HOSTILE};35000;Rennes;Café IA\n"
    "a@x.fr;Champs Libres;35000;Rennes;Café IA\n"
    "b@x.fr;Ailleurs;99999;Nulle-Part;Café IA\n"
)


def test_upload_report_and_save_in_a_browser(chromium, artifacts, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    home = tmp_path / "home"
    export = tmp_path / FILE_NAME
    export.write_text(EXPORT, encoding="utf-8")
    dialogs: list[str] = []
    with running_app(home) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="fr-FR")
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(f"{url}/importer")
        page.get_by_text("Déposez un fichier pour voir").wait_for(timeout=60_000)
        page.locator("input[type=file]").set_input_files(export)
        expect(page.locator("[data-testid='stMetric']")).to_have_count(4, timeout=60_000)
        values = dict(zip(page.locator("[data-testid='stMetricLabel']").all_inner_texts(),
                          page.locator("[data-testid='stMetricValue']").all_inner_texts(), strict=True))
        page.get_by_role("button", name="Enregistrer l'import").click()
        # User text is shown as written: neither run as HTML or Markdown, nor left as entities.
        page.get_by_text(f"Import enregistré : {FILE_NAME}").wait_for(timeout=60_000)
        links = page.locator("[data-testid='stAlert'] a").count()
        page.screenshot(path=artifacts / "importer.png", full_page=True)
        browser.close()
    assert dialogs == [], f"injected code ran: {dialogs}"
    assert values == {"Lignes lues": "3", "Acceptées": "1", "Doublons fusionnés": "1", "Rejetées": "1"}
    assert links == 0
    engine = store.connect(f"sqlite:///{home / 'carte.sqlite'}")
    batches = store.read_batches(engine)
    assert batches["file_name"].tolist() == [FILE_NAME] and not batches["is_demo"].any()
    assert batches["rejected_rows"].tolist() == [1]
    assert store.read_animators(engine)[["structure", "commune"]].values.tolist() == [["Champs Libres", "Rennes"]]
