"""The engine must work where Django is not configured (and never import Saleor)."""

import subprocess
import sys

CODE = """
import sys
import saleor_personalization.engine.recommender
import saleor_personalization.engine.indexing
import saleor_personalization.engine.evaluation.runner
leaked = sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'saleor', 'celery', 'graphene'))
print(','.join(leaked))
"""


def test_engine_imports_without_django_configured_and_imports_no_framework():
    result = subprocess.run(
        [sys.executable, "-c", CODE],
        capture_output=True,
        text=True,
        env={"PATH": "", "DJANGO_SETTINGS_MODULE": ""},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
