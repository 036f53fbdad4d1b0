"""The docs' screenshots, taken from a real Airflow in headless Chromium: ``make screenshots``.

Starts the deployment of the deploy tests (:mod:`tests/deploy/deployment.py`: PostgreSQL, ``airflow
api-server``, ``scheduler``, ``dag-processor``, ``triggerer``, every listener on 127.0.0.1) and the simulator
(also on 127.0.0.1), runs a small sync DAG against the simulator, then drives the system's Chromium through
Playwright (no browser download) to:

- ``connection-form.png`` and ``connection-extras.png``: Admin > Connections > Add, type Salesloft: the
  standard fields as the provider names them (the API key typed is a fake one, shown as dots), then the
  provider's extra fields;
- ``extra-link.png``: the sync task of the finished run, with the operator's "Salesloft cadence" link;
- ``sync-log.png``: the same task's log, with the sync's summary lines.

Every step waits for the element it needs (no fixed sleeps); each PNG is cut to 1280 pixels wide at most and
quantized to a small palette. ``--hold`` keeps everything running and prints the api-server's address, to
look around before changing a step.
"""

from __future__ import annotations

import argparse
import io
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "deploy"))

from deployment import Deployment  # noqa: E402

from airflow_provider_salesloft.testing import SalesloftSimulator  # noqa: E402, TID251  # a dev script

if TYPE_CHECKING:
    from playwright.sync_api import FloatRect, Locator, Page

DAG_ID = "salesloft_nightly_sync"
RUN_ID = "screenshots"
TASK_ID = "sync_leads"
CADENCE_ID = 10
#: What the form screenshot shows typed in: Salesloft's address and a fake key (shown as dots anyway).
FORM_CONN_ID = "salesloft_default"
FORM_HOST = "https://api.salesloft.com"
FORM_API_KEY = "not-a-real-key-0000"
CHROMIUM = "/usr/bin/chromium"
WIDTH, HEIGHT = 1280, 800
#: Longest wait for one element of the UI (generous: the machine may be busy).
UI_TIMEOUT_MS = 60_000

DAG_FILE = f'''\
"""A nightly sync of the leads a query found to cadence {CADENCE_ID} (the docs' screenshots)."""

from datetime import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_salesloft.operators import SyncCadenceMembershipsOperator

with DAG(dag_id="{DAG_ID}", schedule=None, start_date=datetime(2025, 1, 1), catchup=False) as dag:
    SyncCadenceMembershipsOperator(
        task_id="{TASK_ID}",
        rows="{{{{ dag_run.conf['rows'] | tojson }}}}",
        cadence_id={CADENCE_ID},
        max_failed_rows=5,
        retries=0,
    )
'''


@dataclass(frozen=True)
class Running:
    """The deployment and the finished run the screenshots show."""

    deployment: Deployment
    base_url: str


@contextmanager
def running_airflow() -> Iterator[Running]:
    """The simulator and Airflow on loopback, the sync DAG run once (successfully) against the simulator."""
    with (
        tempfile.TemporaryDirectory(prefix="salesloft-screenshots-dag-") as source,
        tempfile.TemporaryDirectory(prefix="salesloft-screenshots-") as home,  # PostgreSQL's user owns it
        SalesloftSimulator(people=300, seed=24) as sim,
    ):
        dag = Path(source) / f"{DAG_ID}.py"
        dag.write_text(DAG_FILE)
        env = {"AIRFLOW_CONN_SALESLOFT_DEFAULT": sim.connection_uri_json()}
        with Deployment(Path(home), [dag], env) as deployment:
            deployment.wait_for_dags([DAG_ID])
            # The simulator's people 1-36, one twice, one who may not be contacted, one Salesloft lacks.
            rows = [{"email": f"person{n}@example.com"} for n in (*range(1, 37), 7)]
            rows += [{"email": "optout1@example.com"}, {"email": "nobody-here@example.com"}]
            deployment.trigger(DAG_ID, RUN_ID, {"rows": rows})
            state = deployment.wait_for_run(DAG_ID, RUN_ID)
            if state != "success":
                raise RuntimeError(f"the sync run ended {state}: see {home}/*.out")
            yield Running(deployment, f"http://127.0.0.1:{deployment.api_port}")


def shrink(png: bytes) -> bytes:
    """At most :data:`WIDTH` pixels wide, 256 colours, optimized: a screenshot of a few dozen KB."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    if image.width > WIDTH:
        image = image.resize((WIDTH, round(image.height * WIDTH / image.width)), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        out, "PNG", optimize=True
    )
    return out.getvalue()


def shoot(base_url: str, out_dir: Path) -> dict[str, int]:
    """Take the screenshots; return each file's size in bytes."""
    from playwright.sync_api import sync_playwright

    sizes: dict[str, int] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            for take in (connection_form, extra_link, sync_log):
                page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT}, color_scheme="light")
                page.set_default_timeout(UI_TIMEOUT_MS)
                for name, png in take(page, base_url).items():
                    data = shrink(png)
                    (out_dir / name).write_bytes(data)
                    sizes[name] = len(data)
                page.close()
        finally:
            browser.close()
    return sizes


def connection_form(page: Page, base_url: str) -> dict[str, bytes]:
    """Admin > Connections > Add Connection, type Salesloft: the standard fields as the provider relabels
    them (a fake key typed in, shown as dots), then the provider's extra fields."""
    page.set_viewport_size({"width": WIDTH, "height": 1500})  # the whole dialog, extras open
    page.goto(f"{base_url}/connections")  # the simple auth manager signs every user in as an admin here
    page.get_by_role("button", name="Add Connection").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Connection ID").fill(FORM_CONN_ID)
    kind = dialog.get_by_role("combobox")
    kind.click()
    kind.fill("Salesloft")
    page.get_by_role("option", name="Salesloft", exact=True).click()
    dialog.get_by_label("API URL").fill(FORM_HOST)
    key = dialog.get_by_label("API key")
    key.fill(FORM_API_KEY)
    if key.get_attribute("type") != "password":
        raise RuntimeError("the API key field shows its value: not taking a picture of it")
    dialog.get_by_role("button", name="Save").wait_for()
    unfocus(page)
    standard = dialog.screenshot(animations="disabled")
    dialog.get_by_role("button", name="Extra Fields", exact=True).click()  # one section open at a time
    dialog.get_by_text("OAuth client ID").wait_for()
    dialog.get_by_text("Rate-limit share").wait_for()
    key.wait_for(state="hidden")
    unfocus(page)
    extras = dialog.screenshot(animations="disabled")
    return {"connection-form.png": standard, "connection-extras.png": extras}


def unfocus(page: Page) -> None:
    """No focus ring, no hover: the picture shows the page at rest."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.mouse.move(0, 0)


def task_page(page: Page, base_url: str, tab: str = "") -> None:
    """The sync task of the finished run (``tab``: a tab's path, e.g. ``/details``)."""
    page.goto(f"{base_url}/dags/{DAG_ID}/runs/{RUN_ID}/tasks/{TASK_ID}{tab}")
    page.get_by_text("Success", exact=True).first.wait_for()


def task_panel(page: Page, down_to: Locator, margin: float = 16) -> FloatRect:
    """The task's panel (without Airflow's navigation and the grid), from its header down to ``down_to``."""
    left = page.get_by_text("Operator", exact=True).first.bounding_box()
    top = page.get_by_text("Success", exact=True).first.bounding_box()
    bottom = down_to.bounding_box()
    if left is None or top is None or bottom is None:
        raise RuntimeError("the task's panel is not on the page")
    x, y = left["x"] - margin, top["y"] - margin
    return {"x": x, "y": y, "width": WIDTH - x, "height": bottom["y"] + bottom["height"] + margin - y}


def extra_link(page: Page, base_url: str) -> dict[str, bytes]:
    """The task's Details tab: the "Salesloft cadence" link, to the cadence the sync added people to."""
    task_page(page, base_url, "/details")
    link = page.get_by_role("link", name="Salesloft cadence")
    link.wait_for()
    href = link.get_attribute("href")
    if href != f"https://app.salesloft.com/app/cadence/{CADENCE_ID}":
        raise RuntimeError(f"the link points to {href!r}")
    unfocus(page)
    return {"extra-link.png": page.screenshot(clip=task_panel(page, down_to=link))}


def sync_log(page: Page, base_url: str) -> dict[str, bytes]:
    """The task's log, lines wrapped: the sync's summary."""
    task_page(page, base_url)
    page.get_by_text("Salesloft sync:").first.wait_for()
    page.get_by_role("button", name="Log Settings").click()
    page.get_by_role("menuitem", name="Wrap").click()
    page.get_by_role("menuitem", name="Wrap").wait_for(state="hidden")
    unfocus(page)
    return {"sync-log.png": page.screenshot(clip=task_panel(page, down_to=page.get_by_text("Post Execute")))}


def main(argv: list[str] | None = None) -> int:
    """``scripts/screenshots.py [--out docs/img] [--hold]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img", help="where the PNGs go")
    parser.add_argument("--hold", action="store_true", help="keep Airflow running; print its address")
    args = parser.parse_args(argv)
    started = time.monotonic()
    with running_airflow() as running:
        print(f"Airflow is up on {running.base_url}; the sync run finished", flush=True)
        if args.hold:
            print("holding (Ctrl-C or SIGTERM ends it, stopping everything)", flush=True)
            stop = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            with suppress(KeyboardInterrupt):
                stop.wait()
            return 0
        args.out.mkdir(parents=True, exist_ok=True)
        sizes = shoot(running.base_url, args.out)
    for name, size in sizes.items():
        print(f"{args.out / name}: {size / 1024:.0f} KB")
    print(f"screenshots taken in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
