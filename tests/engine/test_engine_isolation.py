"""The engine, and the offline tooling around it, must work where Django is not
configured: they never import a framework, nor matplotlib until a chart is drawn.
Content optimization (guardrails run for real here) is part of the engine."""

import subprocess
import sys

CODE = """
import sys
import saleor_personalization.engine.recommender
import saleor_personalization.engine.indexing
import saleor_personalization.engine.memory_store
import saleor_personalization.engine.evaluation
import saleor_personalization.offline
import saleor_personalization.engine.content.rewriting
import saleor_personalization.engine.content.generators.local
import saleor_personalization.engine.content.generators.openai_compat
from saleor_personalization.engine.content.guardrails import check
check("A 180 gsm cotton tee that keeps its shape.", "A cotton tee, 180 gsm, that keeps its shape.")
leaked = sorted(
    m for m in sys.modules
    if m.split('.')[0] in ('django', 'saleor', 'celery', 'graphene', 'matplotlib')
)
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


TORCH_FREE = """
import sys
import saleor_personalization.engine.evaluation
import saleor_personalization.engine.learned
import saleor_personalization.engine.ranking_model
print(','.join(sorted(m for m in sys.modules if m.split('.')[0] == 'torch')))
"""


def test_evaluation_and_the_learned_models_serving_side_do_not_import_torch():
    result = subprocess.run(
        [sys.executable, "-c", TORCH_FREE], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
