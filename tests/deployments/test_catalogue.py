"""README's deployment table is the one prefect.yaml and the workflows give."""

from deployments.catalogue import END, ROOT, START, rows, table


def test_readme_holds_the_current_catalogue():
    readme = (ROOT / "README.md").read_text()
    assert f"{START}\n{table()}\n{END}" in readme, "run: python -m deployments.catalogue --write"


def test_each_row_links_the_workflows_page():
    found = {row[0]: row for row in rows()}
    assert found["`saved-links/three-times-daily`"][1:] == (
        "cron `0 8,12,23 * * *`",
        "1, CANCEL_NEW",
        "[Saved links](docs/saved_links.md)",
    )
    assert found["`camera-download/every-10-minutes`"][1] == "every 600 s"
