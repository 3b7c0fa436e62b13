"""The merchant's view: Saleor Dashboard 3.23 in a real browser, against a live Saleor.

The dashboard's prebuilt single-page app is served next to pytest-django's live
server and driven by Playwright with the system's Chromium. Labels come from the
plugin's CONFIG_STRUCTURE, so these tests follow its wording.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest
from dashboard_site import DashboardSite, find_dashboard, unpack_dashboard
from django.conf import settings as django_settings
from django.db import connections
from saleor.plugins.models import PluginConfiguration
from saleor_personalization.saleor_adapter.config import PLUGIN_ID
from saleor_personalization.saleor_adapter.plugin import PersonalizationPlugin

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page
    from saleor.account.models import User

playwright_api = pytest.importorskip(
    "playwright.sync_api",
    reason="playwright not installed: `pip install playwright` (its own browser download is not needed)",
)
expect = playwright_api.expect

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which(os.environ.get("CHROMIUM") or "chromium")
if CHROMIUM is None:
    pytest.skip(
        "Chromium not found: `apt-get install chromium`, or set CHROMIUM to its executable",
        allow_module_level=True,
    )
SHARED_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "saleor"
DASHBOARD_SOURCE = find_dashboard(SHARED_DIR)
if DASHBOARD_SOURCE is None:
    pytest.skip(
        "Saleor Dashboard build not found: set SALEOR_DASHBOARD to a "
        f"saleor-dashboard-*-build.tar.gz or its unpacked folder (default: one in {SHARED_DIR})",
        allow_module_level=True,
    )

PLUGIN_PATH = "saleor_personalization.saleor_adapter.plugin.PersonalizationPlugin"
PASSWORD = "pass"  # the password of Saleor's `superuser` fixture
TIMEOUT_MS = 30_000
expect.set_options(timeout=TIMEOUT_MS)
LABELS = {name: field["label"] for name, field in PersonalizationPlugin.CONFIG_STRUCTURE.items()}
# The dashboard puts the plugin id, URI-encoded, in the page's path.
PLUGIN_PAGE = re.compile(
    re.escape(f"/dashboard/extensions/plugin/{quote(PLUGIN_ID, safe='')}") + r"(\?.*)?$"
)


@pytest.fixture(scope="session")
def dashboard_build(tmp_path_factory) -> Path:
    return unpack_dashboard(DASHBOARD_SOURCE, tmp_path_factory.mktemp("dashboard"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for this module's tests."""
    with pytest.MonkeyPatch.context() as patch, playwright_api.sync_playwright() as playwright:
        # Playwright's sync API keeps an asyncio loop running in this thread, so Django
        # takes every ORM call made here (fixtures, assertions) for one from async code
        # and refuses it. Nothing of Django runs on that loop: the ORM is used from this
        # thread between browser calls, and the live server answers from its own threads.
        # Module scope: the loop stops, and the flag goes, before other modules' tests.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        playwright.selectors.set_test_id_attribute("data-test-id")  # the dashboard's own
        chromium = playwright.chromium.launch(executable_path=CHROMIUM)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def dashboard(django_db_setup, live_server, dashboard_build) -> Iterator[DashboardSite]:
    """The dashboard, talking to Saleor under the live server."""
    # Saleor's test settings fake the replica as an alias of the writer connection, in
    # the test thread only (prepare_test_db_connections); the live server's request
    # threads open a real replica connection, so it must reach the test database.
    default = connections.settings[django_settings.DATABASE_CONNECTION_DEFAULT_NAME]
    replica = connections.settings[django_settings.DATABASE_CONNECTION_REPLICA_NAME]
    with pytest.MonkeyPatch.context() as patch:
        for key in ("NAME", "HOST", "PORT", "USER", "PASSWORD", "OPTIONS"):
            patch.setitem(replica, key, default[key])
        with DashboardSite(dashboard_build, api_url=live_server.url + "/graphql/") as site:
            yield site


@pytest.fixture
def page(browser: Browser, dashboard: DashboardSite, settings) -> Iterator[Page]:
    """A fresh browser page, our plugin installed in Saleor (no configuration saved)."""
    settings.PLUGINS = [PLUGIN_PATH]
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    context.set_default_timeout(TIMEOUT_MS)
    # Everything the test needs is local; the dashboard's calls home are cut short.
    context.route(re.compile(r"^(?!http://127\.0\.0\.1[:/])"), lambda route: route.abort())
    page = context.new_page()
    # A promotion pops up over the page at its own pace; close it whenever it shows.
    dismiss = page.get_by_test_id("ripple-video-announcement-dismiss")
    page.add_locator_handler(dismiss, lambda button: button.click())
    yield page
    context.close()


def sign_in(page: Page, dashboard: DashboardSite, user: User) -> None:
    page.goto(dashboard.url)
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(user.email)).to_be_visible()


def open_plugin_page(page: Page) -> None:
    """Extensions → Installed → Personalization, as a merchant finds it."""
    page.get_by_role("link", name="Extensions", exact=True).click()
    page.get_by_text(PersonalizationPlugin.PLUGIN_NAME, exact=True).click()
    expect(page).to_have_url(PLUGIN_PAGE)
    expect(page.get_by_text(f"{PersonalizationPlugin.PLUGIN_NAME} details")).to_be_visible()


def save_screenshot(page: Page, tmp_path: Path, name: str) -> Path:
    """A PNG in the test's tmp_path, copied to $DASHBOARD_SCREENSHOTS when set."""
    path = tmp_path / f"{name}.png"
    page.screenshot(path=path, animations="disabled")
    if target := os.environ.get("DASHBOARD_SCREENSHOTS"):
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / path.name)
    return path


def setting_field(page: Page, name: str) -> Locator:
    # The dashboard's text inputs carry the setting's name but no accessible label.
    return page.locator(f'input[name="{name}"], textarea[name="{name}"]')


def save(page: Page) -> None:
    page.get_by_role("button", name="Save", exact=True).click()


def toast(page: Page, kind: str) -> Locator:
    """The dashboard's notification of one kind: "success" or "error"."""
    return page.locator(f'[data-sonner-toast] [data-test-type="{kind}"]')


def test_fresh_install_is_listed_and_opens_its_page(page, dashboard, superuser, tmp_path):
    assert not PluginConfiguration.objects.filter(identifier=PLUGIN_ID).exists()
    sign_in(page, dashboard, superuser)

    open_plugin_page(page)

    expect(page.get_by_text(PersonalizationPlugin.PLUGIN_DESCRIPTION)).to_be_visible()
    save_screenshot(page, tmp_path, "fresh-install")


def test_plugin_page_shows_every_setting(page, dashboard, superuser, product, tmp_path):
    sign_in(page, dashboard, superuser)
    open_plugin_page(page)

    for name, label in LABELS.items():
        shown = page.get_by_text(label, exact=True).filter(visible=True)
        expect(shown.first, f"label of {name!r}").to_be_visible()
    if "index_status" in LABELS:
        expect(setting_field(page, "index_status")).to_have_value(re.compile("indexed"))
    save_screenshot(page, tmp_path, "plugin-page")


def test_bad_value_error_names_its_setting(page, dashboard, superuser, tmp_path):
    sign_in(page, dashboard, superuser)
    open_plugin_page(page)

    setting_field(page, "diversity").fill("5")
    save(page)

    # The dashboard reports a plugin's save errors in a toast only (with the API's
    # message): it looks field errors up under the key "name", so no field is marked.
    error = toast(page, "error")
    expect(error).to_be_visible()
    save_screenshot(page, tmp_path, "bad-value")
    expect(error).to_contain_text(LABELS["diversity"])
    row = PluginConfiguration.objects.filter(identifier=PLUGIN_ID).first()
    stored = {} if row is None else {item["name"]: item["value"] for item in row.configuration}
    assert stored.get("diversity") != "5"


def test_valid_value_is_saved(page, dashboard, superuser, encoder_config, tmp_path):
    # The first save stores an active plugin, which indexes the catalog within the
    # request (Celery runs eagerly here); with the model loaded beforehand the answer
    # comes within the browser's timeout even on a slow machine.
    sign_in(page, dashboard, superuser)
    open_plugin_page(page)

    setting_field(page, "diversity").fill("0.3")
    save(page)

    expect(toast(page, "success")).to_contain_text("Plugin settings updated")
    save_screenshot(page, tmp_path, "saved")
    row = PluginConfiguration.objects.get(identifier=PLUGIN_ID, channel=None)
    assert {item["name"]: item["value"] for item in row.configuration}["diversity"] == "0.3"
    expect(setting_field(page, "diversity")).to_have_value("0.3")
